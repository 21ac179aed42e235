/**
 * node:fs as it was when aiofs loaded: the functions and classes aiofs builds on or hands calls to,
 * captured once, and the internal symbols of node's streams and FileHandle that aiofs must share with
 * node's own code. aiofs calls node only through these, so aiofs/register (or any library) replacing
 * node:fs's functions later can never make aiofs call itself.
 *
 * Owns nothing; every value here belongs to node.
 */
// The module objects themselves (`import * as` would give a copy of them to a CommonJS build).
import fs = require('node:fs');
import fsp = require('node:fs/promises');

/** node:fs's exports at load (getters read once: `ReadStream` and `WriteStream` are node's classes). */
export const nodeFs: typeof fs = { ...fs };
/** node:fs/promises' exports at load. */
export const nodeFsp: typeof fsp = { ...fsp };

/**
 * node's own stream class: fs.ReadStream (or WriteStream) may already be a subclass of it that a
 * library put there (graceful-fs's gracefulify() does), so the class is the one whose prototype holds
 * node's _construct.
 */
function nodeStreamClass<C extends { prototype: object }>(exported: C): C {
  for (let proto: object | null = exported.prototype; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    if (Object.hasOwn(proto, '_construct')) return (proto as { constructor: C }).constructor;
  }
  return exported;
}

/** node's stream classes, and the prototype methods aiofs's data path stands in front of. */
export const NodeReadStream = nodeStreamClass(fs.ReadStream);
export const NodeWriteStream = nodeStreamClass(fs.WriteStream);
export const nodeRead = NodeReadStream.prototype._read;
export const nodeReadConstruct = NodeReadStream.prototype._construct!;
export const nodeReadDestroy = NodeReadStream.prototype._destroy;
export const nodeWrite = NodeWriteStream.prototype._write;
export const nodeWritev = NodeWriteStream.prototype._writev!;
export const nodeWriteDestroy = NodeWriteStream.prototype._destroy;

/** The running Node's major version: the few rules aiofs must write itself depend on it. */
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The own or inherited symbol of `object` whose description is `name` (node's module-private keys). */
export function symbolNamed(object: object, name: string): symbol | undefined {
  for (let o: object | null = object; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const found = Object.getOwnPropertySymbols(o).find((symbol) => symbol.description === name);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * node's own keys on a ReadStream or WriteStream, found on the first stream that has each: kFs (its
 * I/O operations: `options.fs`, node:fs, or node's operations over a FileHandle; set by every
 * constructor) and kHandle (the FileHandle given as `fd`, set only then).
 */
let kStreamFs: symbol | undefined;
let kStreamHandle: symbol | undefined;

function ownSymbolNamed(object: object, name: string): symbol | undefined {
  return Object.getOwnPropertySymbols(object).find((symbol) => symbol.description === name);
}

/** The I/O operations a node stream uses (node:fs, `options.fs`, or its FileHandle's operations). */
export function streamOperations(stream: object): unknown {
  kStreamFs ??= ownSymbolNamed(stream, 'kFs');
  return kStreamFs === undefined ? undefined : (stream as Record<symbol, unknown>)[kStreamFs];
}

/** Gives a node stream other I/O operations (before it opens its file). */
export function setStreamOperations(stream: object, operations: object): void {
  kStreamFs ??= ownSymbolNamed(stream, 'kFs');
  if (kStreamFs !== undefined) (stream as Record<symbol, unknown>)[kStreamFs] = operations;
}

/** The FileHandle a node stream reads or writes through (its `fd` option), if it was given one. */
export function streamHandle(stream: object): unknown {
  kStreamHandle ??= ownSymbolNamed(stream, 'kHandle');
  return kStreamHandle === undefined ? undefined : (stream as Record<symbol, unknown>)[kStreamHandle];
}

/** node's FileHandle class and the keys of its reference count and transfer, found on its first instance. */
export interface FileHandleInternals {
  readonly prototype: fsp.FileHandle;
  /** Counts an operation in progress: close() waits for it, and transfer refuses (fsCall does the same). */
  readonly kRef: symbol;
  readonly kUnref: symbol;
  /** The native handle, whose close()/closeSync() every way of closing ends in. */
  readonly kHandle: symbol;
  /** worker_threads' transfer hook (messaging_transfer_symbol). */
  readonly kTransfer: symbol;
}

let fileHandleInternals: FileHandleInternals | undefined;

export function fileHandleInternalsOf(handle: fsp.FileHandle): FileHandleInternals {
  if (fileHandleInternals === undefined) {
    const prototype = Object.getPrototypeOf(handle) as fsp.FileHandle;
    const find = (name: string): symbol => {
      const found = symbolNamed(handle, name);
      if (found === undefined) throw new Error(`aiofs: node's FileHandle has no ${name} on Node ${process.version}`);
      return found;
    };
    fileHandleInternals = {
      prototype,
      kRef: find('kRef'),
      kUnref: find('kUnref'),
      kHandle: find('kHandle'),
      kTransfer: find('messaging_transfer_symbol'),
    };
  }
  return fileHandleInternals;
}
