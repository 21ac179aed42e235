/**
 * What the read and write streams share with node's lib/internal/fs/streams.js: option copying,
 * FileHandle recognition and operations, the point where `signal` is attached, and classes callable
 * without `new`.
 */
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { addAbortSignal, type Readable, type Writable } from 'node:stream';

import { ERR_INVALID_ARG_TYPE } from './errors';
import { AioFileHandle } from './file-handle';
import { getValidatedFd, toPathString, validateFunction, type Bag } from './validate';

type Callback<T extends unknown[] = []> = (err: NodeJS.ErrnoException | null, ...results: T) => void;

/** The callback-style operations a stream does its I/O through (node:fs, or the `fs` option). */
export interface StreamFs {
  open: (path: string | Buffer, flags: string | number, mode: string | number, cb: Callback<[number]>) => void;
  read: (fd: number, buffer: Buffer, offset: number, length: number, position: number | null, cb: Callback<[number, Buffer]>) => void;
  write: (fd: number, buffer: Buffer, offset: number, length: number, position: number | null | undefined, cb: Callback<[number, Buffer]>) => void;
  writev: (fd: number, buffers: Buffer[], position: number | null | undefined, cb: Callback<[number, Buffer[]]>) => void;
  fsync: (fd: number, cb: Callback) => void;
  close: (fd: number, cb: Callback) => void;
}

/** node's copyObject: every enumerable key, inherited ones too, onto a fresh object. */
export function copyObject(source: Bag): Bag {
  const target: Record<string, unknown> = {};
  for (const key in source) target[key] = source[key];
  return target;
}

/** fs's FileHandle class is not exported; recognise its instances as node's importFd would accept them. */
export function isFsFileHandle(value: unknown): value is FileHandle {
  return typeof value === 'object' && value !== null && value.constructor?.name === 'FileHandle' && 'fd' in value;
}

/** What a stream does its I/O on: the `fs` operations, and a descriptor, a FileHandle or a path to open. */
export interface StreamTarget {
  fs: Partial<StreamFs>;
  /** No `fs` option: node:fs's own operations, which aiofs may replace with kernel AIO. */
  nodeFs: boolean;
  fd: number | null;
  handle?: FileHandle | AioFileHandle;
  path?: string | Buffer;
}

/** node's constructor steps for `fd`/`fs`/path (importFd included), with the same errors. */
export function streamTarget(path: unknown, opts: Bag): StreamTarget {
  const nodeFs = opts.fs === null || opts.fs === undefined;
  const ops = (nodeFs ? fs : opts.fs) as Partial<StreamFs>;
  if (opts.fd === null || opts.fd === undefined) {
    validateFunction(ops.open, 'options.fs.open');
    // Path is ignored when fd is given, so it can be falsy then.
    return { fs: ops, nodeFs, fd: null, path: toPathString(path) };
  }
  if (typeof opts.fd === 'number') return { fs: ops, nodeFs, fd: getValidatedFd(opts.fd) };
  if (opts.fd instanceof AioFileHandle || isFsFileHandle(opts.fd)) {
    if (opts.fs) throw Object.assign(new Error('The FileHandle with fs method is not implemented'), { code: 'ERR_METHOD_NOT_IMPLEMENTED' });
    return { fs: fileHandleOperations(opts.fd), nodeFs: false, fd: getValidatedFd(opts.fd.fd), handle: opts.fd };
  }
  throw new ERR_INVALID_ARG_TYPE('options.fd', ['number', 'FileHandle'], opts.fd);
}

/** The fields node's _construct uses. */
interface OpeningStream {
  fd: number | null;
  path: string | Buffer | undefined;
  flags: string | number | undefined;
  mode: string | number | undefined;
  emit(event: string, ...args: unknown[]): boolean;
}

/**
 * node's _construct: opens the path (unless a descriptor was given), then `attach(fd)` chooses how the
 * stream does its I/O, then 'open' and 'ready'.
 */
export function constructStream(stream: OpeningStream, ops: StreamFs, attach: (fd: number) => void, callback: (error?: Error | null) => void): void {
  if (typeof stream.fd === 'number') {
    attach(stream.fd);
    callback();
    return;
  }
  ops.open(stream.path as string | Buffer, stream.flags as string | number, stream.mode as number, (error, fd) => {
    if (error) {
      callback(error);
      return;
    }
    stream.fd = fd;
    attach(fd);
    callback();
    stream.emit('open', fd);
    stream.emit('ready');
  });
}

/** fs's stream operations over a FileHandle (node's FileHandleOperations). */
export function fileHandleOperations(handle: FileHandle | AioFileHandle): StreamFs {
  return {
    open: () => {
      throw new Error('open() is not implemented for a FileHandle');
    },
    close: (_fd, cb) => {
      handle.close().then(() => cb(null), cb);
    },
    fsync: (_fd, cb) => {
      handle.sync().then(() => cb(null), cb);
    },
    read: (_fd, buffer, offset, length, position, cb) => {
      handle.read(buffer, offset, length, position).then(
        (result) => cb(null, result.bytesRead, result.buffer as Buffer),
        (error: NodeJS.ErrnoException) => cb(error, 0, buffer),
      );
    },
    write: (_fd, buffer, offset, length, position, cb) => {
      handle.write(buffer, offset, length, position).then(
        (result) => cb(null, result.bytesWritten, result.buffer as Buffer),
        (error: NodeJS.ErrnoException) => cb(error, 0, buffer),
      );
    },
    writev: (_fd, buffers, position, cb) => {
      (handle as FileHandle).writev(buffers, position ?? undefined).then(
        (result) => cb(null, result.bytesWritten, result.buffers),
        (error: NodeJS.ErrnoException) => cb(error, 0, buffers),
      );
    },
  };
}

/** The stream's internal state (`_readableState` or `_writableState`), where fs streams keep autoClose. */
export interface StreamState {
  autoDestroy: boolean;
  constructed: boolean;
}

/**
 * The stream constructor's own handling of `signal`, at the point fs's streams reach it: inside
 * Readable's or Writable's constructor, before construction is scheduled, so an already-aborted
 * signal destroys the stream at once rather than after _construct.
 */
export function attachSignal(stream: Readable | Writable, state: StreamState, signal: AbortSignal): void {
  const constructed = state.constructed;
  state.constructed = true;
  try {
    addAbortSignal(signal, stream);
  } finally {
    state.constructed = constructed;
  }
}

/** `Class` made callable without `new` too, as fs.ReadStream and fs.WriteStream are. */
export function callableClass<C extends abstract new (...args: never[]) => unknown>(Class: C): C {
  return new Proxy(Class, {
    apply: (target, _this, args: unknown[]) => Reflect.construct(target, args),
  });
}
