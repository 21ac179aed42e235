/**
 * Whole files by path in as few round trips as the caches allow (docs/kernel-aio.md, "Small whole
 * files"): readFile and writeFile/appendFile of aiofs/promises, for plain arguments.
 *
 * Reading: openat2(RESOLVE_CACHED), fstat, preadv2(RWF_NOWAIT) and close, each of which either answers
 * from memory or fails at once with EAGAIN, run on the event loop in one go when the file is cached.
 * A miss goes on from where it stopped: an open that misses the dentry cache becomes a blocking job on
 * one of the context's threads, a read that misses the page cache goes on through the file's kernel-AIO
 * reads (DirectFile). What is not a regular file (a FIFO, a device, a directory) is never opened here
 * (O_PATH first): node:fs's readFile takes it, as it would have. A large buffer whose pages are not in
 * memory yet is never written on the event loop: the context's threads read into it (isFresh).
 *
 * Writing: one blocking job that opens, writes everything, fsyncs when `flush` and closes: one step off
 * the event loop instead of node's three or more threadpool round trips. The bytes are in the file
 * (the page cache) when the promise resolves, so every reader sees exactly them.
 *
 * Ownership: a descriptor opened here is closed here before the call settles, whatever happens; a
 * DirectFile attached to it likewise. The data given to a write is held by its job until it completes.
 */
import * as fs from 'node:fs';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';

import { engine as threadEngine } from './backend';
import { AT_FILE_POSITION, MISSED, loaded, type NativeBinding } from './binding';
import { bufferedReadJob } from './cache-probe';
import { moveFilePosition } from './descriptor';
import { attachDirect, PIECE_SIZE, type DirectFile } from './direct-file';
import type { Engine } from './engine';
import { ERR_FS_FILE_TOO_LARGE, systemError } from './errors';
import { settle, workOnLoop } from './turn-budget';

const EAGAIN = -constants.errno.EAGAIN;
/** fs refuses to read files larger than this into one buffer (kIoMaxLength). */
export const IO_MAX_LENGTH = 2 ** 31 - 1;
/** Whole-file reads and writes move data in requests of at most this size. */
export const WHOLE_FILE_CHUNK = 16 * PIECE_SIZE;
/**
 * Cached whole files up to this size are copied on the event loop in one call, into memory already in
 * memory (isFresh): ~0.1 ms for 1 MiB here, well inside fs's own loop delay.
 */
const SYNC_WHOLE_MAX = 1024 * 1024;
/** Whole-file buffers from this size on are checked for fresh memory (isFresh). */
const FRESH_MIN = 256 * 1024;
/** What node reads at a time from a file whose size fstat does not tell (kReadFileUnknownBufferLength). */
const UNKNOWN_SIZE_CHUNK = 64 * 1024;
/** The steps of a whole-file job, as its error names them (Ops.jobWriteFile, Ops.jobReadFile). */
const JOB_STEPS = ['open', 'write', 'fsync', 'close', 'read'] as const;
/**
 * A file read whole by a thread (readFileInJob) is at most this size: it lands in a buffer of this
 * size, and the caller gets a copy of the file's size, as node's readFile returns.
 */
const READ_JOB_MAX = 64 * 1024;
/** READ_JOB_MAX buffers kept for the next read job once free. */
const SCRATCH_KEPT = 4;

/** Cleared the first time openat2(RESOLVE_CACHED) is refused as a call (kernels before 5.12, seccomp). */
let openCachedWorks = true;
/** Free READ_JOB_MAX buffers, for the next read job. */
const scratchBuffers: Buffer[] = [];

interface Context {
  binding: NativeBinding;
  engine: Engine;
}

function context(): Context | null {
  const engine = threadEngine();
  return engine === null || loaded.binding === null ? null : { binding: loaded.binding, engine };
}

/**
 * The contents of the file at `path` (opened read-only, as readFile's flag 'r'), or null where aiofs
 * does not run (the node-fs backend): the caller then asks node. Errors are node's: the open's with the
 * path, the read's without.
 */
