/**
 * The read-ahead data path of one read stream: chunk requests in flight through the stream's file
 * (stream-file.ts), pushed in file order. How many, and how large, ReadAhead decides (read-ahead.ts) from
 * how the consumer keeps up; every requested byte counts against the context's memory budget
 * (memory-budget.ts) until it is pushed, and the device's fair share (fair-share.ts) orders the streams
 * that wait for room.
 *
 * Ownership: the chunks are this reader's until pushed, then the consumer's. Their bytes are taken from
 * the budget when requested and given back when pushed, or when dropped (end of file, stop). The file
 * is the stream's (stop() hands it to StreamFile.stop, which closes it if the stream's own).
 */
import type { Readable } from 'node:stream';

import { loaded } from './binding';
import { filePosition, setFilePosition } from './descriptor';
import { systemError } from './errors';
import type { Account } from './fair-share';
import type { MemoryBudget } from './memory-budget';
import { MIN_REQUEST, ReadAhead } from './read-ahead';
import { errorOrDestroy } from './stream-shell';
import type { StreamFile } from './stream-file';

/** The parts of node's ReadStream that the data path uses. */
export interface ReadStreamFields extends Readable {
  fd: number | null;
  start: number | undefined;
  end: number;
  pos: number | undefined;
  bytesRead: number;
}

/** How far one stream may read ahead: its `readAhead` (requests) and `chunkSize` (largest request). */
export interface ReadAheadLimits {
  readAhead: number;
  chunkSize: number;
}

/** `size` (a power of two times MIN_REQUEST), halved until it fits in `share`, but at least MIN_REQUEST. */
function fitted(size: number, share: number): number {
  while (size > share && size > MIN_REQUEST) size /= 2;
  return size;
}

/** One chunk request of the read-ahead window, in file order. */
interface Ahead {
  position: number;
  length: number;
  result: Buffer | number | undefined;
  /** The consumer asked for this chunk before it arrived (counted once, as one starve). */
  awaited: boolean;
  /** When it was requested, and how long the read took (performance.now(), ms). */
  requestedAt: number;
  readMs: number;
}

/** The file's size now; on failure, unknown (Infinity: requests then find the end as fs's reads do). */
function fileSizeOf(fd: number): number {
  const size = loaded.binding!.fileSize(fd);
  return size < 0 ? Infinity : size;
}

