// Probe: what does the first copy into new memory cost, against a copy into memory already written?
// Reads a cached FILE (its first MiB, again and again) with pread(2) into SIZE bytes of a new anonymous
// mapping, three passes over it, printing each pass's MiB/s and what mincore(2) says of the mapping
// before it; then the same reads into a 1 MiB buffer written before (memory in use). The first pass
// takes the page faults; on some virtual machines later passes stay slow for a while as well, since
// the host backs the guest's memory lazily. Read the file once before (cat FILE > /dev/null) so that
// only the copies are timed.
// Build: cc -O2 probes/fresh-memory.c -o /tmp/fresh-memory
// Run:   cat FILE > /dev/null; /tmp/fresh-memory FILE 268435456
// Measured (2026-12-07, a 2-vCPU VM, Linux 6.18; its untouched memory fills at ~335 MiB/s): see
// docs/kernel-aio.md, "Fresh memory".
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MIB (1L << 20)

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

// Pages of [memory, memory + size) that mincore says are in memory.
static long resident_pages(char *memory, long size) {
  long page = sysconf(_SC_PAGESIZE), pages = size / page, count = 0;
  unsigned char *vector = malloc(pages);
  if (vector == NULL || mincore(memory, size, vector) != 0) return -1;
  for (long i = 0; i < pages; i++) count += vector[i] & 1;
  free(vector);
  return count;
}

// Copies the file's first MiB into every MiB of [memory, memory + size): MiB/s.
static double copy_pass(int fd, char *memory, long size, long stride) {
  double t0 = now();
  for (long at = 0; at < size; at += MIB)
    if (pread(fd, memory + at % stride, MIB, 0) != MIB) return -1;
  return size / MIB / (now() - t0);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s FILE SIZE\n", argv[0]);
    return 2;
  }
  int fd = open(argv[1], O_RDONLY);
  long size = atol(argv[2]) / MIB * MIB;
  if (fd < 0 || size <= 0) return 2;
  long page = sysconf(_SC_PAGESIZE);
  char *memory = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return 1;
  for (int pass = 1; pass <= 3; pass++) {
    long resident = resident_pages(memory, size);
    printf("new memory, pass %d: %ld of %ld pages resident before, %.0f MiB/s\n", pass, resident, size / page,
           copy_pass(fd, memory, size, size));
  }
  char *used = malloc(MIB);
  if (used == NULL) return 1;
  copy_pass(fd, used, 4 * MIB, MIB);  // written before the timed pass
  printf("memory in use (1 MiB, written before): %.0f MiB/s\n", copy_pass(fd, used, size, MIB));
  return 0;
}
