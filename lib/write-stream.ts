/**
 * AioWriteStream: node's fs.WriteStream, with its data path over kernel AIO.
 *
 * AioWriteStream is a Node-style constructor that runs node's own WriteStream constructor (as it was
 * when aiofs loaded) on the new object, and inherits node's WriteStream.prototype. So construction,
 * option validation, 'open' and 'ready', `pending`, autoClose, `flush`, an overridden open(), a custom
 * `fs`, a FileHandle `fd`, close(), destroySoon() and every error are node's own, on whatever Node runs
 * aiofs; old-style subclasses work as with node's.
 *
 * aiofs stands in front of three methods. _write and _writev write through a DirectFile when the stream
 * writes a regular file through node:fs's own operations or an AioFileHandle (not an appending
 * descriptor: only the kernel can place each append atomically at the end), and run node's own
 * otherwise. As with node's, a write's callback runs once its bytes are in the file, so a reader sees
 * exactly the acknowledged bytes; speed comes from Writable coalescing the chunks queued meanwhile into
 * one _writev, which DirectFile splits into requests in flight together. _destroy waits for the writes
 * in flight before node's _destroy (which fsyncs when `flush`, then closes the descriptor).
 * aiofs/register installs the same methods on node's WriteStream.prototype.
 *
 * Ownership: the descriptor is node's business, as for the read stream. A DirectFile the stream attached
 * to its own descriptor belongs to the stream and is closed before node's _destroy runs; one borrowed
 * from an AioFileHandle belongs to the handle.
 */
import fs = require('node:fs');
import { constants } from 'node:os';
import type { FileHandle } from 'node:fs/promises';
import type { Writable, WritableOptions } from 'node:stream';

import { allowsWriting, descriptorFlags, filePosition, setFilePosition } from './descriptor';
import { attachDirect, kDirectFile, type DirectFile } from './direct-file';
import { ERR_STREAM_DESTROYED, ERR_SYSTEM_ERROR, systemError } from './errors';
import {
  NodeWriteStream,
  nodeFs,
  nodeWrite,
  nodeWritev,
  nodeWriteDestroy,
  streamHandle,
  streamOperations,
} from './node-originals';
import { MAX_PLAIN_POSITION } from './plain-arguments';
import { inheritNodeStream } from './stream-class';

/** Options of {@link createWriteStream}: fs.createWriteStream's. */
export interface AioWriteStreamOptions extends Omit<
  WritableOptions,
  'write' | 'writev' | 'final' | 'destroy' | 'construct' | 'signal'
> {
  flags?: string | number;
  encoding?: BufferEncoding | null;
  fd?: number | FileHandle | null;
  mode?: number;
  autoClose?: boolean;
  emitClose?: boolean;
  start?: number;
  highWaterMark?: number;
  /** null is typed as fs.WriteStream's options type it, and rejected at run time as fs rejects it. */
  signal?: AbortSignal | null;
  /** fsync the file before closing it. */
  flush?: boolean;
  fs?: Partial<Record<'open' | 'write' | 'writev' | 'close' | 'fsync', unknown>> | null;
}

/** The stream's writer: undefined until its first write, then a DirectWriter or null (node writes). */
const kWriter = Symbol('aiofs.writer');

/** The parts of node's WriteStream that the data path uses. */
interface NodeWriteStreamFields extends Writable {
  fd: number | null;
  flush: boolean;
  start: number | undefined;
  pos: number | undefined;
  bytesWritten: number;
  [kWriter]?: DirectWriter | null;
}

type Callback = (error?: Error | null) => void;

/** The stream class: node's fs.WriteStream with aiofs's data path. */
export interface AioWriteStream extends fs.WriteStream {
  /**
   * Makes every write acknowledged so far durable (aiofs's own): waits for the writes in flight, then
   * fsync(2), or fdatasync(2) with `dataOnly`, through kernel AIO (IOCB_CMD_FSYNC / IOCB_CMD_FDSYNC)
   * where the stream writes through aiofs, else through node:fs.
   */
  sync(options?: { dataOnly?: boolean }): Promise<void>;
}

