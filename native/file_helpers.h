// Small, non-blocking per-file system calls the JavaScript side needs and node:fs does not offer.
#pragma once

#include <napi.h>

namespace aiofs {

void RegisterFileHelpers(Napi::Env env, Napi::Object exports);

}  // namespace aiofs
