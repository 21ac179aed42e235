import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Result of a fixture script run in a fresh Node process. */
export interface FixtureRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last line of stdout, parsed as JSON (fixtures print their findings there). */
  report: Record<string, unknown>;
}

/** Runs `test/fixtures/<name>` with node, extra node flags and environment (killed after `timeoutMs`, 2 min by default), and parses its report. */
export function runFixture(
  name: string,
  args: string[] = [],
  options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): FixtureRun {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const child = spawnSync(process.execPath, [...(options.nodeFlags ?? []), script, ...args], {
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  return {
    status: child.status,
    signal: child.signal,
    stdout: child.stdout,
    stderr: child.stderr,
    report: lastLineReport(child.stdout),
  };
}

/** The last line of a script's stdout parsed as JSON (`{ unparsed: stdout }` when it is not JSON). */
export function lastLineReport(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
  } catch {
    return { unparsed: stdout };
  }
}
