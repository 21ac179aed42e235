/**
 * AioFileHandle: a node:fs/promises FileHandle whose reads, writes and syncs go over kernel AIO.
 *
 * It is node's own FileHandle object, opened by node, given this class's prototype, which inherits
 * node's FileHandle.prototype. So node accepts it wherever it takes a FileHandle (a stream's `fd`,
 * http2's respondWithFD, transfer to a worker), and every method aiofs does not accelerate (stat,
 * truncate, chmod, readLines, readableWebStream, close...) is node's own. The accelerated methods serve
 * plain arguments (plain-arguments.ts) over kernel AIO, and hand anything else, untouched, to node's
 * method on the same handle, which validates and fails exactly as the running Node does.
 *
 * Ownership: node's FileHandle owns the descriptor, as always. This object owns a DirectFile (with an
 * O_DIRECT descriptor of its own) on the kernel-aio backend, which its data path (handle-io.ts)
 * borrows. Every accelerated call holds one of node's references on the handle while it runs
 * (kRef/kUnref, as node's own calls do), so close() waits for it and a transfer refuses meanwhile;
 * after close the descriptor number is never used again. The DirectFile is closed when node closes
 * the native handle (every way of closing ends there), when the handle is transferred to a worker, or
 * when the handle is collected unclosed.
 */
import type * as fsp from 'node:fs/promises';

import { backend as threadBackend, type FileBackend } from './backend';
import { attachDirect, kDirectFile, type CachePolicy, type DirectFile } from './direct-file';
import { HandleIo } from './handle-io';
import { fileHandleInternalsOf, type FileHandleInternals } from './node-originals';
import {
  bytesOf,
  modeAbortError,
  plainRead,
  plainReadFileOptions,
  plainVector,
  plainWrite,
  plainWriteFileData,
  plainWriteFileOptions,
  readLengthAbortError,
  writeLengthAbortError,
} from './plain-arguments';
import { AioReadStream, type AioReadStreamOptions } from './read-stream';
import { WHOLE_FILE_CHUNK } from './whole-file';
import { AioWriteStream, type AioWriteStreamOptions } from './write-stream';

/** Result of {@link AioFileHandle.read}, as fs/promises returns it. */
export interface ReadResult<T extends NodeJS.ArrayBufferView> {
  bytesRead: number;
  buffer: T;
}

/** Result of {@link AioFileHandle.write}, as fs/promises returns it. */
export interface WriteResult<T> {
  bytesWritten: number;
  buffer: T;
}

/** Results of readv and writev, as fs/promises returns them. */
type ReadvResult = { bytesRead: number; buffers: NodeJS.ArrayBufferView[] };
type WritevResult = { bytesWritten: number; buffers: NodeJS.ArrayBufferView[] };

/** Everything writeFile accepts, as fs/promises does. */
export type WriteFileData = Parameters<typeof fsp.writeFile>[1];
/** readFile's options, as fs/promises takes them. */
export type ReadFileArgument = Parameters<typeof fsp.readFile>[1];
/** writeFile's options, as fs/promises takes them. */
export type WriteFileArgument = Parameters<typeof fsp.writeFile>[2];

type Method = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/** node's FileHandle, as found on the first handle node opened for aiofs. */
let node: FileHandleInternals | undefined;

/** Closes the direct descriptor of a handle that was garbage-collected without close(). */
const abandoned = new FinalizationRegistry<DirectFile>((direct) => direct.close());

/**
 * Lets a class constructor install its fields on an object that already exists (a constructor that
 * returns an object makes it the derived class's `this`): here, node's FileHandle.
 */
const Adopted = class {
  constructor(target: object) {
    return target;
  }
} as new (target: object) => object;

/**
 * A file opened by aiofs: node's FileHandle, with its I/O over kernel AIO where the file allows. Named
 * as node's class is, since libraries recognise handles by `constructor.name`.
 */
class FileHandle extends Adopted {
  /** The data path over kernel AIO, or null where node:fs does this file's I/O. */
  readonly #io: HandleIo | null;
  /** This file's backend: kernel-aio, or node-fs and why (not a regular file, no direct I/O, ...). */
  declare readonly backend: FileBackend;
  /** node's getter (FileHandle.prototype.fd): the descriptor, -1 once closed or transferred. */
  declare readonly fd: number;

