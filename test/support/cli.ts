/**
 * Runs the built `aiofs` command (dist/cli/main.js) in a fresh process, as a user runs it, and hashes
 * files for comparing copies.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** `aiofs ...args`, with stdin from `input` (empty when not given) and extra environment. */
export function runCli(args: string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliRun {
  const child = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input ?? '',
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? REPO,
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr.toString('utf8') };
}

/** A shell command line that runs `aiofs` (for pipes and `script`). */
export function cliCommand(args: string[]): string {
  return [process.execPath, CLI, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
