/**
 * SmallFileReader: a read stream's whole read of a small regular file, in one go, where node's stream
 * would read it in one chunk (no larger than its highWaterMark) and the file fits in what every stream
 * may hold whatever the memory budget (MIN_REQUEST, memory-budget.ts).
 *
 * A cached file is copied on the event loop in one call (preadv2 RWF_NOWAIT, which answers from the
 * page cache or fails at once with EAGAIN: docs/kernel-aio.md, "Small whole files"), a byte past its
 * size so that the same call meets the end of file: the stream has its one chunk and ends, with no
 * DirectFile, no kernel-AIO request and no further fstat. What the page cache misses is read by one
 * read(2) on one of the context's threads (a blocking job), as node's own read would, so the page
 * cache fills for the next reader; a direct read would leave it cold. Both read at the descriptor's own
 * offset and advance it, as node's stream does. A file that turns out longer than its size said (it
 * grew), or a filesystem without RWF_NOWAIT, goes on through the stream's usual reader (handOff).
 *
 * Ownership: the stream owns the descriptor and closes it after stop() has resolved, so a job in flight
 * never has it closed under it. The chunk is this reader's until pushed, then the consumer's.
 */
import type { Readable } from 'node:stream';

import { engine } from './backend';
import { AT_FILE_POSITION, MISSED, loaded } from './binding';
import { systemError } from './errors';
import { errorOrDestroy } from './stream-shell';
import { workOnLoop } from './turn-budget';

/** The parts of node's ReadStream this reader uses. */
export interface SmallFileStream extends Readable {
  bytesRead: number;
}

function endStream(stream: Readable): void {
  if (!stream.destroyed) stream.push(null);
}

export class SmallFileReader {
  readonly #stream: SmallFileStream;
  readonly #fd: number;
  /** The file's size when opened; the read asks for one byte more. */
  readonly #size: number;
  /** Called when the stream's usual reader must go on from the offset reached; `pushed`: whether this pushed anything. */
  readonly #handOff: (pushed: boolean) => void;
  /** The read on a later turn, or the job in flight, until it has settled. */
  #pending: Promise<void> | null = null;
  #started = false;
  /** The chunk is pushed and met the end of file: the next _read ends the stream. */
  #atEnd = false;

  constructor(stream: SmallFileStream, fd: number, size: number, handOff: (pushed: boolean) => void) {
    this.#stream = stream;
    this.#fd = fd;
    this.#size = size;
    this.#handOff = handOff;
  }

  /**
   * _read. The first reads the whole file, on this turn of the loop or a later one (turn-budget.ts),
   * never inside _read itself: a push there that the stream's decoder swallows whole (part of a
   * character) leaves Readable waiting for a read it never asks for. The one after the chunk ends the
   * stream, after this tick, as node's ends it when a later read returns nothing: Readable makes that
   * call before it emits the chunk's 'data', so ending at once would come before whatever the 'data'
   * handler started (a pipe's write error, a destroy). Other calls have nothing to add.
   */
  read(): void {
    if (this.#atEnd) {
      this.#atEnd = false;
      process.nextTick(endStream, this.#stream);
      return;
    }
    if (this.#started) return;
    this.#started = true;
    // A destroyed stream's descriptor is closed once stop() resolves: nothing may read through it then.
    this.#pending = (workOnLoop() ?? Promise.resolve()).then(() => {
      if (!this.#stream.destroyed) this.#copy();
    });
  }

  /** Resolves once nothing reads through the descriptor any more. */
  stop(): Promise<void> {
    return this.#pending ?? Promise.resolve();
  }

  #copy(): void {
    const contents = Buffer.allocUnsafeSlow(this.#size + 1);
    const result = engine()!.readCached(this.#fd, contents, AT_FILE_POSITION);
    if (result >= 0) {
      this.#deliver(contents, result, true);
      return;
    }
    if (result > MISSED) {
      // No RWF_NOWAIT here (EOPNOTSUPP), or an error: the usual reader reads it all, or reports it as it would.
      this.#handOff(false);
      return;
    }
    const done = MISSED - result;
    const rest = contents.subarray(done);
    const binding = loaded.binding!;
    this.#pending = new Promise<number>((resolve) =>
      engine()!.submit(binding.ops.jobPread, this.#fd, rest, AT_FILE_POSITION, 0, resolve),
    ).then((count) => {
      if (this.#stream.destroyed) return;
      if (count >= 0) this.#deliver(contents, done + count, count < rest.length);
      else if (done > 0)
        this.#deliver(contents, done, false); // the error belongs to the next read, which meets it again
      else errorOrDestroy(this.#stream, systemError(count, 'read'));
    });
  }

  /**
   * Pushes the `count` bytes read; when `sawEnd` and the read stopped short of the byte past the size,
   * the next _read ends the stream (at once if nothing was read). Otherwise the stream's usual reader
   * takes over, in place before the push, which may ask it for more at once.
   */
  #deliver(contents: Buffer, count: number, sawEnd: boolean): void {
    const stream = this.#stream;
    stream.bytesRead += count;
    if (!sawEnd || count === contents.length) this.#handOff(count > 0);
    else if (count > 0) this.#atEnd = true;
    if (count > 0) stream.push(contents.subarray(0, count));
    else if (sawEnd) stream.push(null);
  }
}
