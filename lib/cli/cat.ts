/**
 * `aiofs cat FILE...`: the files, in order, to stdout (files read through aiofs's read stream; `-` or
 * no FILE is stdin). As cat(1): a file that cannot be read is reported on stderr, the rest are still
 * written, and the exit status is 1.
 *
 * A reader that goes away (`aiofs cat big.iso | head -c 10`) ends the command quietly with status 0:
 * the reader has what it wanted. (GNU cat is killed by SIGPIPE instead, which `set -o pipefail` sees as
 * 141; Node ignores SIGPIPE, so it gets EPIPE, and exiting 0 is the honest equivalent of "nothing went
 * wrong on my side".)
 */
import type { Readable, Writable } from 'node:stream';

import { createReadStream } from '../index';
import { parseCommandArgs, type Command } from './args';
import { describeError } from './format';

/** An error of the output (stdout), not of the file being read. */
class OutputError extends Error {
  constructor(readonly original: unknown) {
    super(describeError(original));
  }
}

/**
 * Writes `source` to `out` without ending `out` (the next file follows) and without destroying it when
 * `source` fails, as pipeline() would. Rejects with the source's error, or an {@link OutputError}.
 */
function pump(source: Readable, out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: unknown) => {
      source.off('end', onEnd).off('error', onSourceError);
      out.off('error', onOutError);
      source.unpipe(out);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onEnd = () => finish();
    const onSourceError = (error: Error) => finish(error);
    const onOutError = (error: Error) => {
      source.destroy();
      finish(new OutputError(error));
    };
    if (out.errored) {
      onOutError(out.errored);
      return;
    }
    source.once('end', onEnd).once('error', onSourceError);
    out.once('error', onOutError);
    source.pipe(out, { end: false });
  });
}

export const cat: Command = {
  name: 'cat',
  summary: 'write files to stdout through kernel AIO (for pipes: aiofs cat big.iso | sha256sum)',
  synopsis: 'aiofs cat [FILE]...',
  help: `Usage: aiofs cat [FILE]...

Writes each FILE, in order, to stdout, reading it with aiofs's read stream
(kernel AIO with O_DIRECT where the file allows it). With no FILE, or when FILE
is -, reads stdin.

A file that cannot be read is reported on stderr and the others are still
written (exit status 1). When the reader of stdout goes away (| head), aiofs cat
stops quietly with exit status 0.

Options:
  -h, --help  show this help
`,
  async run(args) {
    const parsed = parseCommandArgs(cat, args, {});
    if (parsed === null) return 0;
    const files = parsed.positionals.length > 0 ? parsed.positionals : ['-'];
    let status = 0;
    for (const file of files) {
      // A second '-' finds stdin at its end, as cat(1) reading a pipe again does.
      if (file === '-' && process.stdin.readableEnded) continue;
      const source = file === '-' ? process.stdin : createReadStream(file);
      try {
        await pump(source, process.stdout);
      } catch (error) {
        if (error instanceof OutputError) {
          if ((error.original as NodeJS.ErrnoException).code === 'EPIPE') return status;
          process.stderr.write(`aiofs cat: write error: ${error.message}\n`);
          return 1;
        }
        const opening = (error as NodeJS.ErrnoException).syscall === 'open';
        process.stderr.write(`aiofs cat: ${opening ? 'cannot open' : 'error reading'} '${file}': ${describeError(error)}\n`);
        status = 1;
      }
    }
    return status;
  },
};