export async function readWholeFile(path: string | Buffer): Promise<Buffer | null> {
  const ctx = context();
  if (ctx === null) return null;
  const { binding, engine } = ctx;
  // The open, and the copy of a cached file, run on the loop in one go, within this turn's budget
  // (turn-budget.ts); an open that misses the dentry cache is a thread's, which also reads a small file.
  const later = workOnLoop();
  if (later !== null) await later;
  let opened = openFromCache(engine, binding, path);
  if (opened === 'missed') {
    const read = await readFileInJob(engine, binding, path);
    if (!Array.isArray(read)) return read;
    opened = read;
  }
  if (opened === null) return null;
  const [fd, size] = opened;
  try {
    if (size > IO_MAX_LENGTH) throw new ERR_FS_FILE_TOO_LARGE(size);
    if (size === 0) {
      // Empty, or a file whose size fstat does not tell (/proc): empty only if a read says end of file.
      if (binding.readCached(fd, Buffer.alloc(1), 0) === 0) return await settle(Buffer.alloc(0));
      return await readUnknownSize(engine, binding, fd);
    }
    const contents = Buffer.allocUnsafeSlow(size);
    // A small cached file is copied on the loop in one go, a larger one in pieces spread over turns of
    // the loop (DirectFile); memory not yet in memory is the threads' to write (isFresh).
    const fresh = isFresh(engine, binding, contents);
    const copyNow = size <= SYNC_WHOLE_MAX && !fresh;
    const result = copyNow ? engine.readCached(fd, contents, 0) : MISSED;
    if (result >= 0) return await settle(result === size ? contents : contents.subarray(0, result));
    if (result > MISSED) {
      if (result === -constants.errno.EOPNOTSUPP) return await readUnknownSize(engine, binding, fd);
      throw systemError(result, 'read');
    }
    const cached = MISSED - result;
    // A small file, to land in fresh memory or missed: one buffered read on a pool thread (the kernel's
    // readahead serves a miss); a larger one: kernel-AIO reads, several in flight, or into fresh memory
    // buffered reads on a thread, one after another.
    if (fresh && size <= SYNC_WHOLE_MAX) {
      const count = await readInJob(engine, bufferedReadJob(binding, fd, 0, size), fd, contents, 0);
      if (count < 0) throw systemError(count, 'read');
      return count === size ? contents : contents.subarray(0, count);
    }
    if (size <= SYNC_WHOLE_MAX)
      return await readUnknownSize(engine, binding, fd, cached, contents.subarray(0, cached), size - cached);
    const direct = attachDirect(fd, fs.constants.O_RDONLY, 'auto');
    if (typeof direct === 'string') return await readUnknownSize(engine, binding, fd, cached, contents.subarray(0, cached));
    try {
      const count = cached + (await readFully(direct, contents.subarray(cached), cached, fresh));
      return count === size ? contents : contents.subarray(0, count);
    } finally {
      direct.close();
    }
  } finally {
    binding.closeFd(fd);
  }
}

/**
 * readFile(fd)'s result where the page cache holds it: the bytes of a regular file of fewer than
 * FRESH_MIN bytes from the descriptor's position to its end, copied on the loop in one RWF_NOWAIT read
 * at that position, which it advances, as node's readFile(fd) reads (a buffer of the size fstat gives,
 * filled from the position on). Null where node's readFile should read instead, from the same position:
 * aiofs does not run, the descriptor is not a readable regular file, the file is empty (its size may be
 * unknown, as in /proc) or larger, or the page cache missed (the position is first moved back over
 * what was copied). Never throws: node's readFile reports what is wrong.
 */
export async function readFdFromCache(fd: number): Promise<Buffer | null> {
  const ctx = context();
  if (ctx === null) return null;
  const later = workOnLoop();
  if (later !== null) await later;
  const { binding, engine } = ctx;
  const described = binding.describe(fd);
  if (typeof described === 'number') return null;
  const [size, mode] = described;
  if ((mode & fs.constants.S_IFMT) !== fs.constants.S_IFREG || size === 0 || size >= FRESH_MIN) return null;
  const contents = Buffer.allocUnsafeSlow(size);
  const result = engine.readCached(fd, contents, AT_FILE_POSITION);
  if (result >= 0) return result === size ? contents : contents.subarray(0, result);
  const copied = result <= MISSED ? MISSED - result : 0;
  if (copied > 0) moveFilePosition(fd, -copied);
  return null;
}

/**
 * The regular file at `path` opened read-only from the dentry cache: [fd, size]; 'missed' where the
 * dentry cache missed (or cannot be asked: kernels before 5.12, seccomp); or null when it is not a
 * regular file (a FIFO, a device, a directory), which node's readFile opens and reads, as ever.
 */
