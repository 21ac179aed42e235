/**
 * What every subcommand shares: its help text, node:util's parseArgs in strict mode, and usage errors
 * (exit status 2) that name the problem in one line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A subcommand of `aiofs`. */
export interface Command {
  readonly name: string;
  /** One line for `aiofs --help`. */
  readonly summary: string;
  /** `aiofs NAME [options] ARGS`, shown under a usage error. */
  readonly synopsis: string;
  /** The whole of `aiofs NAME --help`. */
  readonly help: string;
  /** Runs the command on the arguments after its name; resolves to the exit status. */
  run(args: string[]): Promise<number>;
}

/** A mistake in the command line: printed as `aiofs NAME: message` plus the synopsis, exit status 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;
/** What parseArgs returns for `options` in strict mode with positionals. */
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/** parseArgs' first sentence (`Unknown option '--x'`), in the lower case of the tool's other messages. */
function oneLine(message: string): string {
  const first = message.split(/\.\s/)[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

/**
 * Parses `args` strictly against `options` (plus `-h, --help`). Returns null after printing the help
 * when it was asked for; throws {@link UsageError} for an unknown option or a missing value.
 */
export function parseCommandArgs<O extends Options>(command: Command, args: string[], options: O): Parsed<O> | null {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as O,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS_')) throw new UsageError(oneLine((error as Error).message));
    throw error;
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(command.help);
    return null;
  }
  return parsed;
}
