/**
 * Every whole-file call against node:fs at the size boundaries, on the default disk, on tmpfs and on
 * ext4 with 4 KiB sectors: writeFile and appendFile with each flag through a path, a descriptor and a
 * FileHandle (the outcome, then the file's bytes, size and mode), and readFile of what they left through
 * the same three, warm and, after drop_caches (root), cold; on the disk filesystems the counters show
 * that the warm reads by path took the cached open and the cold ones missed it.
 *
 * Needs a fresh dist/ (npm run build).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

import * as aiofs from '../dist/index.js';
import { useFilesystems } from './support/filesystems';
import { dropCaches as dropCachesAs, evictFromPageCache } from './support/page-cache.mjs';

const MiB = 1024 * 1024;
const SIZES = [0, 1, 511, 512, 4095, 4096, 4097, MiB - 1, MiB, MiB + 1];
const FLAGS = ['w', 'a', 'wx', 'r+', 'as'] as const;
const VIAS = ['path', 'fd', 'handle'] as const;
const CALLS = ['writeFile', 'appendFile'] as const;
/** What an existing file holds before a call writes over or after it. */
const BEFORE = Buffer.alloc(3000, 'before.');
const MODE = 0o640;

type Impl = typeof fs;
const IMPLS: Record<'node:fs' | 'aiofs', Impl> = { 'node:fs': fs, aiofs: aiofs as unknown as Impl };
const kernel = aiofs.backend.name === 'kernel-aio';
const filesystems = await useFilesystems('whole-file-differential');

interface Case {
  name: string;
  call: (typeof CALLS)[number];
  via: (typeof VIAS)[number];
  flag: (typeof FLAGS)[number];
  existing: boolean;
  data: Buffer;
}

function cases(): Case[] {
  const out: Case[] = [];
  let n = 0;
  for (const size of SIZES)
    for (const call of CALLS)
      for (const via of VIAS)
        for (const flag of FLAGS)
          for (const existing of [true, false]) {
            const data = Buffer.alloc(size, `${n % 251}:`);
            out.push({ name: `f${n++}`, call, via, flag, existing, data });
          }
  return out;
}

/** What a caller can observe of an error, with the directory left out of the path and message. */
function shape(error: unknown, dir: string): Record<string, unknown> {
  const e = error as NodeJS.ErrnoException;
  const strip = (s: unknown) => (typeof s === 'string' ? s.split(dir).join('<dir>') : s);
  return { name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: strip(e.path), message: strip(e.message) };
}

/** Runs the case's call with `impl` in `dir`: 'ok' or the error's shape. */
async function write(impl: Impl, dir: string, c: Case): Promise<unknown> {
  const file = path.join(dir, c.name);
  try {
    if (c.via === 'path') {
      await promisify(impl[c.call])(file, c.data, { flag: c.flag, mode: MODE });
    } else if (c.via === 'fd') {
      const fd = await promisify(impl.open)(file, c.flag, MODE);
      try {
        await promisify(impl[c.call])(fd, c.data);
      } finally {
        await promisify(impl.close)(fd);
      }
    } else {
      const handle = await impl.promises.open(file, c.flag, MODE);
      try {
        await handle[c.call](c.data);
      } finally {
        await handle.close();
      }
    }
    return 'ok';
  } catch (error) {
    return shape(error, dir);
  }
}

/** The file as a reader sees it: missing, or its size, mode and bytes (read by node:fs, as a sha256). */
function fileState(file: string): unknown {
  try {
    const st = fs.statSync(file);
    const sha256 = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    return { size: st.size, mode: (st.mode & 0o7777).toString(8), sha256 };
  } catch (error) {
    return { missing: (error as NodeJS.ErrnoException).code };
  }
}

