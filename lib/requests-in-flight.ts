/**
 * One file's kernel requests in flight: submits them through the context's engine, counts them until
 * their completions come back, and wakes whoever waits for none to be left (a sync, a close).
 *
 * Owns no memory and no descriptor: a request's buffer is its submitter's and the engine holds it
 * until the completion is reaped (engine.ts); this only counts.
 */
import type { Engine } from './engine';

export class RequestsInFlight {
  readonly #engine: Engine;
  #count = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(engine: Engine) {
    this.#engine = engine;
  }

  /** Whether any request is in flight. */
  get busy(): boolean {
    return this.#count > 0;
  }

  /** Submits one request and counts it until its result: bytes or -errno, as Engine.submit gives it. */
  submit(op: number, fd: number, memory: Uint8Array | null, position: number, rwFlags: number): Promise<number> {
    this.begin();
    return new Promise((resolve) => {
      this.#engine.submit(op, fd, memory, position, rwFlags, (result) => {
        this.end();
        resolve(result);
      });
    });
  }

  /** Counts a request submitted by the caller itself (a hot path with a completion of its own)... */
  begin(): void {
    this.#count++;
  }

  /** ...until its completion has come back. */
  end(): void {
    if (--this.#count > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once no request is in flight (at once if none is). */
  idle(): Promise<void> {
    return this.#count === 0 ? Promise.resolve() : new Promise((resolve) => this.#idleWaiters.push(resolve));
  }
}
