/**
 * AioReadStream: fs.ReadStream with read-ahead over kernel AIO.
 *
 * It follows node's lib/internal/fs/streams.js step by step (construction and validation, 'open' and
 * 'ready', `pending`, autoClose, destroy waiting for I/O before closing the descriptor), so that it is a
 * drop-in. What differs is how a regular file with direct I/O is read: several aligned chunk requests
 * are kept in flight (read-ahead) through a DirectFile, and each chunk is pushed without a copy (a view
 * of the memory it was read into). Custom `fs` operations, an fs FileHandle, and files without direct
 * I/O (pipes, devices, /proc, tmpfs) are read exactly as node:fs reads them.
 *
 * Ownership: the stream owns the descriptor it opened (closed on destroy when autoClose) and the
 * DirectFile it attached to it; a DirectFile borrowed from an AioFileHandle belongs to the handle.
 */
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable, finished, type ReadableOptions } from 'node:stream';

import { allowsReading, descriptorFlags, filePosition, setFilePosition } from './descriptor';
import type { CachePolicy, DirectFile } from './direct-file';
import { ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE, systemError } from './errors';
import { AioFileHandle, attachDirect, kDirectFile } from './file-handle';
import {
  attachSignal,
  callableClass,
  constructStream,
  copyObject,
  streamTarget,
  type StreamFs,
  type StreamState,
} from './stream-support';
import {
  getOptions,
  validateFunction,
  validateInteger,
  type Bag,
} from './validate';

/** Requests in flight per stream, by default (chosen with bench/sequential-read.mjs). */
export const DEFAULT_READ_AHEAD = 8;
/** Bytes per request, by default (chosen with bench/sequential-read.mjs). */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
const kIoDone = Symbol('kIoDone');

/** Options of {@link createReadStream}: fs.createReadStream's, and aiofs's own. */
export interface AioReadStreamOptions extends Omit<ReadableOptions, 'read' | 'destroy' | 'construct' | 'encoding' | 'signal'> {
  flags?: string | number;
  encoding?: BufferEncoding | null;
  fd?: number | FileHandle | AioFileHandle | null;
  mode?: number;
  autoClose?: boolean;
  emitClose?: boolean;
  start?: number;
  end?: number;
  highWaterMark?: number;
  /** null is typed as fs.ReadStream's options type it, and rejected at run time as fs rejects it. */
  signal?: AbortSignal | null;
  fs?: Partial<StreamFs> | null;
  /** Requests in flight at once (read-ahead). Default {@link DEFAULT_READ_AHEAD}. */
  readAhead?: number;
  /** Bytes per request; rounded up to the file's alignment. Default {@link DEFAULT_CHUNK_SIZE}. */
  chunkSize?: number;
  /**
   * 'auto' (default): the page cache first (RWF_NOWAIT), misses by O_DIRECT. 'bypass': always O_DIRECT,
   * so streaming a huge file leaves other files' cached pages alone.
   */
  cache?: CachePolicy;
}

/** One chunk request of the read-ahead window, in file order. */
interface Ahead {
  position: number;
  length: number;
  result: Buffer | number | undefined;
}

class AioReadStreamBase extends Readable {
  fd: number | null;
  /** The path opened; undefined when an `fd` was given, as with fs (whose types say string | Buffer, as these do). */
  path!: string | Buffer;
  flags: string | number | undefined;
  mode: string | number | undefined;
  start: number | undefined;
  end: number;
  pos: number | undefined;
  bytesRead = 0;

  #fs: StreamFs;
  #handle: FileHandle | AioFileHandle | undefined;
  /** node:fs's own operations (no `fs` option): the stream may use kernel AIO instead. */
  #nodeFs: boolean;
  #performingIO = false;
  readonly #readAhead: number;
  readonly #chunkSize: number;
  readonly #cache: CachePolicy;
  /** The direct-I/O reader, once attached; null: node:fs reads (exactly as fs.ReadStream does). */
  #direct: DirectFile | null = null;
  #ownsDirect = false;
  readonly #window: Ahead[] = [];
  /** Next file offset to request, and the first offset not to read (end + 1, absolute). */
  #next = 0;
  #limit = Infinity;
  /** Reading at the descriptor's own position (no `start`): keep it advanced as read(2) would. */
  #followsFilePosition = false;
  #wantsData = false;
  #ended = false;

