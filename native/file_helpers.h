// Small per-file system calls the JavaScript side needs and node:fs does not offer: non-blocking
// ones run on the calling thread, fallocate (which may wait for the device) on the libuv threadpool.
#pragma once

#include <napi.h>

namespace aiofs {

void RegisterFileHelpers(Napi::Env env, Napi::Object exports);

}  // namespace aiofs
