// io-uring-loop.c: a Node addon that does one thing when loaded: it asks libuv to run this thread's file
// operations through io_uring, as libuv 1.45-1.48 did with only UV_USE_IO_URING=1 in the environment.
//
// libuv 1.49 (Node 22 and later) creates its file ring only for a loop configured with
// uv_loop_configure(loop, UV_LOOP_USE_IO_URING_SQPOLL), and still only when UV_USE_IO_URING is a positive
// number (src/unix/linux.c, uv__iou_get_sqe and uv__use_io_uring); Node never configures its loop so. The
// ring is created lazily, at the first asynchronous file operation, so the addon must be loaded before
// any: the benchmarks load it with --require (through NODE_OPTIONS). Without the variable it does nothing.
//
// Build: cc -O2 -shared -fPIC -I<node prefix>/include/node io-uring-loop.c -o io-uring-loop.node
#include <node_api.h>
#include <uv.h>

static napi_value init(napi_env env, napi_value exports) {
#ifdef UV_LOOP_USE_IO_URING_SQPOLL
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) == napi_ok) uv_loop_configure(loop, UV_LOOP_USE_IO_URING_SQPOLL);
#endif
  return exports;
}

NAPI_MODULE(io_uring_loop, init)
