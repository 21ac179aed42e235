#include "aio_context.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace aiofs {

namespace {
constexpr long kReapBatch = 256;      // io_events fetched per io_getevents call
constexpr size_t kSubmitBatch = 256;  // iocbs offered per io_submit call
// io_submit does a request's per-byte work on this thread: it pins (and, in fresh memory, first faults
// in) an O_DIRECT read's pages, or copies a cached RWF_NOWAIT read whole. Measured here: 0.05 ms per
// MiB for a direct read into reused memory, 0.1 ms for a cached copy, up to 0.35 ms with page faults;
// four 1 MiB requests in one call held the loop for over 1 ms. So large requests go in calls of about
// kBatchBytes (at least one iocb each), and once io_submit has taken kTurnTimeNs in a turn of the loop
// the rest waits for the next turn, after timers and other I/O have run.
constexpr uint64_t kBatchBytes = 1 << 20;
constexpr uint64_t kTurnTimeNs = 250'000;
// Completions are handed to JavaScript in a turn of the loop until their callbacks have run this long;
// the rest wait for the next turn, after timers and other I/O (at least one call a turn). Without it
// 16 streams of 1 MiB chunks handed up to 26 MiB to their consumers in one turn (p99 11 MiB), which
// held the loop up to 31 ms; lib/turn-budget.ts keeps aiofs's own work on the loop to the same time.
constexpr uint64_t kDeliverTimeNs = 500'000;

// The CPUs this process may run on (its affinity mask), at least one.
unsigned UsableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

// The descriptor a finished job opened and hands over (kJobOpenRegular, kJobReadFile), or -1.
int OpenedFd(const Request& r) {
  uint16_t op = r.cb.aio_lio_opcode;
  if (op == kJobOpenRegular && r.result >= 0) return static_cast<int>(r.result);
  if (op == kJobReadFile && r.result <= kFdHandedOver) return static_cast<int>(kFdHandedOver - r.result);
  return -1;
}

uint64_t NowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(t.tv_nsec);
}
}  // namespace

AioContext* AioContext::Create(napi_env env, unsigned maxEvents, unsigned maxThreads, napi_value onComplete,
                               napi_value completionSlots, int* err) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    *err = EINVAL;
    return nullptr;
  }
  aio_context_t ctx = 0;
  if (io_setup(maxEvents, &ctx) != 0) {
    *err = errno;
    return nullptr;
  }
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) {
    *err = kEventfdFailed + errno;
    io_destroy(ctx);
    return nullptr;
  }
  auto* self = new AioContext(env, loop, ctx, efd, maxEvents, maxThreads);
  const char* reap = getenv("AIOFS_REAP");
  self->reapFromRing_ = reap == nullptr || strcmp(reap, "io_getevents") != 0;
  self->onComplete_ = Napi::Persistent(Napi::Function(env, onComplete));
  self->slots_ = Napi::Persistent(Napi::Float64Array(env, completionSlots));
  self->asyncContext_ = new Napi::AsyncContext(env, "aiofs:completion");
  napi_add_async_cleanup_hook(env, OnCleanup, self, &self->cleanupHandle_);
  return self;
}

AioContext::AioContext(napi_env env, uv_loop_t* loop, aio_context_t ctx, int eventFd, unsigned capacity,
                       unsigned maxThreads)
    : env_(env),
      loop_(loop),
      ctx_(ctx),
      eventFd_(eventFd),
      capacity_(capacity),
      pool_(eventFd, maxThreads),
      maxCopyJobs_(std::max(1u, std::min(maxThreads, UsableCpus() - 1))) {
  live_.prev = live_.next = &live_;
  uv_poll_init(loop_, &poll_, eventFd_);
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE, OnReadable);
  uv_prepare_init(loop_, &prepare_);
  prepare_.data = this;
  uv_idle_init(loop_, &idle_);
  idle_.data = this;
  openHandles_ = 3;
  // No handle keeps the loop alive by itself; UpdateLoopRef() refs the poll while work is pending.
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&idle_));
}

AioContext::~AioContext() {
  for (Request* r : free_) delete r;
  delete asyncContext_;
}

Request* AioContext::NewRequest() {
  if (free_.empty()) return new Request();
  Request* r = free_.back();
  free_.pop_back();
  return r;
}

