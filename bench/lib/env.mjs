// Machine description stored with every result, so numbers from different
// machines or configurations are never compared by accident.
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export function describeEnv(dataPath) {
  const mnt = spawnSync('findmnt', ['-no', 'SOURCE,FSTYPE', '-T', dataPath], { encoding: 'utf8' });
  return {
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    cpu: `${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}`,
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    filesystem: mnt.status === 0 ? mnt.stdout.trim().replace(/\s+/g, ' ') : 'unknown',
    uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  };
}
