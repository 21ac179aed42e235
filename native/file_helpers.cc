#include "file_helpers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "aio_context.h"
#include "linux_aio_abi.h"
#include "open_regular.h"

namespace aiofs {

namespace {

// -errno, the convention every native call uses; JavaScript shapes it into a Node error.
Napi::Number Errno(Napi::Env env) { return Napi::Number::New(env, -errno); }

// dioAlignment(fd) -> [memoryAlign, offsetAlign, statxReportedIt(0|1)] or -errno.
// STATX_DIOALIGN (Linux 6.1) reports both per file; 0 means "no direct I/O for this file". Where the
// kernel does not report it (older kernels, tmpfs, /proc), the third element is 0.
Napi::Value DioAlignment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  statx_buf st{};
  if (statx(fd, "", kAtEmptyPath, kStatxTypeMode | kStatxDioAlign, &st) != 0) return Errno(env);
  Napi::Array out = Napi::Array::New(env, 3);
  bool reported = (st.stx_mask & kStatxDioAlign) != 0;
  out[0u] = Napi::Number::New(env, reported ? st.stx_dio_mem_align : 0);
  out[1u] = Napi::Number::New(env, reported ? st.stx_dio_offset_align : 0);
  out[2u] = Napi::Number::New(env, reported ? 1 : 0);
  return out;
}

// seek(fd, offset, whence) -> the new offset, or -errno. lseek never waits for the device.
Napi::Value Seek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  off_t offset = static_cast<off_t>(info[1].As<Napi::Number>().Int64Value());
  int whence = info[2].As<Napi::Number>().Int32Value();
  off_t result = lseek(fd, offset, whence);
  if (result < 0) return Errno(env);
  return Napi::Number::New(env, static_cast<double>(result));
}

// filesystemType(fd) -> statfs's f_type (the filesystem's magic number), or -errno.
Napi::Value FilesystemType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct statfs st {};
  if (fstatfs(info[0].As<Napi::Number>().Int32Value(), &st) != 0) return Errno(env);
  return Napi::Number::New(env, static_cast<double>(static_cast<uint32_t>(st.f_type)));
}

// cacheState(fd, offset, length) -> flags: kCached (1) when every page of the range is in the page
// cache, kDirty (2) when some page of it is dirty or under writeback; or -errno (ENOSYS before Linux
// 6.5). Reads nothing and starts no readahead. A direct read or write over dirty pages would write
// them back synchronously inside io_submit (filemap_write_and_wait_range), so such ranges go another way.
constexpr int kCached = 1;
constexpr int kDirty = 2;
Napi::Value CacheState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t offset = static_cast<uint64_t>(info[1].As<Napi::Number>().Int64Value());
  uint64_t length = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value());
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  if (length == 0) return Napi::Number::New(env, kCached);
  cachestat_range range{offset, length};
  cachestat_buf stat{};
  if (cachestat(fd, &range, &stat) != 0) return Errno(env);
  uint64_t pages = (offset + length + page - 1) / page - offset / page;
  int state = (stat.nr_cache >= pages ? kCached : 0) | (stat.nr_dirty + stat.nr_writeback > 0 ? kDirty : 0);
  return Napi::Number::New(env, state);
}

// describe(fd) -> [size, mode] from fstat(2), or -errno; never waits for the device.
Napi::Value Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct stat st {};
  if (sys_fstat(info[0].As<Napi::Number>().Int32Value(), &st) != 0) return Errno(env);
  Napi::Array out = Napi::Array::New(env, 2);
  out[0u] = Napi::Number::New(env, static_cast<double>(st.st_size));
  out[1u] = Napi::Number::New(env, st.st_mode);
  return out;
}

// descriptorFlags(fd) -> fcntl(F_GETFL): the descriptor's open(2) flags, or -errno.
Napi::Value DescriptorFlags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int flags = sys_fcntl(info[0].As<Napi::Number>().Int32Value(), F_GETFL);
  if (flags < 0) return Errno(env);
  return Napi::Number::New(env, flags);
}

// fileSize(fd) -> st_size, or -errno. fstat of an open file reads the inode in memory: it never waits
// for the device.
Napi::Value FileSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct stat st {};
  if (sys_fstat(info[0].As<Napi::Number>().Int32Value(), &st) != 0) return Errno(env);
  return Napi::Number::New(env, static_cast<double>(st.st_size));
}

// A path argument's bytes, as node passes paths to the kernel: a string as UTF-8, a Uint8Array as it is.
std::string PathOf(const Napi::Value& value) {
  if (value.IsString()) return value.As<Napi::String>().Utf8Value();
  Napi::TypedArray view = value.As<Napi::TypedArray>();
  return std::string(static_cast<const char*>(view.ArrayBuffer().Data()) + view.ByteOffset(), view.ByteLength());
}

