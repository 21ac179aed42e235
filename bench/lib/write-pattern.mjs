// The bytes the sequential-write benchmark writes, produced the same way by
// the trial (to write them) and by the parent (to check the file afterwards).
//
// A 1 MiB pattern of seeded pseudo-random bytes repeats through the file, and
// the first 8 bytes of every 4 KiB block are replaced by that block's header
// (block index, magic; see datafile.mjs). The header catches misplaced,
// repeated, lost or zero-filled blocks wherever they land; the random bytes
// catch shifted or torn data inside a block. Making a chunk is one memcpy and
// a couple of word stores per block, the same for every contender.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { BLOCK, MAGIC, stampBlock } from './datafile.mjs';
import { sfc32 } from './offsets.mjs';

const PATTERN_SIZE = 1 << 20;
const SEED = 0x5eed_3717;
const HEADER = 8;

/** The 1 MiB pattern (without headers). Deterministic: the same bytes in every process. */
export function makePattern() {
  const next = sfc32(SEED);
  const words = new Uint32Array(PATTERN_SIZE / 4);
  for (let i = 0; i < words.length; i++) words[i] = next();
  return Buffer.from(words.buffer);
}

/** The 8-byte header of block `index` (for messages and partial headers). */
function header(index) {
  const h = Buffer.allocUnsafe(HEADER);
  stampBlock(h, 0, index);
  return h;
}

/**
 * Fills `target` with the file's bytes from `offset` on: the pattern, then every block header whose
 * bytes fall inside. Any offset and length work; chunks that are multiples of 4 KiB (the benchmark's)
 * take the fast path.
 */
export function fillExpected(pattern, target, offset) {
  const len = target.length;
  for (let done = 0; done < len;) {
    const p = (offset + done) % PATTERN_SIZE;
    const n = Math.min(len - done, PATTERN_SIZE - p);
    pattern.copy(target, done, p, p + n);
    done += n;
  }
  let blk = Math.floor(offset / BLOCK);
  for (let at = blk * BLOCK - offset; at < len; at += BLOCK, blk++) {
    if (at >= 0 && at + HEADER <= len) {
      stampBlock(target, at, blk);
    } else if (at + HEADER > 0) {
      // a header cut by the start or the end of the range
      const h = header(blk);
      const from = Math.max(0, -at);
      h.copy(target, at + from, from, Math.min(HEADER, len - at));
    }
  }
}

/**
 * What is wrong in `actual` (the file's bytes from `offset` on), given `expected` (fillExpected's
 * output for the same range): the first wrong block, described, or null when they are equal.
 */
function describeMismatch(actual, expected, offset) {
  if (actual.equals(expected)) return null;
  for (let at = 0; at < actual.length; at += BLOCK - ((offset + at) % BLOCK)) {
    const end = Math.min(actual.length, at + BLOCK - ((offset + at) % BLOCK));
    const a = actual.subarray(at, end);
    if (a.equals(expected.subarray(at, end))) continue;
    const pos = offset + at;
    const blk = Math.floor(pos / BLOCK);
    let what;
    if (pos % BLOCK === 0 && a.length >= HEADER) {
      const index = a.readUInt32LE(0),
        magic = a.readUInt32LE(4);
      if (a.every((b) => b === 0)) what = 'all zeros';
      else if (magic !== MAGIC) what = `no valid header (${index}/${magic.toString(16)})`;
      else if (index !== blk) what = `the header of block ${index} (offset ${index * BLOCK}): a misplaced block`;
      else what = 'the right header but wrong bytes after it';
    } else {
      what = 'wrong bytes';
    }
    let first = 0;
    while (a[first] === expected[at + first]) first++;
    return `block ${blk} (offset ${blk * BLOCK}) holds ${what}; first wrong byte at offset ${pos + first}`;
  }
  return 'bytes differ'; // not reached: equals() said they differ
}

/**
 * Reads `path` back (plain 1 MiB readSync) and compares every byte with the pattern: what is wrong (its
 * size, or the first wrong block), or null.
 */
export function checkWrittenFile(path, size, pattern) {
  const actualSize = statSync(path).size;
  if (actualSize !== size) return `the file has ${actualSize} bytes, expected ${size}`;
  const actual = Buffer.allocUnsafe(PATTERN_SIZE);
  const expected = Buffer.allocUnsafe(PATTERN_SIZE);
  const fd = openSync(path, 'r');
  try {
    for (let off = 0; off < size;) {
      const n = readSync(fd, actual, 0, Math.min(PATTERN_SIZE, size - off), off);
      if (n === 0) return `the file ends at ${off} while reading it back`;
      fillExpected(pattern, expected.subarray(0, n), off);
      const wrong = describeMismatch(actual.subarray(0, n), expected.subarray(0, n), off);
      if (wrong) return wrong;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return null;
}
