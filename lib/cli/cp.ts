/**
 * `aiofs cp SRC... DST`: copies files through aiofs's read and write streams (kernel AIO where the
 * files allow it), as cp(1) would:
 *
 *  - DST an existing directory: each SRC goes into it under its own base name. Several SRCs need one.
 *  - A new DST gets SRC's permission bits less the umask (as cp without -p; no set-id or sticky bits);
 *    an existing one keeps its inode, owner and mode, and is truncated only once it is known not to be
 *    SRC itself (the same file under another name, a hard link, or DST/basename(SRC)), which is refused.
 *  - On failure (a read or write error, or SIGINT/SIGTERM/SIGHUP) DST is removed unless --keep-partial,
 *    if it is a regular file this run opened for writing: a new file, or an existing one whose old bytes
 *    were already truncated away, so that nothing half-written is left looking like a copy. A DST this
 *    run never opened (SRC missing, same file, DST not creatable) is never touched, and neither is a
 *    DST that is not a regular file (`aiofs cp x /dev/null`).
 */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { AioFileHandle, createReadStream, createWriteStream, type AioReadStreamOptions, type Backend } from '../index';
import { open } from '../promises';
import { parseCommandArgs, UsageError, type Command } from './args';
import { describeError, formatBytes, formatRate } from './format';
import { ProgressBar } from './progress';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
/** The permission bits cp gives a new file (before the umask): no set-user-ID, set-group-ID or sticky bit. */
const PERMISSION_BITS = 0o777;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A failed copy, as the one line after `aiofs cp: `. */
class CopyError extends Error {}

interface CopyOptions {
  flush: boolean;
  cache: NonNullable<AioReadStreamOptions['cache']>;
  keepPartial: boolean;
  signal: AbortSignal;
}

/** What we opened as DST, and whether a failure may remove it. */
interface Target {
  handle: AioFileHandle;
  /** A regular file that this run created or truncated. */
  removable: boolean;
  identity: fs.Stats;
}

