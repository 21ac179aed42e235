// ESM entry: the CommonJS build re-exported, so `import` and `require` share one module instance (and
// so one AIO context per thread). Node's ESM loader does not follow the CommonJS build's re-export of
// node:fs, so node's names come from node:fs here, and aiofs's own names, listed explicitly, take
// precedence over them. `import fs from 'aiofs'` gives the CommonJS module object, as for node:fs.
import aiofs from './index.js';

export * from 'node:fs';
export {
  AioFileHandle,
  AioReadStream,
  AioWriteStream,
  appendFile,
  backend,
  configure,
  contextStats,
  createReadStream,
  createWriteStream,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_READ_AHEAD,
  FileReadStream,
  FileWriteStream,
  promises,
  readFile,
  ReadStream,
  writeFile,
  WriteStream,
} from './index.js';
export type { AioReadStreamOptions, AioWriteStreamOptions, Backend, ContextStats } from './index.js';
export default aiofs;
