/**
 * The writes in flight over one file, each over the whole pages it touches (or direct-I/O blocks, when
 * larger): a read of those pages waits for the write, so that it neither sees half of it nor meets pages
 * the write is dirtying (a direct read would write them back inside io_submit: docs/kernel-aio.md).
 *
 * Owns nothing: a lock is its writer's until the writer calls the release it was given.
 */
import { alignDown, alignUp } from './aligned-buffer';

/** The page cache's unit: writes lock whole pages. */
const PAGE_SIZE = 4096;

/** A write in flight over [start, end). */
interface WriteLock {
  start: number;
  end: number;
  released: Promise<void>;
}

export class PageLocks {
  readonly #unit: number;
  readonly #locks = new Set<WriteLock>();

  /** `offsetAlign`: the file's direct-I/O offset alignment; a lock covers whole units of the larger unit. */
  constructor(offsetAlign: number) {
    this.#unit = Math.max(offsetAlign, PAGE_SIZE);
  }

  /** Whether any write holds a lock. */
  get held(): boolean {
    return this.#locks.size > 0;
  }

  /** Locks the pages of [position, position + length) for a write; returns its release. */
  lock(position: number, length: number): () => void {
    const [start, end] = this.#span(position, length);
    let release!: () => void;
    const lock: WriteLock = { start, end, released: new Promise<void>((resolve) => (release = resolve)) };
    this.#locks.add(lock);
    return () => {
      this.#locks.delete(lock);
      release();
    };
  }

  /** Resolves once no write holds a lock on the pages of [position, position + length). */
  async whenFree(position: number, length: number): Promise<void> {
    const [start, end] = this.#span(position, length);
    for (;;) {
      let busy: WriteLock | undefined;
      for (const lock of this.#locks) {
        if (lock.start < end && start < lock.end) busy = lock;
      }
      if (busy === undefined) return;
      await busy.released;
    }
  }

  /** Resolves once every lock held now is released. */
  async allReleased(): Promise<void> {
    await Promise.all([...this.#locks].map((lock) => lock.released));
  }

  #span(position: number, length: number): [number, number] {
    return [alignDown(position, this.#unit), alignUp(position + length, this.#unit)];
  }
}
