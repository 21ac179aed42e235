#include "file_helpers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>

#include "linux_aio_abi.h"

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

// fallocate(fd, mode, offset, length, callback(status)), status 0 or -errno. Runs on the libuv
// threadpool, not the event loop: ext4's fallocate reads block bitmaps from the device when they are
// not cached (ext4_mb_load_buddy; 4-31 ms each measured here), and waits for the file's direct I/O in
// flight (inode_dio_wait). Only the fd and numbers cross threads; the caller keeps the fd open and
// submits no direct I/O on it until the callback has run.
class FallocateWork : public Napi::AsyncWorker {
 public:
  FallocateWork(const Napi::Function& callback, int fd, int mode, off_t offset, off_t length)
      : Napi::AsyncWorker(callback, "aiofs:fallocate"), fd_(fd), mode_(mode), offset_(offset), length_(length) {}

  void Execute() override { status_ = fallocate(fd_, mode_, offset_, length_) == 0 ? 0 : -errno; }
  // Raw N-API, status unchecked: in a worker being terminated JavaScript no longer runs, the call
  // fails, and node-addon-api's Call() would then throw, which aborts the process (napi_throw fails
  // too). The result is dropped; the environment is going away. An exception thrown by the callback
  // itself stays pending, and node reports it as for any completion.
  void OnOK() override {
    napi_value status = Napi::Number::New(Env(), status_);
    napi_value ignored;
    napi_call_function(Env(), Env().Undefined(), Callback().Value(), 1, &status, &ignored);
  }

 private:
  const int fd_;
  const int mode_;
  const off_t offset_;
  const off_t length_;
  int status_ = 0;
};

Napi::Value Fallocate(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int mode = info[1].As<Napi::Number>().Int32Value();
  off_t offset = static_cast<off_t>(info[2].As<Napi::Number>().Int64Value());
  off_t length = static_cast<off_t>(info[3].As<Napi::Number>().Int64Value());
  (new FallocateWork(info[4].As<Napi::Function>(), fd, mode, offset, length))->Queue();
  return info.Env().Undefined();
}

// filesystemType(fd) -> statfs's f_type (the filesystem's magic number), or -errno.
Napi::Value FilesystemType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct statfs st{};
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

// descriptorFlags(fd) -> fcntl(F_GETFL): the descriptor's open(2) flags, or -errno.
Napi::Value DescriptorFlags(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int flags = fcntl(info[0].As<Napi::Number>().Int32Value(), F_GETFL);
  if (flags < 0) return Errno(env);
  return Napi::Number::New(env, flags);
}

// fileSize(fd) -> st_size, or -errno. fstat of an open file reads the inode in memory: it never waits
// for the device.
Napi::Value FileSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct stat st{};
  if (fstat(info[0].As<Napi::Number>().Int32Value(), &st) != 0) return Errno(env);
  return Napi::Number::New(env, static_cast<double>(st.st_size));
}

// alignmentOffset(view, alignment) -> bytes to skip from the view's start to an aligned address.
// Lets JavaScript carve aligned views out of ordinary (over-allocated) buffers, which works where
// external ArrayBuffers are forbidden (V8 sandbox, Electron). V8 never moves a backing store.
Napi::Value AlignmentOffset(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::TypedArray view = info[0].As<Napi::TypedArray>();
  uint64_t alignment = info[1].As<Napi::Number>().Int64Value();
  auto address = reinterpret_cast<uintptr_t>(static_cast<uint8_t*>(view.ArrayBuffer().Data()) +
                                             view.ByteOffset());
  uint64_t misalignment = address % alignment;
  return Napi::Number::New(env, static_cast<double>(misalignment == 0 ? 0 : alignment - misalignment));
}

}  // namespace

void RegisterFileHelpers(Napi::Env env, Napi::Object exports) {
  exports["dioAlignment"] = Napi::Function::New(env, DioAlignment, "dioAlignment");
  exports["seek"] = Napi::Function::New(env, Seek, "seek");
  exports["fallocate"] = Napi::Function::New(env, Fallocate, "fallocate");
  exports["filesystemType"] = Napi::Function::New(env, FilesystemType, "filesystemType");
  exports["cacheState"] = Napi::Function::New(env, CacheState, "cacheState");
  exports["fileSize"] = Napi::Function::New(env, FileSize, "fileSize");
  exports["descriptorFlags"] = Napi::Function::New(env, DescriptorFlags, "descriptorFlags");
  exports["alignmentOffset"] = Napi::Function::New(env, AlignmentOffset, "alignmentOffset");
}

}  // namespace aiofs
