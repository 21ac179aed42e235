/**
 * The one place the native addon is loaded, and the typed shape of what it exports.
 * test/native-edges.test.ts checks that the real exports match {@link NativeBinding}.
 */
import * as path from 'node:path';

/**
 * Request opcodes, as the addon exports them (native/linux_aio_abi.h is their one source): kernel AIO
 * requests (IOCB_CMD_*), and blocking jobs that the context's own threads run with plain system calls.
 */
export interface Ops {
  readonly pread: number;
  readonly pwrite: number;
  readonly fsync: number;
  readonly fdsync: number;
  /**
   * A pread request (RWF_NOWAIT, of cached pages) that a pool thread may copy instead when the loop's
   * turn has spent its io_submit time (threadCopies); same result. For reads whose bytes the loop does
   * not go on to touch at once (whole files, handle reads), not a stream's.
   */
  readonly preadAnyThread: number;
  /** pread(2) on a pool thread; read(2) at the file position for a negative position. */
  readonly jobPread: number;
  /**
   * jobPread of cached pages into memory whose pages are not in memory yet: counted as a copy beside the
   * loop, it waits while as many run as leave the loop a CPU (docs/kernel-aio.md, "Fresh memory").
   */
  readonly jobPreadCopy: number;
  /** pwrite(2) on a pool thread. */
  readonly jobPwrite: number;
  /** pwrite(2), then sync_file_range(SYNC_FILE_RANGE_WRITE) on what it wrote, on a pool thread. */
  readonly jobPwriteWriteback: number;
  /**
   * A path opened read-only on a pool thread (submitPath), only if it is a regular file (looked at
   * with O_PATH first, so a FIFO or device is never opened): the descriptor, -errno, or notRegular.
   */
  readonly jobOpenRegular: number;
  /** jobOpenRegular's and openCached's answer for a path that is not a regular file (nothing opened). */
  readonly notRegular: number;
  /**
   * open(2), write(2) of all the data, fsync(2) with {@link writeFileSync}, close(2), on a pool thread
   * (submitPath): the bytes written, or -(step * stepUnit + errno), step 0 open, 1 write, 2 fsync, 3 close.
   */
  readonly jobWriteFile: number;
  readonly writeFileSync: number;
  readonly stepUnit: number;
  /**
   * The regular file at a path opened read-only on a pool thread (submitPath, with memory for its
   * contents) and, when it fits that memory, read whole and closed: the bytes read; else the open
   * descriptor, as fdHandedOver - fd; -(step * stepUnit + errno), step 0 open, 4 read; or notRegular.
   */
  readonly jobReadFile: number;
  readonly fdHandedOver: number;
}

/** setup() failed at the eventfd, not io_setup, when its result is at or below -EVENTFD_FAILED. */
export const EVENTFD_FAILED = 1 << 20;

/** A position of readCached() and of read jobs that reads at the descriptor's own offset and advances it, as read(2). */
export const AT_FILE_POSITION = -1;

/** readCached()'s results at or below this mean: the page cache missed after (MISSED - result) bytes. */
export const MISSED = -4097;

/** A read request's rwFlags, RWF_NOWAIT: from the page cache, or -EAGAIN (-EOPNOTSUPP where unsupported). */
export const RWF_NOWAIT = 0x8;

/** {@link NativeBinding.cacheState} flags. */
export const CACHED = 1;
export const DIRTY = 2;