void AioContext::Enqueue(Request* r) {
  r->submitted = false;
  r->cb.aio_data = reinterpret_cast<uint64_t>(r);
  r->cb.aio_flags |= kIocbFlagResfd;
  r->cb.aio_resfd = static_cast<uint32_t>(eventFd_);
  r->next = &live_;
  r->prev = live_.prev;
  live_.prev->next = r;
  live_.prev = r;
  if (r->cb.aio_lio_opcode == kJobPreadCopy) {
    copies_.push_back(r);
    PostCopies();
    UpdateLoopRef();
    return;
  }
  if (r->job) {
    r->submitted = true;
    pool_.Post(r);
    UpdateLoopRef();
    return;
  }
  pending_.push_back(r);
  // Everything enqueued during this turn of the loop goes to the kernel together, in the prepare phase
  // just before the loop polls (or at the end of a completion batch, whichever comes first).
  uv_prepare_start(&prepare_, OnPrepare);
  UpdateLoopRef();
}

int AioContext::CancelFd(uint32_t fd) {
  // Jobs not yet started are taken back and cancelled; running ones complete as usual.
  std::vector<Request*> queuedJobs;
  pool_.TakeQueued(fd, queuedJobs);
  auto kept =
      std::stable_partition(copies_.begin(), copies_.end(), [fd](Request* r) { return r->cb.aio_fildes != fd; });
  queuedJobs.insert(queuedJobs.end(), kept, copies_.end());
  copies_.erase(kept, copies_.end());
  for (Request* r : queuedJobs) Finish(r, -ECANCELED);
  int found = static_cast<int>(queuedJobs.size());
  for (Request* r = live_.next; r != &live_;) {
    Request* next = r->next;  // Finish() unlinks r
    if (r->cb.aio_fildes == fd && !r->job) {
      found++;
      if (!r->submitted) {
        pending_.erase(std::find(pending_.begin(), pending_.end(), r));
        Finish(r, -ECANCELED);
      } else {
        // Since Linux 4.19 every outcome of io_cancel, success included, is reported by a normal
        // completion event; regular files have no cancel method and answer EINVAL. Either way the result
        // arrives later, and the request keeps its memory until then.
        io_event ignored;
        stats.cancelAsked++;
        if (io_cancel(ctx_, &r->cb, &ignored) != 0 && errno == EINVAL) stats.cancelRefused++;
      }
    }
    r = next;
  }
  // Results of removed requests are delivered from the loop, never re-entrantly.
  if (!finished_.empty()) uv_prepare_start(&prepare_, OnPrepare);
  return found;
}

void AioContext::Flush() {
  iocb* batch[kSubmitBatch];
  bool overBudget = false;
  while (!pending_.empty() && inFlight_ < capacity_) {
    if (turnSubmitNs_ >= kTurnTimeNs) {
      SpillCachedCopies();
      overBudget = !pending_.empty();
      break;
    }
    size_t most = std::min({pending_.size(), static_cast<size_t>(capacity_ - inFlight_), kSubmitBatch});
    size_t n = 0;
    for (uint64_t bytes = 0; n < most; n++) {
      bytes += pending_[n]->cb.aio_nbytes;
      if (bytes > kBatchBytes && n > 0) break;
      batch[n] = &pending_[n]->cb;
    }
    uint64_t start = NowNs();
    long accepted = io_submit(ctx_, static_cast<long>(n), batch);
    turnSubmitNs_ += NowNs() - start;
    stats.submitCalls++;
    if (accepted > 0) {
      // io_submit takes iocbs strictly in order and stops at the first it cannot take: exactly the first
      // `accepted` reached the kernel. The rest stay queued, to be offered again (never twice).
      for (long i = 0; i < accepted; i++) {
        pending_.front()->submitted = true;
        pending_.pop_front();
      }
      inFlight_ += static_cast<unsigned>(accepted);
      stats.submitted += static_cast<double>(accepted);
      stats.maxBatch = std::max(stats.maxBatch, static_cast<double>(accepted));
      continue;
    }
    int error = accepted == 0 ? EAGAIN : errno;
    if (error == EINTR) continue;
    // EAGAIN with requests in flight: the ring is full; a completion frees a slot and the next Pump() offers them
    // again.
    if (error == EAGAIN && inFlight_ > 0) break;
    // Otherwise the first iocb itself was refused (EBADF, EINVAL, EOPNOTSUPP for RWF_NOWAIT on tmpfs...):
    // it never reached the kernel, so it is complete, with that error.
    Request* refused = pending_.front();
    pending_.pop_front();
    Finish(refused, -error);
  }
  // Queued requests go in a later turn's prepare phase, unless the ring is full: then a completion
  // makes room and its Pump() offers them.
  if (!pending_.empty() && inFlight_ < capacity_) {
    uv_prepare_start(&prepare_, OnPrepare);
  } else {
    uv_prepare_stop(&prepare_);
  }
  submitHeld_ = overBudget;
  UpdateIdle();
  UpdateLoopRef();
}

