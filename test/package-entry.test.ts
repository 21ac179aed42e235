// The package loads the ways users load it: require, import, the promises subpath, with types.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function node(args: string[]): { status: number | null; out: string } {
  const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  return { status: run.status, out: run.stdout + run.stderr };
}

describe('package entry points', () => {
  it('require("aiofs") and require("aiofs/promises")', () => {
    const run = node([
      '-e',
      "const a = require('aiofs'); const p = require('aiofs/promises'); console.log(a.backend.name, typeof p.open, a.promises.open === p.open)",
    ]);
    expect(run.out.trim()).toBe('kernel-aio function true');
  });

  it('import from "aiofs" and "aiofs/promises" share one instance with require', () => {
    const code =
      "import { backend, promises } from 'aiofs'; import { open } from 'aiofs/promises'; import { createRequire } from 'node:module'; const req = createRequire(import.meta.url); console.log(backend.name, open === promises.open, open === req('aiofs/promises').open)";
    const run = node(['--input-type=module', '-e', code]);
    expect(run.out.trim()).toBe('kernel-aio true true');
  });

  it('types (tsc on test/types): the streams and aiofs/promises stand in for node:fs and fs/promises', () => {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'test/types')], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
