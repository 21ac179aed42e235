// Copies of cached pages on one thread against several at once: each thread reads the whole of a
// cached file with preadv2(RWF_NOWAIT) in 1 MiB pieces into memory of its own, again and again, for
// SECONDS. A cached read is a memory copy made by the thread that asks for it (inside io_submit for a
// kernel-AIO read), so the loop thread alone copies at one core's speed; whether a second thread
// beside it adds another core's worth decides that a turn of the loop out of io_submit time hands
// cached copies to the context's threads rather than leaving them for the next turn
// (native/aio_context.cc, SpillCachedCopies); docs/kernel-aio.md quotes it.
//   cc -O2 -pthread probes/parallel-copies.c -o /tmp/parallel-copies && /tmp/parallel-copies FILE [SECONDS=2]
// FILE: a file of 16 MiB or more, read once first so that it is cached (cat FILE > /dev/null).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PIECE (1 << 20)

static const char* path;
static double seconds = 2;
static off_t size;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

// One thread's run: bytes copied, or -1 when a read missed the page cache or failed.
static void* run(void* out) {
  int fd = open(path, O_RDONLY);
  char* memory = malloc(size);
  if (fd < 0 || memory == NULL) {
    perror("open/malloc");
    exit(1);
  }
  double copied = 0, end = now_s() + seconds;
  while (now_s() < end) {
    for (off_t at = 0; at < size; at += PIECE) {
      struct iovec iov = {memory + at, size - at < PIECE ? size - at : PIECE};
      ssize_t n = preadv2(fd, &iov, 1, at, RWF_NOWAIT);
      if (n < 0) {
        fprintf(stderr, "preadv2 at %lld: %s (is the file cached?)\n", (long long)at, strerror(errno));
        exit(1);
      }
      copied += n;
    }
  }
  close(fd);
  free(memory);
  *(double*)out = copied;
  return NULL;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [SECONDS]\n", argv[0]);
    return 2;
  }
  path = argv[1];
  if (argc > 2) seconds = atof(argv[2]);
  struct stat st;
  if (stat(path, &st) != 0 || st.st_size < 16 * PIECE) {
    fprintf(stderr, "%s: need a file of at least 16 MiB\n", path);
    return 2;
  }
  size = st.st_size > 64 * PIECE ? 64 * PIECE : st.st_size;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  for (int threads = 1; threads <= 4; threads *= 2) {
    pthread_t ids[4];
    double copied[4], total = 0;
    double start = now_s();
    for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, run, &copied[i]);
    for (int i = 0; i < threads; i++) pthread_join(ids[i], NULL), total += copied[i];
    printf("%d thread(s) copying cached 1 MiB pieces (%ld cores): %.1f GB/s\n", threads, cores,
           total / (now_s() - start) / 1e9);
  }
  return 0;
}
