// Thin wrapper around the fio CLI: run with JSON output, pull out the numbers
// we compare, and write iolog files so fio can replay our exact offsets.
import { spawnSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// fio's version; throws if fio is not installed (the suite then runs without its column).
export function fioVersion() {
  const r = spawnSync('fio', ['--version'], { encoding: 'utf8' });
  if (r.error)
    throw new Error(
      `fio not found (${/** @type {NodeJS.ErrnoException} */ (r.error).code}); install it, e.g. apt-get install fio`,
    );
  return r.stdout.trim();
}

export function runFio(args) {
  const r = spawnSync('fio', [...args, '--output-format=json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`fio exited with ${r.status}: ${r.stderr.trim() || r.stdout.trim()}`);
  // fio may print notes before the JSON document on stdout
  const start = r.stdout.indexOf('{');
  if (start < 0) throw new Error(`fio printed no JSON: ${r.stdout.slice(0, 500)}`);
  return JSON.parse(r.stdout.slice(start));
}

// The figures we report for one direction ('read' | 'write') of a job (the first by default).
export function summarize(json, dir = 'read', jobIndex = 0) {
  const job = json.jobs[jobIndex];
  const d = job[dir];
  const runtimeSec = d.runtime / 1000;
  return {
    iops: d.iops,
    ios: d.total_ios,
    bytes: d.io_bytes,
    bytesPerSec: d.bw_bytes,
    seconds: runtimeSec,
    clatP99Ms: (d.clat_ns?.percentile?.['99.000000'] ?? NaN) / 1e6,
    // fio reports CPU as % of the job's wall time; turn it into CPU seconds
    cpuSec: ((job.usr_cpu + job.sys_cpu) / 100) * runtimeSec,
  };
}

/**
 * One job's figures (summarize()) with MB/s, and CPU s/GiB over `bytes`, as the suite reports them. The job
 * must have moved `bytes` ('read' | 'write'), or, given `ios`, done that many I/Os (a replayed iolog's
 * byte count can fall a few blocks short).
 */
export function runFioJob(args, dir, bytes, ios) {
  const r = summarize(runFio(args), dir);
  if (ios === undefined ? r.bytes !== bytes : r.ios !== ios)
    throw new Error(
      `fio did ${r.ios} I/Os of ${r.bytes} bytes in all, expected ${ios === undefined ? `${bytes} bytes` : `${ios} I/Os`}`,
    );
  return { ...r, mbPerSec: r.bytesPerSec / 1e6, cpuSecPerGiB: r.cpuSec / (bytes / 2 ** 30) };
}

// iolog v2 for --read_iolog. fio's parser splits lines on whitespace, so the
// log names the file through a symlink with a plain name next to it.
export function writeIolog(logPath, filePath, { op = 'read', bs, offsets }) {
  const link = join(resolve(logPath, '..'), 'target');
  symlinkSync(resolve(filePath), link);
  const lines = ['fio version 2 iolog', `${link} add`, `${link} open`];
  for (const offset of offsets) lines.push(`${link} ${op} ${offset} ${bs}`);
  lines.push(`${link} close`, '');
  writeFileSync(logPath, lines.join('\n'));
}
