/**
 * Direct I/O for one open regular file, shaped so that a caller never sees an alignment rule and the
 * event loop never waits for the device (../shared/AIO-FACTS.md has the measurements cited below).
 *
 * Reads ("cache: auto"): first a buffered read with RWF_NOWAIT on the caller's descriptor, which
 * completes at memory speed when the pages are cached and fails fast with -EAGAIN when they are not;
 * the misses go to O_DIRECT. A buffered kernel-AIO read of uncached data would run synchronously
 * inside io_submit, so it is never issued. When most probes miss, probing backs off.
 *
 * Writes: always O_DIRECT, from aligned memory, in whole aligned blocks. Partial head and tail blocks
 * are read, patched and written back (read-modify-write) under a lock on their block range, so
 * concurrent writes to one block cannot lose each other's bytes. A direct write that extends i_size
 * runs synchronously inside io_submit on ext4 and xfs, so the file is first grown ahead with
 * fallocate (writes then land inside i_size and stay asynchronous) and trimmed back to the exact
 * length as soon as no write is pending, and before sync, stat, truncate and close.
 *
 * Ownership: this object owns `directFd` (closed by close()); the caller owns `fd`.
 */
import * as fs from 'node:fs';
import { constants } from 'node:os';

import { AlignedBufferPool, alignDown, alignUp } from './aligned-buffer';
import { Op, type NativeBinding } from './binding';
import type { Engine } from './engine';

const RWF_NOWAIT = 0x8;
const EAGAIN = -constants.errno.EAGAIN;
const EOPNOTSUPP = -constants.errno.EOPNOTSUPP;
const EINVAL = -constants.errno.EINVAL;
const ENOSYS = -constants.errno.ENOSYS;
const EPERM = -constants.errno.EPERM;

/** Largest single request: bigger transfers go as several requests in flight at once. */
export const PIECE_SIZE = 1024 * 1024;
const GROW_MIN = 1024 * 1024;
const GROW_MAX = 64 * 1024 * 1024;
/** A write stream grows its file in larger steps: each growth idles the device while writes drain. */
const STREAM_GROW_MIN = 64 * 1024 * 1024;
const STREAM_GROW_MAX = 256 * 1024 * 1024;
/** After this many cache misses in a row, only one read in PROBE_INTERVAL tries the cache first. */
const MISS_STREAK_LIMIT = 8;
const PROBE_INTERVAL = 32;
/** Cleared the first time cachestat(2) fails (kernels before 6.5, seccomp filters). */
let cachestatWorks = true;

/** How direct I/O may be done on one file. */
export interface DirectGeometry {
  /** Buffers must start at a multiple of this (stx_dio_mem_align). */
  memoryAlign: number;
  /** File offsets and lengths must be multiples of this (stx_dio_offset_align). */
  offsetAlign: number;
}

/** Page-cache policy for reads. */
export type CachePolicy = 'auto' | 'bypass';

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

interface BlockLock {
  start: number;
  end: number;
  released: Promise<void>;
}

export class DirectFile {
  readonly #engine: Engine;
  readonly #binding: NativeBinding;
  readonly #pool: AlignedBufferPool;
  readonly #fd: number;
  readonly #directFd: number;
  readonly #memoryAlign: number;
  readonly #offsetAlign: number;
  /** Whether the direct descriptor can read, which patching partial blocks needs. */
  readonly #canPatch: boolean;
  #probeCache: boolean;

  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #locks = new Set<BlockLock>();
  /** Only meaningful while #grown; otherwise the file's size is asked of the kernel each time. */
  #logicalSize = 0;
  #diskSize = 0;
  #grown = false;
  #growStep = GROW_MIN;
  #trimScheduled = false;
  /** Set while the file's size changes (#resize); no direct I/O is submitted meanwhile. */
  #resizing: Promise<void> | null = null;
  #closed = false;
  /** Written by a stream (growForStreaming): larger growth steps, trimmed only in quiesce(). */
  #streaming = false;
  #missStreak = 0;
  #reads = 0;

