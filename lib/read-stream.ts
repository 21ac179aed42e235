/**
 * AioReadStream: node's fs.ReadStream, with its data path over kernel AIO.
 *
 * AioReadStream is a Node-style constructor that runs node's own ReadStream constructor (as it was when
 * aiofs loaded) on the new object, and inherits node's ReadStream.prototype. So construction, option
 * validation, 'open' and 'ready', `pending`, autoClose, an overridden open(), a custom `fs`, a
 * FileHandle `fd`, close() and every error are node's own, on whatever Node runs aiofs; old-style
 * subclasses (`ReadStream.apply(this, arguments)` with util.inherits) work as with node's.
 *
 * aiofs stands in front of two methods. _read keeps several aligned requests in flight through a
 * DirectFile when the stream reads a regular file through node:fs's own operations or through an
 * AioFileHandle, and runs node's _read otherwise (a custom `fs`, pipes, devices, /proc, tmpfs). _destroy
 * waits for those requests before node's _destroy closes the descriptor: a descriptor must not be
 * closed, and its number reused, while the kernel still reads through it. aiofs/register installs the
 * same two methods on node's ReadStream.prototype, so streams made by node's class run over kernel AIO too.
 *
 * Ownership: the stream's descriptor is node's business (opened by _construct, closed by _destroy when
 * autoClose). A DirectFile the stream attached to its own descriptor belongs to the stream, and is
 * closed before node's _destroy runs; one borrowed from an AioFileHandle belongs to the handle, which
 * node keeps open (a reference, kRef) until the stream is destroyed.
 */
import fs = require('node:fs');
import { constants } from 'node:os';
import type { FileHandle } from 'node:fs/promises';
import type { Readable, ReadableOptions } from 'node:stream';

import { loaded } from './binding';
import { allowsReading, descriptorFlags, filePosition, setFilePosition } from './descriptor';
import { attachDirect, kDirectFile, type CachePolicy, type DirectFile } from './direct-file';
import { ERR_INVALID_ARG_VALUE, systemError } from './errors';
import { engine } from './backend';
import type { Account } from './fair-share';
import type { MemoryBudget } from './memory-budget';
import { errorOrDestroy, inheritNodeStream } from './stream-class';
import { MAX_PLAIN_LENGTH, plainPath } from './plain-arguments';
import { MIN_REQUEST, ReadAhead } from './read-ahead';
import {
  NodeReadStream,
  nodeRead,
  nodeReadConstruct,
  nodeReadDestroy,
  setStreamOperations,
  streamHandle,
  streamOperations,
} from './node-originals';
import { SmallFileReader } from './small-file-reader';
import { validateInteger } from './validate';
import { openInJob } from './whole-file';

/** Most requests in flight per stream, by default (chosen with bench/sequential-read.mjs). */
export const DEFAULT_READ_AHEAD = 8;
/** Largest request, by default (chosen with bench/sequential-read.mjs); read-ahead starts at 64 KiB. */
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

/** The parts of node's ReadStream that the data path uses. */
interface NodeReadStreamFields extends Readable {
  fd: number | null;
  start: number | undefined;
  end: number;
  pos: number | undefined;
  bytesRead: number;
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

/**
 * fs.ReadStream over kernel AIO. Callable without `new`, and from old-style subclasses, as node's is; named
 * ReadStream, as node's is (libraries and util.inspect go by the name).
 */
export const AioReadStream = function ReadStream(
  this: unknown,
  path: fs.PathLike | null,
  options?: BufferEncoding | AioReadStreamOptions,
) {
  if (!(this instanceof AioReadStream)) return new (AioReadStream as ReadStreamConstructor)(path, options);
  // node's constructor validates first, so a call bad in both ways fails as node's would.
  (NodeReadStream as unknown as (this: unknown, ...args: unknown[]) => void).call(this, path, options);
  (this as unknown as NodeReadStreamFields)[kTuning] = tuningOf(options);
} as unknown as ReadStreamConstructor;
inheritNodeStream(AioReadStream, NodeReadStream);

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
  const reader = this[kReader];
  if (reader === undefined || reader === null) {
    nodeReadDestroy.call(this, error, callback);
    return;
  }
  reader.stop().then(() => nodeReadDestroy.call(this, error, callback));
}

AioReadStream.prototype._construct = aioReadConstruct;
AioReadStream.prototype._read = aioRead;
AioReadStream.prototype._destroy = aioReadDestroy;

/** fs.createReadStream over kernel AIO: the same arguments, options, events and errors. */
export function createReadStream(path: fs.PathLike | null, options?: BufferEncoding | AioReadStreamOptions): AioReadStream {
  return new AioReadStream(path, options);
}

/**
 * On the operations cachedOpenOperations() makes: what their open learned of the file it opened (null
 * until then, and after its close), so attaching the reader asks the kernel none of it again.
 */
