/**
 * Crash consistency: a child writes batches of concurrent unaligned writes through an
 * AioFileHandle, with datasync() every 1-4 batches (test/fixtures/datasync-kill.mjs), and is killed
 * with SIGKILL at a random moment after its k-th completed datasync; 50 rounds, each with its own seed.
 *
 * As root, on a loop-mounted ext4 with 4 KiB sectors, each kill is followed by a filesystem shutdown
 * without log flush (`xfs_io -x -c shutdown`, the godown of xfstests: what the journal has not
 * committed is lost, as in a power cut), then an unmount and a mount: what is read back is what a
 * machine that died right after the kill would find. Otherwise (not root) the file is read after the
 * kill alone, on the default disk, and the test says so.
 *
 * After each round, every byte acknowledged by the last completed datasync must be there: the file's
 * bytes below the length it had then equal the replayed writes up to that batch, except where a later
 * batch (issued before the kill) wrote, where either value is allowed; past that length there may be
 * only zeros (grow-ahead, holes) or bytes of those later writes.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { backend } from '../../dist/index.js';
// A plain ES module fixture (untyped), imported for the same write plan the child runs.
import { SPAN, syncEvery, writesOf } from '../fixtures/datasync-kill.mjs';
import { mountDisk, mountExt4Loop } from '../support/filesystems';

type Write = { position: number; data: Buffer };
const plan = writesOf as (seed: number, batch: number) => Write[];

const ROUNDS = 50;
const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`[crash consistency] SKIPPED: backend is node-fs (${backend.reason})`);
const fixture = fileURLToPath(new URL('../fixtures/datasync-kill.mjs', import.meta.url));

const loop = await mountExt4Loop('rel-crash', 256);
afterAll(() => loop.cleanup());
const haveXfsIo = spawnSync('xfs_io', ['-V']).status === 0;
const crashReason = loop.skipReason ?? (haveXfsIo ? undefined : 'xfs_io not installed (apt-get install xfsprogs)');
const target = crashReason === undefined ? loop : await mountDisk('rel-crash');
if (target !== loop) afterAll(() => target.cleanup());
console.log(
  crashReason === undefined
    ? `[crash consistency] SIGKILL then filesystem shutdown (no log flush) and remount, on ${loop.description}`
    : `[crash consistency] SIGKILL only, no filesystem shutdown (${crashReason}), on ${target.description}`,
);

/** Runs one writer, kills it after its `syncs`-th datasync plus `delayMs`; returns its last lines. */
async function killedWriter(
  file: string,
  seed: number,
  syncs: number,
  delayMs: number,
): Promise<{ synced: number; issued: number; stderr: string }> {
  const child = spawn(process.execPath, [fixture, file, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let synced = 0;
  let issued = 0;
  let seen = 0;
  let stderr = '';
  let rest = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      const [word, n] = line.split(' ');
      if (word === 'batch') issued = Number(n);
      if (word === 'synced') {
        synced = Number(n);
        if (++seen === syncs) setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    }
  });
  await new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { synced, issued, stderr };
}

/** Simulates a power cut right after the kill: shutdown without log flush, unmount, mount again. */
function crashAndRemount(dir: string): void {
  const source = spawnSync('findmnt', ['-n', '-o', 'SOURCE', dir], { encoding: 'utf8' }).stdout.trim();
  for (const [command, args] of [
    ['xfs_io', ['-x', '-c', 'shutdown', dir]],
    ['umount', [dir]],
    ['mount', [source, dir]],
  ] as const) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`);
  }
}

/** The first byte that breaks the rule in this file's header comment, or null. */
function firstViolation(onDisk: Buffer, seed: number, synced: number, issued: number): string | null {
  const model = Buffer.alloc(SPAN);
  let length = 0;
  for (let b = 1; b <= synced; b++) {
    for (const { position, data } of plan(seed, b)) {
      data.copy(model, position);
      length = Math.max(length, position + data.length);
    }
  }
  if (onDisk.length < length) return `the file is ${onDisk.length} bytes, the synced data ${length}`;
  const later = Array.from({ length: issued - synced }, (_, i) => plan(seed, synced + 1 + i)).flat();
  const allowed = (p: number) =>
    later.some(({ position, data }) => p >= position && p < position + data.length && data[p - position] === onDisk[p]);
  for (let p = 0; p < onDisk.length; p++) {
    const acknowledged = p < length ? model[p] : 0;
    if (onDisk[p] !== acknowledged && !allowed(p)) {
      return `byte ${p} is ${onDisk[p]}, acknowledged ${acknowledged}${p < length ? '' : ' (past the synced length: zero)'}; synced batch ${synced}, issued up to ${issued}`;
    }
  }
  return null;
}

describe.skipIf(!kernel)('crash consistency', () => {
  it(`every byte acknowledged by a completed datasync survives SIGKILL${crashReason === undefined ? ' and a filesystem shutdown' : ''} (${ROUNDS} rounds)`, async () => {
    const summary: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const seed = 1000 + round;
      const file = path.join(target.dir, `crash-${round}.bin`);
      const { synced, issued, stderr } = await killedWriter(file, seed, 1 + (round % 4), (round * 7) % 23);
      expect(stderr, `round ${round} (seed ${seed})`).toBe('');
      expect(synced, `round ${round}: a datasync completed before the kill`).toBeGreaterThan(0);
      expect(synced % syncEvery(seed)).toBe(0);
      if (crashReason === undefined) crashAndRemount(target.dir);
      const onDisk = fs.readFileSync(file);
      expect(firstViolation(onDisk, seed, synced, issued), `round ${round} (seed ${seed})`).toBeNull();
      summary.push(`${synced}/${issued}`);
      fs.rmSync(file);
    }
    console.log(`[crash consistency] ${ROUNDS} rounds, synced/issued batches at the kill: ${summary.join(' ')}`);
  }, 600_000);
});
