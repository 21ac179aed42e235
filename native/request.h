// One I/O request from JavaScript, as the native side keeps it from submit() until its completion is
// handed back: either a kernel AIO request (an iocb for io_submit) or a blocking job for the context's
// own threads (blocking_pool.h), described by the same iocb fields.
//
// Ownership: the AioContext owns every Request (allocation, the live list, reuse). Between
// BlockingPool::Post() and BlockingPool::TakeDone() a job's Request is lent to the pool: only the pool's
// threads touch its iocb and result meanwhile, and the loop thread touches nothing of it. The JavaScript
// memory a request reads or writes is held by `memory` (strong references) until the loop thread
// releases it, after the completion is reaped, so it outlives every use by the kernel or a thread.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "linux_aio_abi.h"

namespace aiofs {

struct Request {
  iocb cb{};                     // the kernel refers to it by address while in flight (io_cancel)
  std::vector<napi_ref> memory;  // one per buffer: keeps it alive until the completion is reaped
  double id = 0;                 // JavaScript's name for the request, echoed in its completion
  bool submitted = false;        // accepted by io_submit, or taken by a pool thread: only its completion may end it
  bool job = false;              // a blocking job (cb.aio_lio_opcode is one of the kJob* opcodes)
  bool anyThread = false;        // submitted as kPreadAnyThread: a pool thread may copy it instead
  int64_t result = 0;            // a job's outcome: bytes, or -errno (written by the pool thread)
  std::string path;              // a path job's path (kJobOpenRegular, kJobWriteFile)
  uint32_t jobFlags = 0;         // a job's options (kJobWriteFileSync: fsync before close)
  Request* prev = nullptr;       // every live request is on one list (cancel, teardown)
  Request* next = nullptr;
};

}  // namespace aiofs
