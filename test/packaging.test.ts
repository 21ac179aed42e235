// The package as a user meets it: `npm pack`, then `npm install` of the tarball into a fresh folder with
// no compiler on PATH (scripts/pack-install.sh). With the shipped prebuild, aiofs runs on kernel AIO; with
// no prebuild for the platform, the install still succeeds and aiofs runs on node:fs, saying why.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { lastLineReport } from './support/run-fixture';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Installed {
  dir: string;
  consumer: string;
  status: number | null;
  output: string;
}

/** scripts/pack-install.sh into a fresh folder; `mode` is its second argument. */
function packAndInstall(mode?: '--without-prebuilds' | '--ignore-scripts'): Installed {
  const dir = mkdtempSync(join(tmpdir(), 'aiofs-packaging-'));
  const args = [join(root, 'scripts/pack-install.sh'), dir, ...(mode ? [mode] : [])];
  const run = spawnSync('bash', args, { encoding: 'utf8', timeout: 300_000 });
  const consumer = join(dir, 'consumer');
  copyFileSync(join(root, 'scripts/smoke.mjs'), join(consumer, 'smoke.mjs'));
  return { dir, consumer, status: run.status, output: run.stdout + run.stderr };
}

/** Runs node in the consumer folder with the same bare PATH the install had. */
function nodeIn(installed: Installed, args: string[]): { status: number | null; out: string; report: Record<string, unknown> } {
  const run = spawnSync(process.execPath, args, {
    cwd: installed.consumer,
    encoding: 'utf8',
    env: { PATH: join(installed.dir, 'bin') },
    timeout: 120_000,
  });
  return { status: run.status, out: run.stdout + run.stderr, report: lastLineReport(run.stdout) };
}

describe('npm pack, then install with no compiler on PATH', () => {
  let installed: Installed;
  beforeAll(() => {
    installed = packAndInstall();
  });
  afterAll(() => rmSync(installed.dir, { recursive: true, force: true }));

  it('the install PATH really has no compiler, make or python', () => {
    const found = spawnSync('sh', ['-c', 'command -v cc c++ gcc g++ make python3 python node-gyp'], {
      encoding: 'utf8',
      env: { PATH: join(installed.dir, 'bin') },
    });
    expect(found.stdout).toBe('');
  });

  it('the tarball ships the prebuilds, the checksums, both entry points, the CLI and its benchmark suite', () => {
    const tarball = readdirSync(installed.dir).find((name) => name.endsWith('.tgz'));
    const listing = spawnSync('tar', ['-tzf', join(installed.dir, tarball!)], { encoding: 'utf8' }).stdout.split('\n');
    for (const file of [
      'prebuilds/linux-x64/aiofs.node',
      'prebuilds/linux-arm64/aiofs.node',
      'prebuilds/SHA256SUMS',
      'dist/index.js',
      'dist/index.mjs',
      'dist/index.d.ts',
      'dist/promises.mjs',
      'dist/register.js',
      'dist/register.mjs',
      'dist/cli/main.js',
      'bench/suite/main.mjs',
      'bench/suite/trials/sequential-read-trial.mjs',
      'bench/lib/child.mjs',
    ]) {
      expect(listing, file).toContain(`package/${file}`);
    }
    // `aiofs bench` runs on the user's disk from the package; its results and data stay in the repository.
    expect(listing.filter((file) => /^package\/(test|build|scripts|bench\/results|bench\/\.data)\//.test(file))).toEqual([]);
  });

  it('installs without compiling: the prebuild loaded, nothing was built', () => {
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).toMatch(/^> aiofs@\S+ install$/m); // the install script ran (node-gyp-build)
    expect(existsSync(join(installed.consumer, 'node_modules/aiofs/build'))).toBe(false);
  });

  it("require('aiofs') and import 'aiofs' load, on kernel AIO, and round trips give the bytes back", () => {
    const smoke = nodeIn(installed, ['smoke.mjs', '--expect', 'kernel-aio']);
    expect(smoke.report, smoke.out).toMatchObject({
      ok: true,
      backend: 'kernel-aio',
      sameInstance: true,
      promisesRoundTrip: true,
      streamRoundTrip: true,
    });
    const cjs = nodeIn(installed, [
      '-e',
      "const a = require('aiofs'); console.log(JSON.stringify({ name: a.backend.name, open: typeof require('aiofs/promises').open }))",
    ]);
    expect(cjs.report, cjs.out).toEqual({ name: 'kernel-aio', open: 'function' });
  });
});

describe('no prebuild for the platform and no compiler', () => {
  let installed: Installed;
  beforeAll(() => {
    installed = packAndInstall('--without-prebuilds');
  });
  afterAll(() => rmSync(installed.dir, { recursive: true, force: true }));

  it('the install succeeds, saying aiofs will use node:fs', () => {
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).toContain('aiofs: no prebuilt binary loads here and the addon could not be built');
  });

  it('aiofs runs on the node-fs backend, with the reason, and round trips still work', () => {
    const smoke = nodeIn(installed, ['smoke.mjs', '--expect', 'node-fs']);
    expect(smoke.report, smoke.out).toMatchObject({
      ok: true,
      backend: 'node-fs',
      promisesRoundTrip: true,
      streamRoundTrip: true,
    });
    expect(smoke.report.reason).toMatch(/^the native addon did not load: No native build was found for platform=linux arch=x64/);
  });
});

describe('install scripts not run (npm --ignore-scripts, or an allowScripts policy without aiofs)', () => {
  let installed: Installed;
  beforeAll(() => {
    installed = packAndInstall('--ignore-scripts');
  });
  afterAll(() => rmSync(installed.dir, { recursive: true, force: true }));

  it('the prebuild still loads at run time: kernel AIO', () => {
    expect(installed.status, installed.output).toBe(0);
    expect(installed.output).not.toMatch(/^> aiofs@\S+ install$/m); // npm's header line for a script it runs
    const smoke = nodeIn(installed, ['smoke.mjs', '--expect', 'kernel-aio']);
    expect(smoke.report, smoke.out).toMatchObject({ ok: true, backend: 'kernel-aio' });
  });
});
