// Whether the pages under a buffer are in memory yet (mincore). A buffer fresh from the allocator may
// have no pages behind it, and the first writes into it fault them in, which on some machines' memory
// costs far more than the copy itself (docs/kernel-aio.md, "Fresh memory"); aiofs then leaves those
// writes to its threads rather than the event loop.
//
// Owns nothing: the memory is the caller's, and nothing here touches it.
#pragma once

#include <napi.h>

namespace aiofs {

// resident(view) -> 1 when every page under the view is in memory, 0 when one is not, or -errno.
void RegisterMemoryPages(Napi::Env env, Napi::Object exports);

}  // namespace aiofs
