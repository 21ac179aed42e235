// A smoke test of an installed aiofs, run from a folder that has it in node_modules (scripts/pack-install.sh
// makes one): both entry points load and share one instance, and a promise round trip and a stream round
// trip give back the bytes written. Prints a JSON report on its last line; exits 1 when a check fails or
// when the backend is not the one `--expect NAME` names.
//   node smoke.mjs [--expect kernel-aio|node-fs]
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

import { backend, contextStats, createReadStream, createWriteStream } from 'aiofs';
import { open, readFile, writeFile } from 'aiofs/promises';

const require = createRequire(join(process.cwd(), 'package.json'));
const expectIndex = process.argv.indexOf('--expect');
const expected = expectIndex === -1 ? null : process.argv[expectIndex + 1];
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

const dir = fs.mkdtempSync(join(tmpdir(), 'aiofs-smoke-'));
try {
  // fs/promises surface: a whole file, then a patch and a read at unaligned offsets.
  const data = randomBytes(70001);
  const file = join(dir, 'promises.bin');
  await writeFile(file, data);
  const fh = await open(file, 'r+');
  await fh.write(Buffer.from('patch'), 0, 5, 4093);
  data.write('patch', 4093);
  const { bytesRead, buffer } = await fh.read(Buffer.alloc(9000), 3, 8000, 60001);
  await fh.close();
  const promisesRoundTrip =
    bytesRead === 8000 &&
    buffer.subarray(3, 8003).equals(data.subarray(60001, 68001)) &&
    (await readFile(file)).equals(data) &&
    fs.readFileSync(file).equals(data);

  // Streams: 24 MiB + 123 bytes out through createWriteStream, back through createReadStream.
  const streamed = randomBytes(24 * 1024 * 1024 + 123);
  const streamFile = join(dir, 'stream.bin');
  await pipeline(async function* () {
    for (let at = 0; at < streamed.length; at += 1 << 20) yield streamed.subarray(at, at + (1 << 20));
  }, createWriteStream(streamFile));
  const readBack = createHash('sha256');
  await pipeline(createReadStream(streamFile), readBack);
  const streamRoundTrip = readBack.digest('hex') === sha256(streamed) && sha256(fs.readFileSync(streamFile)) === sha256(streamed);

  const required = require('aiofs');
  const report = {
    node: process.version,
    arch: process.arch,
    backend: backend.name,
    reason: backend.reason,
    sameInstance: required.backend === backend && required.promises.open === open,
    promisesRoundTrip,
    streamRoundTrip,
    submitted: contextStats()?.submitted ?? 0,
  };
  const ok =
    report.sameInstance &&
    promisesRoundTrip &&
    streamRoundTrip &&
    (expected === null || report.backend === expected) &&
    (report.backend !== 'kernel-aio' || report.submitted > 0);
  console.log(JSON.stringify({ ok, ...report }));
  process.exitCode = ok ? 0 : 1;
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
