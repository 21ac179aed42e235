/**
 * AioWriteStream: fs.WriteStream with write-behind over kernel AIO.
 *
 * It follows node's lib/internal/fs/streams.js step by step (construction and validation, 'open' and
 * 'ready', `pending`, autoClose, `flush`, destroy waiting for I/O before closing the descriptor), so
 * that it is a drop-in. What differs is how a regular file with direct I/O is written: the bytes are
 * copied into aligned staging buffers of `chunkSize`, and each full buffer goes to the kernel as one
 * O_DIRECT write while the stream takes more (write-behind, up to `writeBehind` writes in flight). Only
 * the first buffer (from `start`) and the last can cover partial blocks; DirectFile patches those.
 * Custom `fs` operations, an fs FileHandle, descriptors opened for appending and files without direct
 * I/O (pipes, devices, tmpfs, btrfs) are written exactly as node:fs writes them.
 *
 * Size and errors: the file is grown ahead (fallocate) while the stream writes and trimmed when it
 * finishes. Whatever ends the stream (finish, a failed write, destroy, abort), the file then ends where
 * the written bytes end: at `start` + bytesWritten, or at its old size if that is further. bytesWritten
 * counts the bytes that reached the file, in order, as fs's does.
 *
 * Ownership: the stream owns the descriptor it opened (closed on destroy when autoClose), the DirectFile
 * it attached to it and its staging buffers; a DirectFile borrowed from an AioFileHandle belongs to the
 * handle.
 */
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Writable, type WritableOptions } from 'node:stream';

import { Op } from './binding';
import { allowsWriting, descriptorFlags, filePosition, setFilePosition } from './descriptor';
import type { DirectFile } from './direct-file';
import { ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_STREAM_DESTROYED, ERR_SYSTEM_ERROR, systemError } from './errors';
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
  validateBoolean,
  validateFunction,
  validateInteger,
  type Bag,
} from './validate';

/** Direct writes in flight per stream, by default (chosen with bench/sequential-write.mjs). */
export const DEFAULT_WRITE_BEHIND = 4;
/** Bytes per direct write, by default (chosen with bench/sequential-write.mjs). */
export const DEFAULT_WRITE_CHUNK_SIZE = 1024 * 1024;
/**
 * Bytes a producer may stage through synchronous acknowledgements before one is put off to the next
 * turn of the event loop. A write that only copies into staging memory is acknowledged at once, and
 * node's Writable then emits 'drain' in the same turn, so a producer writing 64 KiB chunks used to fill
 * and stage a whole 1 MiB staging buffer in one turn. Measured with bench/sequential-write.mjs (64 KiB
 * chunks, 5 runs): event-wait p99 1.09 -> 0.73 ms and loop-delay p99 1.15 -> 0.71 ms at 256 KiB
 * (0.71 / 0.81 ms at 64 KiB), throughput unchanged.
 */
const TURN_BUDGET = 256 * 1024;
const kIoDone = Symbol('kIoDone');

/** Options of {@link createWriteStream}: fs.createWriteStream's, and aiofs's own. */
export interface AioWriteStreamOptions extends Omit<WritableOptions, 'write' | 'writev' | 'final' | 'destroy' | 'construct' | 'signal'> {
  flags?: string | number;
  encoding?: BufferEncoding | null;
  fd?: number | FileHandle | AioFileHandle | null;
  mode?: number;
  autoClose?: boolean;
  emitClose?: boolean;
  start?: number;
  highWaterMark?: number;
  /** null is typed as fs.WriteStream's options type it, and rejected at run time as fs rejects it. */
  signal?: AbortSignal | null;
  /** fsync the file (IOCB_CMD_FSYNC) before closing it. */
  flush?: boolean;
  fs?: Partial<StreamFs> | null;
  /** Direct writes in flight at once (write-behind). Default {@link DEFAULT_WRITE_BEHIND}. */
  writeBehind?: number;
  /** Bytes per direct write (a multiple of 4096). Default {@link DEFAULT_WRITE_CHUNK_SIZE}. */
  chunkSize?: number;
}

