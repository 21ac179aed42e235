// A test-only N-API module (built by malloc-probe.ts, never shipped): glibc's own account of the
// memory in use, so a leak check can tell live allocations from memory malloc keeps after free().
//
//   probe() -> { inUseBytes }   after malloc_trim(0): the bytes of live allocations (mallinfo2:
//                               uordblks in the arenas plus hblkhd in mmapped blocks)
//
// malloc_trim(0) first hands every free page back to the kernel, from the middle of each arena as
// well as its top (glibc >= 2.8, madvise(MADV_DONTNEED)), so the RSS read right after it counts live
// memory and sub-page fragments only. Without it, RSS swings by tens of MiB with what glibc keeps:
// 32 MiB of free chunks inside the main arena after 30,000 open/read/write/close cycles, while the
// live bytes grew by 0.4 MiB.
#include <malloc.h>
#include <node_api.h>

static napi_value Probe(napi_env env, napi_callback_info info) {
  (void)info;
  malloc_trim(0);
  struct mallinfo2 m = mallinfo2();
  napi_value result, in_use;
  napi_create_object(env, &result);
  napi_create_double(env, (double)(m.uordblks + m.hblkhd), &in_use);
  napi_set_named_property(env, result, "inUseBytes", in_use);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value probe;
  napi_create_function(env, "probe", NAPI_AUTO_LENGTH, Probe, NULL, &probe);
  return probe;
}