function sameFile(a: fs.Stats, b: fs.Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

function backendText(backend: Backend): string {
  return backend.name === 'kernel-aio' ? 'kernel-aio' : `node-fs (${backend.reason})`;
}

async function statOrNull(file: string): Promise<fs.Stats | null> {
  return fsp.stat(file).catch(() => null);
}

/**
 * Opens DST for writing without truncating it first: a new file is created with SRC's permissions; an
 * existing one is compared with SRC (by device and inode, once it is open, so a rename in between cannot
 * fool the check) and only then truncated.
 */
async function openTarget(source: string, sourceStat: fs.Stats, target: string): Promise<Target> {
  const refuse = () => new CopyError(`'${source}' and '${target}' are the same file`);
  const before = await statOrNull(target);
  if (before !== null && sameFile(before, sourceStat)) throw refuse();
  let handle: AioFileHandle;
  let created = true;
  try {
    handle = await open(target, O_WRONLY | O_CREAT | O_EXCL, sourceStat.mode & PERMISSION_BITS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new CopyError(`cannot create '${target}': ${describeError(error)}`);
    created = false;
    try {
      handle = await open(target, O_WRONLY);
    } catch (again) {
      throw new CopyError(`cannot open '${target}' for writing: ${describeError(again)}`);
    }
  }
  try {
    const identity = await handle.stat();
    if (sameFile(identity, sourceStat)) throw refuse();
    if (!created && identity.isFile()) await handle.truncate(0);
    return { handle, removable: identity.isFile(), identity };
  } catch (error) {
    await handle.close();
    if (error instanceof CopyError) throw error;
    throw new CopyError(`cannot truncate '${target}': ${describeError(error)}`);
  }
}

/** Resolves once `stream` has closed its descriptor (at once if it already has). */
async function closed(stream: Readable | Writable): Promise<void> {
  if (!stream.closed) await once(stream, 'close').catch(() => undefined);
}

/** Removes a partial DST, if the path still names the file we wrote. Says what became of it. */
async function discard(target: string, written: Target, keep: boolean, bytes: number): Promise<string> {
  if (!written.removable) return '';
  if (keep) return ` (kept the partial copy: ${bytes} bytes)`;
  const now = await fsp.lstat(target).catch(() => null);
  if (now === null || !sameFile(now, written.identity)) return '';
  try {
    await fsp.unlink(target);
    return ' (removed the partial copy)';
  } catch (error) {
    return ` (could not remove the partial copy: ${describeError(error)})`;
  }
}

/** Copies one file and prints its summary line, or throws a {@link CopyError}. */
async function copyFile(source: string, target: string, options: CopyOptions): Promise<void> {
  let input: fsp.FileHandle;
  try {
    input = await fsp.open(source, O_RDONLY);
  } catch (error) {
    throw new CopyError(`cannot open '${source}': ${describeError(error)}`);
  }
  let sourceStat: fs.Stats;
  let output: Target;
  try {
    sourceStat = await input.stat();
    if (sourceStat.isDirectory()) throw new CopyError(`'${source}' is a directory (aiofs cp copies files)`);
    output = await openTarget(source, sourceStat, target);
  } catch (error) {
    await input.close();
    throw error;
  }
  // --cache is a policy of SRC's handle: aiofs's open() takes none (its handles read with 'auto'), and a
  // stream given a handle reads through the handle's. So node's handle is made aiofs's here by adopt(),
  // which file-handle.ts marks @internal. (A stream given a plain descriptor takes its own `cache`, but
  // node's destroy() closes that descriptor even with autoClose false, under the handle still holding it.)
  const reader = AioFileHandle.adopt(input, O_RDONLY, options.cache);
  // From here the streams own both handles (autoClose): they close them however the copy ends.
  const readStream = createReadStream(null, { fd: reader });
  const writeStream = createWriteStream(null, { fd: output.handle, flush: options.flush });
  let failedWhile: 'reading' | 'writing' | undefined;
  readStream.on('error', () => (failedWhile ??= 'reading'));
  writeStream.on('error', () => (failedWhile ??= 'writing'));

  const total = sourceStat.isFile() ? sourceStat.size : null;
  const bar = process.stderr.isTTY
    ? new ProgressBar(process.stderr, path.basename(source), total, () => writeStream.bytesWritten)
    : null;
  const started = performance.now();
  try {
    await pipeline(readStream, writeStream, { signal: options.signal });
    await closed(writeStream);
  } catch (error) {
    await Promise.all([closed(readStream), closed(writeStream)]);
    const fate = await discard(target, output, options.keepPartial, writeStream.bytesWritten);
    const line = options.signal.aborted
      ? `interrupted by ${String(options.signal.reason)} while copying '${source}' to '${target}'${fate}`
      : `error ${failedWhile ?? 'copying'} '${failedWhile === 'reading' ? source : target}': ${describeError(error)}${fate}`;
    bar?.end();
    throw new CopyError(line);
  }
  const seconds = (performance.now() - started) / 1000;
  const bytes = writeStream.bytesWritten;
  const summary =
    `'${source}' -> '${target}': ${bytes} bytes (${formatBytes(bytes)}) in ${seconds.toFixed(3)} s, ` +
    `${formatRate(bytes, seconds)}${options.flush ? ', flushed' : ''}; ` +
    `read: ${backendText(reader.backend)}, write: ${backendText(output.handle.backend)}`;
  if (bar === null) process.stderr.write(`${summary}\n`);
  else bar.end(summary);
}

/**
 * Stops the copy on SIGINT/SIGTERM/SIGHUP; returns the undo. A second signal kills the process by the
 * signal's default action, not process.exit(), which would wait for a threadpool thread stuck in
 * open(2) of a FIFO that no writer opens.
 */
function stopOnSignals(controller: AbortController): () => void {
  const restore = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      controller.abort(signal);
      return;
    }
    restore();
    process.kill(process.pid, signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return restore;
}

export const cp: Command = {
  name: 'cp',
  summary: 'copy files through kernel AIO, with a progress bar on a terminal',
  synopsis: 'aiofs cp [--flush] [--cache auto|bypass] [--keep-partial] SRC... DST',
  help: `Usage: aiofs cp [options] SRC DST
       aiofs cp [options] SRC... DIRECTORY

Copies SRC to DST (or each SRC into DIRECTORY) with aiofs's streams: kernel AIO
with O_DIRECT where the files allow it, node:fs elsewhere. A new DST gets SRC's
permissions (less the umask); an existing DST keeps its own and is overwritten.
On a terminal a progress bar is drawn on stderr; otherwise one summary line per
file (bytes, seconds, MB/s, backend) is printed there when it is done.

Options:
  --flush              fsync DST before closing it (the copy is on disk when cp exits)
  --cache auto|bypass  auto (default): read what is cached from the page cache;
                       bypass: always O_DIRECT, leaving the page cache alone
  --keep-partial       on failure keep what was written (default: remove DST)
  -h, --help           show this help

Exit status: 0 when every file was copied, 1 when one was not, 2 for a usage
error, 128+N when stopped by signal N (the partial DST removed).
`,
  async run(args) {
    const parsed = parseCommandArgs(cp, args, {
      flush: { type: 'boolean' },
      cache: { type: 'string', default: 'auto' },
      'keep-partial': { type: 'boolean' },
    });
    if (parsed === null) return 0;
    const { values, positionals } = parsed;
    if (values.cache !== 'auto' && values.cache !== 'bypass')
      throw new UsageError(`--cache must be 'auto' or 'bypass', not '${values.cache}'`);
    if (positionals.length === 0) throw new UsageError('missing file operand');
    if (positionals.length === 1) throw new UsageError(`missing destination file operand after '${positionals[0]}'`);
    const sources = positionals.slice(0, -1);
    const destination = positionals[positionals.length - 1] as string;
    const intoDirectory = (await statOrNull(destination))?.isDirectory() ?? false;
    if (sources.length > 1 && !intoDirectory) {
      process.stderr.write(`aiofs cp: target '${destination}' is not a directory\n`);
      return 1;
    }
    const controller = new AbortController();
    const options: CopyOptions = {
      flush: values.flush === true,
      cache: values.cache,
      keepPartial: values['keep-partial'] === true,
      signal: controller.signal,
    };
    const restoreSignals = stopOnSignals(controller);
    let status = 0;
    try {
      for (const source of sources) {
        const target = intoDirectory ? path.join(destination, path.basename(source)) : destination;
        try {
          await copyFile(source, target, options);
        } catch (error) {
          if (!(error instanceof CopyError)) throw error;
          process.stderr.write(`aiofs cp: ${error.message}\n`);
          status = 1;
        }
        if (controller.signal.aborted) return 128 + os.constants.signals[controller.signal.reason as NodeJS.Signals];
      }
    } finally {
      restoreSignals();
    }
    return status;
  },
};
