/**
 * One file's reads of pages the page cache holds, on the caller's (buffered) descriptor, never waiting
 * for the device: RWF_NOWAIT answers from memory or fails at once with EAGAIN (docs/kernel-aio.md,
 * "Reading"). Either copied on the event loop in the call (copy), within the turn's budget
 * (turn-budget.ts), or sent to the kernel as RWF_NOWAIT requests (viaKernel), which io_submit copies,
 * several in one system call. A miss part way hands the rest to `readRest`, the file's other routes.
 *
 * Owns nothing: the descriptor and the probe are its DirectFile's, the target memory the caller's
 * (held by the engine while a request is in flight).
 */
import { constants } from 'node:os';

import { MISSED, RWF_NOWAIT } from './binding';
import type { CacheProbe } from './cache-probe';
import { NOWAIT_REFUSED, type Engine } from './engine';
import type { RequestsInFlight } from './requests-in-flight';
import { settle, workOnLoop } from './turn-budget';

const EAGAIN = -constants.errno.EAGAIN;
const EOPNOTSUPP = -constants.errno.EOPNOTSUPP;
const EINVAL = -constants.errno.EINVAL;

/** Reads the rest of a read after the page cache missed, by another route: bytes or -errno. */
export type ReadRest = (target: Uint8Array, position: number) => Promise<number>;

/** `done` bytes read from the cache and then `rest` (bytes or -errno) by another route, as one read's result. */
function joined(done: number, rest: number): number {
  return rest < 0 ? (done > 0 ? done : rest) : done + rest;
}

export class CachedReads {
  readonly #engine: Engine;
  readonly #fd: number;
  readonly #probe: CacheProbe;
  readonly #requests: RequestsInFlight;
  readonly #readRest: ReadRest;

  constructor(engine: Engine, fd: number, probe: CacheProbe, requests: RequestsInFlight, readRest: ReadRest) {
    this.#engine = engine;
    this.#fd = fd;
    this.#probe = probe;
    this.#requests = requests;
    this.#readRest = readRest;
  }

  /**
   * Copied on the event loop (preadv2 RWF_NOWAIT): no round trip. At once, or on a later turn once this
   * one has run long enough (turn-budget.ts). Bytes read (short only at end of file) or -errno.
   */
  copy(target: Uint8Array, position: number): Promise<number> {
    const later = workOnLoop();
    return later === null ? this.#copyNow(target, position) : later.then(() => this.#copyNow(target, position));
  }

  #copyNow(target: Uint8Array, position: number): Promise<number> {
    const result = this.#engine.readCached(this.#fd, target, position);
    if (result > MISSED) {
      if (result >= 0) this.#probe.hit();
      return settle(result);
    }
    this.#probe.missed();
    const done = MISSED - result;
    return this.#readRest(target.subarray(done), position + done).then((rest) => joined(done, rest));
  }

  /**
   * By RWF_NOWAIT requests of `op`: pread for a stream's chunk (copied on the loop, whose consumer reads
   * it next), preadAnyThread where a pool thread may copy it once the turn is out of io_submit time
   * (Ops.preadAnyThread). Bytes read (short only at end of file) or -errno.
   */
  async viaKernel(target: Uint8Array, position: number, op: number): Promise<number> {
    let done = 0;
    for (;;) {
      const result = await this.#requests.submit(op, this.#fd, target.subarray(done), position + done, RWF_NOWAIT);
      if (result > 0) {
        this.#probe.hit();
        done += result;
        if (done === target.byteLength) return done;
        continue; // partly cached: the next request takes more, reaches EOF, or misses
      }
      if (result === 0) return done;
      if (result === EAGAIN) {
        this.#probe.missed();
        break;
      }
      // EOPNOTSUPP/EINVAL come from filesystems without RWF_NOWAIT for buffered reads: stop asking.
      if (result === EOPNOTSUPP || result === EINVAL) {
        this.#probe.unsupported();
        this.#engine.fastPathOff(NOWAIT_REFUSED);
        break;
      }
      return done > 0 ? done : result;
    }
    return joined(done, await this.#readRest(target.subarray(done), position + done));
  }
}
