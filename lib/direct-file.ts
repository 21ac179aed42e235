/**
 * Kernel-AIO I/O for one open regular file, shaped so that a caller never sees an alignment rule, the
 * event loop never waits for the device, and another reader of the file sees exactly what was written
 * (docs/kernel-aio.md has the measurements cited below).
 *
 * Reads ("cache: auto"): where each goes is its CacheProbe's answer (cache-probe.ts: cachestat(2),
 * unless the last read found its pages in the page cache). If they are cached, a
 * buffered read with RWF_NOWAIT on the caller's descriptor copies it at memory speed (a miss fails
 * fast with -EAGAIN instead of blocking), at once or, for reads started together, in one io_submit
 * (cached-reads.ts; turn-budget.ts, copiesNow); if not, an O_DIRECT read through an aligned bounce buffer
 * goes to the device. A buffered kernel-AIO read of uncached data would run synchronously inside
 * io_submit, so it is never issued, and a range that is partly cached with dirty pages (which a direct
 * read would first write back, inside io_submit) is read by a blocking job on one of the context's
 * threads instead.
 *
 * Writes go through the page cache, as node:fs's do, as blocking jobs on the context's own threads
 * (never the event loop, never libuv's threadpool): a buffered write cannot be made non-blocking, and a
 * direct write that grows the file blocks io_submit on ext4 and xfs (docs/kernel-aio.md). Mixing direct
 * writes with page-cache writes of the same file was tried and measured unsafe: with concurrent
 * unaligned writes (test/promises-differential.test.ts's concurrency rounds), 829 of 3,000 read back
 * wrong, and the kernel logged "Page cache invalidation failure on direct I/O. Possible data corruption
 * due to collision with buffered I/O!". A page-cache write changes the file's size exactly as pwrite(2)
 * does, and every reader sees it at once.
 *
 * Ownership: this object owns its O_DIRECT descriptor (opened at the first read that needs the device,
 * closed by close()); the caller owns `fd`. Its requests in flight are counted by requests-in-flight.ts,
 * and close() comes only after quiesce() has seen none left.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

import { alignDown, alignUp, sharedPool, type AlignedBufferPool } from './aligned-buffer';
import { backend as threadBackend, engine as threadEngine } from './backend';
import { loaded, type NativeBinding, type Ops } from './binding';
import { CachedReads } from './cached-reads';
import { CacheProbe, type CachePolicy } from './cache-probe';
import { reopenDirect } from './descriptor';
import type { Engine } from './engine';
import { systemError } from './errors';
import { nodeFs } from './node-originals';
import { PageLocks } from './page-locks';
import { RequestsInFlight } from './requests-in-flight';
import { batchRead, copiesNow } from './turn-budget';

/** Largest single request: bigger transfers go as several requests in flight at once. */
export const PIECE_SIZE = 1024 * 1024;
/**
 * Cached reads up to this size are copied on the event loop at once (preadv2 RWF_NOWAIT): about 10 us
 * for 128 KiB here, less than the round trip of a request (docs/kernel-aio.md). Larger ones go through
 * io_submit in pieces that the context spreads over turns of the loop.
 */
const SYNC_READ_MAX = 128 * 1024;
/** #directFd before the first direct read, and after close(). */
const NOT_OPENED = -1_000_000;
const CLOSED = -1_000_001;

/** The DirectFile behind an AioFileHandle, for aiofs's streams reading or writing through the handle. */
export const kDirectFile = Symbol('aiofs.directFile');

/** How direct I/O may be done on one file. */
export interface DirectGeometry {
  /** Buffers must start at a multiple of this (stx_dio_mem_align). */
  memoryAlign: number;
  /** File offsets and lengths must be multiples of this (stx_dio_offset_align). */
  offsetAlign: number;
}

export type { CachePolicy } from './cache-probe';

/**
 * Of `wanted` bytes starting `skip` bytes into a span that holds `available` bytes (a transfer's
 * result, or the file's length), how many are there.
 */
function bytesIn(available: number, skip: number, wanted: number): number {
  return Math.max(0, Math.min(wanted, available - skip));
}

/** Whether [position, position + length) lies within one PIECE_SIZE-aligned piece. */
function isOnePiece(position: number, length: number): boolean {
  return alignDown(position, PIECE_SIZE) === alignDown(position + length - 1, PIECE_SIZE);
}

/**
 * Splits [position, position + length) at multiples of PIECE_SIZE (so pieces share no block), runs
 * the pieces at once, and sums them like one pread/pwrite: up to the first short piece, or -errno.
 */