/** Counters of one environment's AIO context. */
export interface ContextStats {
  /** Most requests in the kernel at once (io_setup's nr_events); more wait in a queue. */
  capacity: number;
  inFlight: number;
  queued: number;
  /** io_submit system calls made so far. */
  submitCalls: number;
  /** iocbs the kernel accepted so far. */
  submitted: number;
  /** Completions handed to JavaScript so far (refused submissions included). */
  completed: number;
  /** Blocking jobs run on the context's own threads so far, those not yet handed back, and the threads. */
  jobs: number;
  jobsOutstanding: number;
  threads: number;
  /** Of the jobs, reads of cached pages the threads copied because the loop's turn had no io_submit time left. */
  threadCopies: number;
  /**
   * Whole-file reads into a new buffer whose pages were not in memory yet, which aiofs's threads read
   * (buffered, as node:fs's threadpool does) so that the first writes into it do not hold the event loop
   * (docs/kernel-aio.md, "Fresh memory").
   */
  freshMemoryReads: number;
  /** Whole-file reads and small reads served from memory on the event loop: opens from the dentry cache
   * and their misses (sent to a pool thread), reads from the page cache and their misses. */
  cachedOpens: number;
  cachedOpenMisses: number;
  cachedReads: number;
  cachedReadMisses: number;
  /**
   * Why a fast path is off, where one is (empty while all work): the cached open, where openat2 or its
   * RESOLVE_CACHED is missing (Linux before 5.6 and 5.12) or refused (a seccomp filter), after which
   * whole-file reads by path open on a pool thread; RWF_NOWAIT reads, where a file's filesystem refuses
   * them, whose reads then go through kernel AIO or a pool thread.
   */
  fastPathsOff: string[];
  /** The read-ahead memory budget (bytes), what streams hold of it now and at most so far, and the bytes of
   * idle aligned buffers kept for reuse. */
  memoryBudget: number;
  bufferedBytes: number;
  peakBufferedBytes: number;
  pooledBytes: number;
  /** Most iocbs accepted by a single io_submit. */
  maxBatch: number;
  /** io_cancel calls made for requests already in the kernel. */
  cancelAsked: number;
  /** Of those, how many the kernel refused (EINVAL: regular files cannot cancel); their results were dropped. */
  cancelRefused: number;
}

