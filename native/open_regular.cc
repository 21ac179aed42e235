#include "open_regular.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "linux_aio_abi.h"

namespace aiofs {

namespace {

int OpenAt(const char* path, int flags, bool cachedOnly) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = cachedOnly ? kResolveCached : 0;
  int fd;
  do fd = static_cast<int>(openat2(AT_FDCWD, path, &how, sizeof how));
  while (fd < 0 && errno == EINTR);
  // openat2 itself missing (before Linux 5.6): a plain openat serves the uncached case.
  if (fd < 0 && errno == ENOSYS && !cachedOnly) {
    do fd = openat(AT_FDCWD, path, flags | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
  }
  return fd < 0 ? -errno : fd;
}

}  // namespace

int OpenRegularFile(const char* path, bool cachedOnly, struct stat* st) {
  int pathFd = OpenAt(path, O_PATH, cachedOnly);
  if (pathFd < 0) return pathFd;
  struct stat found {};
  if (sys_fstat(pathFd, &found) != 0) {
    int error = -errno;
    close(pathFd);
    return error;
  }
  if (!S_ISREG(found.st_mode)) {
    close(pathFd);
    return kNotRegular;
  }
  int fd = OpenAt(path, O_RDONLY | O_NOCTTY, cachedOnly);
  close(pathFd);
  if (fd < 0) return fd;
  // The path may name another file by now (renamed over meanwhile): then it is that file's turn to be
  // looked at, by whoever takes over (node:fs).
  if (sys_fstat(fd, st) != 0 || st->st_ino != found.st_ino || st->st_dev != found.st_dev) {
    close(fd);
    return kNotRegular;
  }
  return fd;
}

}  // namespace aiofs