async function allPieces(position: number, length: number, run: (offset: number, size: number) => Promise<number>) {
  const pieces: Promise<number>[] = [];
  const sizes: number[] = [];
  for (let offset = 0; offset < length;) {
    const size = Math.min(length - offset, alignDown(position + offset + PIECE_SIZE, PIECE_SIZE) - position - offset);
    pieces.push(run(offset, size));
    sizes.push(size);
    offset += size;
  }
  const results = await Promise.all(pieces);
  let total = 0;
  for (let i = 0; i < results.length; i++) {
    if (results[i] < 0) return total > 0 ? total : results[i];
    total += results[i];
    if (results[i] < sizes[i]) break;
  }
  return total;
}

export class DirectFile {
  readonly #engine: Engine;
  readonly #ops: Ops;
  readonly #pool: AlignedBufferPool;
  readonly #fd: number;
  /** The O_DIRECT descriptor: NOT_OPENED until a read needs the device, -errno if it cannot be opened. */
  #directFd = NOT_OPENED;
  /** The alignment its direct I/O keeps: aiofs's own requests do, callers need not (a handle's backend shows it). */
  readonly geometry: Readonly<DirectGeometry>;
  readonly #probe: CacheProbe;
  readonly #locks: PageLocks;
  readonly #requests: RequestsInFlight;
  readonly #cached: CachedReads;
  readonly #directUsable = (): boolean => this.#direct() >= 0;

