{
  "targets": [
    {
      "target_name": "aiofs",
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/addon.cc", "native/aio_context.cc", "native/blocking_pool.cc", "native/file_helpers.cc", "native/open_regular.cc", "native/malloc_tuning.cc", "native/memory_pages.cc"],
          "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
          "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS", "_GNU_SOURCE"],
          "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fvisibility=hidden", "-pthread"],
          "ldflags": ["-pthread"],
          "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y"]
        }]
      ]
    }
  ]
}
