// The benchmark data file: pseudo-random bytes, and every 4 KiB block starts
// with an 8-byte header (block index, magic). The header lets a trial verify
// EVERY read cheaply (right block, really filled in), and lets us tell a valid
// reusable file from a stale or foreign one of the same size.
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';

export const BLOCK = 4096;
export const MAGIC = 0x464f4941; // "AIOF" little-endian; also keeps every header non-zero

export function stampBlock(buf, at, blockIndex) {
  buf.writeUInt32LE(blockIndex, at);
  buf.writeUInt32LE(MAGIC, at + 4);
}

export function checkBlock(buf, blockIndex, at = 0) {
  return buf.readUInt32LE(at) === blockIndex && buf.readUInt32LE(at + 4) === MAGIC;
}

const UNITS = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

// "4G", "256M", "4GiB", "1048576" -> bytes (binary units, like fio).
export function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`bad size: ${text} (try 4G, 256M, 1048576)`);
  return Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]);
}

export function formatSize(bytes) {
  for (const u of ['T', 'G', 'M', 'K']) {
    if (bytes >= UNITS[u] && bytes % UNITS[u] === 0) return `${bytes / UNITS[u]}${u}iB`;
  }
  return `${bytes}B`;
}

// Cheap validity check of an existing file: size plus a few headers spread
// over the whole file (first, last, and evenly spaced ones).
function looksValid(path, size) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 'missing';
  }
  if (st.size !== size) return `size ${st.size} != ${size}`;
  const nBlocks = size / BLOCK;
  const buf = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    for (let i = 0; i <= 16; i++) {
      const blk = Math.min(nBlocks - 1, Math.floor((i * nBlocks) / 16));
      if (readSync(fd, buf, 0, 8, blk * BLOCK) !== 8 || !checkBlock(buf, blk)) return `block ${blk} has no valid header`;
    }
  } finally {
    closeSync(fd);
  }
  return null;
}

// Returns { path, created, seconds }. Written under a temporary name and
// renamed at the end, so an interrupted run never leaves a half file that
// would later be "reused".
export function ensureDataFile(dir, size, log = console.log) {
  if (size % BLOCK !== 0 || size < BLOCK) throw new Error(`size must be a non-zero multiple of ${BLOCK}`);
  if (size / BLOCK > 2 ** 32) throw new Error('size too large (block index must fit 32 bits)');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `random-${formatSize(size)}.bin`);
  const problem = looksValid(path, size);
  if (!problem) return { path, created: false, seconds: 0 };

  log(`Writing data file ${path} (${formatSize(size)}; existing file: ${problem}) ...`);
  const t0 = process.hrtime.bigint();
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, 'w');
  const chunk = Buffer.allocUnsafe(1 << 20); // 1 MiB: big writes, small memory
  try {
    for (let off = 0; off < size; off += chunk.length) {
      const len = Math.min(chunk.length, size - off);
      randomFillSync(chunk, 0, len); // ~7 GB/s, far faster than the disk
      for (let b = 0; b < len; b += BLOCK) stampBlock(chunk, b, (off + b) / BLOCK);
      for (let done = 0; done < len;) done += writeSync(fd, chunk, done, len - done, off + done);
    }
    fsyncSync(fd); // data on disk before we time anything
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  log(`  done in ${seconds.toFixed(1)} s (${(size / 2 ** 20 / seconds).toFixed(0)} MiB/s)`);
  return { path, created: true, seconds };
}
