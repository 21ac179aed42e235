// deny-openat2 ERRNO COMMAND [ARGS...]: runs COMMAND with a seccomp filter under which every openat2(2)
// fails with ERRNO (a number; ENOSYS as on Linux before 5.6, EINVAL as a kernel without RESOLVE_CACHED
// before 5.12, EPERM as a container's filter). Every other system call runs as usual. For the tests of
// what aiofs does without the cached open (test/fast-paths-off.test.ts).
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "deny-openat2: x86_64 and aarch64 only"
#endif

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: deny-openat2 ERRNO COMMAND [ARGS...]\n");
    return 2;
  }
  unsigned error = (unsigned)atoi(argv[1]) & SECCOMP_RET_DATA;
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | error),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = {sizeof filter / sizeof filter[0], filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    perror("deny-openat2: seccomp");
    return 1;
  }
  execvp(argv[2], argv + 2);
  perror("deny-openat2: exec");
  return 127;
}
