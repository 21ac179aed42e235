/**
 * AioFileHandle: fs/promises' FileHandle with reads, writes and syncs over kernel AIO.
 *
 * Ownership: an AioFileHandle owns a node:fs FileHandle (the caller-visible descriptor, used for
 * open/stat/truncate/close exactly as fs does, and for everything on the node-fs backend) and, on the
 * kernel-aio backend, a DirectFile with its own O_DIRECT descriptor. close() waits for this file's
 * requests, trims any grow-ahead, closes the direct descriptor, then the FileHandle.
 */
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import type * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import { constants } from 'node:os';

import { AlignedBufferPool } from './aligned-buffer';
import { Backend, backend as threadBackend, engine as threadEngine } from './backend';
import { Op, loaded } from './binding';
import { O_ACCMODE, allowsReading, allowsWriting, filePosition, reopenDirect, setFilePosition } from './descriptor';
import { DirectFile, PIECE_SIZE, type CachePolicy } from './direct-file';
import { AbortError, ERR_FS_FILE_TOO_LARGE, closedFileError, systemError } from './errors';
import {
  checkAborted,
  normalizeReadArgs,
  normalizeReadFileOptions,
  normalizeReadvArgs,
  normalizeTruncateLength,
  normalizeWriteArgs,
  normalizeWriteFileOptions,
  normalizeWritevArgs,
  toWriteFileChunk,
  toWriteFileData,
  type AbortSignalLike,
} from './validate';

/** fs refuses to read files larger than this into one buffer (kIoMaxLength). */
const IO_MAX_LENGTH = 2 ** 31 - 1;
/** readFile/writeFile move data in chunks of this size, checking their AbortSignal in between. */
const WHOLE_FILE_CHUNK = 16 * PIECE_SIZE;
const LINUX_6_1 = [6, 1];

let pool: AlignedBufferPool | undefined;

/** Closes the direct descriptor of a handle that was garbage-collected without close(). */
const abandoned = new FinalizationRegistry<DirectFile>((direct) => direct.close());

/** Options of {@link AioFileHandle.read}, as fs/promises takes them. */
export interface ReadOptions {
  offset?: number | null;
  length?: number | null;
  position?: number | null;
}

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

/** @internal The DirectFile of an AioFileHandle, for aiofs's own streams. */
export const kDirectFile = Symbol('aiofs.directFile');

/** A file opened by aiofs. Mirrors fs/promises' FileHandle; I/O goes through kernel AIO where possible. */
export class AioFileHandle extends EventEmitter {
  readonly #fs: fsp.FileHandle;
  readonly #direct: DirectFile | null;
  readonly #readable: boolean;
  readonly #writable: boolean;
  readonly #appending: boolean;
  /** Operations at the file position (position null) run one after another, as read(2) would. */
  #positionChain: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;
  /** This file's backend: kernel-aio, or node-fs and why (not a regular file, no direct I/O, ...). */
  readonly backend: Backend;

