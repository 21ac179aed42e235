// small-file.c: the syscall floor of a whole-file read and write, and which steps can run without blocking.
// For each size it times, per file, in a loop over N cached files:
//   plain:   open + fstat + read + close (blocking syscalls, what readFileSync costs at the bottom)
//   nowait:  openat2(RESOLVE_CACHED) + fstat + preadv2(RWF_NOWAIT) + close: every step either completes
//            from memory or fails at once with EAGAIN (a dentry or page-cache miss), so it never blocks
//   write:   open(O_CREAT|O_TRUNC) + write + close, and pwritev2(RWF_NOWAIT) on a buffered fd (supported?);
//            every write below in pieces of at most 512 KiB
//   new:     open(O_CREAT|O_EXCL) of a new name + write + close (the names unlinked after the clock stops)
//   append:  open(O_APPEND) + write + close of the existing files, which grow
//   flush:   open(O_TRUNC) + write + fsync + close of the existing files
// Build: cc -O2 small-file.c -o /tmp/small-file     Run: /tmp/small-file DIR [SIZE ...]   (root drops caches
// for the cold line: it counts how many RESOLVE_CACHED opens and RWF_NOWAIT reads fail after drop_caches).
//
// Its figures are in docs/kernel-aio.md ("Reading", "Writing"). The bench suite builds it at run time
// as the whole-file scenario's C floor (bench/suite/c-floor.mjs). Since its first version (2026-12-05):
// SMALL_FILE_MAX_BYTES=N in the environment caps the files of one size at N bytes in all (fewer than
// 256 files, at least 1), so that 16 MiB and 256 MiB run; and the new, append and flush floors of the
// suite's other whole-file writes, each after a sync and in 512 KiB pieces.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}
static int open_cached(const char *p) {
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_CACHED};
  return syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof how);
}
enum { FILES = 256, PIECE = 512 * 1024 };