/** What native/addon.cc exports. Native calls return negative errno numbers instead of throwing. */
export interface NativeBinding {
  /** The request opcodes. */
  readonly ops: Ops;
  /**
   * Creates this environment's AIO context, with up to `maxThreads` threads of its own for blocking
   * jobs: 0; -errno from io_setup; or -({@link EVENTFD_FAILED} + errno) from its eventfd. Idempotent.
   */
  setup(maxEvents: number, maxThreads: number, onComplete: (count: number) => void, slots: Float64Array): number;
  /** Queues one request (an {@link Ops} opcode) over the whole of `memory` (null for fsync/fdsync). */
  submit(op: number, fd: number, memory: Uint8Array | null, position: number, rwFlags: number, id: number): void;
  /** Queues a path job (jobOpenRegular, jobWriteFile, jobReadFile) for a pool thread; `path` is copied, `memory` held. */
  submitPath(
    op: number,
    path: Uint8Array,
    memory: Uint8Array | null,
    flags: number,
    mode: number,
    jobFlags: number,
    id: number,
  ): void;
  /**
   * The regular file at a path opened read-only from the dentry cache (openat2 RESOLVE_CACHED, O_PATH
   * first so nothing else is ever opened), then fstat: [fd, size, mode]; -errno (-EAGAIN: not in the
   * dentry cache; -ENOSYS/-EINVAL: no openat2 or RESOLVE_CACHED here); or Ops.notRegular. Never
   * waits for the device.
   */
  openCached(path: string | Uint8Array): [number, number, number] | number;
  /**
   * preadv2(RWF_NOWAIT) into all of `view` from `position`: bytes read (all, or up to end of file),
   * -errno, or a result at or below {@link MISSED} when the page cache missed. Never waits for the device.
   * A `position` of -1 reads at the descriptor's own offset and advances it, as read(2) does.
   */
  readCached(fd: number, view: Uint8Array, position: number): number;
  /** 1 when every page under `view` is in memory (mincore), 0 when one is not, or -errno. */
  resident(view: Uint8Array): number;
  /** close(2) of a descriptor aiofs opened itself (and owns until then): 0, -errno, or -EBADF for any other. */
  closeFd(fd: number): number;
  /** fstat(2): [size, mode], or -errno; never waits for the device. */
  describe(fd: number): [number, number] | number;
  /**
   * Cancels every live request on `fd`: queued ones complete with -ECANCELED; the kernel is asked to
   * cancel the rest (regular files refuse), which complete later. Returns how many were found.
   */
  cancel(fd: number): number;
  stats(): Omit<
    ContextStats,
    | 'cachedOpens'
    | 'cachedOpenMisses'
    | 'cachedReads'
    | 'cachedReadMisses'
    | 'freshMemoryReads'
    | 'fastPathsOff'
    | 'memoryBudget'
    | 'bufferedBytes'
    | 'peakBufferedBytes'
    | 'pooledBytes'
  > | null;
  /** [memoryAlign, offsetAlign, reported (1) or not (0)] from statx(STATX_DIOALIGN), or -errno. */
  dioAlignment(fd: number): [number, number, number] | number;
  /** lseek(2): the new offset, or -errno. */
  seek(fd: number, offset: number, whence: number): number;
  /** fstatfs(2)'s f_type: the filesystem's magic number, or -errno. */
  filesystemType(fd: number): number;
  /**
   * The page cache's state for a range (cachestat(2), Linux 6.5): {@link CACHED} when it holds every
   * page, plus {@link DIRTY} when some page is dirty or under writeback; or -errno (-ENOSYS on older
   * kernels). Reads nothing and, unlike a RWF_NOWAIT read, starts no readahead.
   */
  cacheState(fd: number, position: number, length: number): number;
  /** fcntl(F_GETFL): the descriptor's open(2) flags, or -errno. */
  descriptorFlags(fd: number): number;
  /** fstat(2)'s st_size, or -errno; never waits for the device. */
  fileSize(fd: number): number;
  /**
   * Sets glibc's M_MMAP_THRESHOLD (32 MiB) and M_TRIM_THRESHOLD (64 MiB) for the process: 1 when this
   * call did, 2 when an earlier one did, 0 when the allocator is not glibc's.
   */
  tuneMalloc(): number;
  /** Bytes from the start of `view` to the first address that is a multiple of `alignment`. */
  alignmentOffset(view: Uint8Array, alignment: number): number;
}

/** The names NativeBinding declares; the compiler keeps this list and the interface in step. */
export const NATIVE_EXPORTS = Object.keys({
  ops: true,
  setup: true,
  submitPath: true,
  openCached: true,
  readCached: true,
  resident: true,
  closeFd: true,
  describe: true,
  submit: true,
  cancel: true,
  stats: true,
  dioAlignment: true,
  seek: true,
  filesystemType: true,
  cacheState: true,
  fileSize: true,
  descriptorFlags: true,
  tuneMalloc: true,
  alignmentOffset: true,
} satisfies Record<keyof NativeBinding, true>);

/** The addon, or why it could not be loaded. */
export type BindingLoad = { binding: NativeBinding; reason?: undefined } | { binding: null; reason: string };

function load(): BindingLoad {
  if (process.platform !== 'linux') {
    return { binding: null, reason: `kernel AIO is Linux-only; this is ${process.platform}` };
  }
  try {
    // AIOFS_ADDON names another build of the addon (scripts/asan.sh runs the tests against a
    // sanitizer build this way); it must load, or the process says why and falls back.
    const chosen = process.env.AIOFS_ADDON;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (chosen) return { binding: require(path.resolve(chosen)) as NativeBinding };
    // node-gyp-build loads build/Release (a local compile) when there is one, else prebuilds/<platform>-<arch>/.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => NativeBinding;
    return { binding: nodeGypBuild(path.join(__dirname, '..')) };
  } catch (error) {
    return { binding: null, reason: `the native addon did not load: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** Loaded once per environment (each worker thread loads its own copy of this module). */
export const loaded: BindingLoad = load();