  private constructor(handle: fsp.FileHandle, flags: number, cache: CachePolicy) {
    super(handle);
    const attached = threadBackend.name === 'kernel-aio' ? attachDirect(handle.fd, flags, cache) : threadBackend.reason;
    this.#io = typeof attached === 'string' ? null : new HandleIo(attached, flags, () => this.fd);
    Object.defineProperty(this, 'backend', { value: backendOf(attached), enumerable: false });
  }

  /**
   * Makes node's FileHandle `handle` (open with open(2) `flags`) an AioFileHandle, and returns it: the
   * same object. Used by aiofs's open().
   * @internal
   */
  static adopt(handle: fsp.FileHandle, flags: number, cache: CachePolicy = 'auto'): AioFileHandle {
    if (node === undefined) {
      node = fileHandleInternalsOf(handle);
      Object.setPrototypeOf(FileHandle.prototype, node.prototype);
      defineTransfer(node);
    }
    const adopted = new FileHandle(handle, flags, cache);
    Object.setPrototypeOf(handle, FileHandle.prototype);
    const io = adopted.#io;
    if (io !== null) closeBeforeNative(adopted, io.direct, node.kHandle);
    return adopted as unknown as AioFileHandle;
  }

  /** @internal This file's direct-I/O side, or null when node:fs does its I/O (for aiofs's streams). */
  get [kDirectFile](): DirectFile | null {
    return this.#io?.direct ?? null;
  }

