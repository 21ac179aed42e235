// Process-wide glibc malloc settings that keep large, short-lived buffers from thrashing.
#pragma once

#include <napi.h>

namespace aiofs {

void RegisterMallocTuning(Napi::Env env, Napi::Object exports);

}  // namespace aiofs