  constructor(
    engine: Engine,
    binding: NativeBinding,
    pool: AlignedBufferPool,
    fd: number,
    directFd: number,
    geometry: DirectGeometry,
    canPatch: boolean,
    cache: CachePolicy,
  ) {
    this.#engine = engine;
    this.#binding = binding;
    this.#pool = pool;
    this.#fd = fd;
    this.#directFd = directFd;
    this.#memoryAlign = geometry.memoryAlign;
    this.#offsetAlign = geometry.offsetAlign;
    this.#canPatch = canPatch;
    this.#probeCache = cache === 'auto';
  }

  /**
   * Whether reads may be served from the page cache: cache probing is on and the last probe did not
   * miss (nor has any probe run yet). Such reads complete inside io_submit as a memory copy, so
   * several in flight only make one longer stall of the event loop.
   */
  get mayServeFromCache(): boolean {
    return this.#probeCache && this.#missStreak === 0;
  }

  /**
   * For a writer that owns the file until it is done (a write stream): the grow-ahead stays while it
   * writes, even through pauses, and is trimmed by quiesce(), which saves an fallocate and an ftruncate
   * per pause of a slow producer; and it grows in steps of STREAM_GROW_MIN doubling to STREAM_GROW_MAX,
   * since every growth first waits for the writes in flight (the device idles meanwhile).
   */
  growForStreaming(): void {
    this.#streaming = true;
    this.#growStep = Math.max(this.#growStep, STREAM_GROW_MIN);
  }

  /** Memory aligned for this file's direct I/O, of at least `size` bytes; give it back with releaseMemory(). */
  takeMemory(size: number): Buffer {
    return this.#pool.take(size, this.#memoryAlign);
  }

  /** Returns memory from takeMemory() once no request uses it. */
  releaseMemory(memory: Buffer): void {
    this.#pool.release(memory);
  }

