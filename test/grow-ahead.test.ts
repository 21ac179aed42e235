// Growing and trimming a file (fallocate, ftruncate) runs on the threadpool, alone: while it runs,
// no direct I/O of that file reaches io_submit, where it would wait for the inode lock that both
// calls hold and so block the event loop. Concurrent writes and reads across growths stay correct.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { engine } from '../dist/backend.js';
import { backend } from '../dist/index.js';
import { loaded, type NativeBinding } from '../dist/binding.js';
import { open } from '../dist/promises.js';

const kernel = backend.name === 'kernel-aio';
if (!kernel) console.log(`grow-ahead: skipped, backend is node-fs (${backend.reason})`);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(process.env.AIOFS_TEST_DIR ?? tmpdir(), 'aiofs-grow-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!kernel)('grow-ahead', () => {
  it('submits no direct I/O while fallocate runs, and concurrent writes and reads across growths stay correct', async () => {
    const binding = loaded.binding as NativeBinding;
    const aio = engine()!;
    const fallocate = binding.fallocate;
    const submit = aio.submit.bind(aio);
    let resizing = 0;
    let fallocates = 0;
    let submittedDuringResize = 0;
    let submitted = 0;
    binding.fallocate = (fd, mode, offset, length, done) => {
      fallocates++;
      resizing++;
      fallocate(fd, mode, offset, length, (status) => {
        resizing--;
        done(status);
      });
    };
    aio.submit = ((...args: Parameters<typeof aio.submit>) => {
      submitted++;
      if (resizing > 0) submittedDuringResize++;
      submit(...args);
    }) as typeof aio.submit;
    const file = join(dir, 'grow.bin');
    const fh = await open(file, 'w+');
    try {
      // 48 writes of 100,000 bytes at once (unaligned, so partial blocks are patched), each read
      // back as soon as it is written: growths (1 MiB doubling) happen with writes and reads queued.
      const piece = 100_000;
      const expected = Buffer.alloc(48 * piece);
      for (let i = 0; i < expected.length; i++) expected[i] = (i * 31 + (i >>> 11)) & 0xff;
      const readBack = await Promise.all(
        Array.from({ length: 48 }, async (_, i) => {
          const part = expected.subarray(i * piece, (i + 1) * piece);
          const { bytesWritten } = await fh.write(part, 0, piece, i * piece);
          expect(bytesWritten).toBe(piece);
          const { buffer, bytesRead } = await fh.read(Buffer.alloc(piece), 0, piece, i * piece);
          return bytesRead === piece && buffer.equals(part);
        }),
      );
      expect(readBack.every(Boolean)).toBe(true);
      expect((await fh.stat()).size).toBe(expected.length);
      await fh.close();
      expect(readFileSync(file).equals(expected)).toBe(true);
    } finally {
      binding.fallocate = fallocate;
      aio.submit = submit;
    }
    expect(fallocates).toBeGreaterThanOrEqual(2);
    expect(submitted).toBeGreaterThan(48);
    expect(submittedDuringResize).toBe(0);
  });
});
