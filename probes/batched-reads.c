// Cached 4 KiB random reads, one system call each or many per system call: preadv2(RWF_NOWAIT) per
// read, against io_submit of BATCH buffered reads with RWF_NOWAIT (each completes inside io_submit, as a
// memory copy) and one io_getevents for their completions. What a read costs when system calls are
// dear (a VM) decides when aiofs copies a small read at once and when it sends reads started together to
// the kernel in one io_submit (lib/turn-budget.ts, copiesNow); docs/kernel-aio.md quotes it.
//   cc -O2 probes/batched-reads.c -o /tmp/batched-reads && /tmp/batched-reads FILE [READS=200000]
// FILE: any file of at least 1 MiB, read once first so that it is cached (cat FILE > /dev/null).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define MAX_BATCH 64

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE [READS]\n", argv[0]);
    return 2;
  }
  long reads = argc > 2 ? atol(argv[2]) : 200000;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return perror("open"), 1;
  off_t blocks = lseek(fd, 0, SEEK_END) / BLOCK;
  if (blocks < 256) return fprintf(stderr, "FILE must hold at least 1 MiB\n"), 1;
  static char buffers[MAX_BATCH][BLOCK];
  aio_context_t ctx = 0;
  if (syscall(SYS_io_setup, 256, &ctx) != 0) return perror("io_setup"), 1;

  for (int round = 0; round < 3; round++) {
    srand(round + 1);
    long misses = 0;
    double start = now_us();
    for (long i = 0; i < reads; i++) {
      struct iovec iov = {buffers[0], BLOCK};
      if (preadv2(fd, &iov, 1, (off_t)(rand() % blocks) * BLOCK, RWF_NOWAIT) < 0 && errno == EAGAIN) misses++;
    }
    printf("preadv2 RWF_NOWAIT, one per read:  %.2f us/read (%ld misses)\n", (now_us() - start) / reads, misses);

    const int batches[] = {1, 8, 16, 64};
    for (unsigned b = 0; b < sizeof batches / sizeof batches[0]; b++) {
      int batch = batches[b];
      struct iocb cbs[MAX_BATCH];
      struct iocb* list[MAX_BATCH];
      struct io_event events[MAX_BATCH];
      long inline_done = 0, submitted = 0;
      misses = 0;
      start = now_us();
      for (long done = 0; done < reads; done += batch) {
        for (int k = 0; k < batch; k++) {
          memset(&cbs[k], 0, sizeof cbs[k]);
          cbs[k].aio_lio_opcode = IOCB_CMD_PREAD;
          cbs[k].aio_fildes = fd;
          cbs[k].aio_buf = (uint64_t)(uintptr_t)buffers[k];
          cbs[k].aio_nbytes = BLOCK;
          cbs[k].aio_offset = (off_t)(rand() % blocks) * BLOCK;
          cbs[k].aio_rw_flags = RWF_NOWAIT;
          list[k] = &cbs[k];
        }
        long n = syscall(SYS_io_submit, ctx, batch, list);
        if (n != batch) return fprintf(stderr, "io_submit took %ld of %d\n", n, batch), 1;
        submitted += n;
        // With no wait: every completion is there already if the reads ran inside io_submit.
        struct timespec zero = {0, 0};
        long got = syscall(SYS_io_getevents, ctx, 0, batch, events, &zero);
        inline_done += got;
        if (got < batch) got += syscall(SYS_io_getevents, ctx, batch - got, batch - got, events + got, NULL);
        for (int k = 0; k < batch; k++)
          if ((long)events[k].res == -EAGAIN) misses++;
      }
      printf(
          "io_submit of %2d RWF_NOWAIT reads:  %.2f us/read (%ld misses; %ld of %ld complete when io_submit "
          "returned)\n",
          batch, (now_us() - start) / submitted, misses, inline_done, submitted);
    }
  }
  syscall(SYS_io_destroy, ctx);
  return 0;
}