  constructor(
    engine: Engine,
    binding: NativeBinding,
    pool: AlignedBufferPool,
    fd: number,
    geometry: DirectGeometry,
    cache: CachePolicy,
  ) {
    this.#engine = engine;
    this.#ops = binding.ops;
    this.#pool = pool;
    this.#fd = fd;
    this.geometry = geometry;
    this.#probe = new CacheProbe(binding, fd, cache);
    this.#locks = new PageLocks(geometry.offsetAlign);
    this.#requests = new RequestsInFlight(engine);
    // What the page cache misses part way goes on by the route the cache then gives (never the cache).
    this.#cached = new CachedReads(engine, fd, this.#probe, this.#requests, (target, position) =>
      this.#readPiece(target, position, true),
    );
  }

  /**
   * Whether reads may be served from the page cache: cache probing is on and the last probe did not
   * miss (nor has any probe run yet). Such reads complete inside io_submit as a memory copy, so
   * several in flight only make one longer stall of the event loop.
   */
  get mayServeFromCache(): boolean {
    return this.#probe.mayServeFromCache;
  }

  /**
   * Reads into all of `target` from `position`: bytes read (short only at end of file), or -errno. A read
   * over a range a write of this file is still changing waits for that write (page-locks.ts).
   * `onThreads`: by one buffered read on a pool thread (jobPreadCopy where the page cache holds the
   * range, else jobPread), for memory the event loop should not be the first to write
   * (docs/kernel-aio.md, "Fresh memory").
   */
  read(target: Uint8Array, position: number, onThreads = false): Promise<number> {
    const length = target.byteLength;
    if (length === 0) return Promise.resolve(0);
    if (this.#locks.held)
      return this.#locks.whenFree(position, length).then(() => this.#readUnlocked(target, position, onThreads));
    return this.#readUnlocked(target, position, onThreads);
  }

  #readUnlocked(target: Uint8Array, position: number, onThreads: boolean): Promise<number> {
    const length = target.byteLength;
    if (onThreads) {
      return this.#requests.submit(this.#probe.bufferedReadJob(position, length), this.#fd, target, position, 0);
    }
    if (isOnePiece(position, length)) return this.#readPiece(target, position);
    return allPieces(position, length, (offset, size) =>
      this.#readPiece(target.subarray(offset, offset + size), position + offset),
    );
  }

  /**
   * Reads up to `length` bytes at `position` into memory of its own, for a stream to hand on without a
   * copy: a cache hit lands in a fresh buffer, a direct read in a fresh aligned one, of which the chunk
   * is a view (copying out of a pooled buffer instead halved a cold stream's throughput here: 620
   * against ~1,300 MB/s). A short chunk (end of file) is copied, so it does not pin the larger
   * allocation. Resolves with the chunk (empty at end of file) or -errno.
   */
  async readChunk(position: number, length: number): Promise<Buffer | number> {
    if (length === 0) return Buffer.alloc(0);
    if (this.#locks.held) await this.#locks.whenFree(position, length);
    const route = this.#probe.route(position, length, false, this.#directUsable);
    if (route !== 'direct') {
      const chunk = Buffer.allocUnsafeSlow(length);
      const done =
        route === 'buffered'
          ? await this.#readBuffered(chunk, position)
          : length <= SYNC_READ_MAX
            ? await this.#cached.copy(chunk, position)
            : await this.#cached.viaKernel(chunk, position, this.#ops.pread);
      if (done < 0) return done;
      return done === length ? chunk : Buffer.from(chunk.subarray(0, done));
    }
    const start = alignDown(position, this.geometry.offsetAlign);
    const span = alignUp(position + length, this.geometry.offsetAlign) - start;
    const memory = this.#pool.allocate(span, this.geometry.memoryAlign);
    const result = await this.#requests.submit(this.#ops.pread, this.#direct(), memory, start, 0);
    if (result < 0) return result;
    const count = bytesIn(result, position - start, length);
    const chunk = memory.subarray(position - start, position - start + count);
    return count === length ? chunk : Buffer.from(chunk);
  }

  /**
   * Writes all of `source` at `position` through the page cache, as one blocking job: bytes written
   * (short only as pwrite(2) is), or -errno. `startWriteback`: a writer that will fsync at the end asks
   * for the page cache's writeback of what it writes to start at once. A read of the same range waits
   * for the write (see read()).
   */
  async write(source: Uint8Array, position: number, startWriteback = false): Promise<number> {
    const length = source.byteLength;
    if (length === 0) return 0;
    const unlock = this.#locks.lock(position, length);
    try {
      const op = startWriteback ? this.#ops.jobPwriteWriteback : this.#ops.jobPwrite;
      return await this.#requests.submit(op, this.#fd, source, position, 0);
    } finally {
      unlock();
    }
  }

  /** FSYNC or FDSYNC through the kernel, after every write issued before it has completed. */
  async sync(op: 'fsync' | 'fdsync'): Promise<number> {
    await this.quiesce();
    return this.#requests.submit(this.#ops[op], this.#fd, null, 0, 0);
  }

  /** Waits until no request of this file is in flight and no write is pending. */
  async quiesce(): Promise<void> {
    while (this.#requests.busy || this.#locks.held) {
      await (this.#requests.busy ? this.#requests.idle() : this.#locks.allReleased());
    }
  }

  /** Closes the direct descriptor, if one was opened. Nothing may be in flight. */
  close(): void {
    if (this.#directFd >= 0) nodeFs.closeSync(this.#directFd);
    this.#directFd = CLOSED;
  }

  /**
   * Asks the kernel to cancel this file's requests in flight. Regular files cannot cancel (EINVAL), so
   * they run to completion; their memory stays pinned until then and quiesce()/close() still wait.
   */
  cancelAll(): void {
    if (this.#directFd >= 0) this.#engine.cancel(this.#directFd);
    this.#engine.cancel(this.#fd);
  }

  /**
   * The O_DIRECT descriptor, opened on first use (small cached files never need one), or -errno. A
   * reopen of /proc/self/fd/N looks up procfs and the inode already open: it never waits for the device.
   */
  #direct(): number {
    if (this.#directFd === NOT_OPENED) this.#directFd = reopenDirect(this.#fd, fs.constants.O_RDONLY);
    return this.#directFd;
  }

  /** Reads one piece by its route; `afterMiss`: the page cache just said EAGAIN, so not from it again. */
  #readPiece(target: Uint8Array, position: number, afterMiss = false): Promise<number> {
    switch (this.#probe.route(position, target.byteLength, afterMiss, this.#directUsable)) {
      case 'cache': {
        // A lone small read copies at once; reads started together join one io_submit (copiesNow).
        const anyThread = this.#ops.preadAnyThread;
        if (target.byteLength > SYNC_READ_MAX) return this.#cached.viaKernel(target, position, anyThread);
        return copiesNow() ? this.#cached.copy(target, position) : batchRead(this.#cached.viaKernel(target, position, anyThread));
      }
      case 'buffered':
        return this.#readBuffered(target, position);
      default:
        return this.#readDirect(target, position);
    }
  }

  /**
   * O_DIRECT read through an aligned bounce buffer: a direct read transfers whole blocks, so reading
   * straight into the caller's memory could overwrite bytes past end of file that pread leaves alone.
   */
  #readDirect(target: Uint8Array, position: number): Promise<number> {
    const start = alignDown(position, this.geometry.offsetAlign);
    const span = alignUp(position + target.byteLength, this.geometry.offsetAlign) - start;
    const bounce = this.#pool.take(span, this.geometry.memoryAlign);
    // The hottest path (small random reads): one promise, no async frames.
    return new Promise((resolve) => {
      this.#requests.begin();
      const memory = bounce.byteLength === span ? bounce : bounce.subarray(0, span);
      this.#engine.submit(this.#ops.pread, this.#direct(), memory, start, 0, (result) => {
        this.#requests.end();
        if (result >= 0) {
          const skip = position - start;
          const count = bytesIn(result, skip, target.byteLength);
          target.set(skip === 0 && count === bounce.byteLength ? bounce : bounce.subarray(skip, skip + count));
          result = count;
        }
        this.#pool.release(bounce);
        resolve(result);
      });
    });
  }

  /** A read on the caller's descriptor on one of the context's threads (a blocking job): bytes or -errno. */
  #readBuffered(target: Uint8Array, position: number): Promise<number> {
    return this.#requests.submit(this.#ops.jobPread, this.#fd, target, position, 0);
  }
}

