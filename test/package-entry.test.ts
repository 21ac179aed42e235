// The package loads the ways users load it: require, import, the promises subpath, with types.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    const run = node(['-e', "const a = require('aiofs'); const p = require('aiofs/promises'); console.log(a.backend.name, typeof p.open, a.promises.open === p.open)"]);
    expect(run.out.trim()).toBe('kernel-aio function true');
  });

  it('import from "aiofs" and "aiofs/promises" share one instance with require', () => {
    const code = "import { backend, promises } from 'aiofs'; import { open } from 'aiofs/promises'; import { createRequire } from 'node:module'; const req = createRequire(import.meta.url); console.log(backend.name, open === promises.open, open === req('aiofs/promises').open)";
    const run = node(['--input-type=module', '-e', code]);
    expect(run.out.trim()).toBe('kernel-aio true true');
  });

  it('types: aiofs/promises type-checks as an fs/promises stand-in', () => {
    const dir = mkdtempSync(join(root, 'test', '.types-'));
    try {
      writeFileSync(
        join(dir, 'usage.mts'),
        [
          "import { open, readFile, writeFile } from 'aiofs/promises';",
          "import { backend, type Backend } from 'aiofs';",
          'const b: Backend = backend;',
          "const fh = await open('x', 'r');",
          'const { bytesRead, buffer } = await fh.read(Buffer.alloc(10), 0, 10, 0);',
          'const n: number = bytesRead; const buf: Buffer = buffer;',
          "const text: string | Buffer = await readFile('x', 'utf8');",
          "await writeFile('y', 'data', { flush: true });",
          'await fh.close();',
          'export { b, n, buf, text };',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'] }, include: ['usage.mts'] }),
      );
      const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: root, encoding: 'utf8' });
      expect(tsc.stdout + tsc.stderr).toBe('');
      expect(tsc.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
