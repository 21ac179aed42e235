// Checksum of a sample of the blocks a trial read, compared with a reference
// computed in the parent with plain fs.readSync. Together with the per-read
// header check (datafile.mjs) this stops a broken implementation from posting
// a fast number with wrong data.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { BLOCK, checkBlock } from './datafile.mjs';

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
  } finally {
    closeSync(fd);
  }
  return sampler.digest();
}

// ---- sequential streams ------------------------------------------------------
//
// StreamVerifier checks a stream of chunks that should add up to the whole data
// file, in order, whatever the chunk sizes:
//   - every 4 KiB block header (block index + magic, see datafile.mjs) is
//     checked where it arrives, so empty, zero-filled, repeated or misplaced
//     chunks fail at once;
//   - the 4 random bytes after each header are folded into a running FNV-1a
//     style hash, in file order, so the hash does not depend on how the stream
//     chunks the file: the parent computes the reference with 1 MiB readSync
//     chunks, trials compare theirs whatever their chunk size;
//   - the first and last EDGE bytes are copied aside and hashed with sha256
//     after the clock has stopped.
// Per chunk that is a couple of small copies at most and 3 word reads per
// 4 KiB block (~1 ms of CPU per GiB), the same for every contender.
const EDGE = 1 << 20;
const HDR = 12; // 8-byte header + the 4 random bytes we hash

export class StreamVerifier {
  constructor(size) {
    this.size = size;
    this.pos = 0;
    this.chunks = 0;
    this.minChunk = Infinity;
    this.maxChunk = 0;
    this.blocks = 0;
    this.hash = 0x811c9dc5;
    this.error = null;
    this.head = Buffer.alloc(Math.min(EDGE, size));
    this.tailStart = size - Math.min(EDGE, size);
    this.tail = Buffer.alloc(size - this.tailStart);
    this.pend = Buffer.alloc(HDR); // a block header split across two chunks
    this.pendLen = 0;
    this.pendBlock = 0;
  }

  #fail(msg) {
    this.error ??= msg;
  }

  #block(buf, at, blk) {
    if (!checkBlock(buf, blk, at)) {
      this.#fail(
        `wrong data at offset ${blk * BLOCK}: header ${buf.readUInt32LE(at)}/${buf.readUInt32LE(at + 4).toString(16)}, ` +
          `expected block ${blk}`,
      );
    }
    this.hash = Math.imul(this.hash ^ buf.readUInt32LE(at + 8), 16777619) >>> 0;
    this.blocks++;
  }

  update(chunk) {
    const len = chunk.length;
    const start = this.pos;
    const end = start + len;
    this.pos = end;
    this.chunks++;
    if (len < this.minChunk) this.minChunk = len;
    if (len > this.maxChunk) this.maxChunk = len;
    if (end > this.size) {
      this.#fail(`stream delivered more than the file's ${this.size} bytes`);
      return;
    }
    if (start < this.head.length) chunk.copy(this.head, start, 0, Math.min(len, this.head.length - start));
    if (end > this.tailStart) {
      const from = Math.max(start, this.tailStart);
      chunk.copy(this.tail, from - this.tailStart, from - start, len);
    }
    if (this.pendLen > 0) {
      const n = Math.min(HDR - this.pendLen, len);
      chunk.copy(this.pend, this.pendLen, 0, n);
      this.pendLen += n;
      if (this.pendLen < HDR) return; // a chunk this small holds no block start
      this.#block(this.pend, 0, this.pendBlock);
      this.pendLen = 0;
    }
    let blk = Math.ceil(start / BLOCK);
    for (let at = blk * BLOCK - start; at < len; at += BLOCK, blk++) {
      if (at + HDR <= len) {
        this.#block(chunk, at, blk);
      } else {
        chunk.copy(this.pend, 0, at, len);
        this.pendLen = len - at;
        this.pendBlock = blk;
      }
    }
  }

  // Call once the stream has ended (outside the timed section: sha256 of 2 MiB).
  result() {
    if (this.pendLen > 0) this.#fail(`stream ended inside the header of block ${this.pendBlock}`);
    const sha = (b) => createHash('sha256').update(b).digest('hex');
    return {
      bytes: this.pos,
      chunks: this.chunks,
      minChunk: this.chunks ? this.minChunk : 0,
      maxChunk: this.maxChunk,
      meanChunk: this.chunks ? this.pos / this.chunks : 0,
      blocks: this.blocks,
      blockHash: this.hash.toString(16).padStart(8, '0'),
      headSha256: sha(this.head),
      tailSha256: sha(this.tail),
      error: this.error,
    };
  }
}

// Parent side: the whole file through a StreamVerifier with plain 1 MiB
// readSync calls. Also checks every block header of the file once.
export function streamReference(path, size) {
  const v = new StreamVerifier(size);
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (let off = 0; off < size;) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - off), off);
      if (n === 0) throw new Error(`${path}: unexpected end of file at ${off}`);
      v.update(buf.subarray(0, n));
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  const r = v.result();
  if (r.error) throw new Error(`${path}: ${r.error} (data file corrupt? delete it to have it rewritten)`);
  return { bytes: r.bytes, blocks: r.blocks, blockHash: r.blockHash, headSha256: r.headSha256, tailSha256: r.tailSha256 };
}

// What differs between a trial's StreamVerifier result and the reference, or null.
export function compareStream(result, reference) {
  if (result.error) return result.error;
  if (result.bytes !== reference.bytes) return `read ${result.bytes} bytes, the file has ${reference.bytes}`;
  for (const k of ['blocks', 'blockHash', 'headSha256', 'tailSha256']) {
    if (result[k] !== reference[k]) return `${k} ${result[k]} differs from the reference ${reference[k]}`;
  }
  return null;
}
