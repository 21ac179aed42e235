// Seeded random block offsets. The parent (fio iolog, reference checksum) and
// every trial child call randomBlocks() with the same arguments, so every
// contender reads exactly the same blocks in exactly the same order.

// sfc32: tiny, fast, good-quality 32-bit PRNG; Math.random() cannot be seeded.
export function sfc32(seed) {
  let a = 0x9e3779b9,
    b = 0x243f6a88,
    c = 0xb7e15162,
    d = seed >>> 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next(); // mix the seed in before first use
  return next;
}

// Uniform double in [0, 1) with 53 random bits (32 bits is too coarse for
// files with more than a few million blocks).
function uniform(next) {
  return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

// `count` block indexes in [0, nBlocks), distinct until every block has been
// used once (then a new permutation starts). Distinct blocks matter: a repeat
// would be a page-cache hit for buffered fs reads but a disk read for O_DIRECT,
// which would skew the comparison. This is a partial Fisher-Yates shuffle over
// a *virtual* identity array, so memory is O(count), not O(nBlocks).
export function randomBlocks({ seed, nBlocks, count }) {
  if (!(nBlocks >= 1 && nBlocks <= 2 ** 32)) throw new RangeError(`nBlocks out of range: ${nBlocks}`);
  const next = sfc32(seed);
  const out = new Uint32Array(count);
  const moved = new Map(); // position -> value, for positions that differ from identity
  for (let i = 0; i < count; i++) {
    const k = i % nBlocks;
    if (k === 0) moved.clear();
    const j = k + Math.floor(uniform(next) * (nBlocks - k));
    out[i] = moved.get(j) ?? j;
    moved.set(j, moved.get(k) ?? k); // position k is never visited again this cycle
  }
  return out;
}
