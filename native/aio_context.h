// One kernel AIO context per Node environment (the main thread and each worker), shared by every file.
//
// Ownership:
// - The context is created by Setup() on first use and stored as the environment's instance data. It owns
//   the kernel context (io_setup), an eventfd, a uv_poll_t watching that eventfd, a uv_prepare_t and a uv_idle_t, all
//   on the environment's own loop (napi_get_uv_event_loop, never uv_default_loop()).
// - It is destroyed only by its async environment-cleanup hook, after every request that reached the
//   kernel has completed (io_getevents), so no buffer is released and no memory freed under the kernel.
// - Each Request (request.h) holds a strong reference (napi_ref) to the JavaScript memory the kernel or
//   a pool thread reads or writes, from Enqueue() until its completion is reaped; JavaScript never sees
//   the Request itself. Blocking jobs are lent to the context's BlockingPool meanwhile.
#pragma once

#include <napi.h>
#include <uv.h>

#include <deque>
#include <unordered_set>
#include <utility>
#include <vector>

#include "blocking_pool.h"
#include "linux_aio_abi.h"
#include "request.h"

namespace aiofs {

struct ContextStats {
  double submitCalls = 0;    // io_submit system calls made
  double submitted = 0;      // iocbs the kernel accepted
  double completed = 0;      // completions delivered to JavaScript (including refused submissions)
  double maxBatch = 0;       // most iocbs accepted by one io_submit
  double cancelAsked = 0;    // io_cancel calls made for requests already in the kernel
  double cancelRefused = 0;  // ...that the kernel refused (EINVAL for regular files): result dropped
  double jobs = 0;           // blocking jobs run on the context's own threads
  double threadCopies = 0;   // ...of which cached reads handed over by a turn out of time (Flush)
};

// Added to the errno of a failed eventfd(2) in Create's *err, to tell it from io_setup's.
constexpr int kEventfdFailed = 1 << 20;

class AioContext {
 public:
  // Returns nullptr and sets *err when the kernel refuses a context: io_setup's errno (ENOSYS: no AIO;
  // EAGAIN: fs.aio-max-nr used up; EPERM: a sandbox forbids it), or kEventfdFailed plus eventfd's errno
  // (EMFILE, ENFILE: no descriptor free at that moment).
  static AioContext* Create(napi_env env, unsigned maxEvents, unsigned maxThreads, napi_value onComplete,
                            napi_value completionSlots, int* err);

  // Takes ownership of r; a kernel AIO request reaches the kernel before the loop next waits for I/O, a
  // blocking job (r->job) goes to a pool thread at once.
  void Enqueue(Request* r);
  // Cancels every live request on `fd`: queued ones are removed and complete with -ECANCELED; the kernel
  // is asked to cancel the others (regular files answer EINVAL), whose completions still arrive.
  // Returns how many requests were found.
  int CancelFd(uint32_t fd);

  // This environment's context, or nullptr before setup() (or after teardown).
  static AioContext* Of(napi_env env);

  // Descriptors aiofs opened itself (openCached, jobOpenRegular), which node does not know of: each is
  // owned from its open until closeFd(), and the cleanup hook closes those still open (a worker
  // terminated while reading one), so none outlives its environment.
  void OwnFd(int fd) { ownedFds_.insert(fd); }
  // Returns whether `fd` was owned (and is no more).
  bool DisownFd(int fd) { return ownedFds_.erase(fd) > 0; }

  ContextStats stats;
  unsigned capacity() const { return capacity_; }
  unsigned inFlight() const { return inFlight_; }
  size_t queued() const { return pending_.size() + copies_.size(); }
  unsigned jobsOutstanding() const { return pool_.outstanding(); }
  unsigned threads() const { return pool_.threads(); }

 private:
  AioContext(napi_env env, uv_loop_t* loop, aio_context_t ctx, int eventFd, unsigned capacity, unsigned maxThreads);
  ~AioContext();

  void Flush();
  void SpillCachedCopies();                 // Flush, out of time: cached copies at the queue's head go to pool threads
  void PostCopies();                        // held kJobPreadCopy jobs go to the pool while copy slots are free
  void Finish(Request* r, int64_t result);  // unlinks r and records its result for delivery
  void Deliver();     // hands recorded results to JavaScript in calls of up to slots/2 for kDeliverTimeNs a turn
  void UpdateIdle();  // the idle handle runs while submissions or results are held for the next turn
  void NewDeliveryTurn() { turnDeliverNs_ = turnResults_ = 0; }
  void Reap();
  void ReapJobs();
  void Pump();  // deliver, submit, deliver refusals: what every loop callback ends with
  void UpdateLoopRef();
  void Release(Request* r);

  static void OnReadable(uv_poll_t* handle, int status, int events);
  static void OnPrepare(uv_prepare_t* handle);
  static void OnIdle(uv_idle_t* handle);
  static void OnCleanup(napi_async_cleanup_hook_handle handle, void* arg);
  static void OnHandleClosed(uv_handle_t* handle);

  napi_env env_;
  uv_loop_t* loop_;
  aio_context_t ctx_;
  int eventFd_;
  unsigned capacity_;  // most requests in flight at once: io_setup's nr_events
  // Completions are read from the ring mapped in user space, unless AIOFS_REAP=io_getevents asks for
  // the system call (what memcheck can follow: it marks a read's memory written only there).
  bool reapFromRing_ = true;
  unsigned inFlight_ = 0;
  std::deque<Request*> pending_;  // accepted from JavaScript, not yet accepted by the kernel
  std::deque<Request*> copies_;   // kJobPreadCopy jobs waiting for a copy slot (maxCopyJobs_)
  Request live_;                  // sentinel of the list of every live request
  std::vector<Request*> free_;
  std::vector<std::pair<double, double>> finished_;  // (id, result) waiting for Deliver()
  BlockingPool pool_;
  std::vector<Request*> jobsDone_;    // scratch for ReapJobs()
  std::unordered_set<int> ownedFds_;  // loop thread only
  uv_poll_t poll_;
  uv_prepare_t prepare_;
  uv_idle_t idle_;              // active only while requests or results wait for the next turn
  bool submitHeld_ = false;     // Flush() ran out of this turn's io_submit time with requests left
  bool deliveryHeld_ = false;   // the turn's delivery time ran out: the rest waits for the next turn
  uint64_t turnDeliverNs_ = 0;  // time JavaScript took for this turn's results (see kDeliverTimeNs)
  uint64_t turnResults_ = 0;    // results handed over in this turn
  uint64_t turnSubmitNs_ = 0;   // time spent in io_submit in this turn of the loop (see kTurnTimeNs)
  unsigned copyJobs_ = 0;       // copies on pool threads (SpillCachedCopies, PostCopies), not yet reaped
  unsigned maxCopyJobs_;        // at most one per CPU this process may run on, but one (the loop's)
  int openHandles_ = 0;
  Napi::FunctionReference onComplete_;
  Napi::Reference<Napi::Float64Array> slots_;  // [id, result] pairs shared with JavaScript
  Napi::AsyncContext* asyncContext_ = nullptr;
  napi_async_cleanup_hook_handle cleanupHandle_ = nullptr;

 public:
  Request* NewRequest();
};

}  // namespace aiofs
