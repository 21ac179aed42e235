// A smoke test of the native addon itself, as an installed aiofs loads it (dist/binding.js through
// node-gyp-build): every declared export is there, and the calls that need no AIO context give sane
// answers on a real file. For machines where the addon loads but kernel AIO cannot be set up, such as
// qemu-user, which implements no io_setup (ENOSYS). Run from a folder with aiofs in node_modules.
// Prints a JSON report on its last line; exits 1 when a check fails.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(join(process.cwd(), 'package.json'));
const packageDir = dirname(require.resolve('aiofs/package.json'));
// An absolute path: the exports map keeps dist/binding.js private to the package.
const { loaded, NATIVE_EXPORTS } = require(join(packageDir, 'dist/binding.js'));
if (loaded.binding === null) {
  console.log(JSON.stringify({ ok: false, arch: process.arch, reason: loaded.reason }));
  process.exit(1);
}
const binding = loaded.binding;

const dir = fs.mkdtempSync(join(tmpdir(), 'aiofs-native-smoke-'));
const fd = fs.openSync(join(dir, 'data.bin'), 'w+');
try {
  // [memoryAlign, offsetAlign, reported]; qemu-user 7.2 passes statx's mask through but not the DIO
  // fields, so there it reads [0, 0, 1]: recorded, and only its shape is checked.
  const alignment = binding.dioAlignment(fd);
  const offset = binding.alignmentOffset(new Uint8Array(100), 64);
  const checks = {
    exports: JSON.stringify(Object.keys(binding).sort()) === JSON.stringify([...NATIVE_EXPORTS].sort()),
    seek: binding.seek(fd, 12345, 0) === 12345,
    dioAlignment: Array.isArray(alignment) && alignment.length === 3 && alignment.every((n) => Number.isInteger(n) && n >= 0),
    filesystemType: binding.filesystemType(fd) > 0,
    alignmentOffset: offset >= 0 && offset < 64,
    // glibc malloc: 1 (tuned now) or 2 (tuned before).
    tuneMalloc: binding.tuneMalloc() > 0,
  };
  const ok = Object.values(checks).every(Boolean);
  // cachestat(2) (Linux 6.5): 1/0, or -38 (ENOSYS) where the kernel or emulator lacks it.
  const cacheState = binding.cacheState(fd, 0, 4096);
  console.log(JSON.stringify({ ok, arch: process.arch, node: process.version, checks, alignment, cacheState }));
  process.exitCode = ok ? 0 : 1;
} finally {
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
}
