#!/usr/bin/env node
/**
 * The `aiofs` command: `aiofs cp`, `aiofs cat`, `aiofs info` and `aiofs bench`.
 *
 * Exit status: what the command returns (0 success, 1 failure), 2 for a usage error. Set as
 * process.exitCode rather than by process.exit(), so that stdout is flushed and streams close.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { UsageError, type Command } from './args';
import { bench } from './bench';
import { cat } from './cat';
import { cp } from './cp';
import { info } from './info';

const COMMANDS: readonly Command[] = [cp, cat, info, bench];

function version(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

const USAGE = `Usage: aiofs <command> [options] [arguments]

File I/O over Linux kernel AIO, from the command line.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(6)} ${command.summary}`).join('\n')}

aiofs <command> --help shows a command's options; aiofs --version, the version.
`;

/** One line saying what is wrong, the synopsis, and where to read more; exit status 2. */
function usageError(prefix: string, message: string, synopsis: string, helpCommand: string): number {
  process.stderr.write(`${prefix}: ${message}\nUsage: ${synopsis}\nTry '${helpCommand}' for more.\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) return usageError('aiofs', 'missing command', 'aiofs <command> [options] [arguments]', 'aiofs --help');
  if (name === '-h' || name === '--help' || name === 'help') {
    const topic = COMMANDS.find((command) => command.name === rest[0]);
    process.stdout.write(topic?.help ?? USAGE);
    return 0;
  }
  if (name === '-V' || name === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    const what = name.startsWith('-') ? 'unknown option' : 'unknown command';
    return usageError('aiofs', `${what} '${name}'`, 'aiofs <command> [options] [arguments]', 'aiofs --help');
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(`aiofs ${command.name}`, error.message, command.synopsis, `aiofs ${command.name} --help`);
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    // Not an error the commands expect (those are one-line messages): a bug, shown whole.
    process.stderr.write(`aiofs: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
