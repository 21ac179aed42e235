// Opening a path read-only only if it is a regular file, with no side effect otherwise: the path is
// first opened with O_PATH (which opens neither a FIFO, nor a device, nor anything else), fstat'ed, and
// the same inode opened for reading (through /proc/self/fd) only when it is a regular file. Used on the event loop with
// the dentry cache only (RESOLVE_CACHED: never waits for the device) and on pool threads for the misses.
#pragma once

#include <sys/stat.h>

namespace aiofs {

// Returned (negative, beyond any errno) when the path exists but is not a regular file: nothing is
// left open, and node:fs, which opens it as node does, takes over.
constexpr int kNotRegular = -(1 << 21);

// A read-only descriptor (O_CLOEXEC) of the regular file at `path`, its fstat in *st; -errno
// (-EAGAIN: `cachedOnly` and the path is not all in the dentry cache; -ENOSYS/-EINVAL: no openat2 or
// RESOLVE_CACHED here); or kNotRegular.
int OpenRegularFile(const char* path, bool cachedOnly, struct stat* st);

}  // namespace aiofs
