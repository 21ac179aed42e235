/**
 * AioReadStream: node's fs.ReadStream, with its data path over kernel AIO.
 *
 * AioReadStream is a Node-style constructor that runs node's own ReadStream constructor (as it was when
 * aiofs loaded) on the new object, and inherits node's ReadStream.prototype. So construction, option
 * validation, 'open' and 'ready', `pending`, autoClose, an overridden open(), a custom `fs`, a
 * FileHandle `fd`, close() and every error are node's own, on whatever Node runs aiofs; old-style
 * subclasses (`ReadStream.apply(this, arguments)` with util.inherits) work as with node's.
 *
 * aiofs stands in front of three methods. _construct opens a path from the dentry cache on the loop
 * when it can (cached-open-operations.ts). _read reads a small file so opened whole at once
 * (small-file-reader.ts), or keeps several requests in flight (direct-reader.ts) when the stream reads a
 * regular file through node:fs's own operations or through an AioFileHandle, and runs node's _read
 * otherwise (a custom `fs`, pipes, devices, /proc, tmpfs). _destroy stops that reader before node's
 * (stream-shell.ts). aiofs/register installs the same methods on node's ReadStream.prototype, so
 * streams made by node's class run over kernel AIO too.
 *
 * Ownership: the stream's descriptor is node's business (opened by _construct, closed by _destroy when
 * autoClose). The reader, and the file it reads through (stream-file.ts), are the stream's.
 */
import fs = require('node:fs');
import type { FileHandle } from 'node:fs/promises';
import type { ReadableOptions } from 'node:stream';

import { engine } from './backend';
import { cachedOpenOf, cachedOpenOperations, type CachedOpened } from './cached-open-operations';
import { allowsReading, descriptorFlags } from './descriptor';
import type { CachePolicy } from './direct-file';
import { DirectReader, type ReadStreamFields } from './direct-reader';
import { ERR_INVALID_ARG_VALUE } from './errors';
import {
  NodeReadStream,
  nodeRead,
  nodeReadConstruct,
  nodeReadDestroy,
  setStreamOperations,
  streamOperations,
} from './node-originals';
import { MAX_PLAIN_LENGTH } from './plain-arguments';
import { MIN_REQUEST } from './read-ahead';
import { SmallFileReader } from './small-file-reader';
import { StreamFile } from './stream-file';
import { nodeStyleStream, stopThenDestroy } from './stream-shell';
import { validateInteger } from './validate';

/** Most requests in flight per stream, by default (chosen with bench/suite/scenarios/sequential-read.mjs). */
export const DEFAULT_READ_AHEAD = 8;
/** Largest request, by default (chosen with bench/suite/scenarios/sequential-read.mjs); read-ahead starts at 64 KiB. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/** Options of {@link createReadStream}: fs.createReadStream's, and aiofs's own. */
export interface AioReadStreamOptions extends Omit<ReadableOptions, 'read' | 'destroy' | 'construct' | 'encoding' | 'signal'> {
  flags?: string | number;
  encoding?: BufferEncoding | null;
  fd?: number | FileHandle | null;
  mode?: number;
  autoClose?: boolean;
  emitClose?: boolean;
  start?: number;
  end?: number;
  highWaterMark?: number;
  /** null is typed as fs.ReadStream's options type it, and rejected at run time as fs rejects it. */
  signal?: AbortSignal | null;
  fs?: Partial<Record<'open' | 'read' | 'close', unknown>> | null;
  /**
   * Most requests in flight at once while the consumer keeps up (read-ahead grows to it from one).
   * Default {@link DEFAULT_READ_AHEAD}.
   */
  readAhead?: number;
  /** Largest request, in bytes (read-ahead grows to it from 64 KiB). Default {@link DEFAULT_CHUNK_SIZE}. */
  chunkSize?: number;
  /**
   * 'auto' (default): the page cache first (RWF_NOWAIT), misses by O_DIRECT. 'bypass': always O_DIRECT,
   * so streaming a huge file leaves other files' cached pages alone.
   */
  cache?: CachePolicy;
}

/** aiofs's own options of one stream, validated by the constructor (node's streams get the defaults). */
interface Tuning {
  readAhead: number;
  chunkSize: number;
  cache: CachePolicy;
}

const DEFAULT_TUNING: Tuning = { readAhead: DEFAULT_READ_AHEAD, chunkSize: DEFAULT_CHUNK_SIZE, cache: 'auto' };
const kTuning = Symbol('aiofs.readTuning');
/**
 * The stream's reader: undefined until its first _read, then a SmallFileReader (until it hands off), a
 * DirectReader, or null (node reads).
 */
const kReader = Symbol('aiofs.reader');

/** The parts of node's ReadStream that the data path uses, and aiofs's own. */
interface NodeReadStreamFields extends ReadStreamFields {
  [kTuning]?: Tuning;
  [kReader]?: DirectReader | SmallFileReader | null;
}

/** The stream class: node's fs.ReadStream with aiofs's data path. */
export interface AioReadStream extends fs.ReadStream {}

type ReadStreamConstructor = {
  new (path: fs.PathLike | null, options?: BufferEncoding | AioReadStreamOptions): AioReadStream;
  (path: fs.PathLike | null, options?: BufferEncoding | AioReadStreamOptions): AioReadStream;
  prototype: AioReadStream;
};

