/**
 * The data path of one AioFileHandle on the kernel-aio backend: its DirectFile, whether the handle's
 * open flags let it read and write (not appending) through it, and the order of the operations at the
 * descriptor's file position. Each call moves bytes and throws node's error when the system call
 * fails; which calls come here, and with what arguments, the handle decides (file-handle.ts).
 *
 * Ownership: borrows the DirectFile and the descriptor from the handle, which closes both
 * (file-handle.ts, closeBeforeNative).
 */
import { allowsReading, allowsWriting, FilePositionQueue } from './descriptor';
import type { DirectFile } from './direct-file';
import { systemError } from './errors';
import { nodeFs } from './node-originals';
import { readToEnd } from './whole-file';

export class HandleIo {
  readonly direct: DirectFile;
  /** Whether the handle's flags let it read through `direct`, and write (appending handles do not). */
  readonly reads: boolean;
  readonly writes: boolean;
  /** The handle's descriptor now (-1 once closed), asked when an operation at the file position starts. */
  readonly #fd: () => number;
  /** Operations at the file position (position null) run one after another, as read(2) would. */
  readonly #atPosition = new FilePositionQueue();

  constructor(direct: DirectFile, flags: number, fd: () => number) {
    this.direct = direct;
    this.reads = allowsReading(flags);
    this.writes = allowsWriting(flags) && (flags & nodeFs.constants.O_APPEND) === 0;
    this.#fd = fd;
  }

  /** Reads into `target` at `position` (null: the file position): bytes read. */
  async read(target: Uint8Array, position: number | null): Promise<number> {
    const count = await this.#at(position, (start) => this.direct.read(target, start), 'read');
    if (count < 0) throw systemError(count, 'read');
    return count;
  }

  /** Writes `bytes` at `position` (null: the file position): bytes written. */
  async write(bytes: Uint8Array, position: number | null): Promise<number> {
    const count = await this.#at(position, (start) => this.direct.write(bytes, start), 'write');
    if (count < 0) throw systemError(count, 'write');
    return count;
  }

  /** The file from the file position to its end, as node's FileHandle.readFile reads it. */
  readToEnd(): Promise<Buffer> {
    return this.#at(null, (start) => readToEnd(this.direct, this.#fd(), start), 'read');
  }

  /** fsync(2) or fdatasync(2) through the kernel, after the earlier writes have completed. */
  async sync(syscall: 'fsync' | 'fdatasync'): Promise<void> {
    const result = await this.direct.sync(syscall === 'fsync' ? 'fsync' : 'fdsync');
    if (result < 0) throw systemError(result, syscall);
  }

  /**
   * Runs `io` at `position`, or, for null, at the descriptor's file position (advanced by the bytes
   * moved), in turn with the handle's other operations at the file position.
   */
  #at<T extends number | Buffer>(position: number | null, io: (start: number) => Promise<T>, syscall: string): Promise<T> {
    return position !== null ? io(position) : this.#atPosition.run(this.#fd, io, syscall);
  }
}
