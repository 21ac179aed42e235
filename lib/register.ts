/**
 * `node --require aiofs/register app.js` or `node --import aiofs/register app.mjs`: swaps node:fs's
 * `createReadStream`, `createWriteStream`, `ReadStream` and `WriteStream` for aiofs's, so an app (and the
 * libraries it uses, such as express's `send`) streams files over kernel AIO without a code change.
 *
 * Safe because aiofs's streams never call those four: when a file cannot use direct I/O they read and
 * write through node:fs's `open`/`read`/`write`, which stay node's own.
 */
// The module object itself (`import * as` would give a copy of it to a CommonJS build).
import fs = require('node:fs');
import { syncBuiltinESMExports } from 'node:module';

import { AioReadStream, createReadStream } from './read-stream';
import { AioWriteStream, createWriteStream } from './write-stream';

// node:fs's module object is mutable (ReadStream and WriteStream are accessor properties with setters).
Object.assign(fs, { createReadStream, createWriteStream, ReadStream: AioReadStream, WriteStream: AioWriteStream });
// ESM named imports (`import { createReadStream } from 'node:fs'`) are bindings taken from a snapshot of
// the module object; this refreshes them, including in modules already linked.
syncBuiltinESMExports();
