// What the cached open of a whole-file read costs, by the ways a path can be opened from the dentry
// cache (openat2 RESOLVE_CACHED), each followed by a 4 KiB preadv2(RWF_NOWAIT) and the closes:
//   o_path_first   O_PATH open, fstat, read-only open, fstat (same inode?), close: what aiofs does
//                  without /proc (native/open_regular.cc), so that a FIFO or a device is never opened
//   direct         read-only open with O_NONBLOCK, fstat: one path walk, but it opens whatever is
//                  there (a FIFO's writer is woken, a device's driver runs its open)
//   no_recheck     O_PATH first, then the read-only open without the second fstat
//   proc_reopen    O_PATH first, then /proc/self/fd/N reopened read-only: what aiofs does
// docs/kernel-aio.md quotes it: the safety of O_PATH first costs about 4 us per file here.
//   cc -O2 probes/cached-open.c -o /tmp/cached-open && /tmp/cached-open FILE [ROUNDS=3]
// FILE: a small file, read once first so that it is cached (cat FILE > /dev/null).
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

enum { kFiles = 200000, kSchemes = 4 };
static const char* const kNames[kSchemes] = {"o_path_first", "direct", "no_recheck", "proc_reopen"};
static char buffer[1 << 16];

static int open_cached(const char* path, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = RESOLVE_CACHED};
  return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

// The read-only descriptor of `path` by `scheme`, or -1.
static int open_by(int scheme, const char* path) {
  struct stat st;
  if (scheme == 1) {
    int fd = open_cached(path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    return fd >= 0 && fstat(fd, &st) == 0 ? fd : -1;
  }
  int pathFd = open_cached(path, O_PATH);
  if (pathFd < 0 || fstat(pathFd, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  int fd;
  if (scheme == 3) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pathFd);
    fd = open(proc, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  } else {
    fd = open_cached(path, O_RDONLY | O_NOCTTY);
    struct stat again;
    if (scheme == 0 && fd >= 0 && (fstat(fd, &again) != 0 || again.st_ino != st.st_ino)) fd = -1;
  }
  close(pathFd);
  return fd;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: cached-open FILE [ROUNDS]\n");
    return 2;
  }
  int rounds = argc > 2 ? atoi(argv[2]) : 3;
  close(open(argv[1], O_RDONLY));  // brings its dentries into the cache
  for (int round = 0; round < rounds; round++) {
    for (int scheme = 0; scheme < kSchemes; scheme++) {
      double start = now_us();
      for (int i = 0; i < kFiles; i++) {
        int fd = open_by(scheme, argv[1]);
        struct iovec iov = {buffer, sizeof buffer};
        if (fd < 0 || preadv2(fd, &iov, 1, 0, RWF_NOWAIT) < 0) {
          perror(kNames[scheme]);
          return 1;
        }
        close(fd);
      }
      printf("%-13s %6.2f us per file\n", kNames[scheme], (now_us() - start) / kFiles);
    }
  }
  return 0;
}
