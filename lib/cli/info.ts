/**
 * `aiofs info [PATH] [--json]`: the backend this process gets and why, the kernel, the system-wide
 * AIO event budget, and for PATH: its filesystem, its direct-I/O alignment and whether aiofs's I/O on
 * it is asynchronous kernel AIO or node:fs. That last answer is the library's own decision for a file
 * opened there (an AioFileHandle's `backend`), not a second opinion; for a directory, an empty
 * temporary file is created in it to ask, and removed at once.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { backend, type AioFileHandle, type Backend, type DirectIoAlignment } from '../index';
import { open } from '../promises';
import { parseCommandArgs, UsageError, type Command } from './args';
import { describeError } from './format';
import { filesystemOf, type FilesystemName } from './filesystem-names';

interface PathInfo {
  path: string;
  kind: 'file' | 'directory' | 'other';
  filesystem: FilesystemName;
  /** null: aiofs does no direct I/O on it (node:fs does the file's I/O): see `reason`. */
  directIoAlignment: DirectIoAlignment | null;
  alignmentNote: string;
  /** Whether aiofs does this file's I/O with asynchronous kernel AIO (else node:fs's threadpool). */
  asynchronous: boolean | null;
  /** The library's reason for that decision. */
  reason: string;
}

interface Info {
  backend: Backend;
  kernel: string;
  /** /proc/sys/fs/aio-nr and aio-max-nr, read before this process set up its own AIO context. */
  aioEvents: { inUse: number; max: number } | null;
  path?: PathInfo;
}

class InfoError extends Error {}

function readNumber(file: string): number {
  return Number(fs.readFileSync(file, 'utf8').trim());
}

function aioEvents(): Info['aioEvents'] {
  try {
    return { inUse: readNumber('/proc/sys/fs/aio-nr'), max: readNumber('/proc/sys/fs/aio-max-nr') };
  } catch {
    return null;
  }
}

/** The alignment of aiofs's direct I/O on the file the handle has open, as its `backend` tells it. */
function alignmentOf(handle: AioFileHandle): Pick<PathInfo, 'directIoAlignment' | 'alignmentNote'> {
  const alignment = handle.backend.directIoAlignment;
  if (alignment === null) return { directIoAlignment: null, alignmentNote: 'none: node:fs does the I/O on this file' };
  return {
    directIoAlignment: { ...alignment },
    alignmentNote: `memory ${alignment.memory}, file offset ${alignment.offset} bytes (what aiofs aligns to: statx STATX_DIOALIGN)`,
  };
}

/** Opens PATH (or a temporary file in it) the way aiofs opens files, and reports what aiofs decided. */
async function probe(target: string): Promise<PathInfo> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (error) {
    throw new InfoError(`cannot open '${target}': ${describeError(error)}`);
  }
  const kind = stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : 'other';
  const filesystem = filesystemOf(target);
  const file = kind === 'directory' ? path.join(target, `.aiofs-info-${process.pid}-${randomBytes(4).toString('hex')}`) : target;
  let handle: AioFileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer.
    handle =
      kind === 'directory' ? await open(file, 'wx', 0o600) : await open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    const doing = kind === 'directory' ? `create a file in '${target}' to ask` : `open '${target}'`;
    return {
      path: target,
      kind,
      filesystem,
      directIoAlignment: null,
      alignmentNote: 'unknown',
      asynchronous: null,
      reason: `unknown: cannot ${doing}: ${describeError(error)}`,
    };
  }
  try {
    return {
      path: target,
      kind,
      filesystem,
      ...alignmentOf(handle),
      asynchronous: handle.backend.name === 'kernel-aio',
      reason: handle.backend.reason,
    };
  } finally {
    await handle.close();
    if (file !== target) fs.rmSync(file, { force: true });
  }
}

function render(info: Info): string {
  const lines: [string, string][] = [
    ['backend', `${info.backend.name}: ${info.backend.reason}`],
    ['kernel', `${os.type()} ${info.kernel}`],
    [
      'AIO events',
      info.aioEvents === null
        ? 'unknown (no /proc/sys/fs/aio-nr)'
        : `${info.aioEvents.inUse} of ${info.aioEvents.max} in use (fs.aio-nr of fs.aio-max-nr, before this process's own context)`,
    ],
  ];
  const about = info.path;
  if (about !== undefined) {
    const fsText = `${about.filesystem.name}${about.filesystem.source === null ? '' : ` on ${about.filesystem.source}`} (statfs magic ${about.filesystem.magic})`;
    const asyncText =
      about.asynchronous === null
        ? about.reason
        : `${about.asynchronous ? 'yes: kernel AIO' : 'no: node:fs threadpool'} (${about.reason})`;
    lines.push(
      ['path', `${about.path} (${about.kind}${about.kind === 'directory' ? ': asked with a temporary file in it' : ''})`],
      ['filesystem', fsText],
      ['direct I/O', about.alignmentNote],
      ['asynchronous', asyncText],
    );
  }
  const width = Math.max(...lines.map(([label]) => label.length)) + 2;
  return lines.map(([label, text]) => `${`${label}:`.padEnd(width)}${text}\n`).join('');
}

export const info: Command = {
  name: 'info',
  summary: 'the backend and why, the kernel, AIO budget; for PATH: filesystem, alignment, async or not',
  synopsis: 'aiofs info [--json] [PATH]',
  help: `Usage: aiofs info [--json] [PATH]

Prints the backend aiofs uses in this process and why, the kernel version, and
how much of the system-wide AIO event budget is in use (fs.aio-nr of
fs.aio-max-nr). With PATH (a file or a directory): its filesystem, its direct
I/O alignment (statx STATX_DIOALIGN), and whether aiofs's I/O on it is
asynchronous kernel AIO or goes to node:fs (tmpfs, btrfs, pipes, devices, no
O_DIRECT). For a directory, an empty temporary file is created in it to ask.

Options:
  --json      print one JSON object instead
  -h, --help  show this help
`,
  async run(args) {
    const parsed = parseCommandArgs(info, args, { json: { type: 'boolean' } });
    if (parsed === null) return 0;
    if (parsed.positionals.length > 1) throw new UsageError(`one PATH at most, not ${parsed.positionals.length}`);
    // Read before `backend` sets up this process's context, which takes its own share.
    const events = aioEvents();
    const report: Info = { backend: { name: backend.name, reason: backend.reason }, kernel: os.release(), aioEvents: events };
    const target = parsed.positionals[0];
    if (target !== undefined) {
      try {
        report.path = await probe(target);
      } catch (error) {
        if (!(error instanceof InfoError)) throw error;
        process.stderr.write(`aiofs info: ${error.message}\n`);
        return 1;
      }
    }
    process.stdout.write(parsed.values.json === true ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return 0;
  },
};