/** One direct write of the write-behind window, in file order. */
interface Behind {
  /** Bytes of it that have reached the file so far. */
  landed: number;
  /** Undefined while in flight; then null (all written) or the error that stopped it. */
  outcome: Error | null | undefined;
}

class AioWriteStreamBase extends Writable {
  fd: number | null;
  /** The path opened; undefined when an `fd` was given, as with fs (whose types say string | Buffer, as these do). */
  path!: string | Buffer;
  flags: string | number | undefined;
  mode: string | number | undefined;
  start: number | undefined;
  pos: number | undefined;
  bytesWritten = 0;
  flush: boolean;

  #fs: StreamFs;
  #handle: FileHandle | AioFileHandle | undefined;
  /** node:fs's own operations (no `fs` option): the stream may use kernel AIO instead. */
  #nodeFs: boolean;
  #performingIO = false;
  readonly #writeBehind: number;
  readonly #chunkSize: number;
  /** The direct-I/O writer, once attached; null: node:fs writes (exactly as fs.WriteStream does). */
  #direct: DirectFile | null = null;
  #ownsDirect = false;
  /** Where the next staged byte goes in the file, and the bytes staged so far (not yet submitted). */
  #stagePosition = 0;
  #stage: Buffer | null = null;
  #staged = 0;
  readonly #behind: Behind[] = [];
  /** The _write/_writev being staged: its buffers, how far staging got, and its callback. */
  #input: { buffers: Buffer[]; index: number; offset: number; callback: (error?: Error | null) => void } | null = null;
  #resumeScheduled = false;
  /** Bytes staged since a write was last acknowledged on a later turn (see #pump and TURN_BUDGET). */
  #stagedThisTurn = 0;
  /** The first failed write's error: every later write and the end of the stream report it. */
  #failure: Error | null = null;
  /** Settles when the window empties (for _final, sync() and _destroy). */
  #drained: (() => void)[] = [];
  /** Where the stream's first byte went, and the file's size before it wrote (for the final trim). */
  #base = 0;
  #sizeBefore = 0;
  /** Writing at the descriptor's own position (no `start`): keep it advanced as write(2) would. */
  #followsFilePosition = false;
  #finished = false;

  constructor(path: unknown, options?: unknown) {
    const opts: Bag & AioWriteStreamOptions = copyObject(getOptions(options, {}));
    const streamOptions = opts as WritableOptions & Bag;
    // Only buffers are supported.
    streamOptions.decodeStrings = true;
    const target = streamTarget(path, opts);
    const fsOps = target.fs;
    streamOptions.autoDestroy = opts.autoClose === undefined ? true : opts.autoClose;
    if (!fsOps.write && !fsOps.writev) throw new ERR_INVALID_ARG_TYPE('options.fs.write', 'function', fsOps.write);
    if (fsOps.write) validateFunction(fsOps.write, 'options.fs.write');
    if (fsOps.writev) validateFunction(fsOps.writev, 'options.fs.writev');
    if (streamOptions.autoDestroy) validateFunction(fsOps.close, 'options.fs.close');
    let flush = opts.flush as unknown;
    if (flush === null || flush === undefined) {
      flush = false;
    } else {
      validateBoolean(flush, 'options.flush');
      validateFunction(fsOps.fsync, 'options.fs.fsync');
    }
    const start = opts.start;
    if (start !== undefined) validateInteger(start, 'start', 0);
    const writeBehind = opts.writeBehind ?? DEFAULT_WRITE_BEHIND;
    validateInteger(writeBehind, 'options.writeBehind', 1, 1024);
    const chunkSize = opts.chunkSize ?? DEFAULT_WRITE_CHUNK_SIZE;
    validateInteger(chunkSize, 'options.chunkSize', 4096, 64 * 1024 * 1024);
    if (chunkSize % 4096 !== 0) throw new ERR_INVALID_ARG_VALUE('options.chunkSize', chunkSize, 'must be a multiple of 4096');
    // Writable would act on an already-aborted signal inside its constructor, before this class's
    // fields exist: the signal is attached once the stream is complete, as fs's constructor order has it.
    const signal = streamOptions.signal;
    delete streamOptions.signal;
    super(streamOptions);

    this.#fs = fsOps as StreamFs;
    this.fd = target.fd;
    if (target.fd === null) {
      this.path = target.path!; // streamTarget gives a path whenever it gives no fd
      this.flags = opts.flags === undefined ? 'w' : opts.flags;
      this.mode = opts.mode === undefined ? 0o666 : opts.mode;
    }
    // When the FileHandle closes, so does the stream (node's importFd).
    if (target.handle !== undefined) (target.handle as unknown as NodeJS.EventEmitter).on('close', () => this.close());
    this.flush = flush as boolean;
    // It's enough to override either, in which case only one will be used (node's rule).
    if (!fsOps.write) (this as { _write: unknown })._write = null;
    if (!fsOps.writev) (this as { _writev: unknown })._writev = null;
    this.start = start;
    this.pos = start;
    this.#writeBehind = writeBehind;
    this.#chunkSize = chunkSize;
    this.#handle = target.handle;
    this.#nodeFs = target.nodeFs;
    if (opts.encoding) this.setDefaultEncoding(opts.encoding);
    if (signal !== undefined) attachSignal(this, writableState(this), signal as AbortSignal);
  }

