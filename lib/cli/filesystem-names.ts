/**
 * What filesystem a path is on: the mount table's name and device for it (/proc/self/mountinfo, matched
 * by the path's device number, so `ext4` rather than ext4's magic shared with ext2/ext3), else the name
 * of statfs(2)'s magic number (linux/magic.h).
 */
import * as fs from 'node:fs';

/** statfs f_type values of filesystems one meets (linux/magic.h). */
const MAGIC_NAMES = new Map<number, string>([
  [0xef53, 'ext2/ext3/ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
  [0xf2f52010, 'f2fs'],
  [0x2fc12fc1, 'zfs'],
  [0xca451a4e, 'bcachefs'],
  [0x794c7630, 'overlay'],
  [0x6969, 'nfs'],
  [0xfe534d42, 'smb2'],
  [0xff534d42, 'cifs'],
  [0x65735546, 'fuse'],
  [0x01021997, '9p'],
  [0x00c36400, 'ceph'],
  [0x4d44, 'vfat'],
  [0x2011bab0, 'exfat'],
  [0x5346544e, 'ntfs'],
  [0x9660, 'iso9660'],
  [0x15013346, 'udf'],
  [0x73717368, 'squashfs'],
  [0xe0f5e1e2, 'erofs'],
  [0x958458f6, 'hugetlbfs'],
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
]);

/** A path's filesystem. */
export interface FilesystemName {
  /** `ext4`, `tmpfs`, ...; `unknown` when neither the mount table nor the magic number says. */
  name: string;
  /** statfs(2)'s f_type, as `0xef53`. */
  magic: string;
  /** The mounted device or source (`/dev/vda1`, `tmpfs`), when the mount table has it. */
  source: string | null;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The mount whose `major:minor` is `dev` (Linux's dev_t encoding), from /proc/self/mountinfo. */
function mountOf(dev: bigint): { type: string; source: string } | null {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  let table: string;
  try {
    table = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  for (const line of table.split('\n')) {
    // id parent major:minor root mountpoint options [optional fields...] - fstype source superoptions
    const [mount, filesystem] = line.split(' - ');
    if (mount?.split(' ')[2] !== `${major}:${minor}` || filesystem === undefined) continue;
    const [type, source] = filesystem.split(' ');
    if (type !== undefined && source !== undefined) return { type, source: unescapeMountField(source) };
  }
  return null;
}

/** The filesystem `file` is on. Throws fs's error when `file` cannot be looked at. */
export function filesystemOf(file: string): FilesystemName {
  const { type } = fs.statfsSync(file);
  const mount = mountOf(fs.statSync(file, { bigint: true }).dev);
  return {
    name: mount?.type ?? MAGIC_NAMES.get(type) ?? 'unknown',
    magic: `0x${type.toString(16)}`,
    source: mount?.source ?? null,
  };
}
