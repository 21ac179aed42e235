/**
 * Where one file's reads go: to the page cache first (a RWF_NOWAIT copy, which answers from memory or
 * fails at once), to the device (O_DIRECT), or to a blocking job on one of the context's threads (a
 * range the cache holds partly with dirty pages, which a direct read would first write back inside
 * io_submit: docs/kernel-aio.md, "Reading"). cachestat(2) decides where it works: a miss then costs no
 * read and, unlike a RWF_NOWAIT read, starts no kernel readahead, which would read the same bytes from
 * the device a second time. What earlier reads learned is kept: whether the last one found its pages
 * cached (then the next tries the cache without asking), and how many missed in a row.
 *
 * Owns nothing: it asks about its DirectFile's descriptor.
 */
import { constants } from 'node:os';

import { CACHED, DIRTY, type NativeBinding } from './binding';

const ENOSYS = -constants.errno.ENOSYS;
const EPERM = -constants.errno.EPERM;

/** After this many cache misses in a row, only one read in PROBE_INTERVAL tries the cache first. */
const MISS_STREAK_LIMIT = 8;
const PROBE_INTERVAL = 32;
/** Cleared the first time cachestat(2) fails (kernels before 6.5, seccomp filters). */
let cachestatWorks = true;

/** Page-cache policy for reads. */
export type CachePolicy = 'auto' | 'bypass';

/** 'cache': RWF_NOWAIT first; 'direct': O_DIRECT; 'buffered': a blocking job on the caller's descriptor. */
export type ReadRoute = 'cache' | 'direct' | 'buffered';

/**
 * Whether the page cache holds all of [position, position + length) of `fd`, as cachestat(2) says; true
 * where it cannot say (kernels before 6.5, seccomp filters).
 */
function holdsAll(binding: NativeBinding, fd: number, position: number, length: number): boolean {
  if (!cachestatWorks) return true;
  const state = binding.cacheState(fd, position, length);
  if (state >= 0) return (state & CACHED) !== 0;
  if (state === ENOSYS || state === EPERM) cachestatWorks = false;
  return true;
}

/**
 * The pool job for a buffered read of [position, position + length) of `fd`: jobPreadCopy where the page
 * cache holds the range (a copy, which waits its turn among the copies beside the loop), else jobPread
 * (a read of the device, any thread's).
 */
export function bufferedReadJob(binding: NativeBinding, fd: number, position: number, length: number): number {
  return holdsAll(binding, fd, position, length) ? binding.ops.jobPreadCopy : binding.ops.jobPread;
}

export class CacheProbe {
  readonly #binding: NativeBinding;
  readonly #fd: number;
  /** Reads try the page cache ('auto'); cleared for 'bypass' and where RWF_NOWAIT is refused. */
  #probes: boolean;
  #missStreak = 0;
  /** The last read that tried the page cache found everything there (none has yet: false). */
  #lastReadHit = false;
  #reads = 0;

  constructor(binding: NativeBinding, fd: number, policy: CachePolicy) {
    this.#binding = binding;
    this.#fd = fd;
    this.#probes = policy === 'auto';
  }

  /** The pool job for a buffered read of the range (bufferedReadJob). */
  bufferedReadJob(position: number, length: number): number {
    return bufferedReadJob(this.#binding, this.#fd, position, length);
  }

  /**
   * Whether reads may be served from the page cache: probing is on and the last probe did not miss (nor
   * has any probe run yet).
   */
  get mayServeFromCache(): boolean {
    return this.#probes && this.#missStreak === 0;
  }

  /**
   * The route of a read of [position, position + length). `afterMiss`: the page cache has just said
   * EAGAIN for it, so not from there again. `directUsable()`: whether an O_DIRECT descriptor can be had.
   */
  route(position: number, length: number, afterMiss: boolean, directUsable: () => boolean): ReadRoute {
    // The last read came from the page cache: try it again without asking first (a system call fewer),
    // unless the policy is to bypass it (a bypassing file reads dirty ranges only from the cache).
    if (this.#lastReadHit && this.#probes && !afterMiss) return 'cache';
    if (cachestatWorks) {
      const state = this.#binding.cacheState(this.#fd, position, length);
      if (state >= 0) {
        const dirty = (state & DIRTY) !== 0;
        if ((state & CACHED) !== 0 && !afterMiss && (this.#probes || dirty)) return 'cache';
        if ((state & CACHED) === 0 && this.#probes) this.#missStreak++;
        return dirty || !directUsable() ? 'buffered' : 'direct';
      }
      // ENOSYS before Linux 6.5, EPERM from a seccomp filter: RWF_NOWAIT alone decides from now on. Any
      // other error (EBADF: the file was closed meanwhile) belongs to the read, which reports it.
      if (state === ENOSYS || state === EPERM) cachestatWorks = false;
    }
    if (!afterMiss && this.#shouldProbe()) return 'cache';
    return directUsable() ? 'direct' : 'buffered';
  }

  /** A read that tried the page cache found what it asked for there. */
  hit(): void {
    this.#missStreak = 0;
    this.#lastReadHit = true;
  }

  /** A read that tried the page cache missed (EAGAIN). */
  missed(): void {
    this.#missStreak++;
    this.#lastReadHit = false;
  }

  /** The filesystem refuses RWF_NOWAIT for buffered reads (EOPNOTSUPP, EINVAL): stop asking it. */
  unsupported(): void {
    this.#probes = false;
  }

  #shouldProbe(): boolean {
    if (!this.#probes) return false;
    this.#reads++;
    return this.#missStreak < MISS_STREAK_LIMIT || this.#reads % PROBE_INTERVAL === 0;
  }
}