/** open(2)'s O_PATH (Linux, x86-64 and arm64); node:fs does not export it. */
const O_PATH = 0o10000000;
/** statfs f_type of btrfs (linux/magic.h). */
const BTRFS_SUPER_MAGIC = 0x9123683e;
const LINUX_6_1 = [6, 1];

/**
 * The direct-I/O side of an open file, or the reason it has none (and node:fs does its I/O): kernel AIO
 * is not available, the file is not a regular file, its filesystem has no usable direct I/O, or the
 * caller opened it with O_DIRECT (node:fs's alignment rules then apply, and aiofs keeps them). `mode`:
 * the file's st_mode, when the caller has just learned it (no fstat then).
 */
export function attachDirect(fd: number, flags: number, cache: CachePolicy, mode?: number): DirectFile | string {
  const engine = threadEngine();
  const binding = loaded.binding;
  if (engine === null || binding === null) return threadBackend.reason;
  if ((flags & fs.constants.O_DIRECT) !== 0) return 'opened with O_DIRECT by the caller: node:fs keeps its alignment rules';
  if ((flags & O_PATH) !== 0) return 'opened with O_PATH: a descriptor for the path only, which node:fs refuses as read(2) does';
  if (mode === undefined) {
    const described = binding.describe(fd);
    if (typeof described === 'number') return `fstat failed (${errorCode(described)})`;
    mode = described[1];
  }
  if ((mode & fs.constants.S_IFMT) !== fs.constants.S_IFREG)
    return 'not a regular file: node:fs handles pipes, devices and sockets';
  // btrfs completes direct I/O inside io_submit whatever the file's size (docs/kernel-aio.md): it would
  // block the event loop for the whole transfer, where node:fs's threadpool does not.
  if (binding.filesystemType(fd) === BTRFS_SUPER_MAGIC) return 'btrfs: its direct I/O runs synchronously inside io_submit';
  const alignment = binding.dioAlignment(fd);
  if (typeof alignment === 'number') return `statx failed (${errorCode(alignment)})`;
  let [memoryAlign, offsetAlign] = alignment;
  if (alignment[2] === 0) {
    // Linux 6.1+ reports STATX_DIOALIGN for every filesystem with direct I/O; tmpfs and procfs
    // report nothing (docs/kernel-aio.md). Older kernels report nothing at all: assume 4096, which
    // covers every common logical block size, and let the O_DIRECT open below decide.
    if (kernelAtLeast(LINUX_6_1)) return 'the filesystem offers no direct I/O for this file (statx DIOALIGN)';
    memoryAlign = offsetAlign = 4096;
  } else if (offsetAlign === 0) {
    return 'the filesystem offers no direct I/O for this file (statx DIOALIGN)';
  }
  return new DirectFile(engine, binding, sharedPool(binding), fd, { memoryAlign, offsetAlign }, cache);
}

function errorCode(errno: number): string {
  return systemError(errno, 'open').code ?? String(errno);
}

const [KERNEL_MAJOR = 0, KERNEL_MINOR = 0] = os
  .release()
  .split('.')
  .map((part) => parseInt(part, 10));

function kernelAtLeast([major, minor]: number[]): boolean {
  return KERNEL_MAJOR > major || (KERNEL_MAJOR === major && KERNEL_MINOR >= minor);
}
