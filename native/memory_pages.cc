#include "memory_pages.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace aiofs {

namespace {

// mincore() reports this many pages per call here: its vector lives on the stack.
constexpr size_t kPagesPerCheck = 4096;

Napi::Value Resident(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::TypedArray view = info[0].As<Napi::TypedArray>();
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  auto address = reinterpret_cast<uintptr_t>(static_cast<uint8_t*>(view.ArrayBuffer().Data()) + view.ByteOffset());
  uintptr_t start = address & ~(page - 1);
  uintptr_t end = (address + view.ByteLength() + page - 1) & ~(page - 1);
  unsigned char pages[kPagesPerCheck];
  for (uintptr_t at = start; at < end;) {
    size_t span = std::min<uintptr_t>(end - at, kPagesPerCheck * page);
    if (mincore(reinterpret_cast<void*>(at), span, pages) != 0) return Napi::Number::New(env, -errno);
    for (size_t i = 0; i < span / page; i++)
      if ((pages[i] & 1) == 0) return Napi::Number::New(env, 0);
    at += span;
  }
  return Napi::Number::New(env, 1);
}

}  // namespace

void RegisterMemoryPages(Napi::Env env, Napi::Object exports) {
  exports["resident"] = Napi::Function::New(env, Resident, "resident");
}

}  // namespace aiofs
