// Probe: what does a writer that must show readers exactly the bytes written (no padding, no size past
// the last byte) pay for each way of growing a file sequentially? Every write extends i_size.
// Build: cc -O2 -pthread probes/write-paths.c -o /tmp/write-paths
// Run:   /tmp/write-paths FILE MODE [MiB=1024] [CHUNK_KiB=1024] [THREADS=1]
// MODE 0: buffered pwrite(2) through the page cache (what node:fs does, on its threadpool)
// MODE 1: O_DIRECT pwrite(2), each write extending the file (on ext4 and xfs such a write is
//         synchronous: it takes the inode lock exclusively and waits for the device)
// MODE 2: buffered pwrite, then fdatasync at the end (a `flush: true` writer)
// MODE 3: O_DIRECT pwrite, then fdatasync at the end
// MODE 4: buffered pwrite, each followed by sync_file_range(SYNC_FILE_RANGE_WRITE) on what it wrote
//         (writeback starts at once, without waiting), then fdatasync at the end
// With THREADS > 1 the chunks are written by that many threads in turn (chunk i by thread i % THREADS),
// each waiting for the previous chunk to be written first only through the kernel's own locking.
// Prints MB/s and the mean and maximum time of one write.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int fd;
static size_t chunk;
static long chunks;
static int threads;
static int mode;
static atomic_long next;
static double worst;
static double total;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *writer(void *arg) {
  char *buf = arg;
  for (;;) {
    long i = atomic_fetch_add(&next, 1);
    if (i >= chunks) return NULL;
    double t = now();
    if (pwrite(fd, buf, chunk, (off_t)i * chunk) != (ssize_t)chunk) {
      perror("pwrite");
      exit(1);
    }
    if (mode == 4 && sync_file_range(fd, (off_t)i * chunk, chunk, SYNC_FILE_RANGE_WRITE)) {
      perror("sync_file_range");
      exit(1);
    }
    t = now() - t;
    pthread_mutex_lock(&lock);
    total += t;
    if (t > worst) worst = t;
    pthread_mutex_unlock(&lock);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FILE MODE [MiB] [CHUNK_KiB] [THREADS]\n", argv[0]);
    return 2;
  }
  mode = atoi(argv[2]);
  long mib = argc > 3 ? atol(argv[3]) : 1024;
  chunk = (size_t)(argc > 4 ? atol(argv[4]) : 1024) << 10;
  threads = argc > 5 ? atoi(argv[5]) : 1;
  chunks = (long)((mib << 20) / chunk);
  int direct = mode == 1 || mode == 3;
  fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | (direct ? O_DIRECT : 0), 0644);
  if (fd < 0) {
    perror("open");
    return 1;
  }
  pthread_t tids[64];
  double start = now();
  for (int t = 0; t < threads; t++) {
    char *buf;
    if (posix_memalign((void **)&buf, 4096, chunk)) return 1;
    memset(buf, 'x', chunk);
    pthread_create(&tids[t], NULL, writer, buf);
  }
  for (int t = 0; t < threads; t++) pthread_join(tids[t], NULL);
  double written = now() - start;
  if (mode >= 2) fdatasync(fd);
  double elapsed = now() - start;
  printf(
      "mode %d, %ld MiB in %zu KiB chunks, %d thread(s): %.0f MB/s (writes %.0f MB/s), write mean %.3f ms max %.3f "
      "ms\n",
      mode, mib, chunk >> 10, threads, (mib << 20) / elapsed / 1e6, (mib << 20) / written / 1e6, total / chunks * 1e3,
      worst * 1e3);
  close(fd);
  return 0;
}