  /** Reads into all of `target` from `position`: bytes read (short only at end of file), or -errno. */
  read(target: Uint8Array, position: number): Promise<number> {
    const length = this.#grown ? bytesIn(this.#logicalSize, position, target.byteLength) : target.byteLength;
    if (length === 0) return Promise.resolve(0);
    if (isOnePiece(position, length)) {
      return this.#readPiece(length === target.byteLength ? target : target.subarray(0, length), position);
    }
    return this.#allPieces(position, length, (offset, size) =>
      this.#readPiece(target.subarray(offset, offset + size), position + offset),
    );
  }

  /**
   * Reads up to `length` bytes at `position` into memory of its own, for a stream to hand on without a
   * copy: a cache hit lands in a fresh buffer, a direct read in a fresh aligned one, of which the chunk
   * is a view. A short chunk (end of file) is copied, so it does not pin the larger allocation.
   * Resolves with the chunk (empty at end of file) or -errno.
   */
  async readChunk(position: number, length: number): Promise<Buffer | number> {
    if (this.#grown) length = bytesIn(this.#logicalSize, position, length);
    if (length === 0) return Buffer.alloc(0);
    if (this.#tryCache(position, length)) {
      const chunk = Buffer.allocUnsafeSlow(length);
      const done = await this.#readCachedFirst(chunk, position);
      if (done < 0) return done;
      return done === length ? chunk : Buffer.from(chunk.subarray(0, done));
    }
    const start = alignDown(position, this.#offsetAlign);
    const span = alignUp(position + length, this.#offsetAlign) - start;
    const memory = this.#pool.allocate(span, this.#memoryAlign);
    const result = await this.#io(Op.Pread, this.#directFd, memory, start, 0);
    if (result < 0) return result;
    const count = bytesIn(result, position - start, length);
    const chunk = memory.subarray(position - start, position - start + count);
    return count === length ? chunk : Buffer.from(chunk);
  }

  /** Writes all of `source` at `position`: bytes written, or -errno. */
  async write(source: Uint8Array, position: number): Promise<number> {
    const length = source.byteLength;
    if (length === 0) return 0;
    const start = alignDown(position, this.#offsetAlign);
    const end = alignUp(position + length, this.#offsetAlign);
    const unlock = await this.#lock(start, end);
    try {
      const grown = await this.#ensureSize(start, end);
      if (grown < 0) return grown;
      const written = isOnePiece(position, length)
        ? await this.#writePiece(source, position)
        : await this.#allPieces(position, length, (offset, size) =>
            this.#writePiece(source.subarray(offset, offset + size), position + offset),
          );
      if (written > 0) this.#logicalSize = Math.max(this.#logicalSize, position + written);
      return written;
    } finally {
      unlock();
      this.#trimWhenIdle();
    }
  }

  /** FSYNC or FDSYNC through the kernel, after every write issued before it has completed. */
  async sync(op: Op.Fsync | Op.Fdsync): Promise<number> {
    const trimmed = await this.quiesce();
    if (trimmed < 0) return trimmed;
    return this.#io(op, this.#fd, null, 0, 0);
  }

  /**
   * Waits until no request of this file is in flight and no write is pending, then trims any
   * grow-ahead, so the file on disk has exactly its written length. 0, or -errno from ftruncate.
   */
  async quiesce(): Promise<number> {
    while (this.#inFlight > 0 || this.#locks.size > 0 || this.#resizing !== null) {
      if (this.#resizing !== null) {
        await this.#resizing;
      } else if (this.#inFlight > 0) {
        await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
      } else {
        await Promise.all([...this.#locks].map((lock) => lock.released));
      }
    }
    return this.#trim();
  }

  /** Forgets cached sizes after someone else changed the file's length (truncate). */
  sizeChanged(): void {
    this.#grown = false;
  }

  /** Closes the direct descriptor. Call after quiesce(); nothing may be in flight. */
  close(): void {
    // A trim still scheduled must not reach a descriptor number the process may reuse, nor may a
    // resize running on the threadpool.
    this.#closed = true;
    if (this.#resizing === null) fs.closeSync(this.#directFd);
    else void this.#resizing.then(() => fs.closeSync(this.#directFd));
  }

  /**
   * Splits [position, position + length) at multiples of PIECE_SIZE (so pieces share no block), runs
   * the pieces at once, and sums them like one pread/pwrite: up to the first short piece, or -errno.
   */
  async #allPieces(position: number, length: number, run: (offset: number, size: number) => Promise<number>) {
    const pieces: Promise<number>[] = [];
    const sizes: number[] = [];
    for (let offset = 0; offset < length; ) {
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

  #readPiece(target: Uint8Array, position: number): Promise<number> {
    return this.#tryCache(position, target.byteLength)
      ? this.#readCachedFirst(target, position)
      : this.#readDirect(target, position);
  }

  async #readCachedFirst(target: Uint8Array, position: number): Promise<number> {
    let done = 0;
    for (;;) {
      const result = await this.#io(Op.Pread, this.#fd, target.subarray(done), position + done, RWF_NOWAIT);
      if (result > 0) {
        this.#missStreak = 0;
        done += result;
        if (done === target.byteLength) return done;
        continue; // partly cached: the next probe takes more, reaches EOF, or misses
      }
      if (result === 0) return done;
      if (result === EAGAIN) {
        this.#missStreak++;
        break;
      }
      // EOPNOTSUPP/EINVAL come from filesystems without RWF_NOWAIT for buffered reads: stop asking.
      if (result === EOPNOTSUPP || result === EINVAL) {
        this.#probeCache = false;
        break;
      }
      return done > 0 ? done : result;
    }
    const direct = await this.#readDirect(target.subarray(done), position + done);
    return direct < 0 ? (done > 0 ? done : direct) : done + direct;
  }

  /**
   * Whether this read tries the page cache first. Where cachestat(2) works it is asked first: a miss
   * then costs no read and, unlike a RWF_NOWAIT read, starts no kernel readahead, which would read
   * the same bytes from the device a second time, into the cache.
   */
  #tryCache(position: number, length: number): boolean {
    if (!this.#shouldProbe()) return false;
    if (!cachestatWorks) return true;
    const holds = this.#binding.pageCacheHolds(this.#fd, position, length);
    if (holds === 1) return true;
    if (holds === 0) {
      this.#missStreak++;
      return false;
    }
    // ENOSYS before Linux 6.5, EPERM from a seccomp filter: RWF_NOWAIT alone decides from now on. Any
    // other error (EBADF: the file was closed meanwhile) belongs to this read, which reports it.
    if (holds === ENOSYS || holds === EPERM) cachestatWorks = false;
    return true;
  }

  #shouldProbe(): boolean {
    if (!this.#probeCache) return false;
    this.#reads++;
    return this.#missStreak < MISS_STREAK_LIMIT || this.#reads % PROBE_INTERVAL === 0;
  }

  /**
   * O_DIRECT read through an aligned bounce buffer: a direct read transfers whole blocks, so reading
   * straight into the caller's memory could overwrite bytes past end of file that pread leaves alone.
   */
  #readDirect(target: Uint8Array, position: number): Promise<number> {
    const start = alignDown(position, this.#offsetAlign);
    const span = alignUp(position + target.byteLength, this.#offsetAlign) - start;
    if (this.#resizing !== null) return this.#resizing.then(() => this.#readDirect(target, position));
    const bounce = this.#pool.take(span, this.#memoryAlign);
    // The hottest path (small random reads): one promise, no async frames.
    return new Promise((resolve) => {
      this.#begin();
      const memory = bounce.byteLength === span ? bounce : bounce.subarray(0, span);
      this.#engine.submit(Op.Pread, this.#directFd, memory, start, 0, (result) => {
        this.#end();
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

  async #writePiece(source: Uint8Array, position: number): Promise<number> {
    const align = this.#offsetAlign;
    const start = alignDown(position, align);
    const end = alignUp(position + source.byteLength, align);
    if (start === position && end === position + source.byteLength && this.#pool.isAligned(source, this.#memoryAlign)) {
      return this.#io(Op.Pwrite, this.#directFd, source, position, 0);
    }
    const span = end - start;
    const needHead = start < position;
    const needTail = position + source.byteLength < end && !(needHead && span === align);
    if ((needHead || needTail) && !this.#canPatch) return this.#writeBuffered(source, position);
    const bounce = this.#pool.take(span, this.#memoryAlign);
    try {
      const block = bounce.subarray(0, span);
      const filled = await Promise.all([
        needHead ? this.#readBlock(block.subarray(0, align), start) : 0,
        needTail ? this.#readBlock(block.subarray(span - align), end - align) : 0,
      ]);
      const failed = filled.find((result) => result < 0);
      if (failed !== undefined) return failed;
      block.set(source, position - start);
      const result = await this.#io(Op.Pwrite, this.#directFd, block, start, 0);
      if (result < 0) return result;
      return bytesIn(result, position - start, source.byteLength);
    } finally {
      this.#pool.release(bounce);
    }
  }

  /** Fills one aligned block with the file's bytes; past end of file, with zeros. */
  async #readBlock(block: Uint8Array, position: number): Promise<number> {
    const result = await this.#io(Op.Pread, this.#directFd, block, position, 0);
    if (result < 0) return result;
    block.fill(0, result);
    return 0;
  }

  /**
   * A partial block where the direct descriptor cannot read (a write-only file): written through
   * node:fs, which does not block the event loop. The kernel keeps it coherent with direct I/O.
   */
  #writeBuffered(source: Uint8Array, position: number): Promise<number> {
    this.#begin();
    return new Promise((resolve) => {
      fs.write(this.#fd, source, 0, source.byteLength, position, (error, written) => {
        this.#end();
        resolve(error ? (error.errno ?? EINVAL) : written);
      });
    });
  }

  /**
   * Makes sure [0, end) lies inside i_size before a direct write of [start, end), growing the file
   * ahead if needed.
   * Growth waits until none of this file's direct I/O is in flight, and is a #resize.
   */
  async #ensureSize(start: number, end: number): Promise<number> {
    for (;;) {
      if (this.#resizing !== null) {
        await this.#resizing;
        continue;
      }
      // Not grown: the kernel's size is the truth (another writer or a truncate may have changed it).
      if (!this.#grown) this.#diskSize = this.#logicalSize = fs.fstatSync(this.#fd).size;
      if (end <= this.#diskSize) return 0;
      if (this.#inFlight === 0) break;
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
    const target = alignUp(end + this.#growStep, GROW_MIN);
    // Allocate from the write on: a write far past the end leaves the gap before it a hole, as
    // pwrite does (fallocate past i_size does not fill what lies between).
    const from = Math.max(this.#diskSize, start);
    return this.#resize(async () => {
      let grownTo = target;
      const allocated = await new Promise<number>((resolve) =>
        this.#binding.fallocate(this.#directFd, 0, from, target - from, resolve),
      );
      if (allocated < 0) {
        // No fallocate here, or no room for the look-ahead: grow to exactly what this write needs
        // (sparse), and let the write itself report ENOSPC if it comes to that.
        grownTo = end;
        const status = await this.#truncateTo(end);
        if (status < 0) return status;
      }
      this.#growStep = Math.min(this.#streaming ? STREAM_GROW_MAX : GROW_MAX, this.#growStep * 2);
      this.#diskSize = grownTo;
      this.#grown = grownTo > this.#logicalSize;
      return 0;
    });
  }

  /**
   * Runs a change of the file's size (fallocate, ftruncate) on the libuv threadpool, with nothing else
   * of this file's direct I/O: the caller starts it with none in flight, and #io holds back new
   * requests until it ends. Both calls take the inode lock that a direct read or write takes inside
   * io_submit, and wait for the direct I/O in flight (inode_dio_wait), so either way round a request
   * submitted meanwhile would block the event loop; and ext4's fallocate may read block bitmaps from
   * the device (4-31 ms each measured here), which is why it does not run on the event loop at all.
   */
  async #resize(change: () => Promise<number>): Promise<number> {
    let done!: () => void;
    this.#resizing = new Promise<void>((resolve) => (done = resolve));
    try {
      return await change();
    } finally {
      this.#resizing = null;
      done();
    }
  }

  #trimWhenIdle(): void {
    if (!this.#grown || this.#trimScheduled || this.#streaming) return;
    this.#trimScheduled = true;
    // A writer that awaits each write issues the next one from a microtask, before this runs, so
    // the grow-ahead survives a busy loop of writes and is trimmed once the writer pauses.
    setImmediate(() => {
      this.#trimScheduled = false;
      if (this.#inFlight === 0 && this.#locks.size === 0 && this.#resizing === null) void this.#trim();
      else this.#trimWhenIdle();
    });
  }

  /** Cuts the grow-ahead off. Call with nothing in flight and no resize running. */
  #trim(): Promise<number> {
    if (!this.#grown || this.#closed) return Promise.resolve(0);
    const length = this.#logicalSize;
    return this.#resize(async () => {
      const status = await this.#truncateTo(length);
      if (status === 0) {
        this.#grown = false;
        this.#diskSize = length;
      }
      return status;
    });
  }

  #truncateTo(length: number): Promise<number> {
    return new Promise((resolve) =>
      fs.ftruncate(this.#directFd, length, (error) => resolve(error ? (error.errno ?? EINVAL) : 0)),
    );
  }

  async #lock(start: number, end: number): Promise<() => void> {
    for (;;) {
      let busy: BlockLock | undefined;
      for (const lock of this.#locks) {
        if (lock.start < end && start < lock.end) busy = lock;
      }
      if (busy === undefined) break;
      await busy.released;
    }
    let release!: () => void;
    const lock: BlockLock = { start, end, released: new Promise<void>((resolve) => (release = resolve)) };
    this.#locks.add(lock);
    return () => {
      this.#locks.delete(lock);
      release();
    };
  }

  #io(op: Op, fd: number, memory: Uint8Array | null, position: number, rwFlags: number): Promise<number> {
    if (this.#resizing !== null) return this.#resizing.then(() => this.#io(op, fd, memory, position, rwFlags));
    this.#begin();
    return new Promise((resolve) => {
      this.#engine.submit(op, fd, memory, position, rwFlags, (result) => {
        this.#end();
        resolve(result);
      });
    });
  }

  /**
   * Asks the kernel to cancel this file's requests in flight. Regular files cannot cancel (EINVAL), so
   * they run to completion; their memory stays pinned until then and quiesce()/close() still wait.
   */
  cancelAll(): void {
    this.#engine.cancel(this.#directFd);
    this.#engine.cancel(this.#fd);
  }

  #begin(): void {
    this.#inFlight++;
  }

  #end(): void {
    if (--this.#inFlight > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