function openFromCache(engine: Engine, binding: NativeBinding, path: string | Buffer): [number, number] | null | 'missed' {
  const opened = openCachedWorks ? binding.openCached(path) : EAGAIN;
  if (typeof opened !== 'number') {
    engine.cached.opens++;
    return [opened[0], opened[1]];
  }
  if (opened === binding.ops.notRegular) return null;
  if (opened !== EAGAIN) {
    const refused = opened === -constants.errno.ENOSYS || opened === -constants.errno.EINVAL || opened === -constants.errno.EPERM;
    if (!refused) throw systemError(opened, 'open', path);
    openCachedWorks = false;
    engine.fastPathOff(
      `cached open: openat2 with RESOLVE_CACHED failed with ${getSystemErrorName(opened)}; opens go to a pool thread`,
    );
  }
  engine.cached.openMisses++;
  return 'missed';
}

/**
 * One job (jobReadFile) that opens the regular file at `path` and, when it is at most READ_JOB_MAX
 * bytes, reads it whole and closes it: its contents; else the open file, [fd, size]; or null when it
 * is not a regular file. Errors are node's. For an open that missed the dentry cache: one round trip to
 * a thread instead of two (the open, then the read the page cache most likely misses too).
 */
async function readFileInJob(
  engine: Engine,
  binding: NativeBinding,
  path: string | Buffer,
): Promise<[number, number] | Buffer | null> {
  const { jobReadFile, notRegular, fdHandedOver } = binding.ops;
  const scratch = scratchBuffers.pop() ?? Buffer.allocUnsafeSlow(READ_JOB_MAX);
  try {
    const result = await new Promise<number>((resolve) =>
      engine.submitPath(jobReadFile, typeof path === 'string' ? Buffer.from(path) : path, scratch, 0, 0, 0, resolve),
    );
    if (result >= 0) {
      // node's readFile gives a buffer of the file's own size
      const contents = Buffer.allocUnsafeSlow(result);
      scratch.copy(contents, 0, 0, result);
      return contents;
    }
    if (result === notRegular) return null;
    if (result > fdHandedOver) throw jobError(binding, result, path);
    const fd = fdHandedOver - result;
    const described = binding.describe(fd);
    if (typeof described === 'number') {
      binding.closeFd(fd);
      throw systemError(described, 'fstat');
    }
    // What follows reads on the loop: within a turn's budget, as an open there would.
    const later = workOnLoop();
    if (later !== null) await later;
    return [fd, described[0]];
  } finally {
    if (scratchBuffers.length < SCRATCH_KEPT) scratchBuffers.push(scratch);
  }
}

/** A path job's error (jobWriteFile, jobReadFile): node's, for the step that failed (the open's with the path). */
function jobError(binding: NativeBinding, result: number, path: string | Buffer): Error {
  const { stepUnit } = binding.ops;
  const step = Math.floor(-result / stepUnit);
  return systemError(-(-result % stepUnit), JOB_STEPS[step], step === 0 ? path : undefined);
}

/**
 * The regular file at `path` opened read-only as a blocking job: the descriptor, or Ops.notRegular;
 * throws the open's error.
 */
export function openInJob(engine: Engine, binding: NativeBinding, path: string | Buffer): Promise<number> {
  const bytes = typeof path === 'string' ? Buffer.from(path) : path;
  const { jobOpenRegular, notRegular } = binding.ops;
  return new Promise((resolve, reject) =>
    engine.submitPath(jobOpenRegular, bytes, null, 0, 0, 0, (fd) =>
      fd < 0 && fd !== notRegular ? reject(systemError(fd, 'open', path)) : resolve(fd),
    ),
  );
}

/**
 * Reads on from `position` to end of file in blocking jobs on the context's threads, after `head`:
 * first `expected` bytes in one read (what fstat said is left), then, as node's readFileHandle reads a
 * file whose size fstat does not tell, 64 KiB at a time until a read returns nothing. Used for the rest
 * of a small file the page cache missed, for regular files whose size fstat does not tell (/proc), and
 * where RWF_NOWAIT or direct I/O is missing.
 */
async function readUnknownSize(
  engine: Engine,
  binding: NativeBinding,
  fd: number,
  position = 0,
  head?: Buffer,
  expected = 0,
): Promise<Buffer> {
  const chunks: Buffer[] = head === undefined || head.byteLength === 0 ? [] : [head];
  for (let want = expected > 0 ? expected : UNKNOWN_SIZE_CHUNK; ; want = UNKNOWN_SIZE_CHUNK) {
    const chunk = Buffer.allocUnsafeSlow(want);
    const count = await readInJob(engine, binding.ops.jobPread, fd, chunk, position);
    if (count < 0) throw systemError(count, 'read');
    if (count > 0) chunks.push(count === chunk.byteLength ? chunk : chunk.subarray(0, count));
    position += count;
    // Node reads a file of known size up to that size and no further.
    if (count === 0 || (expected > 0 && want === expected)) return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }
}