  /** Reads like fs/promises' FileHandle.read, in all of its forms. */
  read(buffer?: unknown, offset?: unknown, length?: unknown, position?: unknown): Promise<ReadResult<NodeJS.ArrayBufferView>> {
    const io = this.#reader();
    if (this.fd !== -1) {
      const plain = io !== null ? plainRead(buffer, offset, length, position) : null;
      if (plain !== null) {
        const { buffer: target, length: count, position: at } = plain;
        if (count === 0)
          return Promise.resolve({ __proto__: null, bytesRead: 0, buffer: target } as ReadResult<NodeJS.ArrayBufferView>);
        const bytes = bytesOf(target, plain.offset, count);
        return this.#run(async () => {
          const bytesRead = await io!.read(bytes, at);
          return { __proto__: null, bytesRead, buffer: target } as ReadResult<NodeJS.ArrayBufferView>;
        });
      }
      const aborts = readLengthAbortError(buffer, offset, length);
      if (aborts !== null) return Promise.reject(aborts);
    }
    return this.#node('read', buffer, offset, length, position) as Promise<ReadResult<NodeJS.ArrayBufferView>>;
  }

  /** Reads into several buffers in order, like fs/promises' FileHandle.readv. */
  readv(buffers: unknown, position?: unknown): Promise<ReadvResult> {
    const io = this.#reader();
    const plain = io !== null ? plainVector(buffers, position) : null;
    if (plain === null || plain.total === 0) return this.#node('readv', buffers, position) as Promise<ReadvResult>;
    return this.#run(async () => {
      const gathered = Buffer.allocUnsafe(plain.total);
      const bytesRead = await io!.read(gathered, plain.position);
      scatter(gathered.subarray(0, bytesRead), plain.buffers);
      return { __proto__: null, bytesRead, buffers: plain.buffers } as ReadvResult;
    });
  }

  /** Writes like fs/promises' FileHandle.write: buffer forms and string form. */
  write(data: unknown, offsetOrOptions?: unknown, lengthOrEncoding?: unknown, position?: unknown): Promise<WriteResult<unknown>> {
    const io = this.#writer();
    const plain = io !== null ? plainWrite(data, offsetOrOptions, lengthOrEncoding, position) : null;
    if (plain === null) {
      const aborts = this.fd !== -1 ? writeLengthAbortError(data, offsetOrOptions, lengthOrEncoding) : null;
      if (aborts !== null) return Promise.reject(aborts);
      return this.#node('write', data, offsetOrOptions, lengthOrEncoding, position) as Promise<WriteResult<unknown>>;
    }
    return this.#run(async () => {
      const bytesWritten = await io!.write(plain.bytes, plain.position);
      return { __proto__: null, bytesWritten, buffer: data } as WriteResult<unknown>;
    });
  }

  /** Writes several buffers in order, like fs/promises' FileHandle.writev. */
  writev(buffers: unknown, position?: unknown): Promise<WritevResult> {
    const io = this.#writer();
    const plain = io !== null ? plainVector(buffers, position) : null;
    if (plain === null || plain.total === 0) return this.#node('writev', buffers, position) as Promise<WritevResult>;
    return this.#run(async () => {
      const bytes =
        plain.buffers.length === 1 ? bytesOf(plain.buffers[0]) : Buffer.concat(plain.buffers.map((view) => bytesOf(view)));
      const bytesWritten = await io!.write(bytes, plain.position);
      return { __proto__: null, bytesWritten, buffers: plain.buffers } as WritevResult;
    });
  }

  /** fsync(2) through IOCB_CMD_FSYNC, after this handle's earlier writes have completed. */
  sync(): Promise<void> {
    return this.#sync('sync', 'fsync');
  }

  /** fdatasync(2) through IOCB_CMD_FDSYNC, after this handle's earlier writes have completed. */
  datasync(): Promise<void> {
    return this.#sync('datasync', 'fdatasync');
  }

  #sync(method: 'sync' | 'datasync', syscall: 'fsync' | 'fdatasync'): Promise<void> {
    const io = this.#io;
    if (io === null || this.fd === -1) return this.#node(method) as Promise<void>;
    return this.#run(() => io.sync(syscall));
  }

  /** node's FileHandle.chmod, but a mode node's binding would abort the process on is rejected instead. */
  chmod(mode: unknown): Promise<void> {
    const aborts = this.fd !== -1 ? modeAbortError(mode) : null;
    return aborts !== null ? Promise.reject(aborts) : (this.#node('chmod', mode) as Promise<void>);
  }

  /** Reads from the current position to end of file, like fs/promises' FileHandle.readFile. */
  readFile(options?: unknown): Promise<string | Buffer> {
    const io = this.#reader();
    const plain = io !== null ? plainReadFileOptions(options) : null;
    if (plain === null) return this.#node('readFile', options) as Promise<string | Buffer>;
    return this.#run(async () => {
      const contents = await io!.readToEnd();
      return plain.encoding ? contents.toString(plain.encoding) : contents;
    });
  }

  /** Writes `data` from the current position, like fs/promises' FileHandle.writeFile. */
  writeFile(data: unknown, options?: unknown): Promise<void> {
    return this.#writeWhole('writeFile', data, options);
  }

  /** Appends like fs/promises' FileHandle.appendFile (the file's own flags decide where bytes go). */
  appendFile(data: unknown, options?: unknown): Promise<void> {
    return this.#writeWhole('appendFile', data, options);
  }

  #writeWhole(method: 'writeFile' | 'appendFile', data: unknown, options: unknown): Promise<void> {
    const io = this.#writer();
    const plain = io !== null ? plainWriteFileOptions(options, 'w') : null;
    const bytes = plain !== null ? plainWriteFileData(data, plain.encoding) : null;
    if (bytes === null) return this.#node(method, data, options) as Promise<void>;
    return this.#run(async () => {
      for (let done = 0; done < bytes.byteLength; done += WHOLE_FILE_CHUNK) {
        await io!.write(bytes.subarray(done, done + WHOLE_FILE_CHUNK), null);
      }
    });
  }

  /** A read stream over this handle, with aiofs's read-ahead (node's FileHandle.createReadStream). */
  createReadStream(options: AioReadStreamOptions | undefined = undefined): AioReadStream {
    return new AioReadStream(undefined as unknown as string, { ...options, fd: this as unknown as fsp.FileHandle });
  }

  /** A write stream over this handle, over kernel AIO (node's FileHandle.createWriteStream). */
  createWriteStream(options: AioWriteStreamOptions | undefined = undefined): AioWriteStream {
    return new AioWriteStream(undefined as unknown as string, { ...options, fd: this as unknown as fsp.FileHandle });
  }

  /** The data path, while the handle is open, when it may read through it, or write (not appending). */
  #reader(): HandleIo | null {
    return this.fd !== -1 && this.#io?.reads === true ? this.#io : null;
  }

  #writer(): HandleIo | null {
    return this.fd !== -1 && this.#io?.writes === true ? this.#io : null;
  }

  /** Runs an accelerated call as node's fsCall runs its own: holding a reference on the handle. */
  async #run<T>(io: () => Promise<T>): Promise<T> {
    const self = this as unknown as Record<symbol, () => void>;
    self[node!.kRef]();
    try {
      return await io();
    } finally {
      self[node!.kUnref]();
    }
  }

  /** node's own method on this same handle, with the caller's arguments as given. */
  #node(method: string, ...args: unknown[]): Promise<unknown> {
    return (node!.prototype as unknown as Record<string, Method>)[method].apply(this, args);
  }
}