// Requests or results held back for the next turn must not wait for I/O: an active idle handle keeps
// the loop from blocking in poll, and its callback hands the held results over once timers have run.
void AioContext::UpdateIdle() {
  if (submitHeld_ || deliveryHeld_) {
    uv_idle_start(&idle_, OnIdle);
  } else {
    uv_idle_stop(&idle_);
  }
}

void AioContext::Release(Request* r) {
  for (napi_ref ref : r->memory) napi_delete_reference(env_, ref);
  r->memory.clear();
  r->prev->next = r->next;
  r->next->prev = r->prev;
  r->cb = iocb{};
  r->job = false;
  r->anyThread = false;
  r->path.clear();
  r->jobFlags = 0;
  r->result = 0;
  free_.push_back(r);
}

void AioContext::Finish(Request* r, int64_t result) {
  finished_.emplace_back(r->id, static_cast<double>(result));
  Release(r);
}

void AioContext::Deliver() {
  if (finished_.empty() || deliveryHeld_) return;
  // Raw N-API with every status checked: in a worker being terminated JavaScript can no longer run,
  // calls fail, and the results are dropped (their requests were already released).
  napi_handle_scope scope;
  if (napi_open_handle_scope(env_, &scope) != napi_ok) {
    finished_.clear();
    return;
  }
  Napi::Float64Array slots = slots_.Value();
  napi_value callback = onComplete_.Value();
  napi_value receiver;
  bool ok = slots != nullptr && callback != nullptr && napi_get_global(env_, &receiver) == napi_ok;
  size_t perCall = ok ? slots.ElementLength() / 2 : 0;
  double* out = ok ? slots.Data() : nullptr;
  size_t done = 0, unflushed = 0;
  while (ok && done < finished_.size()) {
    // A turn's first call hands over one result; each later call as many as the turn's time left fits
    // at the time its results took so far (callbacks and their promise continuations, which run before
    // the call returns), one at least.
    size_t fits = 1;
    if (turnResults_ > 0) {
      uint64_t left = kDeliverTimeNs - std::min(turnDeliverNs_, kDeliverTimeNs);
      fits = static_cast<size_t>(left * turnResults_ / std::max<uint64_t>(turnDeliverNs_, 1));
    }
    size_t n = std::min({std::max<size_t>(fits, 1), perCall, finished_.size() - done});
    for (size_t i = 0; i < n; i++) {
      out[2 * i] = finished_[done + i].first;
      out[2 * i + 1] = finished_[done + i].second;
    }
    done += n;
    stats.completed += static_cast<double>(n);
    napi_value count;
    ok = napi_create_double(env_, static_cast<double>(n), &count) == napi_ok;
    uint64_t start = NowNs();
    napi_status status =
        ok ? napi_make_callback(env_, *asyncContext_, receiver, callback, 1, &count, nullptr) : napi_generic_failure;
    turnDeliverNs_ += NowNs() - start;
    turnResults_ += n;
    if (status == napi_pending_exception) {
      // The dispatcher reports callback errors itself; anything else is a bug worth surfacing loudly.
      napi_value error;
      if (napi_get_and_clear_last_exception(env_, &error) == napi_ok) napi_fatal_exception(env_, error);
    } else if (status != napi_ok) {
      ok = false;
    }
    // What these callbacks (and their promise continuations) queued goes to the kernel once a full
    // call's worth of results has been handed over, while the rest of the batch still is: the device
    // is not left idle behind JavaScript. What the last calls queued goes in Pump()'s Flush.
    unflushed += n;
    if (unflushed >= perCall) {
      Flush();
      unflushed = 0;
    }
    if (turnDeliverNs_ >= kDeliverTimeNs && done < finished_.size()) deliveryHeld_ = ok;
    if (deliveryHeld_) break;
  }
  // Results held back stay, in order, ahead of those reaped later; without JavaScript (ok false) none
  // can be delivered any more.
  finished_.erase(finished_.begin(),
                  deliveryHeld_ ? finished_.begin() + static_cast<std::ptrdiff_t>(done) : finished_.end());
  UpdateIdle();
  napi_close_handle_scope(env_, scope);
}