  constructor(path: unknown, options?: unknown) {
    const opts: Bag & AioReadStreamOptions = copyObject(getOptions(options, {}));
    const streamOptions = opts as ReadableOptions & Bag;
    if (opts.highWaterMark === undefined) streamOptions.highWaterMark = 64 * 1024;
    if (opts.autoDestroy === undefined) streamOptions.autoDestroy = false;
    const target = streamTarget(path, opts);
    const fsOps = target.fs;
    streamOptions.autoDestroy = opts.autoClose === undefined ? true : opts.autoClose;
    validateFunction(fsOps.read, 'options.fs.read');
    if (streamOptions.autoDestroy) validateFunction(fsOps.close, 'options.fs.close');
    const start = opts.start;
    let end = opts.end;
    if (start !== undefined) validateInteger(start, 'start', 0);
    if (end === undefined) {
      end = Infinity;
    } else if (end !== Infinity) {
      validateInteger(end, 'end', 0);
      if (start !== undefined && start > end) throw new ERR_OUT_OF_RANGE('start', `<= "end" (here: ${end})`, start);
    }
    const readAhead = opts.readAhead ?? DEFAULT_READ_AHEAD;
    validateInteger(readAhead, 'options.readAhead', 1, 1024);
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
    validateInteger(chunkSize, 'options.chunkSize', 4096, 64 * 1024 * 1024);
    const cache = opts.cache ?? 'auto';
    if (cache !== 'auto' && cache !== 'bypass') throw new ERR_INVALID_ARG_VALUE('options.cache', cache, "must be 'auto' or 'bypass'");
    // Readable would act on an already-aborted signal inside its constructor, before this class's
    // fields exist: the signal is attached once the stream is complete, as fs's constructor order has it.
    const signal = streamOptions.signal;
    delete streamOptions.signal;
    super(streamOptions);

    this.#fs = fsOps as StreamFs;
    this.#handle = target.handle;
    this.#nodeFs = target.nodeFs;
    this.fd = target.fd;
    if (target.fd === null) {
      this.path = target.path!; // streamTarget gives a path whenever it gives no fd
      this.flags = opts.flags === undefined ? 'r' : opts.flags;
      this.mode = opts.mode === undefined ? 0o666 : opts.mode;
    }
    // When the FileHandle closes, so does the stream (node's importFd).
    if (target.handle !== undefined) (target.handle as unknown as NodeJS.EventEmitter).on('close', () => this.close());
    this.start = start;
    this.end = end;
    this.pos = start;
    this.#readAhead = readAhead;
    this.#chunkSize = chunkSize;
    this.#cache = cache;
    if (signal !== undefined) attachSignal(this, readableState(this), signal as AbortSignal);
  }

  /** True until the file is open, as for fs.ReadStream. */
  get pending(): boolean {
    return this.fd === null;
  }

  /** Whether the descriptor is closed when the stream ends or is destroyed. */
  get autoClose(): boolean {
    return readableState(this).autoDestroy;
  }