const kCachedOpen = Symbol('aiofs.cachedOpen');

/** The descriptor cachedOpenOperations' open made, read-only, and the regular file's size and mode then. */
interface CachedOpened {
  fd: number;
  size: number;
  mode: number;
}

/**
 * One stream's I/O operations: node:fs's (looked up on the module at each call, as node's stream does),
 * except open, which takes a regular file from the dentry cache on the event loop (openat2
 * RESOLVE_CACHED, never waiting for the device) and answers on the next tick, or on a miss opens it
 * in a blocking job on aiofs's threads; and close, which closes that descriptor at once (read-only:
 * nothing to flush). A path that is not a regular file, or a kernel without RESOLVE_CACHED: node:fs's
 * own open (and close) do it.
 */
function cachedOpenOperations(): object {
  const operations = Object.create(fs, {
    [kCachedOpen]: { value: null, writable: true },
    open: {
      value(path: unknown, flags: unknown, mode: unknown, callback: (error: Error | null, fd?: number) => void): void {
        const binding = loaded.binding!;
        // Missed the dentry cache: opened by a blocking job on aiofs's threads (where a regular file is
        // one), learning what the cached open learns.
        const openMissed = (file: string | Buffer): void => {
          openInJob(engine()!, binding, file).then((fd) => {
            if (fd === binding.ops.notRegular) {
              fs.open(path as string, flags as string, mode as number, callback);
              return;
            }
            const described = binding.describe(fd);
            if (typeof described === 'number') {
              binding.closeFd(fd);
              callback(systemError(described, 'fstat'));
              return;
            }
            operations[kCachedOpen] = { fd, size: described[0], mode: described[1] } satisfies CachedOpened;
            callback(null, fd);
          }, callback);
        };
        // What node's open would validate (the path, the mode) must be plain, or node's open does it all.
        const file = typeof mode === 'number' && Number.isInteger(mode) && mode >= 0 && mode <= 0o7777 ? plainPath(path) : null;
        const result = file === null ? -constants.errno.EAGAIN : binding.openCached(file);
        if (typeof result !== 'number') {
          operations[kCachedOpen] = { fd: result[0], size: result[1], mode: result[2] } satisfies CachedOpened;
          engine()!.cached.opens++;
          process.nextTick(callback, null, result[0]);
        } else if (
          result === binding.ops.notRegular ||
          result === -constants.errno.EAGAIN ||
          result === -constants.errno.ENOSYS ||
          result === -constants.errno.EINVAL ||
          result === -constants.errno.EPERM
        ) {
          if (result === -constants.errno.EAGAIN && file !== null) {
            engine()!.cached.openMisses++;
            openMissed(file);
          } else {
            fs.open(path as string, flags as string, mode as number, callback);
          }
        } else {
          process.nextTick(callback, systemError(result, 'open', file!));
        }
      },
    },
    close: {
      value(fd: number, callback: (error: Error | null) => void): void {
        if (fd !== operations[kCachedOpen]?.fd) {
          fs.close(fd, callback);
          return;
        }
        operations[kCachedOpen] = null;
        const result = loaded.binding!.closeFd(fd);
        process.nextTick(callback, result < 0 ? systemError(result, 'close') : null);
      },
    },
  }) as { [kCachedOpen]: CachedOpened | null };
  return operations;
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
  const opened = (streamOperations(stream) as { [kCachedOpen]?: CachedOpened | null })[kCachedOpen];
  if (opened === undefined || opened === null || opened.fd !== stream.fd) return null;
  // Size 0 is an empty file or one whose size fstat does not tell (/proc): the reader finds out which.
  return opened.size > 0 && opened.size <= Math.min(wanted, MIN_REQUEST) ? opened : null;
}

/** `size` (a power of two times MIN_REQUEST), halved until it fits in `share`, but at least MIN_REQUEST. */
function fitted(size: number, share: number): number {
  while (size > share && size > MIN_REQUEST) size /= 2;
  return size;
}

/** One chunk request of the read-ahead window, in file order. */
interface Ahead {
  position: number;
  length: number;
  result: Buffer | number | undefined;
  /** The consumer asked for this chunk before it arrived (counted once, as one starve). */
  awaited: boolean;
  /** When it was requested, and how long the read took (performance.now(), ms). */
  requestedAt: number;
  readMs: number;
}

/** The file's size now; on failure, unknown (Infinity: requests then find the end as fs's reads do). */
function fileSizeOf(fd: number): number {
  const size = loaded.binding!.fileSize(fd);
  return size < 0 ? Infinity : size;
}

