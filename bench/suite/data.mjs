// The suite's data files, all inside its work directory (removed at the end): bench/lib/datafile.mjs
// files (every 4 KiB block headed by its index), each set in its own folder so that every file is a
// distinct file with its own blocks on disk (copies could share extents through reflinks).
import { join } from 'node:path';
import { ensureDataFile } from '../lib/datafile.mjs';
import { streamReference } from '../lib/verify.mjs';

/** `count` data files of `size` bytes under DIR/name: their paths. */
export function dataFiles(ctx, name, count, size) {
  return Array.from({ length: count }, (_, i) => ensureDataFile(join(ctx.dir, name, String(i)), size, ctx.detail).path);
}

/** The files' stream references (bench/lib/verify.mjs), to check what a trial streamed. */
export const references = (files, size) => files.map((f) => streamReference(f, size));