function tuningOf(options: unknown): Tuning {
  if (typeof options !== 'object' || options === null) return DEFAULT_TUNING;
  const { readAhead = DEFAULT_READ_AHEAD, chunkSize = DEFAULT_CHUNK_SIZE, cache = 'auto' } = options as AioReadStreamOptions;
  validateInteger(readAhead, 'options.readAhead', 1, 1024);
  validateInteger(chunkSize, 'options.chunkSize', 4096, 64 * 1024 * 1024);
  if (cache !== 'auto' && cache !== 'bypass')
    throw new ERR_INVALID_ARG_VALUE('options.cache', cache, "must be 'auto' or 'bypass'");
  return { readAhead, chunkSize, cache };
}

/** fs.ReadStream over kernel AIO (stream-shell.ts): node's constructor, then aiofs's own options. */
export const AioReadStream = nodeStyleStream<ReadStreamConstructor>(
  'ReadStream',
  NodeReadStream as never,
  (stream: NodeReadStreamFields, options) => (stream[kTuning] = tuningOf(options)),
);

/**
 * _read: a small file the stream opened itself is read whole at once (SmallFileReader); otherwise
 * read-ahead over kernel AIO where the stream's file allows it, else node's own.
 */
export function aioRead(this: NodeReadStreamFields, size: number): void {
  let reader = this[kReader];
  if (reader === undefined) {
    const small = smallFile(this, size);
    if (small !== null) {
      this[kReader] = new SmallFileReader(this, small.fd, small.size, (pushed) => {
        // Read on from the offset reached; with nothing pushed, node's stream still waits for this _read.
        this[kReader] = attachReader(this);
        if (!pushed) aioRead.call(this, size);
      });
      this[kReader].read();
      return;
    }
    reader = this[kReader] = attachReader(this);
  }
  if (reader === null) nodeRead.call(this, size);
  else reader.read(size);
}

/**
 * _construct: node's own, but a stream that opens a path read-only through node:fs's operations opens it
 * from the dentry cache at once when it can (cachedOpenOperations), instead of a round trip through the
 * threadpool; and closes that descriptor at once too.
 */
export function aioReadConstruct(this: NodeReadStreamFields, callback: (error?: Error | null) => void): void {
  const fields = this as NodeReadStreamFields & { flags?: unknown; path?: unknown; open?: unknown };
  if (
    this.fd === null &&
    (fields.flags === 'r' || fields.flags === fs.constants.O_RDONLY) &&
    fields.open === (NodeReadStream.prototype as { open?: unknown }).open &&
    streamOperations(this) === fs &&
    engine() !== null
  ) {
    setStreamOperations(this, cachedOpenOperations());
  }
  nodeReadConstruct.call(this, callback);
}

/** _destroy: waits for the stream's requests, lets go of its DirectFile, then node's own. */
export function aioReadDestroy(this: NodeReadStreamFields, error: Error | null, callback: (error?: Error | null) => void): void {
  stopThenDestroy(this[kReader], () => nodeReadDestroy.call(this, error, callback));
}

AioReadStream.prototype._construct = aioReadConstruct;
AioReadStream.prototype._read = aioRead;
AioReadStream.prototype._destroy = aioReadDestroy;

/** fs.createReadStream over kernel AIO: the same arguments, options, events and errors. */
export function createReadStream(path: fs.PathLike | null, options?: BufferEncoding | AioReadStreamOptions): AioReadStream {
  return new AioReadStream(path, options);
}

/**
 * What the stream's own open learned of its file (cachedOpenOperations), when the stream reads the whole of it (no start,
 * no end), has read nothing yet, and the file is small: no larger than one read of node's stream
 * (`wanted`, its highWaterMark), so fs would read it in one chunk too, and no larger than MIN_REQUEST,
 * which every stream may hold whatever the memory budget (memory-budget.ts). Null otherwise.
 */
function smallFile(stream: NodeReadStreamFields, wanted: number): CachedOpened | null {
  // A highWaterMark past what node reads in one call makes node's own _read fail in its own ways.
  if (stream.start !== undefined || stream.end !== Infinity || stream.bytesRead !== 0 || wanted > MAX_PLAIN_LENGTH) return null;
  const opened = cachedOpenOf(stream);
  if (opened === undefined) return null;
  // Size 0 is an empty file or one whose size fstat does not tell (/proc): the reader finds out which.
  return opened.size > 0 && opened.size <= Math.min(wanted, MIN_REQUEST) ? opened : null;
}

/**
 * The reader for a stream that has just opened its file, or null where node reads: a custom `fs`,
 * a FileHandle that is not aiofs's, a descriptor not open for reading, or a file without direct I/O.
 */
function attachReader(stream: NodeReadStreamFields): DirectReader | null {
  const fd = stream.fd;
  const budget = engine()?.budget;
  // A highWaterMark past what node reads in one call makes node's own _read fail in its own ways.
  if (typeof fd !== 'number' || budget === undefined || stream.readableHighWaterMark > MAX_PLAIN_LENGTH) return null;
  // Opened by the cached open: read-only, a regular file of this size then.
  const opened = cachedOpenOf(stream);
  const flags = opened !== undefined ? fs.constants.O_RDONLY : descriptorFlags(fd);
  // A write-only descriptor is read through fs, which fails as read(2) does (EBADF).
  if (flags === null || !allowsReading(flags)) return null;
  const tuning = stream[kTuning] ?? DEFAULT_TUNING;
  const file = StreamFile.attach(stream, fd, flags, tuning.cache, opened?.mode);
  return file === null ? null : new DirectReader(stream, file, fd, tuning, budget, opened?.size);
}