/** readFile of `file` through a path, a descriptor or a FileHandle, with `impl`. */
async function readVia(impl: Impl, via: Case['via'], file: string): Promise<Buffer> {
  if (via === 'path') return promisify(impl.readFile)(file);
  if (via === 'fd') {
    const fd = fs.openSync(file, 'r');
    try {
      return await promisify(impl.readFile)(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  const handle = await impl.promises.open(file, 'r');
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

function counts(): Record<'cachedOpens' | 'cachedOpenMisses' | 'cachedReads', number> {
  const s = aiofs.contextStats();
  return { cachedOpens: s?.cachedOpens ?? 0, cachedOpenMisses: s?.cachedOpenMisses ?? 0, cachedReads: s?.cachedReads ?? 0 };
}

/** Below this, readFile by descriptor of a cached regular file is one copy on the loop (lib/whole-file.ts, FRESH_MIN). */
const FD_CACHED_MAX = 256 * 1024;

const dropCaches = () => dropCachesAs('whole-file-differential');

describe.each(filesystems)('whole files on $name', (testFs) => {
  const all = cases();
  const dirs = { 'node:fs': path.join(testFs.dir, 'wf-node'), aiofs: path.join(testFs.dir, 'wf-aiofs') };
  /** Disk filesystems, where aiofs's reads by path go through the cached open (tmpfs files are node's). */
  const counted = kernel && testFs.name !== 'tmpfs';

  it.skipIf(testFs.skipReason !== undefined)(
    `writeFile and appendFile with ${FLAGS.join(', ')} through a path, a descriptor and a handle: node's outcome, bytes, size and mode`,
    async () => {
      for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
      const mismatches: string[] = [];
      for (const c of all) {
        const outcome: Record<string, unknown> = {};
        for (const [label, impl] of Object.entries(IMPLS)) {
          const dir = dirs[label as keyof typeof dirs];
          if (c.existing) fs.writeFileSync(path.join(dir, c.name), BEFORE, { mode: 0o600 });
          outcome[label] = { result: await write(impl, dir, c), file: fileState(path.join(dir, c.name)) };
        }
        if (JSON.stringify(outcome.aiofs) !== JSON.stringify(outcome['node:fs']))
          mismatches.push(
            `${c.call} ${c.data.length} bytes via ${c.via}, flag ${c.flag}, ${c.existing ? 'existing' : 'missing'} file: ` +
              `node:fs ${JSON.stringify(outcome['node:fs'])}, aiofs ${JSON.stringify(outcome.aiofs)}`,
          );
        // What the read test reads: per size and flag, what writeFile by path left over an existing file.
        const kept = c.call === 'writeFile' && c.via === 'path' && c.existing;
        fs.rmSync(path.join(dirs['node:fs'], c.name), { force: true });
        if (!kept) fs.rmSync(path.join(dirs.aiofs, c.name), { force: true });
      }
      expect(mismatches).toEqual([]);
    },
    240_000,
  );

  // Reads what the write test left (the tests of a file run in order).
  it.skipIf(testFs.skipReason !== undefined)(
    'readFile of every file left, through a path, a descriptor and a handle, warm and cold: the bytes node:fs reads',
    async (ctx) => {
      const files = fs.readdirSync(dirs.aiofs).map((name) => path.join(dirs.aiofs, name));
      expect(files.length, 'the write test left files').toBe(SIZES.length * FLAGS.length);
      for (const file of files) {
        const expected = fs.readFileSync(file);
        for (const via of VIAS) {
          const before = counts();
          const got = await readVia(IMPLS.aiofs, via, file);
          expect(got.equals(expected), `${file} via ${via}, warm`).toBe(true);
          if (counted && via === 'path') expect(counts().cachedOpens - before.cachedOpens, `${file}: a cached open`).toBe(1);
          if (counted && via === 'fd' && expected.length > 0 && expected.length < FD_CACHED_MAX)
            expect(counts().cachedReads - before.cachedReads, `${file}: one copy from the page cache`).toBe(1);
        }
      }
      if (testFs.name === 'tmpfs') return; // nothing of tmpfs is ever dropped
      if (!dropCaches()) {
        ctx.skip();
        return;
      }
      for (const via of VIAS) {
        for (const file of files) {
          const before = counts();
          const got = await readVia(IMPLS.aiofs, via, file);
          if (counted && via === 'path')
            expect(counts().cachedOpenMisses - before.cachedOpenMisses, `${file}: the dentry cache missed`).toBe(1);
          expect(got.equals(fs.readFileSync(file)), `${file} via ${via}, cold`).toBe(true);
        }
        dropCaches();
      }
    },
    240_000,
  );
});

describe('readFile by descriptor', () => {
  const dir = fs.mkdtempSync(path.join(filesystems[0].dir, 'fd-'));
  const contents = Buffer.alloc(100_000, 'by descriptor ');

  /** readFile(fd) with `impl` after `skip` bytes were read through the descriptor: what it gave and where it left the position. */
  async function fromPosition(impl: Impl, file: string, skip: number, encoding?: BufferEncoding) {
    const fd = fs.openSync(file, 'r');
    try {
      if (skip > 0) fs.readSync(fd, Buffer.alloc(skip));
      const got = await promisify(impl.readFile)(fd, encoding === undefined ? undefined : { encoding });
      const after = fs.readSync(fd, Buffer.alloc(16));
      return { got, bytesLeftAfter: after };
    } finally {
      fs.closeSync(fd);
    }
  }

  it.for([0, 1, 4096, 99_999, 100_000])(
    "from a position %i bytes in: the rest of the file, as node's, the position at the end",
    async (skip) => {
      const file = path.join(dir, `at-${skip}`);
      fs.writeFileSync(file, contents);
      for (const encoding of [undefined, 'latin1'] as const)
        expect(await fromPosition(IMPLS.aiofs, file, skip, encoding)).toEqual(
          await fromPosition(IMPLS['node:fs'], file, skip, encoding),
        );
    },
  );

  it("out of the page cache, and for descriptors it cannot read (write-only, a directory, closed): node's result or error", async () => {
    const file = path.join(dir, 'evicted');
    fs.writeFileSync(file, contents);
    evictFromPageCache(file);
    const before = aiofs.contextStats();
    expect(((await fromPosition(IMPLS.aiofs, file, 0)).got as Buffer).equals(contents)).toBe(true);
    if (kernel) expect(aiofs.contextStats()!.cachedReadMisses - before!.cachedReadMisses).toBe(1);
    const attempt = async (impl: Impl, fd: number) => promisify(impl.readFile)(fd).then(String, (e) => shape(e, dir));
    const writeOnly = fs.openSync(file, 'w');
    const directory = fs.openSync(dir, 'r');
    try {
      for (const fd of [writeOnly, directory, 1_000_000])
        expect(await attempt(IMPLS.aiofs, fd)).toEqual(await attempt(IMPLS['node:fs'], fd));
    } finally {
      fs.closeSync(writeOnly);
      fs.closeSync(directory);
    }
  });
});
