// Small per-file system calls the JavaScript side needs and node:fs does not offer, all of which never
// wait for the device: they run on the calling thread (the event loop).
#pragma once

#include <napi.h>

namespace aiofs {

void RegisterFileHelpers(Napi::Env env, Napi::Object exports);

}  // namespace aiofs
