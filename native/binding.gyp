{
  "targets": [
    {
      "target_name": "ipc_inspector",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/walk.cc",
        "src/sysv.cc",
        "src/sockdiag.cc",
        "src/peek.cc",
        "src/pidfd.cc",
        "src/posix.cc",
        "src/mem.cc",
        "src/threadworker.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20", "-O3"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-pthread"],
      "ldflags": ["-pthread"],
      "libraries": ["-lrt", "-pthread"]
    }
  ]
}