  set autoClose(value: boolean) {
    readableState(this).autoDestroy = value;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    constructStream(this, this.#fs, (fd) => this.#attach(fd), callback);
  }

  /** Chooses the reader: read-ahead over kernel AIO for a regular file with direct I/O, else node:fs's way. */
  #attach(fd: number): void {
    const handle = this.#handle;
    const flags = descriptorFlags(fd);
    // A write-only descriptor is read through fs, which fails as read(2) does (EBADF).
    const readable = flags !== null && allowsReading(flags);
    if (handle instanceof AioFileHandle) {
      if (readable) this.#direct = handle[kDirectFile];
    } else if (handle === undefined && this.#nodeFs) {
      const attached = readable ? attachDirect(fd, flags, this.#cache) : null;
      if (attached !== null && typeof attached !== 'string') {
        this.#direct = attached;
        this.#ownsDirect = true;
      }
    }
    if (this.#direct === null) return;
    if (this.start === undefined) {
      // Like read(2) at the descriptor's position: start there, and move it along.
      this.#followsFilePosition = true;
      this.#next = Math.max(0, filePosition(fd));
      this.#limit = this.end === Infinity ? Infinity : this.#next + this.end + 1;
    } else {
      this.#next = this.start;
      this.#limit = this.end === Infinity ? Infinity : this.end + 1;
    }
  }

  override _read(size: number): void {
    if (this.#direct === null) {
      this.#readThroughFs(size);
      return;
    }
    // fs's rule, kept for the same outcome: nothing left to ask for (a highWaterMark of 0 included) ends it.
    if (this.#wanted(size) <= 0) {
      this.#ended = true;
      this.push(null);
      return;
    }
    this.#wantsData = true;
    this.#deliver();
  }

  /** Pushes settled chunks in file order while the consumer wants data, and keeps the window full. */
  #deliver(): void {
    for (;;) {
      this.#fill();
      if (!this.#wantsData || this.#ended || this.destroyed) return;
      const head = this.#window[0];
      if (head === undefined) {
        // #fill issues nothing only once the whole range is requested: this is the end.
        this.#ended = true;
        this.push(null);
        return;
      }
      if (head.result === undefined) return; // its completion calls #deliver again
      this.#window.shift();
      const result = head.result;
      if (typeof result === 'number') {
        this.#window.length = 0;
        this.#fail(systemError(result, 'read'));
        return;
      }
      if (result.length === 0) {
        this.#ended = true;
        this.push(null);
        return;
      }
      if (this.pos !== undefined) this.pos += result.length;
      this.bytesRead += result.length;
      if (result.length < head.length) {
        // End of file as of this read: what was read ahead is void (the file may still grow, as fs
        // would see); reading goes on from here, which ends the stream if nothing more is there.
        this.#window.length = 0;
        this.#next = head.position + result.length;
      }
      if (this.#followsFilePosition && this.fd !== null) setFilePosition(this.fd, head.position + result.length);
      this.#wantsData = this.push(result);
    }
  }

  /** As node's errorOrDestroy: destroy when autoClose, else only report. */
  #fail(error: Error): void {
    if (readableState(this).autoDestroy) this.destroy(error);
    else this.emit('error', error);
  }

  /** Issues chunk requests until `readAhead` are in flight or the range is covered. */
  #fill(): void {
    const direct = this.#direct;
    if (direct === null || this.#ended || this.destroyed) return;
    // Cache hits are memory copies done inside io_submit: one at a time is fastest (measured: 1 GiB
    // cached, 1 MiB chunks, ~7 GB/s with one in flight, ~3.5-4 GB/s with 4) and keeps each stall of the
    // event loop to one chunk's copy. The first request goes alone too; misses widen the window.
    const depth = direct.mayServeFromCache ? 1 : this.#readAhead;
    while (this.#window.length < depth && this.#next < this.#limit) {
      // Chunks end on multiples of chunkSize, so only the first can start unaligned.
      const boundary = this.#next - (this.#next % this.#chunkSize) + this.#chunkSize;
      const length = Math.min(boundary, this.#limit) - this.#next;
      const ahead: Ahead = { position: this.#next, length, result: undefined };
      this.#window.push(ahead);
      this.#next += length;
      direct.readChunk(ahead.position, length).then((result) => {
        ahead.result = result;
        // A voided request (after a short read, or destroy) settles unseen.
        if (this.#window[0] === ahead) this.#deliver();
      });
    }
  }

  /** node's ReadStream._read, unchanged: one fs.read at a time. */
  /** How many bytes fs's _read would ask for now. */
  #wanted(size: number): number {
    return Math.min(this.end - (this.pos ?? this.bytesRead) + 1, size);
  }

  #readThroughFs(size: number): void {
    const n = this.#wanted(size);
    if (n <= 0) {
      this.push(null);
      return;
    }
    const buffer = Buffer.allocUnsafeSlow(n);
    this.#performingIO = true;
    this.#fs.read(this.fd as number, buffer, 0, n, this.pos ?? null, (error, bytesRead, filled) => {
      this.#performingIO = false;
      // Tell _destroy() that it is safe to close the fd now.
      if (this.destroyed) {
        this.emit(kIoDone, error);
        return;
      }
      if (error) {
        this.#fail(error);
      } else if (bytesRead > 0) {
        if (this.pos !== undefined) this.pos += bytesRead;
        this.bytesRead += bytesRead;
        // Copy rather than slice a short read, so a small chunk does not keep a large buffer alive.
        this.push(bytesRead !== filled.length ? Buffer.from(filled.subarray(0, bytesRead)) : filled);
      } else {
        this.push(null);
      }
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A descriptor must not be closed while the kernel still reads through it: wait for the I/O.
    const direct = this.#direct;
    if (direct !== null) {
      this.#window.length = 0;
      direct.quiesce().then(() => this.#close(error, callback));
    } else if (this.#performingIO) {
      this.once(kIoDone, (ioError: Error | null) => this.#close(error ?? ioError, callback));
    } else {
      this.#close(error, callback);
    }
  }

  #close(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#ownsDirect) this.#direct?.close();
    this.#direct = null;
    if (this.fd === null) {
      callback(error);
      return;
    }
    this.#fs.close(this.fd, (closeError) => callback(closeError ?? error));
    this.fd = null;
  }

  /** Destroys the stream; `callback` runs once it has closed, as fs.ReadStream's close(cb). */
  close(callback?: (error?: Error | null) => void): void {
    if (typeof callback === 'function') finished(this, callback);
    this.destroy();
  }
}

/** The Readable's internal state, where fs.ReadStream keeps autoClose (as autoDestroy). */
function readableState(stream: Readable): StreamState {
  return (stream as unknown as { _readableState: StreamState })._readableState;
}

/** The stream class; callable with or without `new`, like fs.ReadStream. */
export type AioReadStream = AioReadStreamBase;

type ReadStreamConstructor = {
  new (path: fs.PathLike | null, options?: BufferEncoding | AioReadStreamOptions): AioReadStream;
  (path: fs.PathLike | null, options?: BufferEncoding | AioReadStreamOptions): AioReadStream;
  prototype: AioReadStream;
};

/** fs.ReadStream over kernel AIO. `AioReadStream(...)` works without `new`, as fs's does. */
export const AioReadStream = callableClass(AioReadStreamBase) as unknown as ReadStreamConstructor;

/** fs.createReadStream over kernel AIO: the same arguments, options, events and errors. */
export function createReadStream(path: fs.PathLike | null, options?: BufferEncoding | AioReadStreamOptions): AioReadStream {
  return new AioReadStreamBase(path, options);
}
