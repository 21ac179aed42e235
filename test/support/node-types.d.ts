/**
 * What node documents of FileHandle and @types/node 20 leaves out; the tests use both.
 */
import type { EventEmitter } from 'node:events';
import type { WriteVResult } from 'node:fs';

declare module 'fs/promises' {
  /** node: "class FileHandle ... Extends: <EventEmitter>" (its 'close' event); @types/node has a TODO for it. */
  interface FileHandle extends EventEmitter {
    /** node: `position` <integer> | <null>, default null (the current position); @types/node has number only. */
    writev<TBuffers extends readonly NodeJS.ArrayBufferView[]>(
      buffers: TBuffers,
      position?: number | null,
    ): Promise<WriteVResult<TBuffers>>;
  }
}
