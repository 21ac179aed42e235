#include "blocking_pool.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "open_regular.h"

namespace aiofs {

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
    case kJobPwriteWriteback:
      do done = pwrite(fd, buffer, length, offset);
      while (done < 0 && errno == EINTR);
      if (done < 0) return -errno;
      // Starts writeback of what was just written, without waiting for it, so that a writer who will
      // fsync at the end finds most of it on the device by then (docs/kernel-aio.md). Its failure is
      // the later fsync's to report.
      if (job.aio_lio_opcode == kJobPwriteWriteback && done > 0)
        sync_file_range(fd, offset, done, SYNC_FILE_RANGE_WRITE);
      return done;
    case kJobOpenRegular: {
      struct stat st {};
      return OpenRegularFile(r.path.c_str(), false, &st);
    }
    case kJobWriteFile:
      return WriteFile(r);
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
  size_t done = 0;
  int64_t failed = 0;
  while (done < job.aio_nbytes) {
    // At the file's position, as node's writeFile writes (O_APPEND appends; otherwise from 0).
    ssize_t n = write(fd, data + done, job.aio_nbytes - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed = -(kStepWrite * kJobStepUnit + errno);
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (failed == 0 && (r.jobFlags & kJobWriteFileSync) != 0 && fsync(fd) != 0)
    failed = -(kStepFsync * kJobStepUnit + errno);
  // A failed close still closed the descriptor (Linux); it is reported only when nothing failed before.
  if (close(fd) != 0 && failed == 0 && errno != EINTR) failed = -(kStepClose * kJobStepUnit + errno);
  return failed != 0 ? failed : static_cast<int64_t>(done);
}

}  // namespace aiofs