  /** True until the file is open, as for fs.WriteStream. */
  get pending(): boolean {
    return this.fd === null;
  }

  /** Whether the descriptor is closed when the stream ends or is destroyed. */
  get autoClose(): boolean {
    return writableState(this).autoDestroy;
  }

  set autoClose(value: boolean) {
    writableState(this).autoDestroy = value;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    constructStream(this, this.#fs, (fd) => this.#attach(fd), callback);
  }

  /**
   * Chooses the writer: write-behind over kernel AIO for a regular file with direct I/O, else node:fs's
   * way. Appending descriptors stay on node:fs: only the kernel can place each append atomically at the
   * end, whoever else writes the file.
   */
  #attach(fd: number): void {
    const handle = this.#handle;
    const flags = descriptorFlags(fd);
    const usable = flags !== null && allowsWriting(flags) && (flags & fs.constants.O_APPEND) === 0;
    if (!usable) return;
    if (handle instanceof AioFileHandle) {
      this.#direct = handle[kDirectFile];
    } else if (handle === undefined && this.#nodeFs) {
      const attached = attachDirect(fd, flags, 'auto');
      if (typeof attached !== 'string') {
        this.#direct = attached;
        this.#ownsDirect = true;
        attached.growForStreaming();
      }
    }
    if (this.#direct === null) return;
    this.#sizeBefore = fs.fstatSync(fd).size;
    if (this.start === undefined) {
      // Like write(2) at the descriptor's position: start there, and move it along.
      this.#followsFilePosition = true;
      this.#base = Math.max(0, filePosition(fd));
    } else {
      this.#base = this.start;
    }
    this.#stagePosition = this.#base;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#direct === null) {
      this.#writeThroughFs('write', [chunk], chunk.length, callback);
      return;
    }
    this.#take([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    const buffers = chunks.map((entry) => entry.chunk);
    if (this.#direct === null) {
      let size = 0;
      for (const buffer of buffers) size += buffer.length;
      this.#writeThroughFs('writev', buffers, size, callback);
      return;
    }
    this.#take(buffers, callback);
  }

