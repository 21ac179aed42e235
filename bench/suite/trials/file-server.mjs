// The HTTP server of the file-server scenario, one fresh process per contender and case, started by
// file-server-trial.mjs (which also runs its clients).
//
//   node bench/suite/trials/file-server.mjs <fs|aiofs> <file> <bytes> <pbkdf2 iterations>
//
// Routes:
//   /file   the first <bytes> of <file>: createReadStream piped into the response, the stream destroyed
//           when the client goes away first (as `send` and serve-static do)
//   /tiny   a few bytes, from the loop alone: how long a request waits for the event loop
//   /login  crypto.pbkdf2 (sha256, <iterations>), which runs on the libuv threadpool, as a password
//           check does: how long a request waits for a threadpool thread
//   /begin  starts measuring the server (bench/lib/trial-measure.mjs: CPU, event-loop delay...)
//   /stats  stops and answers with the figures as JSON: peak RSS (the whole process lifetime), CPU per
//           GiB served, event-loop delay, and for aiofs its backend and everything contextStats() holds
// aiofs is the build bench/lib/aiofs-build.mjs names (the suite's --aiofs), so that the same server
// can run another build. Prints {"port": N} once listening on 127.0.0.1.
import { pbkdf2 } from 'node:crypto';
import { createReadStream as fsCreateReadStream } from 'node:fs';
import { createServer } from 'node:http';
import { aiofsRoot, importAiofs } from '../../lib/aiofs-build.mjs';
import { startTrialMeasure } from '../../lib/trial-measure.mjs';

const [impl, file, bytesArg, iterationsArg] = process.argv.slice(2);
const bytes = Number(bytesArg),
  iterations = Number(iterationsArg);
if (!['fs', 'aiofs'].includes(impl) || !file || !(bytes > 0) || !(iterations > 0)) {
  console.error('usage: file-server.mjs <fs|aiofs> <file> <bytes> <pbkdf2 iterations>');
  process.exit(2);
}
const aiofs = impl === 'aiofs' ? await importAiofs('index.mjs') : null;
const createReadStream = aiofs ? aiofs.createReadStream : fsCreateReadStream;
const MiB = 2 ** 20;

let served = 0,
  streams = 0,
  mostStreams = 0,
  streamErrors = 0,
  stop = null,
  rssAtBegin = null;

function sendFile(res) {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes });
  const stream = createReadStream(file, { start: 0, end: bytes - 1 });
  mostStreams = Math.max(mostStreams, ++streams);
  stream.on('data', (chunk) => {
    served += chunk.length;
  });
  stream.once('error', (err) => {
    streamErrors++;
    console.error(`file-server (${impl}): ${err.message}`);
    res.destroy(err);
  });
  stream.once('close', () => {
    streams--;
  });
  res.once('close', () => stream.destroy()); // the client left before the end: pipe() alone keeps the file open
  stream.pipe(res);
}

function stats() {
  const m = stop ? stop(served) : null;
  stop = null;
  return {
    impl,
    aiofsBuild: aiofs ? aiofsRoot() : null,
    backend: aiofs ? { name: aiofs.backend.name, reason: aiofs.backend.reason } : null,
    contextStats: aiofs?.contextStats?.() ?? null,
    fileBytes: bytes,
    iterations,
    servedBytes: served,
    mostStreams,
    streamErrors,
    rssAtBeginMiB: rssAtBegin,
    ...m,
  };
}

const server = createServer((req, res) => {
  switch (req.url) {
    case '/file':
      return sendFile(res);
    case '/tiny':
      return res.end('ok\n');
    case '/login':
      return pbkdf2('correct horse battery staple', 'salt', iterations, 32, 'sha256', (err, key) => {
        if (err) res.destroy(err);
        else res.end(`${key.toString('hex')}\n`);
      });
    case '/begin':
      rssAtBegin = process.memoryUsage.rss() / MiB;
      stop = startTrialMeasure();
      return res.end('ok\n');
    case '/stats':
      return res.end(JSON.stringify(stats()));
    default:
      res.statusCode = 404;
      return res.end();
  }
});
// idle keep-alive sockets stay open: the prober's agent reuses them, and a server closing one just as
// the agent sends on it fails that request ("socket hang up"), which says nothing about the server
server.keepAliveTimeout = 0;
// Listening on a TCP port, so address() is an AddressInfo.
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ port: /** @type {import('node:net').AddressInfo} */ (server.address()).port })),
);