// One write mode over the files of one size, `rounds` times: microseconds per file written, or -1 when a
// call fails. new_names: a new file per file and round (removed once the clock has stopped); otherwise
// the existing file i, opened with `flags`.
static double time_writes(const char *dir, long size, int nfiles, int rounds, const char *buf, int flags, int sync_it,
                          int new_names) {
  char path[4096];
  sync();  // no writeback left from what was written before: each mode starts on a clean page cache
  double t0 = now();
  for (int r = 0; r < rounds; r++)
    for (int i = 0; i < nfiles; i++) {
      if (new_names)
        snprintf(path, sizeof path, "%s/new-%ld-%d-%d", dir, size, r, i);
      else
        snprintf(path, sizeof path, "%s/sf-%ld-%d", dir, size, i);
      int fd = open(path, flags | O_CLOEXEC, 0644);
      if (fd < 0) return -1;
      // In pieces of at most 512 KiB: one write(2) of many MiB into new memory can cost several times
      // more (probes/write-pieces.c), and node's writeFile writes 512 KiB at a time.
      for (long done = 0; done < size; done += PIECE) {
        long piece = size - done < PIECE ? size - done : PIECE;
        if (write(fd, buf + done, piece) != piece) return -1;
      }
      if ((sync_it && fsync(fd) != 0) || close(fd) != 0) return -1;
    }
  double us = (now() - t0) / (rounds * nfiles) * 1e6;
  for (int r = 0; r < rounds && new_names; r++)
    for (int i = 0; i < nfiles; i++) {
      snprintf(path, sizeof path, "%s/new-%ld-%d-%d", dir, size, r, i);
      unlink(path);
    }
  return us;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s DIR [SIZE ...]\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  long sizes[16];
  int ns = 0;
  for (int i = 2; i < argc && ns < 16; i++) sizes[ns++] = atol(argv[i]);
  if (!ns) {
    sizes[0] = 4096;
    sizes[1] = 65536;
    sizes[2] = 1 << 20;
    ns = 3;
  }
  char path[4096];
  long max_bytes = getenv("SMALL_FILE_MAX_BYTES") ? atol(getenv("SMALL_FILE_MAX_BYTES")) : 0;
  for (int s = 0; s < ns; s++) {
    long size = sizes[s];
    int nfiles = max_bytes > 0 && size > 0 && size * FILES > max_bytes
                     ? (max_bytes / size > 0 ? (int)(max_bytes / size) : 1)
                     : FILES;
    char *buf = malloc(size + 1);
    memset(buf, 'x', size);
    for (int i = 0; i < nfiles; i++) {
      snprintf(path, sizeof path, "%s/sf-%ld-%d", dir, size, i);
      int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (write(fd, buf, size) != size) return 1;
      close(fd);
    }
    int rounds = size >= (1 << 20) ? 20 : 200;
    // plain
    double t0 = now();
    for (int r = 0; r < rounds; r++)
      for (int i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "%s/sf-%ld-%d", dir, size, i);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        fstat(fd, &st);
        if (read(fd, buf, st.st_size + 1) != size) return 1;
        close(fd);
      }
    double plain = (now() - t0) / (rounds * nfiles) * 1e6;
    // nowait
    int eagain_open = 0, eagain_read = 0;
    t0 = now();
    for (int r = 0; r < rounds; r++)
      for (int i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "%s/sf-%ld-%d", dir, size, i);
        int fd = open_cached(path);
        if (fd < 0) {
          eagain_open++;
          continue;
        }
        struct stat st;
        fstat(fd, &st);
        struct iovec iov = {buf, st.st_size + 1};
        ssize_t n = preadv2(fd, &iov, 1, 0, RWF_NOWAIT);
        if (n < 0) eagain_read++;
        close(fd);
      }
    double nowait = (now() - t0) / (rounds * nfiles) * 1e6;
    // write (a rewrite of the existing files), then the new, append and flush floors
    int wrounds = rounds / 4 + 1;
    double wr = time_writes(dir, size, nfiles, wrounds, buf, O_WRONLY | O_CREAT | O_TRUNC, 0, 0);
    double wnew = time_writes(dir, size, nfiles, wrounds, buf, O_WRONLY | O_CREAT | O_EXCL, 0, 1);
    double wflush = time_writes(dir, size, nfiles, wrounds, buf, O_WRONLY | O_CREAT | O_TRUNC, 1, 0);
    double wappend = time_writes(dir, size, nfiles, wrounds, buf, O_WRONLY | O_APPEND, 0, 0);
    if (wr < 0 || wnew < 0 || wflush < 0 || wappend < 0) return 1;
    snprintf(path, sizeof path, "%s/sf-%ld-0", dir, size);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    struct iovec iov = {buf, size};
    ssize_t wn = pwritev2(fd, &iov, 1, 0, RWF_NOWAIT);
    int werr = wn < 0 ? errno : 0;
    close(fd);
    printf(
        "size %7ld: read plain %6.1f us (%7.0f MB/s), nowait %6.1f us (%7.0f MB/s, %d open EAGAIN, %d read EAGAIN);"
        " write plain %6.1f us (%6.0f MB/s), new %6.1f us, append %6.1f us, flush %6.1f us;"
        " buffered pwritev2 RWF_NOWAIT: %s\n",
        size, plain, size / plain, nowait, size / nowait, eagain_open, eagain_read, wr, size / wr, wnew, wappend,
        wflush, werr ? strerror(werr) : "ok");
    if (geteuid() == 0) {
      sync();
      int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
      if (dc >= 0 && write(dc, "3", 1) == 1) close(dc);
      int eo = 0, er = 0;
      for (int i = 0; i < nfiles; i++) {
        snprintf(path, sizeof path, "%s/sf-%ld-%d", dir, size, i);
        int f = open_cached(path);
        if (f < 0) {
          eo++;
          f = open(path, O_RDONLY);
        }
        struct iovec v = {buf, size};
        if (preadv2(f, &v, 1, 0, RWF_NOWAIT) < 0) er++;
        close(f);
      }
      printf("size %7ld cold: %d/%d RESOLVE_CACHED opens EAGAIN, %d/%d RWF_NOWAIT reads EAGAIN\n", size, eo, nfiles, er,
             nfiles);
    }
    for (int i = 0; i < nfiles; i++) {
      snprintf(path, sizeof path, "%s/sf-%ld-%d", dir, size, i);
      unlink(path);
    }
    free(buf);
  }
  return 0;
}
