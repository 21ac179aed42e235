// A few threads of the AIO context's own for the system calls that must block the thread that makes
// them: a buffered write (the page cache path for writes that grow a file; a buffered write cannot be
// made non-blocking, docs/kernel-aio.md), a read of a range whose pages are dirty; and for copies of
// cached pages that the event loop's turn has no time left for (AioContext::Flush). They never run on
// the event loop, and never on libuv's threadpool, so they neither stall the loop nor wait behind (or
// hold up) crypto, zlib and dns work there. Their results come back through the context's eventfd, as
// kernel AIO completions do.
//
// Ownership: the pool borrows a Request from Post() until the loop thread takes it back with
// TakeDone(); meanwhile one pool thread runs it and writes its `result`, and nobody else touches it.
// Threads start on demand, up to the limit, and are joined by Stop() (the context's cleanup hook),
// after each has finished the job it is running: no buffer is released under a thread.
#pragma once

#include <pthread.h>

#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "request.h"

namespace aiofs {

class BlockingPool {
 public:
  // `eventFd` is the context's: each finished job adds 1 to it, waking the loop.
  BlockingPool(int eventFd, unsigned maxThreads) : eventFd_(eventFd), maxThreads_(maxThreads) {}
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Loop thread: lends `r` to the pool; it runs on a pool thread as soon as one is free.
  void Post(Request* r);
  // Loop thread: moves every finished job into `out` (appending), giving the Requests back.
  void TakeDone(std::vector<Request*>& out);
  // Loop thread: takes back the queued (not yet started) jobs on `fd` into `out`.
  void TakeQueued(uint32_t fd, std::vector<Request*>& out);
  // Loop thread: jobs lent and not yet taken back.
  unsigned outstanding() const { return outstanding_; }
  unsigned threads() const { return static_cast<unsigned>(threads_.size()); }
  unsigned maxThreads() const { return maxThreads_; }
  // Loop thread, once: no job starts after this; waits for the running ones, joins the threads, and
  // moves every lent Request (queued, with result -ECANCELED, or finished) into `out`.
  void Stop(std::vector<Request*>& out);

 private:
  void Run();
  static int64_t Execute(const Request& r);
  static int64_t WriteFile(const Request& r);
  static int64_t ReadFile(const Request& r);

  const int eventFd_;
  const unsigned maxThreads_;
  unsigned outstanding_ = 0;  // loop thread only
  std::mutex mutex_;          // guards everything below
  // pthread's own condition variable: std::condition_variable::wait needs libstdc++'s GLIBCXX_3.4.30
  // (GCC 12), past what the prebuilt binaries promise (README: platforms).
  pthread_cond_t wake_ = PTHREAD_COND_INITIALIZER;
  std::deque<Request*> queue_;
  std::vector<Request*> done_;
  unsigned idle_ = 0;  // threads waiting for a job
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace aiofs
