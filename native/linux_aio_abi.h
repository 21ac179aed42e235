// The Linux kernel AIO ABI, written out here (as Seastar's linux-aio.hh does) so the addon builds
// against any libc and needs no libaio. Layouts follow include/uapi/linux/aio_abi.h and stat.h.
#pragma once

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>

namespace aiofs {

using aio_context_t = unsigned long;

// Opcodes (IOCB_CMD_*) of kernel AIO requests.
enum : uint16_t {
  kCmdPread = 0,
  kCmdPwrite = 1,
  kCmdFsync = 2,
  kCmdFdsync = 3,
};

// Submitted as a kCmdPread, with leave for a pool thread to copy it (a cached RWF_NOWAIT read) when the
// loop's turn is out of io_submit time (AioContext::SpillCachedCopies). Not a kernel opcode. Whole-file
// and handle reads ask for it; a stream's reads do not: its consumer then reads bytes that another core
// copied (the warm 512 MiB stream: 7.1 GB/s copied on the loop, 4.7 with copies spilled).
constexpr uint16_t kPreadAnyThread = 8;

// Opcodes of blocking jobs, which the context's own threads run with plain system calls (blocking_pool.h);
// the same iocb fields describe them. Not kernel opcodes.
enum : uint16_t {
  kJobPread = 16,            // pread(2); read(2) at the file position for a negative offset
  kJobPwrite = 17,           // pwrite(2)
  kJobPwriteWriteback = 18,  // pwrite(2), then sync_file_range(SYNC_FILE_RANGE_WRITE) on what it wrote
  kJobOpenRegular = 19,      // open_regular.h's OpenRegularFile of a path: a descriptor, -errno or kNotRegular
  kJobWriteFile = 20,        // open(2), pwrite(2) all of the data, fsync(2) if asked, close(2)
  // preadv2(2) with the request's aio_rw_flags: a kCmdPread of cached pages (RWF_NOWAIT) that the loop's
  // turn had no time left to copy, handed to a thread as it is (AioContext::Flush); same result.
  kJobCopyCached = 21,
  // pread(2) into memory whose pages are not in memory yet (docs/kernel-aio.md, "Fresh memory"): its
  // cost is the copy and the page faults, so it counts as a copy beside the loop and waits while
  // maxCopyJobs_ copies run (AioContext::PostCopies).
  kJobPreadCopy = 22,
  // A whole small file by path: open_regular.h's OpenRegularFile, then, when all of it fits the request's
  // memory, pread(2) of all of it (up to the size fstat gave, as node reads) and close(2): the bytes read.
  // When it does not fit, or fstat says 0 (a size it does not tell), the descriptor is handed over
  // instead, as kFdHandedOver - fd. Errors: -(step * kJobStepUnit + errno), step kStepOpen or kStepRead;
  // kNotRegular. For a path the dentry cache missed (lib/whole-file.ts): one round trip, not two.
  kJobReadFile = 23,
};
// kJobReadFile's result for a file it opened but did not read: kFdHandedOver - fd.
constexpr int64_t kFdHandedOver = -(int64_t{1} << 40);
// Job options (Request::jobFlags).
constexpr uint32_t kJobWriteFileSync = 1u;  // kJobWriteFile: fsync before close
// A kJobWriteFile or kJobReadFile error says which step failed: -(step * kJobStepUnit + errno).
constexpr int64_t kJobStepUnit = 65536;
enum : int64_t { kStepOpen = 0, kStepWrite = 1, kStepFsync = 2, kStepClose = 3, kStepRead = 4 };

// aio_flags, IOCB_FLAG_RESFD: the completion also bumps the eventfd in aio_resfd (since 2.6.22).
constexpr uint32_t kIocbFlagResfd = 1u << 0;
// aio_rw_flags, RWF_NOWAIT: fail with -EAGAIN instead of blocking (buffered reads: page-cache miss; since 4.14).
constexpr int32_t kRwfNowait = 0x00000008;

// 64 bytes; little-endian field order (x86-64, arm64).
struct iocb {
  uint64_t aio_data;
  uint32_t aio_key;
  int32_t aio_rw_flags;
  uint16_t aio_lio_opcode;
  int16_t aio_reqprio;
  uint32_t aio_fildes;
  uint64_t aio_buf;
  uint64_t aio_nbytes;
  int64_t aio_offset;
  uint64_t aio_reserved2;
  uint32_t aio_flags;
  uint32_t aio_resfd;
};
static_assert(sizeof(iocb) == 64, "struct iocb is 64 bytes in the kernel ABI");

struct io_event {
  uint64_t data;  // the iocb's aio_data
  uint64_t obj;   // the iocb's address
  int64_t res;    // bytes transferred, or -errno
  int64_t res2;
};
static_assert(sizeof(io_event) == 32, "struct io_event is 32 bytes in the kernel ABI");

// The completion ring the kernel maps at the context's address (fs/aio.c, struct aio_ring). With no
// incompatible features it may be read from user space, as libaio and Seastar do, saving io_getevents.
constexpr unsigned kAioRingMagic = 0xa10a10a1;
struct aio_ring {
  unsigned id;
  unsigned nr;    // number of io_events
  unsigned head;  // next event to consume: written by the consumer
  unsigned tail;  // next event the kernel fills: written by the kernel
  unsigned magic;
  unsigned compat_features;
  unsigned incompat_features;
  unsigned header_length;
  io_event io_events[];
};

// The system calls return -1 and set errno, as syscall(2) does.
inline long io_setup(unsigned nr_events, aio_context_t* ctx) { return syscall(SYS_io_setup, nr_events, ctx); }
inline long io_destroy(aio_context_t ctx) { return syscall(SYS_io_destroy, ctx); }
inline long io_submit(aio_context_t ctx, long nr, iocb** iocbs) { return syscall(SYS_io_submit, ctx, nr, iocbs); }
inline long io_cancel(aio_context_t ctx, iocb* cb, io_event* result) { return syscall(SYS_io_cancel, ctx, cb, result); }
inline long io_getevents(aio_context_t ctx, long min_nr, long nr, io_event* events, timespec* timeout) {
  return syscall(SYS_io_getevents, ctx, min_nr, nr, events, timeout);
}

// statx(2) with STATX_DIOALIGN (Linux 6.1): only the fields aiofs reads; the layout is the kernel's.
constexpr unsigned kStatxTypeMode = 0x0003u;  // STATX_TYPE | STATX_MODE
constexpr unsigned kStatxDioAlign = 0x2000u;  // STATX_DIOALIGN
struct statx_timestamp {
  int64_t tv_sec;
  uint32_t tv_nsec;
  int32_t reserved;
};
struct statx_buf {
  uint32_t stx_mask;
  uint32_t stx_blksize;
  uint64_t stx_attributes;
  uint32_t stx_nlink;
  uint32_t stx_uid;
  uint32_t stx_gid;
  uint16_t stx_mode;
  uint16_t spare0;
  uint64_t stx_ino;
  uint64_t stx_size;
  uint64_t stx_blocks;
  uint64_t stx_attributes_mask;
  statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
  uint32_t stx_rdev_major, stx_rdev_minor;
  uint32_t stx_dev_major, stx_dev_minor;
  uint64_t stx_mnt_id;
  uint32_t stx_dio_mem_align;
  uint32_t stx_dio_offset_align;
  uint64_t spare3[12];
};
static_assert(sizeof(statx_buf) == 256, "struct statx is 256 bytes in the kernel ABI");
constexpr int kAtEmptyPath = 0x1000;  // AT_EMPTY_PATH
inline long statx(int dirfd, const char* path, int flags, unsigned mask, statx_buf* buf) {
  return syscall(SYS_statx, dirfd, path, flags, mask, buf);
}

// cachestat(2) (Linux 6.5): page-cache residency of a byte range, without reading it (a buffered read,
// even with RWF_NOWAIT, starts readahead on a miss). 451 in the unified syscall table (x86-64, arm64).
constexpr long kSysCachestat = 451;
struct cachestat_range {
  uint64_t off;
  uint64_t len;
};
struct cachestat_buf {
  uint64_t nr_cache;
  uint64_t nr_dirty;
  uint64_t nr_writeback;
  uint64_t nr_evicted;
  uint64_t nr_recently_evicted;
};
inline long cachestat(int fd, cachestat_range* range, cachestat_buf* out) {
  return syscall(kSysCachestat, fd, range, out, 0);
}

// System calls made directly rather than through their glibc wrappers, whose newer symbol versions
// (fstat@GLIBC_2.33, fcntl64@GLIBC_2.28, preadv64v2@GLIBC_2.26) would raise the prebuilt binaries'
// glibc requirement past 2.17 (README: platforms). struct stat is the kernel's on x86-64 and arm64.
inline int sys_fstat(int fd, struct ::stat* st) { return static_cast<int>(syscall(SYS_fstat, fd, st)); }
inline int sys_fcntl(int fd, int cmd, long arg = 0) { return static_cast<int>(syscall(SYS_fcntl, fd, cmd, arg)); }
// preadv2(2) (Linux 4.6): on 64-bit kernels the offset is its low word, the high word is ignored.
inline long sys_preadv2(int fd, const struct ::iovec* iov, int count, int64_t offset, int flags) {
  return syscall(SYS_preadv2, fd, iov, count, static_cast<long>(offset), 0L, flags);
}

// openat2(2) (Linux 5.6) with RESOLVE_CACHED (Linux 5.12): resolve the path from the dentry cache only,
// or fail with EAGAIN. 437 in the unified syscall table (x86-64, arm64).
constexpr long kSysOpenat2 = 437;
constexpr uint64_t kResolveCached = 0x20;
struct open_how {
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
inline long openat2(int dirfd, const char* path, open_how* how, size_t size) {
  return syscall(kSysOpenat2, dirfd, path, how, size);
}

}  // namespace aiofs
