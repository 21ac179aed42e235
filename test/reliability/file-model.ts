/**
 * Model-based testing of aiofs: a seeded random mix of opens, reads, writes (alone and
 * several at once), truncates, fsyncs, datasyncs, stats, closes, whole-file reads and streams on a few
 * files, each checked against an in-memory model of every file, and after every step every file on
 * disk (read with node:fs) must equal its model byte for byte. The run stops at the first mismatch,
 * which names the seed and step for replay.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { createReadStream, createWriteStream } from '../../dist/index.js';
import { open, readFile, type AioFileHandle } from '../../dist/promises.js';
import { Rng, patternBytes } from '../support/differential';

const FILES = 3;
const MAX_IO = 160 * 1024;
/** How long a file may keep its grow-ahead once its writer pauses (trimmed on the threadpool). */
const TRIM_WAIT_MS = 2000;

interface ModelFile {
  path: string;
  bytes: Buffer;
  handle: AioFileHandle | null;
  writable: boolean;
}

export interface SoakOutcome {
  seed: number;
  steps: number;
  /** How often each operation ran. */
  ops: Record<string, number>;
  /** The first mismatch, with the seed and step to replay it; undefined when none. */
  mismatch?: string;
}

class Mismatch extends Error {}

function check(ok: boolean, what: () => string): void {
  if (!ok) throw new Mismatch(what());
}

function resized(bytes: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  bytes.copy(out, 0, 0, Math.min(length, bytes.length));
  return out;
}

/** Places `data` at `position` in the model, growing it with zeros as pwrite would. */
function written(bytes: Buffer, data: Buffer, position: number): Buffer {
  const out = position + data.length > bytes.length ? resized(bytes, position + data.length) : bytes;
  data.copy(out, position);
  return out;
}

