// What one call into the addon costs on the event loop, per call: the N-API crossing plus its system
// call(s), over cached small files, against node:fs's synchronous equivalents. A read stream of a small
// file makes about a dozen such calls on the loop (read-stream.ts), so this is what each one it saves is
// worth; docs/kernel-aio.md quotes it.
//   npm run build && node probes/native-calls.mjs DIR [FILES=1000]
// DIR holds files named 0 .. FILES-1 (any sizes up to 64 KiB), read once first so that they are cached.
import { readFileSync, openSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { engine } = require('../dist/backend.js');
const { loaded } = require('../dist/binding.js');
const [dir, countArg = '1000'] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node probes/native-calls.mjs DIR [FILES]');
  process.exit(2);
}
if (engine() === null) {
  console.error('no AIO context here (see aiofs backend): nothing to measure');
  process.exit(1);
}
const binding = loaded.binding;
const paths = Array.from({ length: Number(countArg) }, (_, i) => join(dir, String(i)));
for (const path of paths) readFileSync(path);
const fds = paths.map((path) => binding.openCached(path)[0]);
const buffer = Buffer.allocUnsafeSlow(64 * 1024);

/** Microseconds per call of `fn` over every item, after two rounds of warm-up. */
function perCall(items, fn) {
  let us = 0;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    for (const item of items) fn(item);
    us = Number(process.hrtime.bigint() - start) / 1000 / items.length;
  }
  return us.toFixed(2);
}

const rows = [
  [
    'openCached + closeFd (O_PATH open, fstat, /proc/self/fd reopen, close x2)',
    perCall(paths, (p) => binding.closeFd(binding.openCached(p)[0])),
  ],
  ['fs.openSync + fs.closeSync', perCall(paths, (p) => closeSync(openSync(p, 'r')))],
  ['seek (lseek)', perCall(fds, (fd) => binding.seek(fd, 0, 1))],
  ['fileSize (fstat)', perCall(fds, (fd) => binding.fileSize(fd))],
  ['descriptorFlags (fcntl)', perCall(fds, (fd) => binding.descriptorFlags(fd))],
  ['dioAlignment (statx)', perCall(fds, (fd) => binding.dioAlignment(fd))],
  ['filesystemType (fstatfs)', perCall(fds, (fd) => binding.filesystemType(fd))],
  ['cacheState (cachestat, 32 KiB)', perCall(fds, (fd) => binding.cacheState(fd, 0, 32 * 1024))],
  ['readCached 4 KiB (preadv2 RWF_NOWAIT)', perCall(fds, (fd) => binding.readCached(fd, buffer.subarray(0, 4096), 0))],
  ['readCached whole file', perCall(fds, (fd) => binding.readCached(fd, buffer, 0))],
  ['Buffer.allocUnsafeSlow(32 KiB)', perCall(fds, () => Buffer.allocUnsafeSlow(32 * 1024))],
];
for (const fd of fds) binding.closeFd(fd);
for (const [what, us] of rows) console.log(`${us.padStart(7)} us  ${what}`);
