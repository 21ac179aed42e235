/**
 * `node --require aiofs/register app.js` or `node --import aiofs/register app.mjs`: node:fs's streams and
 * fs/promises' open, readFile, writeFile and appendFile become aiofs's for the whole process, so an app
 * and the libraries it uses run over kernel AIO without a code change:
 * - node:fs's createReadStream, createWriteStream, ReadStream and WriteStream are aiofs's, and so are
 *   its callback readFile, writeFile and appendFile;
 * - node's own ReadStream.prototype and WriteStream.prototype get aiofs's data path (_construct, _read,
 *   _write, _writev, _destroy), so streams of classes captured before this ran (graceful-fs, fs-extra, and
 *   node's FileHandle.createReadStream) run over kernel AIO too;
 * - fs/promises' open, readFile, writeFile and appendFile (also as `fs.promises`, and as ESM named
 *   imports, refreshed with syncBuiltinESMExports) are aiofs's.
 * Safe because aiofs calls node only through what it captured at load (node-originals.ts).
 */
// The module objects themselves (`import * as` would give a copy of them to a CommonJS build).
import fs = require('node:fs');
import fsp = require('node:fs/promises');
import { syncBuiltinESMExports } from 'node:module';

import * as callbacks from './callbacks';
import { NodeReadStream, NodeWriteStream } from './node-originals';
import { appendFile, open, readFile, writeFile } from './promises';
import { AioReadStream, aioRead, aioReadConstruct, aioReadDestroy, createReadStream } from './read-stream';
import { AioWriteStream, aioWrite, aioWriteDestroy, aioWritev, createWriteStream } from './write-stream';

Object.assign(NodeReadStream.prototype, { _construct: aioReadConstruct, _read: aioRead, _destroy: aioReadDestroy });
Object.assign(NodeWriteStream.prototype, { _write: aioWrite, _writev: aioWritev, _destroy: aioWriteDestroy });
// node:fs's module object is mutable (ReadStream and WriteStream are accessor properties with setters).
Object.assign(fs, {
  createReadStream,
  createWriteStream,
  ReadStream: AioReadStream,
  WriteStream: AioWriteStream,
  readFile: callbacks.readFile,
  writeFile: callbacks.writeFile,
  appendFile: callbacks.appendFile,
});
Object.assign(fsp, { open, readFile, writeFile, appendFile });
// ESM named imports (`import { createReadStream } from 'node:fs'`) are bindings taken from a snapshot of
// the module object; this refreshes them, including in modules already linked.
syncBuiltinESMExports();