export class DirectReader {
  readonly #stream: ReadStreamFields;
  readonly #file: StreamFile;
  readonly #readAhead: ReadAhead;
  readonly #budget: MemoryBudget;
  /** This stream's account in the device's fair share (fair-share.ts). */
  readonly #account: Account;
  readonly #window: Ahead[] = [];
  /** Bytes of the window's chunks (requested, not yet pushed), all taken from the budget. */
  #held = 0;
  #waitingTurn = false;
  /** Counted among the budget's streams (from construction to end or stop). */
  #inBudget = false;
  readonly #resume = (): void => {
    this.#waitingTurn = false;
    this.#deliver();
  };
  /** Next file offset to request, and the first offset not to read (end + 1, absolute). */
  #next: number;
  readonly #limit: number;
  /** The file's size as last asked (fstat): requests stop there, so a small file costs one small read. */
  #size: number;
  /** Reading at the descriptor's own position (no `start`): keep it advanced as read(2) would. */
  readonly #followsFilePosition: boolean;
  #wantsData = false;
  /** When the last chunk was pushed (performance.now(), ms): how soon the consumer asks again tells its pace. */
  #pushedAt = 0;
  #ended = false;
  #stopped = false;

  /** `fd`: the stream's descriptor; `size`: the file's size, when the caller has just learned it. */
  constructor(
    stream: ReadStreamFields,
    file: StreamFile,
    fd: number,
    limits: ReadAheadLimits,
    budget: MemoryBudget,
    size?: number,
  ) {
    this.#stream = stream;
    this.#file = file;
    this.#readAhead = new ReadAhead(limits.chunkSize, limits.readAhead);
    this.#budget = budget;
    this.#account = budget.join();
    this.#inBudget = true;
    this.#followsFilePosition = stream.start === undefined;
    this.#next = stream.start ?? Math.max(0, filePosition(fd));
    this.#limit = stream.end === Infinity ? Infinity : (stream.start === undefined ? this.#next : 0) + stream.end + 1;
    this.#size = size ?? fileSizeOf(fd);
  }

  read(size: number): void {
    // node's rule, kept for the same outcome: nothing left to ask for (a highWaterMark of 0 included) ends it.
    const stream = this.#stream;
    const wanted = Math.min(stream.end - (stream.pos ?? stream.bytesRead) + 1, size);
    if (wanted <= 0) {
      this.#end();
      return;
    }
    this.#readAhead.asked(performance.now() - this.#pushedAt);
    this.#wantsData = true;
    this.#deliver();
  }

  /**
   * Stops issuing requests, gives their bytes back, and stops the stream's file: its own file's requests
   * are cancelled (those still queued end at once; regular files refuse the rest, which run to
   * completion), waited for, and the file closed.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#budget.leave(this.#resume);
    this.#leaveBudget();
    this.#drop();
    await this.#file.stop(true);
  }

  /** The end of the stream: no more reads, and no more share of the budget. */
  #end(): void {
    this.#ended = true;
    this.#leaveBudget();
    this.#stream.push(null);
  }

  #leaveBudget(): void {
    if (this.#inBudget) this.#budget.part();
    this.#inBudget = false;
  }

  /** Voids the window (end of file moved, or stop): its requests settle unseen, their bytes go back. */
  #drop(): void {
    this.#window.length = 0;
    this.#budget.give(this.#held);
    this.#held = 0;
  }

  /** Pushes settled chunks in file order while the consumer wants data, and keeps the window full. */
  #deliver(): void {
    const stream = this.#stream;
    for (;;) {
      this.#fill();
      if (!this.#wantsData || this.#ended || this.#stopped || stream.destroyed) return;
      const head = this.#window[0];
      if (head === undefined) {
        // Nothing requested: either the whole range is, and this is the end, or the budget is spent
        // and the stream waits its turn.
        if (this.#waitingTurn) return;
        this.#end();
        return;
      }
      if (head.result === undefined) {
        // The consumer waits for data: more read-ahead would have had it ready.
        if (!head.awaited) this.#readAhead.starved();
        head.awaited = true;
        return; // its completion calls #deliver again
      }
      this.#readAhead.taken(performance.now() - head.requestedAt - head.readMs, head.readMs);
      this.#window.shift();
      this.#held -= head.length;
      this.#budget.give(head.length);
      const result = head.result;
      if (typeof result === 'number') {
        this.#drop();
        errorOrDestroy(this.#stream, systemError(result, 'read'));
        return;
      }
      if (result.length === 0) {
        this.#end();
        return;
      }
      if (stream.pos !== undefined) stream.pos += result.length;
      stream.bytesRead += result.length;
      if (result.length < head.length) {
        // End of file as of this read: what was read ahead is void (the file may still grow, as fs
        // would see); reading goes on from here, which ends the stream if nothing more is there.
        this.#drop();
        this.#next = head.position + result.length;
      }
      if (this.#followsFilePosition && stream.fd !== null) setFilePosition(stream.fd, head.position + result.length);
      this.#pushedAt = performance.now();
      this.#wantsData = stream.push(result);
    }
  }

  /** Issues chunk requests as ReadAhead and the budget allow, until the range is covered. */
  #fill(): void {
    if (this.#ended || this.#stopped || this.#stream.destroyed) return;
    if (this.#waitingTurn) {
      // A stream that waits its turn holding nothing may always ask (memory-budget.ts): it must not wait
      // for bytes that other streams hold, perhaps for a consumer that waits for this stream.
      if (this.#held > 0) return;
      this.#budget.leave(this.#resume);
      this.#waitingTurn = false;
    }
    // Cache hits are memory copies done on the event loop (or inside io_submit): one at a time is
    // fastest (measured: 1 GiB cached, 1 MiB chunks, ~7 GB/s with one in flight, ~3.5-4 GB/s with 4)
    // and keeps each stall of the event loop to one chunk's copy.
    // Read-ahead within this stream's share of the budget: no more requests than fit in it, each at most
    // half of it, so a chunk handed on (in the Readable's buffer, or in a socket's write) costs at most
    // that much again outside the budget.
    // On demand (depth 0): one request, only while the consumer wants data.
    const share = this.#budget.share;
    const depth =
      this.#readAhead.depth === 0
        ? Number(this.#wantsData)
        : this.#file.direct.mayServeFromCache
          ? 1
          : Math.max(1, Math.min(this.#readAhead.depth, Math.floor(share / this.#readAhead.requestSize)));
    // At the size last seen, ask again: the file may have grown, as fs's next read would find.
    if (this.#next >= this.#size && this.#window.length === 0) this.#size = fileSizeOf(this.#stream.fd as number);
    while (this.#window.length < depth && this.#next < this.#limit && this.#next < this.#size) {
      // Requests end on multiples of their size, so only the first can start unaligned.
      // Without room (the budget spent, or ahead in the fair share), a stream holding nothing asks for the
      // smallest request only: the exemption that keeps it moving costs the budget at most MIN_REQUEST
      // per such stream.
      const size =
        this.#held === 0 && !this.#budget.hasRoom(this.#account) ? MIN_REQUEST : fitted(this.#readAhead.requestSize, share / 2);
      const length = Math.min(this.#next - (this.#next % size) + size, this.#limit, this.#size) - this.#next;
      if (!this.#budget.tryTake(length, this.#held, this.#account)) {
        this.#waitingTurn = true;
        this.#budget.waitTurn(this.#resume, this.#account);
        return;
      }
      this.#held += length;
      const ahead: Ahead = {
        position: this.#next,
        length,
        result: undefined,
        awaited: false,
        requestedAt: performance.now(),
        readMs: 0,
      };
      this.#window.push(ahead);
      this.#next += length;
      this.#file.requests.begin();
      this.#file.direct.readChunk(ahead.position, length).then((result) => {
        this.#budget.settled(this.#account);
        this.#file.requests.end();
        ahead.result = result;
        ahead.readMs = performance.now() - ahead.requestedAt;
        // A voided request (after a short read, or destroy) settles unseen.
        if (this.#window[0] === ahead) this.#deliver();
      });
    }
  }
}
