/**
 * The JavaScript half of one environment's AIO context: numbers each request, remembers its callback
 * and dispatches the completions the addon delivers, one native call per batch.
 */
import { constants } from 'node:os';

import { sharedPoolIdleBytes } from './aligned-buffer';
import { MISSED, type ContextStats, type NativeBinding } from './binding';
import { budgetFromEnvironment, DEFAULT_MEMORY_BUDGET, MemoryBudget } from './memory-budget';

/** Receives a request's result: bytes transferred, or a negative errno. */
export type Completion = (result: number) => void;

/**
 * Completions handed over per call from native code. Native code reaps every ready event at once, then
 * hands them over in calls of up to this many (the first of a turn one, and none once the turn's
 * callbacks have run 0.5 ms: kDeliverTimeNs in native/aio_context.cc), and submits what the callbacks
 * queued after each call of this many, so the device gets new work while the rest of the batch is processed. Measured with
 * 4 KiB random reads at depth 64 (bench/suite/scenarios/random-read.mjs): one call per batch ~65k IOPS, 4-8 per call
 * ~78-81k, on a device fio drives at ~96k.
 */
const SLOTS_PER_CALL = 8;

const SHARED_ENGINE = Symbol.for('aiofs.engine.v1');

/** ContextStats.fastPathsOff's entry for files whose filesystem refuses RWF_NOWAIT reads. */
export const NOWAIT_REFUSED =
  'RWF_NOWAIT reads: refused (EOPNOTSUPP) by a filesystem, whose files are read through kernel AIO or a pool thread';

export class Engine {
  readonly #binding: NativeBinding;
  readonly #slots = new Float64Array(2 * SLOTS_PER_CALL);
  /** Callbacks by request id; an id is a slot here, reused once its completion is dispatched. */
  readonly #waiting: (Completion | undefined)[] = [];
  readonly #freeIds: number[] = [];

  private constructor(binding: NativeBinding) {
    this.#binding = binding;
  }

  /**
   * Sets up the environment's kernel context; returns -errno when io_setup refuses. The engine is
   * shared through the environment's global object: a second copy of aiofs in the same thread (a
   * bundler's duplicate, a test runner's module graph) must not register a second dispatcher with the
   * one native context, or its completions would reach the wrong one.
   */
  static create(binding: NativeBinding, maxEvents: number, maxThreads: number): Engine | number {
    const shared = globalThis as { [SHARED_ENGINE]?: Engine };
    const existing = shared[SHARED_ENGINE];
    if (existing !== undefined) return existing;
    const engine = new Engine(binding);
    const status = binding.setup(maxEvents, maxThreads, (count) => engine.#dispatch(count), engine.#slots);
    if (status < 0) return status;
    shared[SHARED_ENGINE] = engine;
    return engine;
  }

  /**
   * Queues one request; `done` runs on a later turn of the event loop with its result.
   * The native side holds `memory` until then.
   */
  submit(op: number, fd: number, memory: Uint8Array | null, position: number, rwFlags: number, done: Completion): void {
    const id = this.#freeIds.pop() ?? this.#waiting.length;
    this.#waiting[id] = done;
    this.#binding.submit(op, fd, memory, position, rwFlags, id);
  }

  /** Queues a path job (an open, a whole-file write) for a pool thread; `done` as for submit(). */
  submitPath(
    op: number,
    path: Uint8Array,
    memory: Uint8Array | null,
    flags: number,
    mode: number,
    jobFlags: number,
    done: Completion,
  ): void {
    const id = this.#freeIds.pop() ?? this.#waiting.length;
    this.#waiting[id] = done;
    this.#binding.submitPath(op, path, memory, flags, mode, jobFlags, id);
  }

  /**
   * Asks for every request on `fd` to be abandoned. Their completions still arrive (-ECANCELED if they
   * never reached the kernel; regular files cannot cancel, so usually with their real results) and
   * their memory stays pinned until then.
   */
  cancel(fd: number): void {
    this.#binding.cancel(fd);
  }

  /** The memory budget of this context's read-ahead (see memory-budget.ts). */
  readonly budget = new MemoryBudget(budgetFromEnvironment() ?? DEFAULT_MEMORY_BUDGET);

  /** What the event loop served from memory itself, counted by the callers (see ContextStats). */
  readonly cached = { opens: 0, openMisses: 0, reads: 0, readMisses: 0 };
  /** Whole-file reads into memory not yet in memory, read on the threads (see ContextStats). */
  freshMemoryReads = 0;
  readonly #fastPathsOff = new Set<string>();

  /**
   * binding.readCached (one preadv2 RWF_NOWAIT on the loop), counted in `cached`: a copy, or a miss
   * (result <= MISSED). A filesystem that refuses RWF_NOWAIT (EOPNOTSUPP) is recorded in fastPathsOff.
   */
  readCached(fd: number, target: Uint8Array, position: number): number {
    const result = this.#binding.readCached(fd, target, position);
    if (result >= 0) this.cached.reads++;
    else if (result <= MISSED) this.cached.readMisses++;
    else if (result === -constants.errno.EOPNOTSUPP) this.fastPathOff(NOWAIT_REFUSED);
    return result;
  }

  /** Records why a fast path is off (ContextStats.fastPathsOff), once per reason. */
  fastPathOff(reason: string): void {
    this.#fastPathsOff.add(reason);
  }

  stats(): ContextStats {
    const stats = this.#binding.stats();
    if (stats === null) throw new Error('aiofs: the AIO context is gone');
    const { opens, openMisses, reads, readMisses } = this.cached;
    const { budget } = this;
    return {
      ...stats,
      cachedOpens: opens,
      cachedOpenMisses: openMisses,
      cachedReads: reads,
      cachedReadMisses: readMisses,
      freshMemoryReads: this.freshMemoryReads,
      fastPathsOff: [...this.#fastPathsOff],
      memoryBudget: budget.limit,
      bufferedBytes: budget.used,
      peakBufferedBytes: budget.peak,
      pooledBytes: sharedPoolIdleBytes(),
    };
  }

  #dispatch(count: number): void {
    const slots = this.#slots;
    for (let i = 0; i < count; i++) {
      const id = slots[2 * i];
      const result = slots[2 * i + 1];
      const done = this.#waiting[id];
      if (done === undefined) continue;
      this.#waiting[id] = undefined;
      this.#freeIds.push(id);
      try {
        done(result);
      } catch (error) {
        // One callback's exception must not cost the rest of the batch their results.
        process.nextTick(() => {
          throw error;
        });
      }
    }
  }
}