// openCached(path) -> [fd, size, mode] for a regular file, or -errno (see OpenRegularFile; kNotRegular
// when it is not a regular file). Only from the dentry cache (RESOLVE_CACHED): never waits for the device.
Napi::Value OpenCached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = PathOf(info[0]);
  struct stat st {};
  AioContext* ctx = AioContext::Of(env);
  if (ctx == nullptr) return Napi::Number::New(env, -EAGAIN);  // no context to own it: take the other way
  int fd = OpenRegularFile(path.c_str(), true, &st);
  if (fd < 0) return Napi::Number::New(env, fd);
  ctx->OwnFd(fd);
  Napi::Array out = Napi::Array::New(env, 3);
  out[0u] = Napi::Number::New(env, fd);
  out[1u] = Napi::Number::New(env, static_cast<double>(st.st_size));
  out[2u] = Napi::Number::New(env, st.st_mode);
  return out;
}

// readCached(fd, view, position) -> bytes read, all of the view or up to end of file; -errno; or, when
// the page cache missed after `n` bytes, kStoppedByMiss - n (a number below -4096). preadv2(RWF_NOWAIT)
// copies from the page cache or fails at once with EAGAIN: it never waits for the device. A position of
// -1 reads at the descriptor's own offset and advances it by what was read, as read(2) does.
constexpr double kStoppedByMiss = -4097;
Napi::Value ReadCached(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::TypedArray view = info[1].As<Napi::TypedArray>();
  auto* data = static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
  size_t length = view.ByteLength();
  off_t position = static_cast<off_t>(info[2].As<Napi::Number>().Int64Value());
  size_t done = 0;
  while (done < length) {
    iovec iov{data + done, length - done};
    ssize_t n = sys_preadv2(fd, &iov, 1, position < 0 ? -1 : position + static_cast<off_t>(done), RWF_NOWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) break;  // end of file
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return Napi::Number::New(env, kStoppedByMiss - static_cast<double>(done));
    if (done > 0) break;  // the error belongs to the next read, which will see it again
    return Errno(env);
  }
  return Napi::Number::New(env, static_cast<double>(done));
}

// closeFd(fd) -> 0 or -errno: close(2) of a descriptor aiofs opened itself, read-only (nothing to flush).
Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  AioContext* ctx = AioContext::Of(env);
  // Only a descriptor aiofs owns: a stale number must never close someone else's file.
  if (ctx == nullptr || !ctx->DisownFd(fd)) return Napi::Number::New(env, -EBADF);
  if (close(fd) != 0 && errno != EINTR) return Errno(env);
  return Napi::Number::New(env, 0);
}

// alignmentOffset(view, alignment) -> bytes to skip from the view's start to an aligned address.
// Lets JavaScript carve aligned views out of ordinary (over-allocated) buffers, which works where
// external ArrayBuffers are forbidden (V8 sandbox, Electron). V8 never moves a backing store.
Napi::Value AlignmentOffset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::TypedArray view = info[0].As<Napi::TypedArray>();
  uint64_t alignment = info[1].As<Napi::Number>().Int64Value();
  auto address = reinterpret_cast<uintptr_t>(static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset());
  uint64_t misalignment = address % alignment;
  return Napi::Number::New(env, static_cast<double>(misalignment == 0 ? 0 : alignment - misalignment));
}

}  // namespace

void RegisterFileHelpers(Napi::Env env, Napi::Object exports) {
  exports["dioAlignment"] = Napi::Function::New(env, DioAlignment, "dioAlignment");
  exports["seek"] = Napi::Function::New(env, Seek, "seek");
  exports["filesystemType"] = Napi::Function::New(env, FilesystemType, "filesystemType");
  exports["cacheState"] = Napi::Function::New(env, CacheState, "cacheState");
  exports["fileSize"] = Napi::Function::New(env, FileSize, "fileSize");
  exports["descriptorFlags"] = Napi::Function::New(env, DescriptorFlags, "descriptorFlags");
  exports["describe"] = Napi::Function::New(env, Describe, "describe");
  exports["openCached"] = Napi::Function::New(env, OpenCached, "openCached");
  exports["readCached"] = Napi::Function::New(env, ReadCached, "readCached");
  exports["closeFd"] = Napi::Function::New(env, CloseFd, "closeFd");
  exports["alignmentOffset"] = Napi::Function::New(env, AlignmentOffset, "alignmentOffset");
}

}  // namespace aiofs