type WriteStreamConstructor = {
  new (path: fs.PathLike | null, options?: BufferEncoding | AioWriteStreamOptions): AioWriteStream;
  (path: fs.PathLike | null, options?: BufferEncoding | AioWriteStreamOptions): AioWriteStream;
  prototype: AioWriteStream;
};

/**
 * fs.WriteStream over kernel AIO. Callable without `new`, and from old-style subclasses, as node's is; named
 * WriteStream, as node's is.
 */
export const AioWriteStream = function WriteStream(
  this: unknown,
  path: fs.PathLike | null,
  options?: BufferEncoding | AioWriteStreamOptions,
) {
  if (!(this instanceof AioWriteStream)) return new (AioWriteStream as WriteStreamConstructor)(path, options);
  (NodeWriteStream as unknown as (this: unknown, ...args: unknown[]) => void).call(this, path, options);
} as unknown as WriteStreamConstructor;
inheritNodeStream(AioWriteStream, NodeWriteStream);

function writerOf(stream: NodeWriteStreamFields): DirectWriter | null {
  let writer = stream[kWriter];
  if (writer === undefined) writer = stream[kWriter] = DirectWriter.attach(stream);
  return writer;
}

/** _write: over kernel AIO where the stream's file allows it, else node's own. */
export function aioWrite(this: NodeWriteStreamFields, chunk: Buffer, encoding: BufferEncoding, callback: Callback): void {
  const writer = writerOf(this);
  if (writer === null) nodeWrite.call(this, chunk, encoding, callback);
  else writer.write(chunk, 'write', callback);
}

/** _writev: the chunks Writable queued meanwhile, as one write. */
export function aioWritev(
  this: NodeWriteStreamFields,
  chunks: { chunk: Buffer; encoding: BufferEncoding }[],
  callback: Callback,
): void {
  const writer = writerOf(this);
  if (writer === null) nodeWritev.call(this, chunks, callback);
  else
    writer.write(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((entry) => entry.chunk)), 'writev', callback);
}

/** _destroy: waits for the stream's writes, lets go of its DirectFile, then node's own. */
export function aioWriteDestroy(this: NodeWriteStreamFields, error: Error | null, callback: Callback): void {
  const writer = this[kWriter];
  if (writer === undefined || writer === null) {
    nodeWriteDestroy.call(this, error, callback);
    return;
  }
  writer.stop().then(() => nodeWriteDestroy.call(this, error, callback));
}

AioWriteStream.prototype.sync = async function sync(
  this: NodeWriteStreamFields,
  options?: { dataOnly?: boolean },
): Promise<void> {
  const syscall = options?.dataOnly ? 'fdatasync' : 'fsync';
  const fd = this.fd;
  if (fd === null || this.destroyed) throw systemError(-constants.errno.EBADF, syscall);
  const writer = this[kWriter];
  if (writer) return writer.sync(syscall);
  await new Promise<void>((resolve, reject) => nodeFs[syscall](fd, (error) => (error ? reject(error) : resolve())));
};
AioWriteStream.prototype._write = aioWrite;
AioWriteStream.prototype._writev = aioWritev;
AioWriteStream.prototype._destroy = aioWriteDestroy;

/** fs.createWriteStream over kernel AIO: the same arguments, options, events and errors. */
export function createWriteStream(path: fs.PathLike | null, options?: BufferEncoding | AioWriteStreamOptions): AioWriteStream {
  return new AioWriteStream(path, options);
}

/** The direct data path of one write stream. */
class DirectWriter {
  readonly #stream: NodeWriteStreamFields;
  readonly #direct: DirectFile;
  readonly #ownsDirect: boolean;
  /** Writing at the descriptor's own position (no `start`): keep it advanced as write(2) would. */
  readonly #followsFilePosition: boolean;
  #inFlight = 0;
  #idle: (() => void)[] = [];

