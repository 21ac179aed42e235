#include "open_regular.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

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
  // openat2 missing (ENOSYS, before Linux 5.6) or refused by a seccomp filter (EPERM, or EINVAL as some
  // return): a plain openat serves the uncached case. Where openat2 itself gave a true answer (a file's
  // EPERM, flags it rejects), openat gives the same one.
  if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == EINVAL) && !cachedOnly) {
    do fd = openat(AT_FDCWD, path, flags | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
  }
  return fd < 0 ? -errno : fd;
}

// The file an O_PATH descriptor names, opened read-only through its /proc/self/fd link: the very inode
// fstat described, whatever the path names by now, so nothing renamed over the path meanwhile (a FIFO,
// whose open waits for a writer) is ever opened. The lookup stays in procfs: it never waits for the
// device. -ENOENT only where /proc is not mounted.
int ReopenForReading(int pathFd) {
  char link[32];
  snprintf(link, sizeof link, "/proc/self/fd/%d", pathFd);
  int fd;
  do fd = open(link, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  return fd < 0 ? -errno : fd;
}

// Without /proc: the path opened read-only again, and kept only if it is still the file `found`
// describes (renamed over meanwhile, it is that file's turn to be looked at, by node:fs). Here a FIFO
// renamed over the path between the two opens would hold the open until a writer came.
int OpenSameFileAgain(const char* path, bool cachedOnly, const struct stat& found) {
  int fd = OpenAt(path, O_RDONLY | O_NOCTTY, cachedOnly);
  if (fd < 0) return fd;
  struct stat now {};
  if (sys_fstat(fd, &now) != 0 || now.st_ino != found.st_ino || now.st_dev != found.st_dev) {
    close(fd);
    return kNotRegular;
  }
  return fd;
}

}  // namespace

int OpenRegularFile(const char* path, bool cachedOnly, struct stat* st) {
  int pathFd = OpenAt(path, O_PATH, cachedOnly);
  if (pathFd < 0) return pathFd;
  if (sys_fstat(pathFd, st) != 0) {
    int error = -errno;
    close(pathFd);
    return error;
  }
  if (!S_ISREG(st->st_mode)) {
    close(pathFd);
    return kNotRegular;
  }
  int fd = ReopenForReading(pathFd);
  if (fd == -ENOENT) fd = OpenSameFileAgain(path, cachedOnly, *st);  // no /proc here
  close(pathFd);
  return fd;
}

}  // namespace aiofs
