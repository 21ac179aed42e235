// The `aiofs` command itself: its bin entry (run through npx, as the README says), help, version, and
// usage errors that say what is wrong in one line and exit 2.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { CLI, REPO, runCli } from './support/cli.js';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};

describe('the aiofs command', () => {
  it('is the package bin, starts with a node shebang, and runs through npx', () => {
    expect(path.join(REPO, manifest.bin.aiofs!)).toBe(CLI);
    expect(fs.readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const npx = spawnSync('npx', ['--offline', 'aiofs', '--version'], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    expect(npx.stdout).toBe(`${manifest.version}\n`);
    expect(npx.status).toBe(0);
  });

  it("uses only aiofs's public API: its modules import node's, each other, and aiofs and aiofs/promises", () => {
    const dir = path.join(REPO, 'lib', 'cli');
    const files = fs.readdirSync(dir).filter((name) => name.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) {
      const sources = [...fs.readFileSync(path.join(dir, name), 'utf8').matchAll(/^import [^;]* from '([^']+)';$/gm)];
      const outside = sources.map((m) => m[1]!).filter((from) => !/^(node:|\.\/|\.\.\/(index|promises)$)/.test(from));
      expect({ name, outside }).toEqual({ name, outside: [] });
    }
  });

  it("--help lists every command on stdout; a command's --help shows its options", () => {
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    const text = help.stdout.toString();
    for (const command of ['cp', 'cat', 'info', 'bench']) expect(text).toMatch(new RegExp(`\\n  ${command} +\\S`));
    for (const [command, option] of [
      ['cp', '--keep-partial'],
      ['cat', '--help'],
      ['info', '--json'],
    ] as const) {
      const own = runCli([command, '--help']);
      expect(own.status).toBe(0);
      expect(own.stderr).toBe('');
      expect(own.stdout.toString()).toMatch(new RegExp(`^Usage: aiofs ${command}[^]*${option}`));
      expect(runCli(['help', command]).stdout.equals(own.stdout)).toBe(true);
    }
  });

  it.each([
    [[], 'aiofs: missing command', 'aiofs --help'],
    [['frob'], "aiofs: unknown command 'frob'", 'aiofs --help'],
    [['--frob'], "aiofs: unknown option '--frob'", 'aiofs --help'],
    [['cp', '--frob', 'a', 'b'], "aiofs cp: unknown option '--frob'", 'aiofs cp --help'],
    [['cp'], 'aiofs cp: missing file operand', 'aiofs cp --help'],
    [['cp', 'a'], "aiofs cp: missing destination file operand after 'a'", 'aiofs cp --help'],
    [['cp', '--cache', 'maybe', 'a', 'b'], "aiofs cp: --cache must be 'auto' or 'bypass', not 'maybe'", 'aiofs cp --help'],
    [['cp', 'a', 'b', '--cache'], "aiofs cp: option '--cache <value>' argument missing", 'aiofs cp --help'],
    [['cp', '--flush=yes', 'a', 'b'], "aiofs cp: option '--flush' does not take an argument", 'aiofs cp --help'],
    [['cat', '-x'], "aiofs cat: unknown option '-x'", 'aiofs cat --help'],
    [['info', 'a', 'b'], 'aiofs info: one PATH at most, not 2', 'aiofs info --help'],
  ])('aiofs %j: one line saying what is wrong, the usage, exit 2', (args, message, more) => {
    const run = runCli(args);
    expect(run.status).toBe(2);
    expect(run.stdout.length).toBe(0);
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe(message);
    expect(lines[1]).toMatch(/^Usage: aiofs /);
    expect(lines[2]).toBe(`Try '${more}' for more.`);
    expect(lines).toHaveLength(4);
  });
});
