/**
 * Fair share of the device between the read streams of one context, by deficit, as Seastar's
 * fair_queue shares a disk between its classes: each stream has an account of the bytes it has
 * requested, and a stream may request more only while it is at most LEAD bytes ahead of the floor,
 * the least any stream with requests at the device ("busy") has requested.
 *
 * Equal requests in flight do not make equal bandwidth: the device and the block layer's elevator
 * serve some files' requests sooner than others' (16 streams of 64 MiB from one disk, each with the
 * same read-ahead: the fastest past 1.25x the median in 5 of 37 runs here, once 3.7x;
 * test/stream-scale.test.ts's fairness case). Holding the ones ahead back is what evens the shares out.
 *
 * Only busy streams set the floor: a stream whose consumer is slow, and so has nothing at the device,
 * holds nobody back. A stream that becomes busy starts at the floor at least: time spent idle earns no
 * credit to spend later at the others' expense. A stream alone is its own floor: it gets the whole device.
 *
 * Owns nothing but counts. memory-budget.ts asks it, and wakes the streams waiting their turn when the
 * floor rises.
 */

/**
 * How far a stream may run ahead of the floor: the read-ahead window a stream alone keeps by default
 * (8 requests of 1 MiB, read-stream.ts), so a stream that leads by a window still has one in flight.
 * Measured with stream-scale-fairness.mjs (16 streams x 64 MiB from the disk, paired runs): at 8 MiB the
 * same aggregate MB/s as without the fair share (medians 2,335 and 2,291 of 8 each, noise +-20%) and the
 * fastest stream at most 1.09x the median; at 4 MiB the fastest at most 1.06x but ~10% less aggregate.
 */
export const LEAD = 8 * 1024 * 1024;

/** One stream's account. */
export class Account {
  /** Bytes requested (raised to the floor when the stream becomes busy). */
  requested = 0;
  /** Requests at the device now. */
  inFlight = 0;
}

export class FairShare {
  readonly #busy = new Set<Account>();
  /** The busy account that has requested least, or null when none is busy. */
  #floor: Account | null = null;

  /** Whether `account` may request more now: it is no more than LEAD ahead of the floor. */
  mayRequest(account: Account): boolean {
    return this.#floor === null || account.requested <= this.#floor.requested + LEAD;
  }

  /** `account` sent a request of `bytes` to the device. Returns whether the floor rose. */
  requested(account: Account, bytes: number): boolean {
    if (account.inFlight++ === 0) {
      if (this.#floor === null) this.#floor = account;
      else if (account.requested < this.#floor.requested) account.requested = this.#floor.requested;
      this.#busy.add(account);
    }
    account.requested += bytes;
    return account === this.#floor && this.#findFloor();
  }

  /** One of `account`'s requests completed. Returns whether the floor rose. */
  settled(account: Account): boolean {
    if (--account.inFlight > 0) return false;
    this.#busy.delete(account);
    return account === this.#floor && this.#findFloor();
  }

  /**
   * The floor's account moved up or left, so the floor may have risen: find it again. Only then:
   * every other busy account is at or above it (joiners are raised to it).
   */
  #findFloor(): true {
    let least: Account | null = null;
    for (const account of this.#busy) if (least === null || account.requested < least.requested) least = account;
    this.#floor = least;
    return true;
  }
}
