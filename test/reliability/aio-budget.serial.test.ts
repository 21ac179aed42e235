/**
 * The system-wide AIO budget (fs.aio-max-nr) used up by other processes' contexts. A holder
 * process (test/fixtures/aio-holder.mjs) sets up contexts until the kernel refuses one; meanwhile a
 * new environment here (a worker thread) and a fresh process fall back to node:fs, say why, and work,
 * while this thread keeps the context it had and stays on kernel AIO. Once the holder lets go, the
 * budget in use (/proc/sys/fs/aio-nr) is back where it was and new environments get kernel AIO again.
 * Also: 160 workers terminated mid-I/O give back every context (aio-nr back to its value before).
 *
 * It changes and reads machine-wide state, so it runs alone (vitest.serial.config.ts); as root only.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';

import { backend } from '../../dist/index.js';
import { open } from '../../dist/promises.js';
import { lastLineReport, runFixture } from '../support/run-fixture';
import { mountDisk } from '../support/filesystems';

const MAX_NR = '/proc/sys/fs/aio-max-nr';
const AIO_NR = '/proc/sys/fs/aio-nr';
const aioNr = () => Number(readFileSync(AIO_NR, 'utf8'));
const saved = readFileSync(MAX_NR, 'utf8').trim();
const skip =
  process.getuid?.() !== 0
    ? 'needs root to change fs.aio-max-nr'
    : backend.name !== 'kernel-aio'
      ? `backend is node-fs (${backend.reason})`
      : undefined;
if (skip) console.log(`[aio budget] SKIPPED: ${skip}`);
afterAll(() => {
  if (skip === undefined) writeFileSync(MAX_NR, saved);
});
const disk = await mountDisk('rel-aio-budget');
const index = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const promises = fileURLToPath(new URL('../../dist/promises.js', import.meta.url));

/** A fresh environment in this process: its backend, and whether a write/read round trip works. */
function workerEnvironment(): Promise<{ name: string; reason: string; roundTrip: boolean }> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const { backend } = require(${JSON.stringify(index)});
    const { open } = require(${JSON.stringify(promises)});
    (async () => {
      const fh = await open(${JSON.stringify(`${disk.dir}/worker.bin`)}, 'w+');
      await fh.write(Buffer.from('budget'), 0, 6, 4095);
      const { buffer } = await fh.read(Buffer.alloc(6), 0, 6, 4095);
      await fh.close();
      parentPort.postMessage({ name: backend.name, reason: backend.reason, roundTrip: buffer.toString() === 'budget' });
    })();
  `;
  const worker = new Worker(code, { eval: true });
  return new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject)).finally(() =>
    worker.terminate(),
  ) as never;
}

async function untilAioNrIs(value: number): Promise<number> {
  for (let i = 0; i < 100 && aioNr() !== value; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  return aioNr();
}

describe.skipIf(skip !== undefined)('fs.aio-max-nr used up by other contexts', () => {
  it('new environments fall back, say why and work; this thread keeps kernel AIO; all comes back after', async () => {
    // This thread's context exists before the budget runs out.
    const mine = await open(`${disk.dir}/main.bin`, 'w+');
    expect(mine.backend.name).toBe('kernel-aio');
    const before = aioNr();
    writeFileSync(MAX_NR, String(before + 4096)); // room for a few contexts, which the holder takes
    const holder = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/aio-holder.mjs', import.meta.url))], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    holder.stdout.on('data', (d) => (stdout += d));
    holder.stderr.on('data', (d) => (stderr += d));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const held = lastLineReport(stdout) as { held: number; refusal: string };
    console.log(
      `[aio budget] aio-nr ${before}, aio-max-nr set to ${before + 4096}; the holder took ${held.held} contexts (aio-nr ${aioNr()}), then: ${held.refusal}`,
    );
    expect(held.held).toBeGreaterThan(0);
    expect(held.refusal).toMatch(/EAGAIN.*aio-max-nr/);

    const worker = await workerEnvironment();
    expect(worker).toMatchObject({ name: 'node-fs', roundTrip: true });
    expect(worker.reason).toMatch(/EAGAIN.*aio-max-nr/);
    const fresh = runFixture('backend-report.mjs', [], { env: { AIOFS_TEST_DIR: disk.dir } });
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.report).toMatchObject({ name: 'node-fs', roundTrip: true, readOk: true, stats: null });
    await mine.write(Buffer.from('still kernel aio'), 0, 16, 100);
    expect((await mine.read(Buffer.alloc(16), 0, 16, 100)).buffer.toString()).toBe('still kernel aio');
    expect(mine.backend.name).toBe('kernel-aio');

    holder.stdin.end();
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(stderr).toBe('');
    expect(await untilAioNrIs(before)).toBe(before);
    writeFileSync(MAX_NR, saved);
    expect(await workerEnvironment()).toMatchObject({ name: 'kernel-aio', roundTrip: true });
    await mine.close();
  }, 120_000);

  it('160 workers terminated mid-I/O give every context back (aio-nr as before)', async () => {
    const before = aioNr();
    const run = runFixture('worker-terminate.mjs', ['20', '8'], { env: { AIOFS_TEST_DIR: disk.dir } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.report).toMatchObject({ rounds: 20, workers: 8, kernelRounds: 160 });
    const atExit = aioNr();
    const settled = await untilAioNrIs(before);
    console.log(
      `[aio budget] aio-nr ${before} before 160 workers, ${atExit} as the fixture exited (contexts of exiting processes are freed asynchronously), ${settled} after`,
    );
    expect(settled).toBe(before);
  }, 180_000);
});