/**
 * The read-ahead data path of one stream: chunk requests in flight through a DirectFile, pushed in
 * file order. How many, and how large, ReadAhead decides from how the consumer keeps up; every
 * requested byte counts against the context's memory budget until it is pushed.
 *
 * Ownership: the chunks are this reader's until pushed, then the consumer's. Their bytes are taken
 * from the budget when requested and given back when pushed, or when dropped (end of file, stop).
 */
class DirectReader {
  readonly #stream: NodeReadStreamFields;
  readonly #direct: DirectFile;
  readonly #ownsDirect: boolean;
  readonly #readAhead: ReadAhead;
  readonly #budget: MemoryBudget;
  /** This stream's account in the device's fair share (fair-share.ts). */
  readonly #account: Account;
  readonly #window: Ahead[] = [];
  /** Bytes of the window's chunks (requested, not yet pushed), all taken from the budget. */
  #held = 0;
  #waitingTurn = false;
  /** Counted among the budget's streams (from construction to end or stop). */
  #inBudget = false;
  readonly #resume = (): void => {
    this.#waitingTurn = false;
    this.#deliver();
  };
  /** Next file offset to request, and the first offset not to read (end + 1, absolute). */
  #next: number;
  readonly #limit: number;
  /** The file's size as last asked (fstat): requests stop there, so a small file costs one small read. */
  #size: number;
  /** Reading at the descriptor's own position (no `start`): keep it advanced as read(2) would. */
  readonly #followsFilePosition: boolean;
  #wantsData = false;
  #ended = false;
  #stopped = false;
  /** This stream's requests in flight (a borrowed DirectFile also serves its handle's other calls). */
  #inFlight = 0;
  #idle: (() => void) | null = null;

  /** `size`: the file's size, when the caller has just learned it. */
  constructor(
    stream: NodeReadStreamFields,
    direct: DirectFile,
    ownsDirect: boolean,
    fd: number,
    budget: MemoryBudget,
    size?: number,
  ) {
    this.#stream = stream;
    this.#direct = direct;
    this.#ownsDirect = ownsDirect;
    const tuning = stream[kTuning] ?? DEFAULT_TUNING;
    this.#readAhead = new ReadAhead(tuning.chunkSize, tuning.readAhead);
    this.#budget = budget;
    this.#account = budget.join();
    this.#inBudget = true;
    this.#followsFilePosition = stream.start === undefined;
    this.#next = stream.start ?? Math.max(0, filePosition(fd));
    this.#limit = stream.end === Infinity ? Infinity : (stream.start === undefined ? this.#next : 0) + stream.end + 1;
    this.#size = size ?? fileSizeOf(fd);
  }

  read(size: number): void {
    // node's rule, kept for the same outcome: nothing left to ask for (a highWaterMark of 0 included) ends it.
    const stream = this.#stream;
    const wanted = Math.min(stream.end - (stream.pos ?? stream.bytesRead) + 1, size);
    if (wanted <= 0) {
      this.#end();
      return;
    }
    this.#wantsData = true;
    this.#deliver();
  }

  /**
   * Stops issuing requests, waits for those in flight, gives their bytes back, and closes a DirectFile
   * of the stream's own. Its own file's requests are cancelled first: those still queued end at once;
   * the kernel is asked to cancel the rest (regular files refuse, so they run to completion).
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#budget.leave(this.#resume);
    this.#leaveBudget();
    this.#drop();
    if (this.#ownsDirect && this.#inFlight > 0) this.#direct.cancelAll();
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    if (this.#ownsDirect) this.#direct.close();
  }

  /** The end of the stream: no more reads, and no more share of the budget. */
  #end(): void {
    this.#ended = true;
    this.#leaveBudget();
    this.#stream.push(null);
  }

  #leaveBudget(): void {
    if (this.#inBudget) this.#budget.part();
    this.#inBudget = false;
  }

  /** Voids the window (end of file moved, or stop): its requests settle unseen, their bytes go back. */
  #drop(): void {
    this.#window.length = 0;
    this.#budget.give(this.#held);
    this.#held = 0;
  }

  /** Pushes settled chunks in file order while the consumer wants data, and keeps the window full. */
  #deliver(): void {
    const stream = this.#stream;
    for (;;) {
      this.#fill();
      if (!this.#wantsData || this.#ended || this.#stopped || stream.destroyed) return;
      const head = this.#window[0];
      if (head === undefined) {
        // Nothing requested: either the whole range is, and this is the end, or the budget is spent
        // and the stream waits its turn.
        if (this.#waitingTurn) return;
        this.#end();
        return;
      }
      if (head.result === undefined) {
        // The consumer waits for data: more read-ahead would have had it ready.
        if (!head.awaited) this.#readAhead.starved();
        head.awaited = true;
        return; // its completion calls #deliver again
      }
      this.#readAhead.taken(performance.now() - head.requestedAt - head.readMs, head.readMs);
      this.#window.shift();
      this.#held -= head.length;
      this.#budget.give(head.length);
      const result = head.result;
      if (typeof result === 'number') {
        this.#drop();
        errorOrDestroy(this.#stream, systemError(result, 'read'));
        return;
      }
      if (result.length === 0) {
        this.#end();
        return;
      }
      if (stream.pos !== undefined) stream.pos += result.length;
      stream.bytesRead += result.length;
      if (result.length < head.length) {
        // End of file as of this read: what was read ahead is void (the file may still grow, as fs
        // would see); reading goes on from here, which ends the stream if nothing more is there.
        this.#drop();
        this.#next = head.position + result.length;
      }
      if (this.#followsFilePosition && stream.fd !== null) setFilePosition(stream.fd, head.position + result.length);
      this.#wantsData = stream.push(result);
    }
  }

  /** Issues chunk requests as ReadAhead and the budget allow, until the range is covered. */
  #fill(): void {
    if (this.#ended || this.#stopped || this.#stream.destroyed) return;
    if (this.#waitingTurn) {
      // A stream that waits its turn holding nothing may always ask (memory-budget.ts): it must not wait
      // for bytes that other streams hold, perhaps for a consumer that waits for this stream.
      if (this.#held > 0) return;
      this.#budget.leave(this.#resume);
      this.#waitingTurn = false;
    }
    // Cache hits are memory copies done on the event loop (or inside io_submit): one at a time is
    // fastest (measured: 1 GiB cached, 1 MiB chunks, ~7 GB/s with one in flight, ~3.5-4 GB/s with 4)
    // and keeps each stall of the event loop to one chunk's copy.
    // Read-ahead within this stream's share of the budget: requests no larger, and no more of them.
    const share = this.#budget.share;
    const depth = this.#direct.mayServeFromCache
      ? 1
      : Math.max(1, Math.min(this.#readAhead.depth, Math.floor(share / this.#readAhead.requestSize)));
    // At the size last seen, ask again: the file may have grown, as fs's next read would find.
    if (this.#next >= this.#size && this.#window.length === 0) this.#size = fileSizeOf(this.#stream.fd as number);
    while (this.#window.length < depth && this.#next < this.#limit && this.#next < this.#size) {
      // Requests end on multiples of their size, so only the first can start unaligned.
      // Without room (the budget spent, or ahead in the fair share), a stream holding nothing asks for the
      // smallest request only: the exemption that keeps it moving costs the budget at most MIN_REQUEST
      // per such stream.
      const size =
        this.#held === 0 && !this.#budget.hasRoom(this.#account) ? MIN_REQUEST : fitted(this.#readAhead.requestSize, share);
      const length = Math.min(this.#next - (this.#next % size) + size, this.#limit, this.#size) - this.#next;
      if (!this.#budget.tryTake(length, this.#held, this.#account)) {
        this.#waitingTurn = true;
        this.#budget.waitTurn(this.#resume, this.#account);
        return;
      }
      this.#held += length;
      const ahead: Ahead = {
        position: this.#next,
        length,
        result: undefined,
        awaited: false,
        requestedAt: performance.now(),
        readMs: 0,
      };
      this.#window.push(ahead);
      this.#next += length;
      this.#inFlight++;
      this.#direct.readChunk(ahead.position, length).then((result) => {
        this.#budget.settled(this.#account);
        if (--this.#inFlight === 0) this.#idle?.();
        ahead.result = result;
        ahead.readMs = performance.now() - ahead.requestedAt;
        // A voided request (after a short read, or destroy) settles unseen.
        if (this.#window[0] === ahead) this.#deliver();
      });
    }
  }
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
  const handle = streamHandle(stream);
  if (handle !== undefined) {
    const borrowed = (handle as { [kDirectFile]?: DirectFile | null })[kDirectFile];
    const flags = descriptorFlags(fd);
    return borrowed && flags !== null && allowsReading(flags) ? new DirectReader(stream, borrowed, false, fd, budget) : null;
  }
  const operations = streamOperations(stream) as { [kCachedOpen]?: CachedOpened | null };
  if (operations !== fs && operations[kCachedOpen] === undefined) return null;
  // Opened by the cached open: read-only, a regular file of this size then.
  const opened = operations[kCachedOpen]?.fd === fd ? operations[kCachedOpen] : undefined;
  const flags = opened !== undefined ? fs.constants.O_RDONLY : descriptorFlags(fd);
  // A write-only descriptor is read through fs, which fails as read(2) does (EBADF).
  if (flags === null || !allowsReading(flags)) return null;
  const attached = attachDirect(fd, flags, (stream[kTuning] ?? DEFAULT_TUNING).cache, opened?.mode);
  return typeof attached === 'string' ? null : new DirectReader(stream, attached, true, fd, budget, opened?.size);
}
