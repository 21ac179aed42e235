/**
 * The file a read or write stream moves its data through: a DirectFile, and the stream's own requests
 * in flight on it.
 *
 * Ownership: a DirectFile attached to the stream's own descriptor belongs to the stream, and stop()
 * closes it once the stream's requests are done (the descriptor itself stays node's, which closes it
 * after). One borrowed from an AioFileHandle belongs to the handle, which node keeps open (a
 * reference, kRef) until the stream is destroyed; stop() only waits for the stream's requests on it.
 */
import fs = require('node:fs');

import { engine } from './backend';
import { isCachedOpenOperations } from './cached-open-operations';
import { attachDirect, kDirectFile, type CachePolicy, type DirectFile } from './direct-file';
import { streamHandle, streamOperations } from './node-originals';
import { RequestsInFlight } from './requests-in-flight';

export class StreamFile {
  readonly direct: DirectFile;
  /** The stream's requests (a borrowed DirectFile also serves its handle's other calls). */
  readonly requests: RequestsInFlight;
  readonly #owned: boolean;

  private constructor(direct: DirectFile, owned: boolean) {
    this.direct = direct;
    this.#owned = owned;
    this.requests = new RequestsInFlight(engine()!);
  }

  /**
   * The file of a stream that has just opened `fd` (open with `flags`; `mode`: its st_mode, when just
   * learned): its handle's DirectFile, or its own when the stream opened it through node:fs's operations
   * (or aiofs's cached open over them). Null where node moves the data: a FileHandle that is not
   * aiofs's, a custom `fs`, or a file without direct I/O (attachDirect says why).
   */
  static attach(stream: object, fd: number, flags: number, cache: CachePolicy, mode?: number): StreamFile | null {
    const handle = streamHandle(stream);
    if (handle !== undefined) {
      const borrowed = (handle as { [kDirectFile]?: DirectFile | null })[kDirectFile];
      return borrowed ? new StreamFile(borrowed, false) : null;
    }
    const operations = streamOperations(stream);
    if (operations !== fs && !isCachedOpenOperations(operations)) return null;
    const attached = attachDirect(fd, flags, cache, mode);
    return typeof attached === 'string' ? null : new StreamFile(attached, true);
  }

  /**
   * Waits for the stream's requests, then closes a DirectFile of the stream's own. `cancel`: ask the
   * kernel to cancel its own file's requests first (a read stream destroyed early; regular files refuse,
   * so they still run to completion and are waited for).
   */
  async stop(cancel: boolean): Promise<void> {
    if (cancel && this.#owned && this.requests.busy) this.direct.cancelAll();
    await this.requests.idle();
    if (this.#owned) this.direct.close();
  }
}
