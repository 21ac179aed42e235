// The addon's entry: binds the per-environment AioContext and the file helpers to JavaScript.
// lib/binding.ts holds the typed interface these exports must match (test/native-edges.test.ts checks it).
#include <napi.h>

#include <algorithm>
#include <cerrno>

#include "aio_context.h"
#include "file_helpers.h"
#include "malloc_tuning.h"
#include "memory_pages.h"
#include "open_regular.h"

namespace aiofs {

namespace {

AioContext* Current(Napi::Env env) { return AioContext::Of(env); }

bool ThrowIf(Napi::Env env, bool bad, const char* message) {
  if (bad) Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return bad;
}

// setup(maxEvents, maxThreads, onComplete(count), slots: Float64Array) -> 0 or -errno.
// Creates this environment's context; later calls return 0 and change nothing.
Napi::Value Setup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (ThrowIf(env, !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsFunction() || !info[3].IsTypedArray(),
              "setup(maxEvents, maxThreads, onComplete, slots)"))
    return env.Undefined();
  if (Current(env) != nullptr) return Napi::Number::New(env, 0);
  if (ThrowIf(env,
              info[3].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
                  info[3].As<Napi::TypedArray>().ElementLength() < 2,
              "slots must be a Float64Array of at least 2 elements"))
    return env.Undefined();
  int err = 0;
  uint32_t maxEvents = info[0].As<Napi::Number>().Uint32Value();
  uint32_t maxThreads = std::max(1u, info[1].As<Napi::Number>().Uint32Value());
  AioContext* ctx = AioContext::Create(env, maxEvents, maxThreads, info[2], info[3], &err);
  if (ctx == nullptr) return Napi::Number::New(env, -err);
  // No finalizer: the context's own cleanup hook owns its destruction (see aio_context.h).
  napi_set_instance_data(env, ctx, nullptr, nullptr);
  return Napi::Number::New(env, 0);
}

// Pins the memory of `view` to the request and returns its address.
uint8_t* Pin(Napi::Env env, Request* r, Napi::TypedArray view) {
  napi_ref ref;
  napi_create_reference(env, view, 1, &ref);
  r->memory.push_back(ref);
  return static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset();
}

Request* Prepare(const Napi::CallbackInfo& info, AioContext* ctx) {
  Request* r = ctx->NewRequest();
  r->cb.aio_lio_opcode = static_cast<uint16_t>(info[0].As<Napi::Number>().Uint32Value());
  r->cb.aio_fildes = info[1].As<Napi::Number>().Uint32Value();
  r->cb.aio_offset = info[3].As<Napi::Number>().Int64Value();
  r->cb.aio_rw_flags = info[4].As<Napi::Number>().Int32Value();
  r->id = info[5].As<Napi::Number>().DoubleValue();
  r->job = r->cb.aio_lio_opcode >= kJobPread;
  if (r->cb.aio_lio_opcode == kPreadAnyThread) {
    r->cb.aio_lio_opcode = kCmdPread;
    r->anyThread = true;
  }
  return r;
}

bool CheckSubmitArgs(const Napi::CallbackInfo& info, AioContext* ctx) {
  Napi::Env env = info.Env();
  if (ThrowIf(env, ctx == nullptr, "setup() first")) return false;
  return !ThrowIf(
      env,
      !info[0].IsNumber() || !info[1].IsNumber() || !info[3].IsNumber() || !info[4].IsNumber() || !info[5].IsNumber(),
      "submit(op, fd, memory, position, rwFlags, id)");
}

// submit(op, fd, view | null, position, rwFlags, id): PREAD/PWRITE into/from the whole view, or
// FSYNC/FDSYNC with null. Queued now; reaches the kernel before the loop next waits. A job opcode
// (kJob*, linux_aio_abi.h) runs the same transfer as a plain system call on a pool thread instead.
Napi::Value Submit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AioContext* ctx = Current(env);
  if (!CheckSubmitArgs(info, ctx)) return env.Undefined();
  if (ThrowIf(env, !info[2].IsTypedArray() && !info[2].IsNull(), "memory must be a TypedArray or null"))
    return env.Undefined();
  Request* r = Prepare(info, ctx);
  if (info[2].IsTypedArray()) {
    Napi::TypedArray view = info[2].As<Napi::TypedArray>();
    r->cb.aio_buf = reinterpret_cast<uint64_t>(Pin(env, r, view));
    r->cb.aio_nbytes = view.ByteLength();
  }
  ctx->Enqueue(r);
  return env.Undefined();
}

