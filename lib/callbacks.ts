/**
 * node:fs's callback readFile, writeFile and appendFile, over the same whole-file paths as
 * aiofs/promises (whole-file.ts): plain arguments (plain-arguments.ts) with a callback function are
 * served by aiofs, anything else goes, untouched, to node's own function, which validates, throws and
 * calls back exactly as the running Node does. The callback is called on a later tick with node's
 * arguments, outside any promise chain (an exception it throws is an uncaught exception, as with node).
 */
// Node gets `arguments` itself, not rest parameters: exactly what the caller passed, their count included,
// so its validation and errors are unchanged, while each function keeps node's .length (test/surface.test.ts).
/* eslint-disable prefer-rest-params */
import { nodeFs } from './node-originals';
import { plainPath, plainReadFileOptions, plainWriteFileData, plainWriteFileOptions } from './plain-arguments';
import { readFile as readFilePromise, writeFile as writeFilePromise, appendFile as appendFilePromise } from './promises';
import { readFdFromCache } from './whole-file';

type Callback<T> = (error: NodeJS.ErrnoException | null, result?: T) => void;

/** The (options, callback) pair of a call, as node reads it: options may be left out. */
function split(options: unknown, callback: unknown): [unknown, unknown] {
  return typeof options === 'function' && callback === undefined ? [undefined, options] : [options, callback];
}

/** Calls back as node does: (null, result), or (null) alone for a call with no result, or (error). */
function callBack<T>(work: Promise<T>, callback: Callback<T>): void {
  work.then(
    (result) => (result === undefined ? process.nextTick(callback, null) : process.nextTick(callback, null, result)),
    (error: NodeJS.ErrnoException) => process.nextTick(callback, error),
  );
}

/** fs.readFile(path | fd[, options], callback). */
export function readFile(path: unknown, options?: unknown, callback?: unknown): void {
  const [opts, done] = split(options, callback);
  const plain = typeof done === 'function' ? plainReadFileOptions(opts) : null;
  if (plain !== null && plainPath(path) !== null) {
    callBack(readFilePromise(path as string, opts as undefined) as Promise<Buffer | string>, done as Callback<Buffer | string>);
    return;
  }
  if (plain !== null && isDescriptor(path)) {
    // A cached small file is read on the loop; anything else is node's, from the same position.
    const args = arguments;
    void readFdFromCache(path).then((contents) => {
      if (contents === null) (nodeFs.readFile as (...args: unknown[]) => void)(...args);
      else
        process.nextTick(done as Callback<Buffer | string>, null, plain.encoding ? contents.toString(plain.encoding) : contents);
    });
    return;
  }
  (nodeFs.readFile as (...args: unknown[]) => void)(...arguments);
}

/** A file descriptor node's readFile takes: an int32 of at least 0. */
function isDescriptor(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0x7fffffff;
}

/** fs.writeFile(path, data[, options], callback). */
export function writeFile(path: unknown, data: unknown, options?: unknown, callback?: unknown): void {
  writeWhole('writeFile', arguments, path, data, options, callback);
}

/** fs.appendFile(path, data[, options], callback). */
export function appendFile(path: unknown, data: unknown, options?: unknown, callback?: unknown): void {
  writeWhole('appendFile', arguments, path, data, options, callback);
}

function writeWhole(
  method: 'writeFile' | 'appendFile',
  args: IArguments,
  path: unknown,
  data: unknown,
  options: unknown,
  callback: unknown,
): void {
  const [opts, done] = split(options, callback);
  const plain =
    typeof done === 'function' && plainPath(path) !== null
      ? plainWriteFileOptions(opts, method === 'writeFile' ? 'w' : 'a')
      : null;
  if (plain !== null && plainWriteFileData(data, plain.encoding) !== null) {
    const write = method === 'writeFile' ? writeFilePromise : appendFilePromise;
    callBack(write(path as string, data as string, opts as undefined), done as Callback<void>);
    return;
  }
  (nodeFs[method] as (...args: unknown[]) => void)(...args);
}
