// aiofs's streams and promise functions stand in for node:fs's: each is assignable to the type of the
// node:fs export it mirrors, so code typed against node:fs accepts aiofs's without a cast.
import * as fs from 'node:fs';
import type * as fsp from 'node:fs/promises';

import { createReadStream, createWriteStream, ReadStream, WriteStream } from 'aiofs';
import * as aiofsPromises from 'aiofs/promises';

export const readStream: typeof fs.createReadStream = createReadStream;
export const writeStream: typeof fs.createWriteStream = createWriteStream;
export const readStreamInstance: fs.ReadStream = new ReadStream('x');
export const writeStreamInstance: fs.WriteStream = new WriteStream('x');

export const readFile: typeof fsp.readFile = aiofsPromises.readFile;
export const writeFile: typeof fsp.writeFile = aiofsPromises.writeFile;
export const appendFile: typeof fsp.appendFile = aiofsPromises.appendFile;
export const stat: typeof fsp.stat = aiofsPromises.stat;
export const lstat: typeof fsp.lstat = aiofsPromises.lstat;
export const truncate: typeof fsp.truncate = aiofsPromises.truncate;
export const constants: typeof fs.constants = aiofsPromises.constants;
export const open: (...args: Parameters<typeof fsp.open>) => Promise<unknown> = aiofsPromises.open;
// The handle open() gives has FileHandle's I/O methods, with FileHandle's types.
export type MirroredHandleMethods =
  | 'fd'
  | 'read'
  | 'readv'
  | 'write'
  | 'writev'
  | 'sync'
  | 'datasync'
  | 'stat'
  | 'truncate'
  | 'readFile'
  | 'writeFile'
  | 'appendFile'
  | 'close';
export const handle = async (): Promise<Pick<fsp.FileHandle, MirroredHandleMethods>> => aiofsPromises.open('x', 'r');

// The checks above are real (aiofs's types are not `any`): an fs/promises readFile without an encoding
// gives a Buffer, which is not a string.
// @ts-expect-error Buffer is not assignable to string
export const notAString: string = await aiofsPromises.readFile('x');
