/**
 * AioWriteStream: node's fs.WriteStream, with its data path over kernel AIO.
 *
 * AioWriteStream is a Node-style constructor that runs node's own WriteStream constructor (as it was
 * when aiofs loaded) on the new object, and inherits node's WriteStream.prototype. So construction,
 * option validation, 'open' and 'ready', `pending`, autoClose, `flush`, an overridden open(), a custom
 * `fs`, a FileHandle `fd`, close(), destroySoon() and every error are node's own, on whatever Node runs
 * aiofs; old-style subclasses work as with node's.
 *
 * aiofs stands in front of three methods. _write and _writev write through a DirectWriter
 * (direct-writer.ts) when the stream writes a regular file through node:fs's own operations or an
 * AioFileHandle (not an appending descriptor: only the kernel can place each append atomically at the
 * end), and run node's own otherwise. As with node's, a write's callback runs once its bytes are in the file, so a reader sees
 * exactly the acknowledged bytes; speed comes from Writable coalescing the chunks queued meanwhile into
 * one _writev, which DirectFile splits into requests in flight together. _destroy waits for the writes
 * in flight before node's _destroy (which fsyncs when `flush`, then closes the descriptor).
 * aiofs/register installs the same methods on node's WriteStream.prototype.
 *
 * Ownership: the descriptor is node's business, as for the read stream. The writer, and the file it
 * writes through (stream-file.ts), are the stream's; _destroy stops the writer before node's
 * (stream-shell.ts).
 */
import fs = require('node:fs');
import { constants } from 'node:os';
import type { FileHandle } from 'node:fs/promises';
import type { WritableOptions } from 'node:stream';

import { allowsWriting, descriptorFlags } from './descriptor';
import { DirectWriter, type Callback, type WriteStreamFields } from './direct-writer';
import { systemError } from './errors';
import { NodeWriteStream, nodeFs, nodeWrite, nodeWritev, nodeWriteDestroy } from './node-originals';
import { MAX_PLAIN_POSITION } from './plain-arguments';
import { StreamFile } from './stream-file';
import { nodeStyleStream, stopThenDestroy } from './stream-shell';

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

/** The parts of node's WriteStream that the data path uses, and aiofs's own. */
interface NodeWriteStreamFields extends WriteStreamFields {
  [kWriter]?: DirectWriter | null;
}

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

/** fs.WriteStream over kernel AIO (stream-shell.ts): node's constructor, nothing of aiofs's own. */
export const AioWriteStream = nodeStyleStream<WriteStreamConstructor>('WriteStream', NodeWriteStream as never);

/**
 * The writer for a stream that has opened its file, or null where node writes: a custom `fs`, a
 * FileHandle that is not aiofs's, a descriptor not open for writing or open for appending (only the
 * kernel can place each append atomically at the end), a file without direct I/O, or a start past what
 * aiofs serves itself (node reports what the kernel says).
 */
function attachWriter(stream: NodeWriteStreamFields): DirectWriter | null {
  const fd = stream.fd;
  if (typeof fd !== 'number' || (stream.pos ?? 0) > MAX_PLAIN_POSITION) return null;
  const flags = descriptorFlags(fd);
  if (flags === null || !allowsWriting(flags) || (flags & fs.constants.O_APPEND) !== 0) return null;
  const file = StreamFile.attach(stream, fd, flags, 'auto');
  return file === null ? null : new DirectWriter(stream, file);
}

function writerOf(stream: NodeWriteStreamFields): DirectWriter | null {
  let writer = stream[kWriter];
  if (writer === undefined) writer = stream[kWriter] = attachWriter(stream);
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
  stopThenDestroy(this[kWriter], () => nodeWriteDestroy.call(this, error, callback));
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
