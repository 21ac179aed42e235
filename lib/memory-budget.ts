/**
 * One memory budget per AIO context (per thread) for what read-ahead holds: the bytes of every chunk
 * a stream has requested and not yet handed to its consumer. A stream asks before each request. When
 * the budget is spent it waits its turn, and turns go round-robin between the waiting streams, so that
 * streams sharing the context share the device fairly and none starves. A stream that holds nothing
 * may always make one request of the smallest size (64 KiB), so no stream can wait for ever on bytes
 * that other streams hold for consumers that are waiting for it: the budget may be exceeded by that
 * much per such stream.
 *
 * Each stream's read-ahead is also held to its share of the budget (the budget over the streams
 * reading), so that what streams have handed on and their consumers still hold, outside the budget,
 * is bounded alike: with 400 slow clients, each reads ahead in requests of 64 KiB, as fs reads; a
 * stream alone may use the whole budget.
 *
 * The default is 32 MiB; AIOFS_MEMORY_BUDGET (bytes, or with a K, M or G suffix) or
 * configure({ memoryBudget }) set another.
 *
 * Owns nothing but counts: the chunks belong to their streams.
 */
export const DEFAULT_MEMORY_BUDGET = 32 * 1024 * 1024;

export class MemoryBudget {
  #limit: number;
  #used = 0;
  #peak = 0;
  /** Streams waiting for bytes, in the order they will get them (a Set keeps insertion order). */
  readonly #waiting = new Set<() => void>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get limit(): number {
    return this.#limit;
  }

  set limit(bytes: number) {
    this.#limit = bytes;
    this.#wake();
  }

  /** Bytes held now, and the most held at once. */
  get used(): number {
    return this.#used;
  }

  get peak(): number {
    return this.#peak;
  }

  /** Streams reading now (between join() and leave()). */
  #streams = 0;

  join(): void {
    this.#streams++;
  }

  /** A stream's share of the budget: the most it should read ahead. */
  get share(): number {
    return this.#limit / Math.max(1, this.#streams);
  }

  /** Takes `bytes` for a stream that holds `holding` bytes already, if they fit (or it holds none). */
  tryTake(bytes: number, holding: number): boolean {
    if (this.#used + bytes > this.#limit && holding > 0) return false;
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
    return true;
  }

  /** Gives bytes back, and lets the waiting streams try again, in turn. */
  give(bytes: number): void {
    this.#used -= bytes;
    this.#wake();
  }

  /** Calls `resume` (once) when bytes come back and it is this stream's turn; it then asks again. */
  waitTurn(resume: () => void): void {
    this.#waiting.add(resume);
  }

  /** Forgets a stream that stopped reading; `resume` if it was waiting. */
  leave(resume: () => void): void {
    this.#waiting.delete(resume);
  }

  /** A stream stopped reading (see join()). */
  part(): void {
    this.#streams--;
  }

  /** One turn for each stream waiting now, in order, while there is room; one that still finds none waits again, last. */
  #wake(): void {
    for (const resume of [...this.#waiting]) {
      if (this.#used >= this.#limit) return;
      this.#waiting.delete(resume);
      resume();
    }
  }
}

/** AIOFS_MEMORY_BUDGET, parsed: bytes, or with a K, M or G suffix; undefined when unset or unreadable. */
export function budgetFromEnvironment(): number | undefined {
  const match = /^(\d+)([KMG]?)$/i.exec(process.env.AIOFS_MEMORY_BUDGET ?? '');
  if (match === null) return undefined;
  const shift = { '': 0, K: 10, M: 20, G: 30 }[match[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(match[1]) * 2 ** shift;
}