  private constructor(stream: NodeWriteStreamFields, direct: DirectFile, ownsDirect: boolean) {
    this.#stream = stream;
    this.#direct = direct;
    this.#ownsDirect = ownsDirect;
    this.#followsFilePosition = stream.pos === undefined;
  }

  /**
   * The writer for a stream that has opened its file, or null where node writes: a custom `fs`, a
   * FileHandle that is not aiofs's, a descriptor not open for writing or open for appending, a file
   * without direct I/O, or a start past what aiofs serves itself (node reports what the kernel says).
   */
  static attach(stream: NodeWriteStreamFields): DirectWriter | null {
    const fd = stream.fd;
    if (typeof fd !== 'number' || (stream.pos ?? 0) > MAX_PLAIN_POSITION) return null;
    const flags = descriptorFlags(fd);
    if (flags === null || !allowsWriting(flags) || (flags & fs.constants.O_APPEND) !== 0) return null;
    const handle = streamHandle(stream);
    if (handle !== undefined) {
      const borrowed = (handle as { [kDirectFile]?: DirectFile | null })[kDirectFile];
      return borrowed ? new DirectWriter(stream, borrowed, false) : null;
    }
    if (streamOperations(stream) !== fs) return null;
    const attached = attachDirect(fd, flags, 'auto');
    return typeof attached === 'string' ? null : new DirectWriter(stream, attached, true);
  }

  /**
   * Writes `data` where node's stream would (at `pos`, or at the descriptor's position), as node's
   * writeAll does: short writes go on, up to 5 tries without progress; `callback` once all of it is in
   * the file, or with the error that stopped it.
   */
  write(data: Buffer, method: 'write' | 'writev', callback: Callback): void {
    const stream = this.#stream;
    const fd = stream.fd as number;
    const position = stream.pos ?? filePosition(fd);
    if (position < 0 || position + data.length > MAX_PLAIN_POSITION) {
      // Past what aiofs serves itself: node's own write reports what the kernel says (EFBIG...).
      if (method === 'write') nodeWrite.call(stream, data, 'buffer' as BufferEncoding, callback);
      else nodeWritev.call(stream, [{ chunk: data, encoding: 'buffer' as BufferEncoding }], callback);
      return;
    }
    if (stream.pos !== undefined) stream.pos += data.length;
    const written = async (): Promise<Error | null> => {
      let offset = 0;
      for (let retries = 0; offset < data.length;) {
        // A stream that will fsync at the end (`flush`) has the page cache start writing back at once.
        const result = await this.#direct.write(data.subarray(offset), position + offset, stream.flush);
        if (result < 0) return systemError(result, method);
        if (stream.destroyed) return new ERR_STREAM_DESTROYED(method);
        offset += result;
        stream.bytesWritten += result;
        if (this.#followsFilePosition) setFilePosition(fd, position + offset);
        retries = result > 0 ? 0 : retries + 1;
        if (retries > 5) return new ERR_SYSTEM_ERROR(`${method} failed`);
      }
      return null;
    };
    this.#inFlight++;
    void written().then((error) => {
      if (--this.#inFlight === 0) for (const wake of this.#idle.splice(0)) wake();
      callback(error);
    });
  }

  /** Waits for the writes in flight, then fsync or fdatasync through kernel AIO. */
  async sync(syscall: 'fsync' | 'fdatasync'): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    const result = await this.#direct.sync(syscall === 'fsync' ? 'fsync' : 'fdsync');
    if (result < 0) throw systemError(result, syscall);
  }

  /** Stops: waits for the writes in flight, and closes a DirectFile of the stream's own. */
  async stop(): Promise<void> {
    if (this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    if (this.#ownsDirect) this.#direct.close();
  }
}
