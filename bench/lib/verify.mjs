// Checksum of a sample of the blocks a trial read, compared with a reference
// computed in the parent with plain fs.readSync. Together with the per-read
// header check (datafile.mjs) this stops a broken implementation from posting
// a fast number with wrong data.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { BLOCK } from './datafile.mjs';

// Trial side: copy every `every`-th block (cheap memcpy inside the timed loop),
// hash once the clock has stopped.
export class Sampler {
  constructor(count, every) {
    this.every = every;
    this.count = Math.ceil(count / every);
    this.buf = Buffer.alloc(this.count * BLOCK);
  }
  take(i, block) {
    if (i % this.every === 0) block.copy(this.buf, (i / this.every) * BLOCK, 0, BLOCK);
  }
  digest() {
    return createHash('sha256').update(this.buf).digest('hex');
  }
}

// Parent side: the same blocks, in the same order, read the boring way.
export function referenceDigest(path, blocks, every) {
  const sampler = new Sampler(blocks.length, every);
  const buf = Buffer.alloc(BLOCK);
  const fd = openSync(path, 'r');
  try {
    for (let i = 0; i < blocks.length; i += every) {
      if (readSync(fd, buf, 0, BLOCK, blocks[i] * BLOCK) !== BLOCK) throw new Error(`short reference read at block ${blocks[i]}`);
      sampler.take(i, buf);
    }
  } finally { closeSync(fd); }
  return sampler.digest();
}
