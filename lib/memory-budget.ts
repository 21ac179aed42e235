import { Account, FairShare } from './fair-share';

/**
 * One memory budget per AIO context (per thread) for what read-ahead holds: the bytes of every chunk
 * a stream has requested and not yet handed to its consumer. A stream asks before each request. When
 * the budget is spent, or the stream is ahead of the others in the device's fair share (fair-share.ts),
 * it waits its turn, and turns go round-robin between the waiting streams, so that none starves. A
 * stream that holds nothing may always make one request of the smallest size (64 KiB), so no stream
 * can wait for ever on bytes that other streams hold for consumers that are waiting for it (or on
 * streams behind it in the fair share): the budget may be exceeded by that much per such stream.
 *
 * Each stream's read-ahead is also held to its share of the budget (the budget over the streams
 * reading), in requests of at most half of it, so that what streams have handed on and their consumers
 * still hold, outside the budget, is bounded alike: with 200 clients or more, each reads ahead in
 * requests of 64 KiB, as fs reads (200 HTTP clients at 2 MiB/s: peak RSS 160 MiB against node:fs's
 * 150, where requests of up to the whole share made it 211); a stream alone may use the whole budget.
 *
 * The default is 32 MiB; AIOFS_MEMORY_BUDGET (bytes, or with a K, M or G suffix) or
 * configure({ memoryBudget }) set another.
 *
 * Owns nothing but counts: the chunks belong to their streams, and each stream's Account to it.
 */
export const DEFAULT_MEMORY_BUDGET = 32 * 1024 * 1024;

export class MemoryBudget {
  #limit: number;
  #used = 0;
  #peak = 0;
  /** Streams waiting their turn, in the order they will get it (a Map keeps insertion order). */
  readonly #waiting = new Map<() => void, Account>();
  readonly #fair = new FairShare();

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

  /** A stream starts reading: it counts in the shares, and its requests go on the returned account. */
  join(): Account {
    this.#streams++;
    return new Account();
  }

  /** A stream's share of the budget: the most it should read ahead. */
  get share(): number {
    return this.#limit / Math.max(1, this.#streams);
  }

  /** Whether the budget is not spent and `account` is inside its fair share: a stream holding nothing may then ask for any size. */
  hasRoom(account: Account): boolean {
    return this.#used < this.#limit && this.#fair.mayRequest(account);
  }

  /**
   * Takes `bytes` for a request `account` sends to the device, for a stream that holds `holding` bytes
   * already, if they fit in the budget and the account is inside its fair share, or the stream holds
   * none. Its completion must be told to settled().
   */
  tryTake(bytes: number, holding: number, account: Account): boolean {
    if (holding > 0 && (this.#used + bytes > this.#limit || !this.#fair.mayRequest(account))) return false;
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
    if (this.#fair.requested(account, bytes)) this.#wake();
    return true;
  }

  /** A request taken for `account` completed (its bytes stay taken until give()). */
  settled(account: Account): void {
    if (this.#fair.settled(account)) this.#wake();
  }

  /** Gives bytes back, and lets the waiting streams try again, in turn. */
  give(bytes: number): void {
    this.#used -= bytes;
    this.#wake();
  }

  /** Calls `resume` (once) when there is room for `account` and it is this stream's turn; it then asks again. */
  waitTurn(resume: () => void, account: Account): void {
    this.#waiting.set(resume, account);
  }

  /** Forgets a stream that stopped reading; `resume` if it was waiting. */
  leave(resume: () => void): void {
    this.#waiting.delete(resume);
  }

  /** A stream stopped reading (see join()). */
  part(): void {
    this.#streams--;
  }

  /**
   * One turn for each stream waiting now, in order, while the budget has room: those inside their fair
   * share take it; one that still finds no room waits again, last.
   */
  #wake(): void {
    for (const [resume, account] of [...this.#waiting]) {
      if (this.#used >= this.#limit) return;
      // A turn taken meanwhile may have woken it already (tryTake wakes when the floor rises).
      if (!this.#waiting.has(resume) || !this.#fair.mayRequest(account)) continue;
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
