// ESM entry for `aiofs/promises`: the CommonJS build re-exported (one module instance per thread), with
// node:fs/promises' names from node itself and aiofs's own listed explicitly (they take precedence).
import promises from './promises.js';

export * from 'node:fs/promises';
export { AioFileHandle, appendFile, open, readFile, writeFile } from './promises.js';
export type { ReadFileArgument, ReadResult, WriteFileArgument, WriteFileData, WriteResult } from './promises.js';
export default promises;
