/**
 * Which backend this environment runs on, and why. Kernel AIO is set up lazily, on first use.
 */
import * as os from 'node:os';
import * as util from 'node:util';

import { EVENTFD_FAILED, loaded, type ContextStats, type NativeBinding } from './binding';
import { Engine } from './engine';
import { validateInteger } from './validate';

/** The backend in use: `'kernel-aio'`, or `'node-fs'` with the reason kernel AIO is not used. */
export interface Backend {
  readonly name: 'kernel-aio' | 'node-fs';
  readonly reason: string;
}

/** An AioFileHandle's backend: also the alignment of aiofs's direct I/O on the file, null under node-fs. */
export interface FileBackend extends Backend {
  readonly directIoAlignment: DirectIoAlignment | null;
}

/** Direct I/O on a file: buffers start, and file offsets and lengths fall, on multiples of these bytes. */
export interface DirectIoAlignment {
  readonly memory: number;
  readonly offset: number;
}

const DEFAULT_QUEUE_DEPTH = 512;
/** Threads of the context's own for blocking jobs (buffered writes); chosen with probes/write-paths.c. */
const DEFAULT_THREADS = 4;

function errnoName(errno: number): string {
  return util.getSystemErrorMap().get(errno)?.[0] ?? `errno ${-errno}`;
}

/** Failures that pass (no descriptor free at that moment): the next use tries again. */
const PASSING = new Set(['EMFILE', 'ENFILE', 'ENOMEM']);

function explainSetupFailure(status: number): string {
  if (status <= -EVENTFD_FAILED) {
    const name = errnoName(status + EVENTFD_FAILED);
    return `the AIO context's eventfd could not be created (${name})${PASSING.has(name) ? '; aiofs tries again on the next call' : ''}`;
  }
  const name = errnoName(status);
  switch (name) {
    case 'EAGAIN':
      return (
        'io_setup failed with EAGAIN: the system-wide budget of AIO events is used up ' +
        '(see /proc/sys/fs/aio-nr against /proc/sys/fs/aio-max-nr; raise it with `sysctl fs.aio-max-nr=1048576`)'
      );
    case 'ENOSYS':
      return 'io_setup failed with ENOSYS: no kernel AIO here (a kernel built without CONFIG_AIO, or an emulator such as qemu-user)';
    case 'EPERM':
      return 'io_setup failed with EPERM: a sandbox (seccomp) forbids kernel AIO';
    default:
      return `io_setup failed with ${name}`;
  }
}

/** An integer setting from the environment, or `fallback` when unset or out of [min, max]. */
function setting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

/**
 * Sets glibc's malloc thresholds for large buffers, once per process (see native/malloc_tuning.cc),
 * unless AIOFS_MALLOC_TUNING=0. Says what was done, for the backend's reason.
 */
function tuneMalloc(binding: NativeBinding): string {
  if (process.env.AIOFS_MALLOC_TUNING === '0') return 'glibc malloc left as it is (AIOFS_MALLOC_TUNING=0)';
  if (binding.tuneMalloc() === 0) return "malloc is not glibc's, left as it is";
  return (
    'glibc malloc keeps large buffers in its heap (M_MMAP_THRESHOLD 32 MiB, M_TRIM_THRESHOLD 64 MiB; ' +
    'AIOFS_MALLOC_TUNING=0 leaves them alone)'
  );
}

interface Decision {
  backend: Backend;
  engine: Engine | null;
  /** A failure that may pass (no descriptor free): not kept, so the next call decides again. */
  passing?: boolean;
}

function decide(): Decision {
  const forced = process.env.AIOFS_BACKEND;
  if (forced === 'node-fs') {
    return { backend: { name: 'node-fs', reason: 'forced by AIOFS_BACKEND=node-fs' }, engine: null };
  }
  if (loaded.binding === null) return { backend: { name: 'node-fs', reason: loaded.reason }, engine: null };
  const depth = setting('AIOFS_QUEUE_DEPTH', DEFAULT_QUEUE_DEPTH, 1, 65536);
  const threads = setting('AIOFS_THREADS', DEFAULT_THREADS, 1, 64);
  const engine = Engine.create(loaded.binding, depth, threads);
  if (typeof engine === 'number') {
    const reason = explainSetupFailure(engine);
    const passing = engine <= -EVENTFD_FAILED && PASSING.has(errnoName(engine + EVENTFD_FAILED));
    return { backend: { name: 'node-fs', reason }, engine: null, passing };
  }
  return {
    backend: {
      name: 'kernel-aio',
      reason:
        `Linux kernel AIO (io_submit) on ${os.release()}, up to ${depth} requests in flight per thread, ` +
        `up to ${threads} threads of its own for buffered writes; ` +
        tuneMalloc(loaded.binding),
    },
    engine,
  };
}

let decision: Decision | undefined;

/** The decision, made on first use and kept, unless it was a failure that may pass. */
function decided(): Decision {
  if (decision !== undefined) return decision;
  const made = decide();
  if (!made.passing) decision = made;
  return made;
}

/** This environment's engine, created on first call; null on the node-fs backend. */
export function engine(): Engine | null {
  return decided().engine;
}

/**
 * The backend this thread uses. Reading it sets up kernel AIO if that has not happened yet.
 * `AIOFS_BACKEND=node-fs` forces the fallback; `AIOFS_QUEUE_DEPTH` sets requests in flight per thread;
 * `AIOFS_THREADS` the threads its context may start for blocking jobs (default 4);
 * `AIOFS_MALLOC_TUNING=0` keeps aiofs from setting glibc's malloc thresholds.
 */
export const backend: Backend = {
  get name() {
    return decided().backend.name;
  },
  get reason() {
    return decided().backend.reason;
  },
  toJSON() {
    return { name: this.name, reason: this.reason };
  },
} as Backend;

/**
 * Counters of this thread's AIO context (io_submit calls, requests in flight, queued, blocking jobs...),
 * or null on the node-fs backend. Asking sets kernel AIO up if nothing has yet.
 */
export function contextStats(): ContextStats | null {
  return engine()?.stats() ?? null;
}

/**
 * Settings of this thread's AIO context. `memoryBudget`: the bytes read-ahead may hold at once across
 * all of this thread's streams (default 64 MiB, or AIOFS_MEMORY_BUDGET). No effect on the node-fs backend.
 */
export function configure(options: { memoryBudget?: number }): void {
  const { memoryBudget } = options;
  if (memoryBudget === undefined) return;
  validateInteger(memoryBudget, 'options.memoryBudget', 0);
  const current = engine();
  if (current !== null) current.budget.limit = memoryBudget;
}
