/**
 * How far one read stream reads ahead: the size of its requests and how many it keeps ahead of its
 * consumer (in flight, or read and not yet taken), adapted to the consumer rather than fixed. A stream
 * starts with one request of 64 KiB and grows only while its consumer takes chunks as fast as they
 * arrive (it asked for data and none was ready: more read-ahead would have had it ready); it shrinks
 * while chunks wait unread, down to one request of 64 KiB, then to none: a consumer slower than that
 * gets its reads on demand (each requested when the stream asks for data, as node's ReadStream reads),
 * so it holds what node's stream holds, its highWaterMark, and a paused one no more. It reads ahead
 * again once the consumer asks within EAGER_MS of the last chunk.
 *
 * Seastar grows its read-ahead from a history of how much of it was used, and glommio keeps a fixed
 * 4 x 128 KiB; here the signal is the consumer itself: whether it waited for data, or data waited for it.
 *
 * Owns nothing: it only counts.
 */

/** The smallest request: what fs.ReadStream reads at a time by default (its highWaterMark). */
export const MIN_REQUEST = 64 * 1024;
/** A chunk taken within this long of arriving was taken at once. */
const EAGER_MS = 1;

export class ReadAhead {
  /** Bytes per request now, between MIN_REQUEST and the stream's chunkSize. */
  #requestSize: number;
  /**
   * Chunks kept ahead of the consumer, between 1 and the stream's readAhead; 0: none, one request at a
   * time when the consumer asks (on demand).
   */
  #depth = 1;
  readonly #maxRequest: number;
  readonly #maxDepth: number;

  constructor(maxRequest: number, maxDepth: number) {
    this.#maxRequest = Math.max(MIN_REQUEST, maxRequest);
    this.#maxDepth = maxDepth;
    this.#requestSize = Math.min(MIN_REQUEST, this.#maxRequest);
  }

  get requestSize(): number {
    return this.#requestSize;
  }

  /** Chunks to keep ahead of the consumer (requested and not yet taken); 0 on demand. */
  get depth(): number {
    return this.#depth;
  }

  /**
   * On demand, the consumer asks for data `sincePushMs` after the last chunk was handed to it: at once
   * (within EAGER_MS) means it keeps up with reads, so read ahead again, one request.
   */
  asked(sincePushMs: number): void {
    if (this.#depth === 0 && sincePushMs <= EAGER_MS) this.#depth = 1;
  }

  /**
   * The consumer asked for data and none was ready: larger requests first, then twice as many in
   * flight. (On demand, it always waits for its request: asked() judges it instead.)
   */
  starved(): void {
    if (this.#depth === 0) return;
    if (this.#requestSize < this.#maxRequest) this.#requestSize = Math.min(this.#maxRequest, this.#requestSize * 2);
    else if (this.#depth < this.#maxDepth) this.#depth = Math.min(this.#maxDepth, this.#depth * 2);
  }

  /**
   * The consumer took a chunk `waitedMs` after it was read, which took `readMs`. Taken at once (within
   * EAGER_MS): the consumer keeps up, and larger requests cost it fewer round trips. Taken later than it
   * took to read (and than EAGER_MS): read-ahead is more than this consumer needs: fewer requests
   * first, then smaller ones, then none ahead (on demand). On demand, chunks are handed on as they
   * arrive: asked() judges the consumer instead.
   */
  taken(waitedMs: number, readMs: number): void {
    if (this.#depth === 0) return;
    if (waitedMs <= EAGER_MS) {
      if (this.#requestSize < this.#maxRequest) this.#requestSize = Math.min(this.#maxRequest, this.#requestSize * 2);
    } else if (waitedMs > Math.max(EAGER_MS, readMs)) {
      if (this.#depth > 1) this.#depth = Math.max(1, this.#depth >> 1);
      else if (this.#requestSize > MIN_REQUEST) this.#requestSize = Math.max(MIN_REQUEST, this.#requestSize >> 1);
      else this.#depth = 0;
    }
  }
}
