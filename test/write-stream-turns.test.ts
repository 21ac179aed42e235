/**
 * A producer that writes as fast as the stream acknowledges must still let the event loop turn: the
 * stream stages at most TURN_BUDGET (256 KiB, lib/write-stream.ts) through synchronous
 * acknowledgements before it puts one off to the next turn. Without that, 64 KiB writes filled a whole
 * 1 MiB staging buffer in one turn.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

import { backend, createWriteStream } from '../dist/index.js';
import { mountDisk } from './support/filesystems';

const KiB = 1024;
const disk = await mountDisk('ws-turns');
console.log(`[write-stream turns] backend ${backend.name}, ${disk.description}`);

/** Bytes acknowledged between two turns of the loop (seen by a self-renewing setImmediate), at most. */
async function mostAcknowledgedInOneTurn(
  file: string,
  chunkBytes: number,
  total: number,
): Promise<{ most: number; turns: number }> {
  const data = Buffer.alloc(total);
  for (let i = 0; i < total; i++) data[i] = (i * 7 + (i >> 12)) & 255;
  const stream = createWriteStream(file);
  let acknowledged = 0;
  let most = 0;
  let turns = 0;
  let running = true;
  const turn = () => {
    turns++;
    acknowledged = 0;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  await new Promise<void>((resolve, reject) => {
    const next = (offset: number) => {
      if (offset === total) {
        stream.end(resolve);
        return;
      }
      stream.write(data.subarray(offset, offset + chunkBytes), (error) => {
        if (error) return reject(error);
        acknowledged += chunkBytes;
        most = Math.max(most, acknowledged);
        next(offset + chunkBytes);
      });
    };
    stream.on('error', reject);
    next(0);
  });
  running = false;
  await new Promise<void>((resolve) => stream.once('close', resolve));
  expect(fs.readFileSync(file).equals(data)).toBe(true);
  return { most, turns };
}

describe('write stream and the event loop', () => {
  it('acknowledges at most 512 KiB of 64 KiB writes per turn of the loop (256 KiB per phase), with the bytes intact', async () => {
    const { most, turns } = await mostAcknowledgedInOneTurn(path.join(disk.dir, 'turns-64k.bin'), 64 * KiB, 16 * 1024 * KiB);
    console.log(
      `[write-stream turns] 16 MiB in 64 KiB writes: at most ${most / KiB} KiB acknowledged between two turns, ${turns} turns`,
    );
    // Synchronous acknowledgements stop at 256 KiB in each of the two phases a turn runs them in (a
    // completion in the poll phase, then the deferred acknowledgement in the check phase).
    expect(most).toBeLessThanOrEqual(512 * KiB);
    expect(turns).toBeGreaterThanOrEqual((16 * 1024) / 512);
  });
});