// Takes every completion the kernel has posted. The ring is read from user space when its layout is
// the one this code knows (one consumer: this thread) and AIOFS_REAP=io_getevents did not ask for the
// system call; otherwise io_getevents with a zero timeout.
void AioContext::Reap() {
  auto* ring = reinterpret_cast<aio_ring*>(ctx_);
  if (reapFromRing_ && ring->magic == kAioRingMagic && ring->incompat_features == 0) {
    unsigned head = ring->head;
    unsigned tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);  // events up to tail are complete
    while (head != tail) {
      const io_event& event = ring->io_events[head];
      head = (head + 1) % ring->nr;
      inFlight_--;
      Finish(reinterpret_cast<Request*>(event.data), event.res);
    }
    __atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);  // the kernel may now reuse those slots
    return;
  }
  io_event events[kReapBatch];
  timespec noWait{0, 0};
  for (;;) {
    long n = io_getevents(ctx_, 0, kReapBatch, events, &noWait);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (long i = 0; i < n; i++) {
      inFlight_--;
      Finish(reinterpret_cast<Request*>(events[i].data), events[i].res);
    }
    if (n < kReapBatch) break;
  }
}

AioContext* AioContext::Of(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<AioContext*>(data);
}

// The turn has spent its io_submit time: the cached copies (RWF_NOWAIT reads submitted as
// kPreadAnyThread) at the head of the queue go to the pool's threads as they are, as long as a thread
// is free for each and the copies leave the loop a CPU of its own (maxCopyJobs_: with a copy per CPU,
// the loop waited for a CPU, 16 MiB readFiles' loop delay p99 3.1-3.6 ms against 2.4 with one copy
// at a time on 2 CPUs), rather than waiting for the next turn. They copy on the machine's other cores
// beside the loop, as node:fs's threadpool reads do, with the result an io_submit would give (bytes,
// or -EAGAIN for pages not cached). docs/kernel-aio.md, "Cached copies on other cores".
void AioContext::SpillCachedCopies() {
  while (!pending_.empty() && pool_.outstanding() < pool_.maxThreads() && copyJobs_ < maxCopyJobs_) {
    Request* r = pending_.front();
    if (!r->anyThread || (r->cb.aio_rw_flags & kRwfNowait) == 0) return;
    pending_.pop_front();
    copyJobs_++;
    r->cb.aio_lio_opcode = kJobCopyCached;
    r->job = true;
    r->submitted = true;
    pool_.Post(r);
  }
}

// Lends the held kJobPreadCopy jobs to the pool, oldest first, while fewer than maxCopyJobs_ copies run:
// like the cached copies that SpillCachedCopies hands over, they leave the loop a CPU of its own (a
// 16 MiB readFile x64 into fresh memory with 4 such reads at once: loop delay p99 56-64 ms; one at a
// time on 2 CPUs: 18 ms, node:fs's 11-22).
void AioContext::PostCopies() {
  while (!copies_.empty() && copyJobs_ < maxCopyJobs_) {
    Request* r = copies_.front();
    copies_.pop_front();
    copyJobs_++;
    r->submitted = true;
    pool_.Post(r);
  }
}

// Takes back every job the pool has finished. A descriptor a job opened is owned from here on.
void AioContext::ReapJobs() {
  pool_.TakeDone(jobsDone_);
  for (Request* r : jobsDone_) {
    stats.jobs++;
    if (r->cb.aio_lio_opcode == kJobCopyCached) stats.threadCopies++;
    if (r->cb.aio_lio_opcode == kJobCopyCached || r->cb.aio_lio_opcode == kJobPreadCopy) copyJobs_--;
    int opened = OpenedFd(*r);
    if (opened >= 0) OwnFd(opened);
    Finish(r, r->result);
  }
  jobsDone_.clear();
  PostCopies();
}