/** Waits until node:fs sees each file exactly as its model says (a paused writer's grow-ahead is trimmed). */
async function compareFiles(files: ModelFile[]): Promise<void> {
  for (const file of files) {
    const deadline = Date.now() + TRIM_WAIT_MS;
    let size = fs.statSync(file.path).size;
    while (size > file.bytes.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      size = fs.statSync(file.path).size;
    }
    const onDisk = fs.readFileSync(file.path);
    check(
      onDisk.length === file.bytes.length,
      () => `${path.basename(file.path)} is ${onDisk.length} bytes on disk, the model ${file.bytes.length}`,
    );
    if (!onDisk.equals(file.bytes)) {
      let at = 0;
      while (onDisk[at] === file.bytes[at]) at++;
      throw new Mismatch(`${path.basename(file.path)}: byte ${at} is ${onDisk[at]} on disk, ${file.bytes[at]} in the model`);
    }
  }
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** One step on one file; returns the operation's name. */
async function step(r: Rng, file: ModelFile, n: number): Promise<string> {
  const name = path.basename(file.path);
  const fh = file.handle;
  const length = file.bytes.length;
  const dataFor = (size: number) => Buffer.from(patternBytes(n * 7919 + size, size));
  if (fh === null) {
    const op = r.pick(['open', 'open', 'open', 'readFile', 'readStream', 'writeStream'] as const);
    if (op === 'open') {
      const flags = r.pick(['r+', 'r+', 'w+', 'r'] as const);
      file.handle = await open(file.path, flags);
      file.writable = flags !== 'r';
      if (flags === 'w+') file.bytes = Buffer.alloc(0);
      return `open ${flags}`;
    }
    if (op === 'readFile') {
      const contents = (await readFile(file.path)) as Buffer;
      check(contents.equals(file.bytes), () => `readFile(${name}) gave ${contents.length} bytes, not the model's ${length}`);
      return op;
    }
    if (op === 'readStream') {
      const start = r.int(0, length + 4096);
      const end = r.chance(0.5) ? undefined : start + r.int(0, 3 * MAX_IO);
      const got = await collect(createReadStream(file.path, { start, end, chunkSize: r.pick([4096, 65536, 1 << 20]) }));
      const expected = file.bytes.subarray(start, end === undefined ? undefined : end + 1);
      check(
        got.equals(expected),
        () => `read stream ${name} [${start}, ${end}] gave ${got.length} bytes, the model ${expected.length}`,
      );
      return op;
    }
    const start = r.int(0, length + 8192);
    const data = dataFor(r.int(1, 3 * MAX_IO));
    const stream = createWriteStream(file.path, { flags: 'r+', start });
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject).on('close', () => resolve());
      for (let at = 0; at < data.length; at += 10_007) stream.write(data.subarray(at, at + 10_007));
      stream.end();
    });
    file.bytes = written(file.bytes, data, start);
    return op;
  }
  const op = r.pick([
    'read',
    'read',
    'write',
    'write',
    'writes at once',
    'truncate',
    'sync',
    'datasync',
    'stat',
    'close',
  ] as const);
  switch (op) {
    case 'read': {
      const position = r.int(0, length + 4096);
      const size = r.int(0, MAX_IO);
      const { bytesRead, buffer } = await fh.read(Buffer.alloc(size), 0, size, position);
      const expected = file.bytes.subarray(position, position + size);
      check(
        bytesRead === expected.length && buffer.subarray(0, bytesRead).equals(expected),
        () => `read(${name}, ${size} at ${position}) gave ${bytesRead} bytes, the model ${expected.length}`,
      );
      return op;
    }
    case 'write': {
      const position = r.int(0, length + 65536);
      const data = dataFor(r.int(0, MAX_IO));
      const outcome = await fh.write(data, 0, data.length, position).then(
        (result) => result.bytesWritten,
        (error: NodeJS.ErrnoException) => error.code,
      );
      if (data.length === 0) {
        // As node:fs: writing nothing gives 0 and changes nothing, even past the end or on a read-only file.
        check(outcome === 0, () => `an empty write on ${name} at ${position} gave ${outcome}, not 0`);
        return 'write (empty)';
      }
      if (!file.writable) {
        check(outcome === 'EBADF', () => `write on a read-only ${name} gave ${outcome}, not EBADF`);
        return 'write (read-only)';
      }
      check(outcome === data.length, () => `write(${name}, ${data.length} at ${position}) gave ${outcome}`);
      file.bytes = written(file.bytes, data, position);
      return op;
    }
    case 'writes at once': {
      if (!file.writable) return 'skip';
      // Disjoint ranges (concurrent writes to one byte have no order), often sharing a block.
      let cursor = r.int(0, length + 4096);
      const writes = Array.from({ length: r.int(2, 6) }, () => {
        const position = cursor + r.int(0, 700);
        const data = dataFor(r.int(1, MAX_IO / 4));
        cursor = position + data.length;
        return { position, data };
      });
      const results = await Promise.all(writes.map(({ position, data }) => fh.write(data, 0, data.length, position)));
      results.forEach((result, i) =>
        check(
          result.bytesWritten === writes[i].data.length,
          () => `concurrent write ${i} on ${name} wrote ${result.bytesWritten}`,
        ),
      );
      for (const { position, data } of writes) file.bytes = written(file.bytes, data, position);
      return op;
    }
    case 'truncate': {
      if (!file.writable) return 'skip';
      const to = r.int(0, length + 65536);
      await fh.truncate(to);
      file.bytes = resized(file.bytes, to);
      return op;
    }
    case 'sync':
      await fh.sync();
      return op;
    case 'datasync':
      await fh.datasync();
      return op;
    case 'stat': {
      const { size } = await fh.stat();
      check(size === length, () => `stat(${name}).size is ${size}, the model ${length}`);
      return op;
    }
    case 'close':
      await fh.close();
      file.handle = null;
      return op;
  }
}

/**
 * Runs `steps` steps of seed `seed` in `dir` (files soak-<seed>-<i>). Each step works on 1-3 files at
 * once, then every file is compared with its model.
 */
export async function soak(seed: number, steps: number, dir: string): Promise<SoakOutcome> {
  const r = new Rng(seed, 0x50a);
  const files: ModelFile[] = Array.from({ length: FILES }, (_, i) => ({
    path: path.join(dir, `soak-${seed}-${i}.bin`),
    bytes: Buffer.alloc(0),
    handle: null,
    writable: false,
  }));
  for (const file of files) fs.writeFileSync(file.path, '');
  const ops: Record<string, number> = {};
  let n = 0;
  try {
    for (n = 0; n < steps; n++) {
      const chosen = files.filter(() => r.chance(0.5));
      const names = await Promise.all((chosen.length > 0 ? chosen : [r.pick(files)]).map((file) => step(r, file, n)));
      for (const name of names) ops[name] = (ops[name] ?? 0) + 1;
      await compareFiles(files);
    }
    return { seed, steps, ops };
  } catch (error) {
    const what = error instanceof Mismatch ? error.message : `unexpected ${(error as Error).stack ?? String(error)}`;
    return { seed, steps: n, ops, mismatch: `seed ${seed}, step ${n}: ${what}` };
  } finally {
    for (const file of files) {
      await file.handle?.close().catch(() => undefined);
      fs.rmSync(file.path, { force: true });
    }
  }
}