/** A read job (jobPread, jobPreadCopy) of all of `target` at `position`: bytes read, or -errno. */
function readInJob(engine: Engine, op: number, fd: number, target: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve) => engine.submit(op, fd, target, position, 0, resolve));
}

/**
 * Writes `data` as writeFile/appendFile by path with open(2) `flags` and `mode`, fsyncing before the
 * close when `flush`, as one blocking job. Resolves with false where aiofs does not run (the caller
 * then asks node); errors are node's (the open's with the path).
 */
export function writeWholeFile(
  path: string | Buffer,
  data: Uint8Array,
  flags: number,
  mode: number,
  flush: boolean,
): Promise<boolean> {
  const ctx = context();
  if (ctx === null) return Promise.resolve(false);
  const { binding, engine } = ctx;
  const { ops } = binding;
  const bytes = typeof path === 'string' ? Buffer.from(path) : path;
  return new Promise((resolve, reject) =>
    engine.submitPath(ops.jobWriteFile, bytes, data, flags, mode, flush ? ops.writeFileSync : 0, (result) =>
      result >= 0 ? resolve(true) : reject(jobError(binding, result, path)),
    ),
  );
}

/**
 * The file's bytes from `start` on, as node's readFileHandle reads them: at most the size fstat gives
 * (a file growing meanwhile is read up to that size), or, when fstat says 0 (an empty file, or one
 * whose size it does not tell), chunk by chunk until a read returns nothing.
 */
export async function readToEnd(direct: DirectFile, fd: number, start: number): Promise<Buffer> {
  // A DirectFile exists only where aiofs runs: the context is there.
  const { binding, engine } = context()!;
  const size = binding.fileSize(fd);
  if (size < 0) throw systemError(size, 'fstat');
  if (size > IO_MAX_LENGTH) throw new ERR_FS_FILE_TOO_LARGE(size);
  if (size > 0) {
    const contents = Buffer.allocUnsafeSlow(size);
    const count = await readFully(direct, contents, start, isFresh(engine, binding, contents));
    return count === size ? contents : contents.subarray(0, count);
  }
  const chunks: Buffer[] = [];
  for (let at = start; ;) {
    const chunk = Buffer.allocUnsafeSlow(UNKNOWN_SIZE_CHUNK);
    const count = await readFully(direct, chunk, at);
    if (count === 0) return Buffer.concat(chunks);
    chunks.push(count === chunk.byteLength ? chunk : chunk.subarray(0, count));
    at += count;
  }
}

/**
 * Reads `target` from `position` in requests of WHOLE_FILE_CHUNK: bytes read (short at end of file).
 * `fresh` (isFresh): by buffered reads on the threads, one PIECE_SIZE at a time, as node:fs's readFile
 * reads one piece at a time: more at once took every CPU from the event loop here (a 256 MiB readFile
 * with 16 in flight: loop delay p99 17-18 ms, node:fs's 2.7-2.9).
 */
async function readFully(direct: DirectFile, target: Uint8Array, position: number, fresh = false): Promise<number> {
  const chunk = fresh ? PIECE_SIZE : WHOLE_FILE_CHUNK;
  let done = 0;
  while (done < target.byteLength) {
    const want = Math.min(chunk, target.byteLength - done);
    const count = await direct.read(target.subarray(done, done + want), position + done, fresh);
    if (count < 0) throw systemError(count, 'read');
    done += count;
    if (count < want) break;
  }
  return done;
}

/**
 * Whether `target` is a large buffer whose pages are not all in memory yet (mincore). Its first writes
 * then fault its pages in, which on memory touched for the first time (~335 MiB/s, then a second pass
 * at ~700 MiB/s, in this machine's slow state: docs/kernel-aio.md, "Fresh memory") would hold the event
 * loop far longer than node:fs's threadpool reads let it be held; so the threads read into it, as
 * node:fs's do. Below FRESH_MIN the faults cost at most ~0.75 ms and stay where the copy is. A fresh
 * buffer counts in contextStats().freshMemoryReads.
 */
function isFresh(engine: Engine, binding: NativeBinding, target: Uint8Array): boolean {
  const fresh = target.byteLength >= FRESH_MIN && binding.resident(target) === 0;
  if (fresh) engine.freshMemoryReads++;
  return fresh;
}
