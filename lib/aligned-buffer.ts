/**
 * Memory for direct I/O: buffers whose address is a multiple of the file's memory alignment.
 *
 * They are carved out of ordinary over-allocated Node buffers (an aligned view into a slightly larger
 * allocation), never external ArrayBuffers, so they work where those are forbidden (the V8 sandbox,
 * Electron). Bounce buffers are pooled by size class so hot paths do not allocate: one pool per thread
 * ({@link sharedPool}).
 */
import type { NativeBinding } from './binding';

/** Pooled buffers are aligned to this; it covers every memory alignment reported here (512 or 4096). */
export const POOL_ALIGNMENT = 4096;
const MAX_POOLED_SIZE = 4 * 1024 * 1024;
/** Each size class keeps at most this many bytes of idle buffers (and at least 4 buffers). */
const MAX_IDLE_BYTES_PER_CLASS = 8 * 1024 * 1024;

/** Rounds `value` down to a multiple of `alignment` (a power of two). */
export function alignDown(value: number, alignment: number): number {
  return value - (value % alignment);
}

/** Rounds `value` up to a multiple of `alignment`. */
export function alignUp(value: number, alignment: number): number {
  const rest = value % alignment;
  return rest === 0 ? value : value + alignment - rest;
}

export class AlignedBufferPool {
  readonly #binding: NativeBinding;
  /** Idle buffers by size class: index k holds buffers of POOL_ALIGNMENT << k bytes. */
  readonly #free: Buffer[][] = [];

  constructor(binding: NativeBinding) {
    this.#binding = binding;
  }

  /** A new buffer of exactly `size` bytes whose address is a multiple of `alignment`. */
  allocate(size: number, alignment: number): Buffer {
    const backing = Buffer.allocUnsafeSlow(size + alignment);
    const skip = this.#binding.alignmentOffset(backing, alignment);
    return backing.subarray(skip, skip + size);
  }

  /** Whether `view` starts at an address that is a multiple of `alignment`. */
  isAligned(view: Uint8Array, alignment: number): boolean {
    return this.#binding.alignmentOffset(view, alignment) === 0;
  }

  /**
   * A buffer of at least `size` bytes aligned to `alignment`; its contents are arbitrary. Give it back
   * with {@link release} once no request uses it.
   */
  take(size: number, alignment: number): Buffer {
    const sizeClass = sizeClassOf(size);
    if (alignment > POOL_ALIGNMENT || sizeClass > MAX_POOLED_SIZE) return this.allocate(size, alignment);
    const reused = this.#free[classIndex(sizeClass)]?.pop();
    if (reused === undefined) return this.allocate(sizeClass, POOL_ALIGNMENT);
    this.#idleBytes -= sizeClass;
    return reused;
  }

  /** Returns a buffer from {@link take}. The caller must hold no other reference that it still uses. */
  release(buffer: Buffer): void {
    const size = buffer.byteLength;
    if (size > MAX_POOLED_SIZE || size !== sizeClassOf(size)) return;
    const index = classIndex(size);
    const list = (this.#free[index] ??= []);
    if (list.length < Math.max(4, MAX_IDLE_BYTES_PER_CLASS / size)) {
      list.push(buffer);
      this.#idleBytes += size;
    }
  }

  /** Bytes of idle buffers kept for reuse. */
  get idleBytes(): number {
    return this.#idleBytes;
  }

  #idleBytes = 0;
}

let shared: AlignedBufferPool | undefined;

/** This thread's pool (module state is per thread: each worker loads its own copy of this module). */
export function sharedPool(binding: NativeBinding): AlignedBufferPool {
  shared ??= new AlignedBufferPool(binding);
  return shared;
}

/** Bytes of idle buffers this thread's pool keeps (0 before its first use). */
export function sharedPoolIdleBytes(): number {
  return shared?.idleBytes ?? 0;
}

/** Position of a size class (a power of two, at least POOL_ALIGNMENT) in the free lists. */
function classIndex(sizeClass: number): number {
  return 31 - Math.clz32(sizeClass / POOL_ALIGNMENT);
}

/** The power of two at or above `size` (at least POOL_ALIGNMENT); sizes past 2^30 are not pooled. */
function sizeClassOf(size: number): number {
  if (size <= POOL_ALIGNMENT) return POOL_ALIGNMENT;
  return size > 2 ** 30 ? size : 2 ** (32 - Math.clz32(size - 1));
}