void AioContext::OnReadable(uv_poll_t* handle, int status, int) {
  auto* self = static_cast<AioContext*>(handle->data);
  uint64_t count;
  // The eventfd counts completions; reading resets it. Events completing after the read bump it again,
  // so the poll fires again: none is missed.
  while (read(self->eventFd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
  if (status == 0) {
    self->Reap();
    self->ReapJobs();
  }
  self->Pump();
}

// The prepare phase starts a turn's submissions and deliveries: their budgets are renewed here.
void AioContext::OnPrepare(uv_prepare_t* handle) {
  auto* self = static_cast<AioContext*>(handle->data);
  self->turnSubmitNs_ = 0;
  if (!self->deliveryHeld_) self->NewDeliveryTurn();
  self->Pump();
}

// A new turn of the loop, after its timers: results held back by the last turn go out first.
void AioContext::OnIdle(uv_idle_t* handle) {
  auto* self = static_cast<AioContext*>(handle->data);
  if (!self->deliveryHeld_) return;
  self->deliveryHeld_ = false;
  self->NewDeliveryTurn();
  self->Pump();
}

void AioContext::Pump() {
  Deliver();
  // Requests queued by JavaScript since the last flush (in callbacks, promise continuations, timers...)
  // go out together; any the kernel refuses are delivered in turn.
  Flush();
  Deliver();
  UpdateLoopRef();
}

void AioContext::UpdateLoopRef() {
  auto* h = reinterpret_cast<uv_handle_t*>(&poll_);
  bool busy = inFlight_ > 0 || !pending_.empty() || !copies_.empty() || !finished_.empty() || pool_.outstanding() > 0;
  if (busy) {
    uv_ref(h);
  } else {
    uv_unref(h);
  }
}

// Runs once, when the environment (main thread or worker) is torn down; JavaScript no longer runs.
// Safe in every state: with nothing in flight the waits below return at once. Blocking jobs are waited
// for by joining the pool's threads (each finishes the job it runs; queued ones never start). Queued
// requests never reached the kernel and are simply released. Requests in the kernel are waited for (regular-file
// direct I/O always completes; io_cancel cannot stop it) so that their memory outlives them; then the
// kernel context, the loop handles and the eventfd are closed in that order.
void AioContext::OnCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* self = static_cast<AioContext*>(arg);
  uv_prepare_stop(&self->prepare_);
  uv_idle_stop(&self->idle_);
  uv_poll_stop(&self->poll_);
  // Blocking jobs first: Stop() waits for the running ones, so their memory outlives them.
  std::vector<Request*> jobs;
  self->pool_.Stop(jobs);
  for (Request* r : jobs) {
    // An open that finished but was never handed to JavaScript: nobody else will close it.
    int opened = OpenedFd(*r);
    if (opened >= 0) close(opened);
    self->Release(r);
  }
  for (int fd : self->ownedFds_) close(fd);
  self->ownedFds_.clear();
  for (std::deque<Request*>* queue : {&self->pending_, &self->copies_}) {
    while (!queue->empty()) {
      self->Release(queue->front());
      queue->pop_front();
    }
  }
  io_event events[kReapBatch];
  while (self->inFlight_ > 0) {
    long n = io_getevents(self->ctx_, 1, kReapBatch, events, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // cannot happen with a valid context; io_destroy below still waits for the I/O
    }
    for (long i = 0; i < n; i++) {
      self->inFlight_--;
      self->Release(reinterpret_cast<Request*>(events[i].data));
    }
  }
  self->finished_.clear();
  // io_destroy also blocks until any I/O still in the kernel is done, before the context goes.
  io_destroy(self->ctx_);
  self->onComplete_.Reset();
  self->slots_.Reset();
  napi_set_instance_data(self->env_, nullptr, nullptr, nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->poll_), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->prepare_), OnHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->idle_), OnHandleClosed);
  self->cleanupHandle_ = handle;
}

void AioContext::OnHandleClosed(uv_handle_t* handle) {
  auto* self = static_cast<AioContext*>(handle->data);
  if (--self->openHandles_ > 0) return;
  close(self->eventFd_);
  napi_async_cleanup_hook_handle hook = self->cleanupHandle_;
  delete self;
  napi_remove_async_cleanup_hook(hook);
}

}  // namespace aiofs