/** A handle's backend, from what attaching its direct side gave: the DirectFile, or why there is none. */
function backendOf(attached: DirectFile | string): FileBackend {
  if (typeof attached === 'string') return { name: 'node-fs', reason: attached, directIoAlignment: null };
  const { memoryAlign: memory, offsetAlign: offset } = attached.geometry;
  return { name: 'kernel-aio', reason: 'regular file with direct I/O', directIoAlignment: { memory, offset } };
}

/** Copies `gathered` into `views` in order, as far as it goes (readv's scatter). */
function scatter(gathered: Buffer, views: NodeJS.ArrayBufferView[]): void {
  let offset = 0;
  for (const view of views) {
    if (offset >= gathered.length) return;
    bytesOf(view).set(gathered.subarray(offset, offset + view.byteLength));
    offset += view.byteLength;
  }
}

/**
 * Closes `direct` whenever node closes `handle`: every way node closes a FileHandle (close(), the last
 * reference dropped, closeSync on exit paths) ends in its native handle (`kHandle`) close or closeSync,
 * and the direct descriptor goes first. No aiofs request is in flight then, since each holds a
 * reference the native close waits for. A handle collected unclosed closes it too (abandoned).
 */
function closeBeforeNative(handle: FileHandle, direct: DirectFile, kHandle: symbol): void {
  const native = (handle as unknown as Record<symbol, { close(): Promise<void>; closeSync(): void }>)[kHandle];
  const { close, closeSync } = native;
  native.close = function () {
    abandoned.unregister(handle);
    direct.close();
    return close.call(this);
  };
  native.closeSync = function () {
    abandoned.unregister(handle);
    direct.close();
    closeSync.call(this);
  };
  abandoned.register(handle, direct, handle);
}

/**
 * Transfer to a worker (postMessage(handle, [handle])) is node's: it refuses while a call holds a
 * reference, and moves the native handle, so the receiving thread gets a node FileHandle. The direct
 * descriptor cannot follow it: it is closed here, once node has let the handle go.
 */
function defineTransfer(internals: FileHandleInternals): void {
  const transfer = (internals.prototype as unknown as Record<symbol, (this: FileHandle) => unknown>)[internals.kTransfer];
  Object.defineProperty(FileHandle.prototype, internals.kTransfer, {
    value: function (this: FileHandle) {
      const moved = transfer.call(this);
      this[kDirectFile]?.close();
      abandoned.unregister(this);
      return moved;
    },
    writable: true,
    configurable: true,
  });
}

/**
 * What an AioFileHandle is to TypeScript: node's FileHandle (with fs's own overloads for every method),
 * plus its backend.
 */
export interface AioFileHandle extends fsp.FileHandle {
  /** This file's backend: kernel-aio with its direct-I/O alignment, or node-fs and why (a pipe, no direct I/O...). */
  readonly backend: FileBackend;
  /** @internal */
  readonly [kDirectFile]: DirectFile | null;
}

/** The class of the handles aiofs's open() resolves with (`handle instanceof AioFileHandle`). */
export const AioFileHandle = FileHandle as unknown as {
  readonly prototype: AioFileHandle;
  [Symbol.hasInstance](value: unknown): value is AioFileHandle;
  /** @internal Makes node's FileHandle an AioFileHandle (the same object); aiofs's open() does this. */
  adopt(handle: fsp.FileHandle, flags: number, cache?: CachePolicy): AioFileHandle;
};
