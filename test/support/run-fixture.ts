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

/** Runs `test/fixtures/<name>` with node, extra node flags and environment, and parses its report. */
export function runFixture(name: string, args: string[] = [], options: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {}): FixtureRun {
  const script = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const child = spawnSync(process.execPath, [...(options.nodeFlags ?? []), script, ...args], {
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const lines = child.stdout.trim().split('\n');
  let report: Record<string, unknown> = {};
  try {
    report = JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
  } catch {
    report = { unparsed: child.stdout };
  }
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr, report };
}