// submitPath(op, path, view | null, flags, mode, jobFlags, id): a path job (kJobOpenRegular, kJobWriteFile,
// kJobReadFile) for a pool thread. `path` holds the path's bytes (no NUL); it is copied. `view`, if any, is the data.
Napi::Value SubmitPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AioContext* ctx = Current(env);
  if (ThrowIf(env, ctx == nullptr, "setup() first")) return env.Undefined();
  if (ThrowIf(env,
              !info[0].IsNumber() || !info[1].IsTypedArray() || (!info[2].IsTypedArray() && !info[2].IsNull()) ||
                  !info[3].IsNumber() || !info[4].IsNumber() || !info[5].IsNumber() || !info[6].IsNumber(),
              "submitPath(op, path, memory, flags, mode, jobFlags, id)"))
    return env.Undefined();
  Request* r = ctx->NewRequest();
  r->cb.aio_lio_opcode = static_cast<uint16_t>(info[0].As<Napi::Number>().Uint32Value());
  Napi::TypedArray path = info[1].As<Napi::TypedArray>();
  r->path.assign(static_cast<const char*>(path.ArrayBuffer().Data()) + path.ByteOffset(), path.ByteLength());
  r->cb.aio_fildes = ~0u;  // no descriptor: cancel(fd) never matches a path job
  if (info[2].IsTypedArray()) {
    Napi::TypedArray view = info[2].As<Napi::TypedArray>();
    r->cb.aio_buf = reinterpret_cast<uint64_t>(Pin(env, r, view));
    r->cb.aio_nbytes = view.ByteLength();
  }
  r->cb.aio_rw_flags = info[3].As<Napi::Number>().Int32Value();
  r->cb.aio_offset = info[4].As<Napi::Number>().Int64Value();
  r->jobFlags = info[5].As<Napi::Number>().Uint32Value();
  r->id = info[6].As<Napi::Number>().DoubleValue();
  r->job = true;
  ctx->Enqueue(r);
  return env.Undefined();
}

// cancel(fd) -> how many live requests on fd were cancelled (queued: complete with -ECANCELED) or
// asked to cancel (in the kernel: complete later, usually with their real result).
Napi::Value Cancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AioContext* ctx = Current(env);
  if (ctx == nullptr || !info[0].IsNumber()) return Napi::Number::New(env, 0);
  return Napi::Number::New(env, ctx->CancelFd(info[0].As<Napi::Number>().Uint32Value()));
}

// stats() -> counters of this environment's context, or null before setup().
Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  AioContext* ctx = Current(env);
  if (ctx == nullptr) return env.Null();
  Napi::Object out = Napi::Object::New(env);
  out["capacity"] = ctx->capacity();
  out["inFlight"] = ctx->inFlight();
  out["queued"] = static_cast<double>(ctx->queued());
  out["submitCalls"] = ctx->stats.submitCalls;
  out["submitted"] = ctx->stats.submitted;
  out["completed"] = ctx->stats.completed;
  out["maxBatch"] = ctx->stats.maxBatch;
  out["cancelAsked"] = ctx->stats.cancelAsked;
  out["cancelRefused"] = ctx->stats.cancelRefused;
  out["jobs"] = ctx->stats.jobs;
  out["threadCopies"] = ctx->stats.threadCopies;
  out["jobsOutstanding"] = ctx->jobsOutstanding();
  out["threads"] = ctx->threads();
  return out;
}

}  // namespace

}  // namespace aiofs

Napi::Object InitAiofs(Napi::Env env, Napi::Object exports) {
  using namespace aiofs;
  exports["setup"] = Napi::Function::New(env, Setup, "setup");
  exports["submit"] = Napi::Function::New(env, Submit, "submit");
  exports["submitPath"] = Napi::Function::New(env, SubmitPath, "submitPath");
  exports["cancel"] = Napi::Function::New(env, Cancel, "cancel");
  exports["stats"] = Napi::Function::New(env, Stats, "stats");
  // The opcode numbers, from linux_aio_abi.h: lib/binding.ts reads them here rather than repeating them.
  Napi::Object ops = Napi::Object::New(env);
  ops["pread"] = static_cast<uint32_t>(kCmdPread);
  ops["pwrite"] = static_cast<uint32_t>(kCmdPwrite);
  ops["fsync"] = static_cast<uint32_t>(kCmdFsync);
  ops["fdsync"] = static_cast<uint32_t>(kCmdFdsync);
  ops["preadAnyThread"] = static_cast<uint32_t>(kPreadAnyThread);
  ops["jobPread"] = static_cast<uint32_t>(kJobPread);
  ops["jobPwrite"] = static_cast<uint32_t>(kJobPwrite);
  ops["jobPwriteWriteback"] = static_cast<uint32_t>(kJobPwriteWriteback);
  ops["jobPreadCopy"] = static_cast<uint32_t>(kJobPreadCopy);
  ops["jobOpenRegular"] = static_cast<uint32_t>(kJobOpenRegular);
  ops["notRegular"] = kNotRegular;
  ops["jobWriteFile"] = static_cast<uint32_t>(kJobWriteFile);
  ops["writeFileSync"] = kJobWriteFileSync;
  ops["stepUnit"] = static_cast<double>(kJobStepUnit);
  ops["jobReadFile"] = static_cast<uint32_t>(kJobReadFile);
  ops["fdHandedOver"] = static_cast<double>(kFdHandedOver);
  exports["ops"] = ops;
  RegisterFileHelpers(env, exports);
  RegisterMallocTuning(env, exports);
  RegisterMemoryPages(env, exports);
  return exports;
}

NODE_API_MODULE(aiofs, InitAiofs)