  /** Takes the bytes of one _write/_writev: staged and submitted by #pump, acknowledged once all are staged. */
  #take(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.pos !== undefined) for (const buffer of buffers) this.pos += buffer.length;
    this.#input = { buffers, index: 0, offset: 0, callback };
    this.#pump();
  }

  /**
   * Copies input into staging memory and submits each full staging buffer, while fewer than
   * `writeBehind` writes are in flight (otherwise a completion resumes it) and at most one buffer per
   * turn of the event loop: copying and submitting several MiB at once would hold the loop for
   * milliseconds. The write is acknowledged when its last byte is staged: right away if that took no
   * submission and less than TURN_BUDGET bytes were staged since the last deferred acknowledgement,
   * else on the next turn, so a fast producer cannot fill the next megabyte in this one.
   */
  #pump(): void {
    const input = this.#input;
    if (input === null || this.#resumeScheduled) return;
    if (this.#failure !== null) {
      this.#input = null;
      input.callback(this.#failure);
      return;
    }
    let submitted = false;
    while (input.index < input.buffers.length) {
      if (this.#behind.length >= this.#writeBehind) return; // #settle resumes
      if (submitted) {
        this.#resumeNextTurn();
        return;
      }
      const buffer = input.buffers[input.index];
      const stage = (this.#stage ??= this.#direct!.takeMemory(this.#chunkSize));
      // Staging buffers end on multiples of chunkSize, so only the first can start unaligned.
      const room = this.#chunkSize - ((this.#stagePosition + this.#staged) % this.#chunkSize);
      const n = Math.min(room, buffer.length - input.offset);
      buffer.copy(stage, this.#staged, input.offset, input.offset + n);
      this.#staged += n;
      this.#stagedThisTurn += n;
      input.offset += n;
      if (n === room) {
        this.#submitStage();
        submitted = true;
      }
      if (input.offset === buffer.length) {
        input.index++;
        input.offset = 0;
      }
    }
    this.#input = null;
    if (!submitted && this.#stagedThisTurn < TURN_BUDGET) {
      input.callback();
      return;
    }
    this.#stagedThisTurn = 0;
    setImmediate(() => input.callback(this.#failure));
  }

  #resumeNextTurn(): void {
    this.#resumeScheduled = true;
    setImmediate(() => {
      this.#resumeScheduled = false;
      this.#pump();
    });
  }

  /** Sends the staged bytes to the kernel as one direct write (DirectFile patches partial blocks). */
  #submitStage(): void {
    const stage = this.#stage;
    const size = this.#staged;
    if (stage === null || size === 0) return;
    const position = this.#stagePosition;
    this.#stage = null;
    this.#staged = 0;
    this.#stagePosition += size;
    const direct = this.#direct!;
    const entry: Behind = { landed: 0, outcome: undefined };
    this.#behind.push(entry);
    this.#writeAll(direct, stage.subarray(0, size), position, entry).then(() => {
      direct.releaseMemory(stage);
      this.#settle();
    });
  }

  /** node's writeAll for one direct write: short writes go on, up to 5 tries without progress. */
  async #writeAll(direct: DirectFile, data: Buffer, position: number, entry: Behind): Promise<void> {
    let retries = 0;
    while (entry.landed < data.length) {
      const result = await direct.write(data.subarray(entry.landed), position + entry.landed);
      if (result < 0) {
        entry.outcome = systemError(result, 'write');
        return;
      }
      entry.landed += result;
      retries = result > 0 ? 0 : retries + 1;
      if (retries > 5) {
        entry.outcome = new ERR_SYSTEM_ERROR('write failed');
        return;
      }
    }
    entry.outcome = null;
  }

  /** Counts landed bytes in file order, reports the first failure, and lets held-back writes go on. */
  #settle(): void {
    while (this.#behind.length > 0 && this.#behind[0].outcome !== undefined) {
      const head = this.#behind.shift()!;
      if (this.#failure === null) {
        this.bytesWritten += head.landed;
        if (this.#followsFilePosition && this.fd !== null) setFilePosition(this.fd, this.#base + this.bytesWritten);
        if (head.outcome) this.#failure = head.outcome;
      }
    }
    if (this.#input !== null) {
      this.#pump();
    } else if (this.#failure !== null && !this.destroyed && !this.#finished && this.#drained.length === 0) {
      // Nothing to hand the error to (the producer is between writes): report it now, as fs would on
      // that write's completion.
      if (writableState(this).autoDestroy) this.destroy(this.#failure);
      else this.emit('error', this.#failure);
    }
    if (this.#behind.length === 0) for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Resolves once every submitted direct write has settled. */
  #whenDrained(): Promise<void> {
    if (this.#behind.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  override _final(callback: (error?: Error | null) => void): void {
    const direct = this.#direct;
    if (direct === null) {
      callback();
      return;
    }
    this.#submitStage();
    this.#whenDrained()
      .then(() => (this.#failure === null ? direct.quiesce() : 0))
      .then((status) => {
        this.#finished = this.#failure === null && status >= 0;
        // Without autoClose nothing calls _destroy: the writing is over, so let go of the direct
        // descriptor now (the stream's own descriptor stays open for the caller, as with fs).
        if (this.#finished && !writableState(this).autoDestroy) this.#release();
        callback(this.#failure ?? (status < 0 ? systemError(status, 'ftruncate') : null));
      });
  }

  /**
   * Makes everything written so far durable: waits for the writes in flight, then fsync (or fdatasync)
   * through the kernel (IOCB_CMD_FSYNC / IOCB_CMD_FDSYNC). Bytes still buffered by the stream (not yet
   * passed to the file) are not covered; write them with a callback first, or end() with `flush`.
   */
  async sync(options?: { dataOnly?: boolean }): Promise<void> {
    const direct = this.#direct;
    const fd = this.fd;
    if (fd === null || this.destroyed) throw systemError(-9 /* EBADF */, options?.dataOnly ? 'fdatasync' : 'fsync');
    if (direct === null) {
      await new Promise<void>((resolve, reject) =>
        (options?.dataOnly ? fs.fdatasync : fs.fsync)(fd, (error) => (error ? reject(error) : resolve())),
      );
      return;
    }
    this.#submitStage();
    await this.#whenDrained();
    if (this.#failure !== null) throw this.#failure;
    const status = await direct.sync(options?.dataOnly ? Op.Fdsync : Op.Fsync);
    if (status < 0) throw systemError(status, options?.dataOnly ? 'fdatasync' : 'fsync');
  }

  /**
   * node's _write/_writev over writeAll/writevAll: one fs write (or writev) at a time, short writes
   * continued, EAGAIN retried, up to 5 tries without progress.
   */
  #writeThroughFs(method: 'write' | 'writev', buffers: Buffer[], size: number, callback: (error?: Error | null) => void): void {
    this.#performingIO = true;
    this.#writeAllFs(method, buffers, size, this.pos, (error) => {
      this.#performingIO = false;
      callback(error);
      // Tell _destroy() that it's safe to close the fd now.
      if (this.destroyed) this.emit(kIoDone, error ?? null);
    });
    if (this.pos !== undefined) this.pos += size;
  }

  #writeAllFs(
    method: 'write' | 'writev',
    buffers: Buffer[],
    size: number,
    position: number | undefined,
    callback: (error?: Error | null) => void,
    retries = 0,
  ): void {
    const next = (error: NodeJS.ErrnoException | null, written: number, rest: () => Buffer) => {
      // No data currently available and operation should be retried later.
      if (error?.code === 'EAGAIN') {
        error = null;
        written = 0;
      }
      if (this.destroyed || error) {
        callback(error ?? new ERR_STREAM_DESTROYED(method));
        return;
      }
      this.bytesWritten += written;
      retries = written ? 0 : retries + 1;
      size -= written;
      if (retries > 5) callback(new ERR_SYSTEM_ERROR(`${method} failed`));
      else if (size) this.#writeAllFs(method, [rest()], size, position === undefined ? undefined : position + written, callback, retries);
      else callback();
    };
    if (method === 'write') {
      this.#fs.write(this.fd as number, buffers[0], 0, size, position, (error, written, buffer) =>
        next(error, written, () => buffer.subarray(written)),
      );
    } else {
      this.#fs.writev(this.fd as number, buffers, position, (error, written, filled) =>
        next(error, written, () => Buffer.concat(filled).subarray(written)),
      );
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A descriptor must not be closed while the kernel still writes through it: wait for the I/O.
    const direct = this.#direct;
    if (direct !== null) {
      this.#input = null;
      this.#discardStage();
      this.#whenDrained()
        .then(() => direct.quiesce())
        .then((status) => {
          const trimmed = this.#finished ? status : this.#trimToWritten(status);
          const failure = error ?? (trimmed < 0 ? systemError(trimmed, 'ftruncate') : null);
          this.#close(failure, callback);
        });
    } else if (this.#performingIO) {
      this.once(kIoDone, (ioError: Error | null) => this.#close(error ?? ioError, callback));
    } else {
      this.#close(error, callback);
    }
  }

  /** Drops bytes staged but never submitted (a destroyed stream writes nothing more). */
  #discardStage(): void {
    if (this.#stage !== null) this.#direct?.releaseMemory(this.#stage);
    this.#stage = null;
    this.#staged = 0;
  }

  /**
   * After a failure or destroy: the file ends where the bytes counted in bytesWritten end (or keeps its
   * old size if that is further), so a later write that landed past a failed one is not left behind.
   */
  #trimToWritten(status: number): number {
    const fd = this.fd;
    if (status < 0 || fd === null) return status;
    const end = Math.max(this.#sizeBefore, this.#base + this.bytesWritten);
    try {
      if (fs.fstatSync(fd).size > end) fs.ftruncateSync(fd, end);
      this.#direct?.sizeChanged();
      return 0;
    } catch (failure) {
      return (failure as NodeJS.ErrnoException).errno ?? -5;
    }
  }

  #close(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    if (fd === null) {
      this.#release();
      callback(error);
      return;
    }
    const direct = this.#direct;
    const closeFd = (syncError: Error | null) => {
      this.#release();
      this.#fs.close(fd, (closeError) => callback(closeError ?? error ?? syncError));
    };
    if (!this.flush) {
      closeFd(null);
    } else if (direct !== null) {
      direct.sync(Op.Fsync).then((status) => closeFd(status < 0 ? systemError(status, 'fsync') : null));
    } else {
      this.#fs.fsync(fd, (syncError) => closeFd(syncError));
    }
    this.fd = null;
  }

  #release(): void {
    if (this.#ownsDirect) this.#direct?.close();
    this.#direct = null;
  }

  /** Ends the stream; `callback` runs once it has closed, as fs.WriteStream's close(cb). */
  close(callback?: (error?: Error | null) => void): void {
    if (callback) {
      if (this.closed) {
        process.nextTick(callback);
        return;
      }
      this.on('close', callback);
    }
    // If we are not autoClosing, we should call destroy on 'finish'.
    if (!this.autoClose) this.on('finish', this.destroy);
    // end() rather than destroy(), as node does (nodejs/node#2006).
    this.end();
  }

  /** There is no shutdown() for files. */
  destroySoon(): this {
    return this.end();
  }
}

/** The Writable's internal state, where fs.WriteStream keeps autoClose (as autoDestroy). */
function writableState(stream: Writable): StreamState {
  return (stream as unknown as { _writableState: StreamState })._writableState;
}

/** The stream class; callable with or without `new`, like fs.WriteStream. */
export type AioWriteStream = AioWriteStreamBase;

type WriteStreamConstructor = {
  new (path: fs.PathLike | null, options?: BufferEncoding | AioWriteStreamOptions): AioWriteStream;
  (path: fs.PathLike | null, options?: BufferEncoding | AioWriteStreamOptions): AioWriteStream;
  prototype: AioWriteStream;
};

/** fs.WriteStream over kernel AIO. `AioWriteStream(...)` works without `new`, as fs's does. */
export const AioWriteStream = callableClass(AioWriteStreamBase) as unknown as WriteStreamConstructor;

/** fs.createWriteStream over kernel AIO: the same arguments, options, events and errors. */
export function createWriteStream(path: fs.PathLike | null, options?: BufferEncoding | AioWriteStreamOptions): AioWriteStream {
  return new AioWriteStreamBase(path, options);
}