  /** @internal Use {@link open}. */
  constructor(handle: fsp.FileHandle, flags: number, cache: CachePolicy = 'auto') {
    super();
    this.#fs = handle;
    this.#readable = allowsReading(flags);
    this.#writable = allowsWriting(flags);
    this.#appending = (flags & fs.constants.O_APPEND) !== 0;
    const attached = attachDirect(handle.fd, flags, cache);
    this.#direct = typeof attached === 'string' ? null : attached;
    this.backend =
      typeof attached === 'string'
        ? { name: 'node-fs', reason: attached }
        : { name: 'kernel-aio', reason: 'regular file with direct I/O' };
    if (this.#direct !== null) abandoned.register(this, this.#direct, this);
  }

  /** @internal This file's direct-I/O side, or null when node:fs does its I/O. */
  get [kDirectFile](): DirectFile | null {
    return this.#direct;
  }

  /** The numeric file descriptor; -1 once closed. */
  get fd(): number {
    return this.#fs.fd;
  }

  /** Reads like fs/promises' FileHandle.read, in all of its forms. */
  read<T extends NodeJS.ArrayBufferView>(buffer: T, offset?: number | null, length?: number | null, position?: number | null): Promise<ReadResult<T>>;
  read<T extends NodeJS.ArrayBufferView = Buffer>(buffer: T, options?: ReadOptions): Promise<ReadResult<T>>;
  read<T extends NodeJS.ArrayBufferView = Buffer>(options?: ReadOptions & { buffer?: T }): Promise<ReadResult<T>>;
  async read(bufferOrOptions?: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<ReadResult<NodeJS.ArrayBufferView>> {
    this.#checkOpen('read');
    const args = normalizeReadArgs(bufferOrOptions, offsetOrOptions, length, position);
    const direct = this.#direct;
    // node-fs: fs itself, with the caller's own arguments (validated alike), for identical behaviour.
    if (direct === null) return passThrough(this.#fs, 'read', bufferOrOptions, offsetOrOptions, length, position);
    const buffer = args.buffer as NodeJS.ArrayBufferView;
    if (args.earlyReturn) return { __proto__: null, bytesRead: args.length, buffer } as ReadResult<NodeJS.ArrayBufferView>;
    if (!this.#readable) throw systemError(-constants.errno.EBADF, 'read');
    const target = asBytes(buffer, args.offset, args.length);
    const bytesRead =
      args.position === null ? await this.#at(null, (at) => direct.read(target, at)) : await direct.read(target, args.position);
    if (bytesRead < 0) throw systemError(bytesRead, 'read');
    return { __proto__: null, bytesRead, buffer } as ReadResult<NodeJS.ArrayBufferView>;
  }

  /** Reads into several buffers in order, like fs/promises' FileHandle.readv. */
  async readv<T extends readonly NodeJS.ArrayBufferView[]>(buffers: T, position?: number | null): Promise<{ bytesRead: number; buffers: T }> {
    this.#checkOpen('readv');
    const args = normalizeReadvArgs(buffers, position);
    const direct = this.#direct;
    if (direct === null) return passThrough(this.#fs, 'readv', buffers, position);
    if (!this.#readable) throw systemError(-constants.errno.EBADF, 'read');
    const views = buffers.map((b) => asBytes(b, 0, b.byteLength));
    const gathered = Buffer.allocUnsafe(views.reduce((sum, v) => sum + v.byteLength, 0));
    const bytesRead = await this.#at(args.position, (at) => direct.read(gathered, at));
    if (bytesRead < 0) throw systemError(bytesRead, 'read');
    let offset = 0;
    for (const view of views) {
      if (offset >= bytesRead) break;
      view.set(gathered.subarray(offset, Math.min(bytesRead, offset + view.byteLength)));
      offset += view.byteLength;
    }
    return { __proto__: null, bytesRead, buffers } as { bytesRead: number; buffers: T };
  }

  /** Writes like fs/promises' FileHandle.write: buffer forms and string form. */
  write<T extends NodeJS.ArrayBufferView>(buffer: T, offset?: number | null, length?: number | null, position?: number | null): Promise<WriteResult<T>>;
  write<T extends NodeJS.ArrayBufferView>(buffer: T, options?: { offset?: number; length?: number; position?: number | null }): Promise<WriteResult<T>>;
  write(data: string, position?: number | null, encoding?: BufferEncoding | null): Promise<WriteResult<string>>;
  async write(data: unknown, offsetOrOptions?: unknown, lengthOrEncoding?: unknown, position?: unknown): Promise<WriteResult<unknown>> {
    this.#checkOpen('write');
    const args = normalizeWriteArgs(data, offsetOrOptions, lengthOrEncoding, position);
    if (this.#direct === null || this.#appending) {
      return passThrough(this.#fs, 'write', data, offsetOrOptions, lengthOrEncoding, position);
    }
    if (args.earlyReturn) return { __proto__: null, bytesWritten: 0, buffer: data } as WriteResult<unknown>;
    const bytesWritten = await this.#writeDirect(this.#direct, args.buffer, args.position);
    return { __proto__: null, bytesWritten, buffer: data } as WriteResult<unknown>;
  }

  /** Writes several buffers in order, like fs/promises' FileHandle.writev. */
  async writev<T extends readonly NodeJS.ArrayBufferView[]>(buffers: T, position?: number | null): Promise<{ bytesWritten: number; buffers: T }> {
    this.#checkOpen('writev');
    const args = normalizeWritevArgs(buffers, position);
    if (this.#direct === null || this.#appending) return passThrough(this.#fs, 'writev', buffers, position);
    if (args.earlyReturn) return { __proto__: null, bytesWritten: 0, buffers } as { bytesWritten: number; buffers: T };
    const bytes = Buffer.concat(buffers.map((b) => asBytes(b, 0, b.byteLength)));
    const bytesWritten = await this.#writeDirect(this.#direct, bytes, args.position);
    return { __proto__: null, bytesWritten, buffers } as { bytesWritten: number; buffers: T };
  }

  /** fsync(2) through IOCB_CMD_FSYNC, after this handle's earlier writes have completed. */
  async sync(): Promise<void> {
    this.#checkOpen('fsync');
    if (this.#direct === null) return this.#fs.sync();
    const result = await this.#direct.sync(Op.Fsync);
    if (result < 0) throw systemError(result, 'fsync');
  }

  /** fdatasync(2) through IOCB_CMD_FDSYNC, after this handle's earlier writes have completed. */
  async datasync(): Promise<void> {
    this.#checkOpen('fdatasync');
    if (this.#direct === null) return this.#fs.datasync();
    const result = await this.#direct.sync(Op.Fdsync);
    if (result < 0) throw systemError(result, 'fdatasync');
  }

  /** fs.Stats of the file, after pending writes have landed (so `size` is exact). */
  stat(options?: { bigint?: false }): Promise<fs.Stats>;
  stat(options: { bigint: true }): Promise<fs.BigIntStats>;
  async stat(options?: fs.StatOptions): Promise<fs.Stats | fs.BigIntStats> {
    this.#checkOpen('fstat');
    await this.#settle();
    return this.#fs.stat(options);
  }

  /** Truncates or extends the file to `len` bytes (default 0). */
  async truncate(len?: number): Promise<void> {
    this.#checkOpen('ftruncate');
    const length = normalizeTruncateLength(len);
    await this.#settle();
    await this.#fs.truncate(length);
    this.#direct?.sizeChanged();
  }

  /**
   * Closes the file once its requests are done. A second call returns the same promise.
   * Every other method rejects with EBADF ('file closed') once close() has been called.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeOnce();
    return this.#closing;
  }

  /** `await using fh = await open(...)` closes the file at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Reads from the current position to end of file, like fs/promises' FileHandle.readFile (and typed as it is). */
  readFile(options?: ({ encoding?: null } & { signal?: AbortSignal }) | null): Promise<ReadFileBuffer>;
  readFile(options: ({ encoding: BufferEncoding } & { signal?: AbortSignal }) | BufferEncoding): Promise<string>;
  readFile(options?: ReadFileArgument): Promise<string | Buffer>;
  async readFile(options?: ReadFileArgument): Promise<string | Buffer> {
    this.#checkOpen('readFile');
    const { encoding, signal } = normalizeReadFileOptions(options);
    const direct = this.#direct;
    if (direct === null) return this.#fs.readFile({ encoding, signal: signal as AbortSignal | undefined });
    // fs's order: abort check, fstat, abort check, size check, then reads (where EBADF shows up).
    checkAborted(signal);
    await this.#settle();
    const size = (await this.#fs.stat()).size;
    checkAborted(signal);
    if (size > IO_MAX_LENGTH) throw new ERR_FS_FILE_TOO_LARGE(size);
    if (!this.#readable) throw systemError(-constants.errno.EBADF, 'read');
    const contents = Buffer.allocUnsafeSlow(size);
    const total = await this.#at(null, async (start) => {
      let done = 0;
      while (done < size) {
        checkAborted(signal);
        const chunk = direct.read(contents.subarray(done, Math.min(size, done + WHOLE_FILE_CHUNK)), start + done);
        const count = await abortable(chunk, signal, direct);
        if (count < 0) throw systemError(count, 'read');
        done += count;
        if (count < Math.min(WHOLE_FILE_CHUNK, size - (done - count))) break;
      }
      return done;
    });
    const data = total === size ? contents : contents.subarray(0, total);
    return encoding ? data.toString(encoding) : data;
  }

  /**
   * Writes `data` from the current position, like fs/promises' FileHandle.writeFile (which, like
   * fs, ignores `flush`: the path form of writeFile honours it).
   */
  async writeFile(data: WriteFileData, options?: WriteFileArgument): Promise<void> {
    this.#checkOpen('writeFile');
    const { encoding, signal } = normalizeWriteFileOptions(options, 'w');
    const direct = this.#direct;
    if (direct === null || this.#appending) {
      return this.#fs.writeFile(data as Parameters<fsp.FileHandle['writeFile']>[0], options as Parameters<fsp.FileHandle['writeFile']>[1]);
    }
    const input = toWriteFileData(data, encoding);
    const chunks = input.kind === 'bytes' ? [input.bytes] : input.chunks;
    checkAborted(signal);
    for await (const chunk of chunks) {
      const bytes = toWriteFileChunk(chunk, encoding);
      for (let done = 0; done < bytes.byteLength; done += WHOLE_FILE_CHUNK) {
        checkAborted(signal);
        await abortable(this.#writeDirect(direct, bytes.subarray(done, done + WHOLE_FILE_CHUNK), null), signal, direct);
      }
    }
  }

  /** Appends like fs/promises' FileHandle.appendFile (the file's own flags decide where bytes go). */
  appendFile(data: WriteFileData, options?: WriteFileArgument): Promise<void> {
    return this.writeFile(data, options);
  }

  /** One write through the direct path: bytes written, or a thrown fs-style error. */
  async #writeDirect(direct: DirectFile, bytes: Uint8Array, position: number | null): Promise<number> {
    // write(2) on a descriptor not open for writing fails with EBADF whatever the length or offset.
    if (!this.#writable) throw systemError(-constants.errno.EBADF, 'write');
    const written = await this.#at(position, (at) => direct.write(bytes, at));
    if (written < 0) throw systemError(written, 'write');
    return written;
  }

  /**
   * Runs `io` at `position`, or, for null, at the descriptor's file position (advanced by the bytes
   * moved), in turn with the other file-position operations of this handle.
   */
  #at(position: number | null, io: (at: number) => Promise<number>): Promise<number> {
    if (position !== null) return io(position);
    const turn = this.#positionChain.then(async () => {
      const fd = this.#fs.fd;
      const start = filePosition(fd);
      if (start < 0) return start;
      const moved = await io(start);
      if (moved > 0) setFilePosition(fd, start + moved);
      return moved;
    });
    this.#positionChain = turn.catch(() => undefined);
    return turn;
  }

  /** Lets pending writes land and trims grow-ahead, so metadata calls see the file as written. */
  async #settle(): Promise<void> {
    const status = (await this.#direct?.quiesce()) ?? 0;
    if (status < 0) throw systemError(status, 'ftruncate');
  }

  async #closeOnce(): Promise<void> {
    const direct = this.#direct;
    if (direct !== null) {
      const status = await direct.quiesce();
      abandoned.unregister(this);
      direct.close();
      if (status < 0) {
        await this.#fs.close();
        throw systemError(status, 'ftruncate');
      }
    }
    await this.#fs.close();
    this.emit('close');
  }

  #checkOpen(syscall: string): void {
    if (this.#closing !== undefined || this.#fs.fd === -1) throw closedFileError(syscall);
  }
}

/** Everything writeFile accepts, as fs/promises does. */
export type WriteFileData = Parameters<typeof fsp.writeFile>[1];
/** readFile's options, as fs/promises takes them. */
export type ReadFileArgument = Parameters<typeof fsp.readFile>[1];
/** The Buffer type fs/promises' readFile resolves to (Buffer<ArrayBuffer> in newer @types/node), whatever version is installed. */
type ReadFileBuffer = Exclude<Awaited<ReturnType<typeof fsp.readFile>>, string>;
/** writeFile's options, as fs/promises takes them. */
export type WriteFileArgument = Parameters<typeof fsp.writeFile>[2];

/** statfs f_type of btrfs (linux/magic.h). */
const BTRFS_SUPER_MAGIC = 0x9123683e;

/**
 * The direct-I/O side of a freshly opened file, or the reason it has none (and node:fs does its I/O).
 */
export function attachDirect(fd: number, flags: number, cache: CachePolicy): DirectFile | string {
  const engine = threadEngine();
  const binding = loaded.binding;
  if (engine === null || binding === null) return threadBackend.reason;
  if (!fs.fstatSync(fd).isFile()) return 'not a regular file: node:fs handles pipes, devices and sockets';
  // btrfs completes direct I/O inside io_submit whatever the file's size (AIO-FACTS): it would block the
  // event loop for the whole transfer, where node:fs's threadpool does not.
  if (binding.filesystemType(fd) === BTRFS_SUPER_MAGIC) return 'btrfs: its direct I/O runs synchronously inside io_submit';
  const alignment = binding.dioAlignment(fd);
  if (typeof alignment === 'number') return `statx failed (${errorCode(alignment)})`;
  let [memoryAlign, offsetAlign, reported] = alignment;
  if (reported === 0) {
    // Linux 6.1+ reports STATX_DIOALIGN for every filesystem with direct I/O; tmpfs and procfs
    // report nothing (AIO-FACTS). Older kernels report nothing at all: assume 4096, which covers
    // every common logical block size, and let the O_DIRECT open below decide.
    if (kernelAtLeast(LINUX_6_1)) return 'the filesystem offers no direct I/O for this file (statx DIOALIGN)';
    memoryAlign = offsetAlign = 4096;
  } else if (offsetAlign === 0) {
    return 'the filesystem offers no direct I/O for this file (statx DIOALIGN)';
  }
  const access = flags & O_ACCMODE;
  const sync = flags & (fs.constants.O_SYNC | fs.constants.O_DSYNC);
  // Patching partial blocks needs to read them, so a write-only file gets a read-write direct
  // descriptor when its permissions allow; otherwise partial blocks go through node:fs.
  let directFd = reopenDirect(fd, (access === fs.constants.O_WRONLY ? fs.constants.O_RDWR : access) | sync);
  let canPatch = access !== fs.constants.O_WRONLY || directFd >= 0;
  if (directFd < 0 && access === fs.constants.O_WRONLY) {
    directFd = reopenDirect(fd, access | sync);
    canPatch = false;
  }
  if (directFd < 0) return `O_DIRECT open failed (${errorCode(directFd)})`;
  pool ??= new AlignedBufferPool(binding);
  const policy = (flags & fs.constants.O_DIRECT) !== 0 ? 'bypass' : cache;
  return new DirectFile(engine, binding, pool, fd, directFd, { memoryAlign, offsetAlign }, canPatch, policy);
}

/**
 * Settles as `io` does, or rejects with AbortError as soon as `signal` aborts. The file's requests are
 * then cancelled; regular files cannot cancel (EINVAL), so they finish in the background, their results
 * dropped, and close() still waits for them.
 */
function abortable(io: Promise<number>, signal: AbortSignalLike | undefined, direct: DirectFile): Promise<number> {
  const target = signal as AbortSignal | undefined;
  // fs accepts any object with `aborted` as a signal; only real ones can be listened to.
  if (typeof target?.addEventListener !== 'function') return io;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      direct.cancelAll();
      reject(new AbortError(undefined, { cause: target.reason }));
    };
    target.addEventListener('abort', onAbort, { once: true });
    io.then(
      (result) => {
        target.removeEventListener('abort', onAbort);
        resolve(result);
      },
      (error: unknown) => {
        target.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Calls node:fs's own FileHandle method with the caller's arguments, so the node-fs backend behaves
 * exactly as fs does (aiofs has validated them the same way first).
 */
function passThrough<R>(handle: fsp.FileHandle, method: 'read' | 'readv' | 'write' | 'writev', ...args: unknown[]): Promise<R> {
  return (handle[method] as (...args: unknown[]) => Promise<R>).apply(handle, args);
}

/** The bytes `[offset, offset + length)` of `view` as a Uint8Array (the view itself when it already is one). */
function asBytes(view: NodeJS.ArrayBufferView, offset: number, length: number): Uint8Array {
  if (view instanceof Uint8Array && offset === 0 && length === view.byteLength) return view;
  return new Uint8Array(view.buffer, view.byteOffset + offset, length);
}

function errorCode(errno: number): string {
  return systemError(errno, 'open').code ?? String(errno);
}

const [KERNEL_MAJOR = 0, KERNEL_MINOR = 0] = os.release().split('.').map((part) => parseInt(part, 10));

function kernelAtLeast([major, minor]: number[]): boolean {
  return KERNEL_MAJOR > major || (KERNEL_MAJOR === major && KERNEL_MINOR >= minor);
}
