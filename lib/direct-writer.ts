/**
 * The direct data path of one write stream: each write (a chunk, or the chunks Writable coalesced into
 * one _writev) goes through the stream's file (stream-file.ts) as DirectFile writes, acknowledged once
 * all of it is in the file, as node's writeAll does.
 *
 * Ownership: a write's bytes are the caller's (the stream's chunk); DirectFile holds them until the
 * write's completion. The file is the stream's: stop() waits for the writes, then StreamFile.stop
 * closes it if the stream's own.
 */
import type { Writable } from 'node:stream';

import { filePosition, setFilePosition } from './descriptor';
import { ERR_STREAM_DESTROYED, ERR_SYSTEM_ERROR, systemError } from './errors';
import { nodeWrite, nodeWritev } from './node-originals';
import { MAX_PLAIN_POSITION } from './plain-arguments';
import type { StreamFile } from './stream-file';

/** The parts of node's WriteStream that the data path uses. */
export interface WriteStreamFields extends Writable {
  fd: number | null;
  flush: boolean;
  start: number | undefined;
  pos: number | undefined;
  bytesWritten: number;
}

/** A write's callback, as Writable's _write and _writev take it. */
export type Callback = (error?: Error | null) => void;

export class DirectWriter {
  readonly #stream: WriteStreamFields;
  readonly #file: StreamFile;
  /** Writing at the descriptor's own position (no `start`): keep it advanced as write(2) would. */
  readonly #followsFilePosition: boolean;

  constructor(stream: WriteStreamFields, file: StreamFile) {
    this.#stream = stream;
    this.#file = file;
    this.#followsFilePosition = stream.pos === undefined;
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
        const result = await this.#file.direct.write(data.subarray(offset), position + offset, stream.flush);
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
    this.#file.requests.begin();
    void written().then((error) => {
      this.#file.requests.end();
      callback(error);
    });
  }

  /** Waits for the writes in flight, then fsync or fdatasync through kernel AIO. */
  async sync(syscall: 'fsync' | 'fdatasync'): Promise<void> {
    await this.#file.requests.idle();
    const result = await this.#file.direct.sync(syscall === 'fsync' ? 'fsync' : 'fdsync');
    if (result < 0) throw systemError(result, syscall);
  }

  /** Stops: waits for the writes in flight, and closes a DirectFile of the stream's own. */
  stop(): Promise<void> {
    return this.#file.stop(false);
  }
}
