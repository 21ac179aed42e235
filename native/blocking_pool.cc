#include "blocking_pool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "open_regular.h"

namespace aiofs {

namespace {

// Buffered writes reach the kernel in pieces of at most this size. One write(2) of many MiB into a new
// file (new page-cache memory) at times waits long for the large folios it asks for: a new 256 MiB
// file took 315-606 ms in one write, 124-193 ms in 512 KiB pieces (docs/kernel-aio.md, "Writing";
// probes/write-pieces.c). node's fs/promises writeFile writes 512 KiB at a time as well.
constexpr size_t kWritePiece = 512 * 1024;

// Writes `length` bytes in pieces of kWritePiece, going on after short writes: with pwrite(2) at
// `offset`, or, for a negative `offset`, with write(2) at the file position. With `writeback` (an
// offset only), each piece's writeback starts at once (sync_file_range, without waiting: a failure is
// the later fsync's to report). Returns the bytes written; `*error` is the errno that stopped it, or 0.
size_t WritePieces(int fd, const uint8_t* data, size_t length, off_t offset, bool writeback, int* error) {
  size_t done = 0;
  *error = 0;
  while (done < length) {
    size_t piece = std::min<size_t>(length - done, kWritePiece);
    off_t at = offset + static_cast<off_t>(done);
    ssize_t n = offset < 0 ? write(fd, data + done, piece) : pwrite(fd, data + done, piece, at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = errno;
      break;
    }
    if (n == 0) break;
    if (writeback) sync_file_range(fd, at, n, SYNC_FILE_RANGE_WRITE);
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace

void BlockingPool::Post(Request* r) {
  outstanding_++;
  std::lock_guard<std::mutex> lock(mutex_);
  queue_.push_back(r);
  pthread_cond_signal(&wake_);
  if (queue_.size() > idle_ && threads_.size() < maxThreads_) threads_.emplace_back([this] { Run(); });
}

void BlockingPool::TakeDone(std::vector<Request*>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  outstanding_ -= static_cast<unsigned>(done_.size());
  out.insert(out.end(), done_.begin(), done_.end());
  done_.clear();
}

void BlockingPool::TakeQueued(uint32_t fd, std::vector<Request*>& out) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto kept = std::stable_partition(queue_.begin(), queue_.end(), [fd](Request* r) { return r->cb.aio_fildes != fd; });
  outstanding_ -= static_cast<unsigned>(queue_.end() - kept);
  out.insert(out.end(), kept, queue_.end());
  queue_.erase(kept, queue_.end());
}

void BlockingPool::Stop(std::vector<Request*>& out) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  pthread_cond_broadcast(&wake_);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // Queued jobs never ran: their result must not pass for an outcome (a descriptor to close).
  for (Request* r : queue_) r->result = -ECANCELED;
  out.insert(out.end(), queue_.begin(), queue_.end());
  out.insert(out.end(), done_.begin(), done_.end());
  queue_.clear();
  done_.clear();
  outstanding_ = 0;
}

void BlockingPool::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    idle_++;
    while (!stopping_ && queue_.empty()) pthread_cond_wait(&wake_, lock.mutex()->native_handle());
    idle_--;
    if (stopping_) return;
    Request* r = queue_.front();
    queue_.pop_front();
    lock.unlock();
    r->result = Execute(*r);
    lock.lock();
    done_.push_back(r);
    // The eventfd counts; the loop's poll fires while it is non-zero, and reading it resets it.
    uint64_t one = 1;
    while (write(eventFd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
  }
}

int64_t BlockingPool::Execute(const Request& r) {
  const iocb& job = r.cb;
  int fd = static_cast<int>(job.aio_fildes);
  auto* buffer = reinterpret_cast<uint8_t*>(job.aio_buf);
  size_t length = job.aio_nbytes;
  off_t offset = static_cast<off_t>(job.aio_offset);
  ssize_t done;
  switch (job.aio_lio_opcode) {
    case kJobPread:  // a negative offset: at the file position, with read(2) (a FIFO has no offsets)
    case kJobPreadCopy:
      do done = offset < 0 ? read(fd, buffer, length) : pread(fd, buffer, length, offset);
      while (done < 0 && errno == EINTR);
      return done < 0 ? -errno : done;
    case kJobCopyCached: {
      iovec iov{buffer, length};
      do done = sys_preadv2(fd, &iov, 1, offset, job.aio_rw_flags);
      while (done < 0 && errno == EINTR);
      return done < 0 ? -errno : done;
    }
    case kJobPwrite:
    case kJobPwriteWriteback: {
      // The writeback variant starts writing what it wrote to the device at once, so that a writer who
      // will fsync at the end finds most of it there by then (docs/kernel-aio.md, "Writing"). A failure
      // part way reports what was written before it, as a short write would.
      int error;
      size_t written = WritePieces(fd, buffer, length, offset, job.aio_lio_opcode == kJobPwriteWriteback, &error);
      return written == 0 && error != 0 ? -error : static_cast<int64_t>(written);
    }
    case kJobOpenRegular: {
      struct stat st {};
      return OpenRegularFile(r.path.c_str(), false, &st);
    }
    case kJobWriteFile:
      return WriteFile(r);
    case kJobReadFile:
      return ReadFile(r);
    default:
      return -EINVAL;
  }
}

// open, write everything (short writes go on, as node's writeFile loops), fsync if asked, close: the
// bytes written, or -(step * kJobStepUnit + errno) naming the step that failed.
int64_t BlockingPool::WriteFile(const Request& r) {
  const iocb& job = r.cb;
  int fd;
  do fd = open(r.path.c_str(), job.aio_rw_flags | O_CLOEXEC, static_cast<mode_t>(job.aio_offset));
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return -(kStepOpen * kJobStepUnit + errno);
  const auto* data = reinterpret_cast<const uint8_t*>(job.aio_buf);
  // At the file's position, as node's writeFile writes (O_APPEND appends; otherwise from 0).
  int error;
  size_t done = WritePieces(fd, data, job.aio_nbytes, -1, false, &error);
  int64_t failed = error != 0 ? -(kStepWrite * kJobStepUnit + error) : 0;
  if (failed == 0 && (r.jobFlags & kJobWriteFileSync) != 0 && fsync(fd) != 0)
    failed = -(kStepFsync * kJobStepUnit + errno);
  // A failed close still closed the descriptor (Linux); it is reported only when nothing failed before.
  if (close(fd) != 0 && failed == 0 && errno != EINTR) failed = -(kStepClose * kJobStepUnit + errno);
  return failed != 0 ? failed : static_cast<int64_t>(done);
}

// OpenRegularFile, then all of the file into the request's memory if it fits, and close: the bytes
// read; otherwise the open descriptor, as kFdHandedOver - fd; or an error (linux_aio_abi.h, kJobReadFile).
int64_t BlockingPool::ReadFile(const Request& r) {
  struct stat st {};
  int fd = OpenRegularFile(r.path.c_str(), false, &st);
  if (fd == kNotRegular) return kNotRegular;
  if (fd < 0) return -(kStepOpen * kJobStepUnit - fd);
  auto size = static_cast<size_t>(st.st_size);
  if (size == 0 || size > r.cb.aio_nbytes) return kFdHandedOver - fd;
  auto* buffer = reinterpret_cast<uint8_t*>(r.cb.aio_buf);
  size_t done = 0;
  int error = 0;
  while (done < size) {
    ssize_t n = pread(fd, buffer + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) error = errno;
    if (n <= 0) break;  // an error, or end of file: the file shrank since fstat
    done += static_cast<size_t>(n);
  }
  close(fd);  // read-only: nothing to flush, and a failed close still closed it (Linux)
  return error != 0 ? -(kStepRead * kJobStepUnit + error) : static_cast<int64_t>(done);
}

}  // namespace aiofs
