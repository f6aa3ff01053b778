{
  # ipci_bpf=1 (set by scripts/build-native.mjs when clang, bpftool, libbpf and kernel BTF are
  # there and the BPF programs compiled into build/bpf/) adds the BPF addon target.
  "variables": {
    "ipci_bpf%": 0
  },
  "targets": [
    {
      "target_name": "ipc_inspector",
      "sources": [
        "src/addon.cc",
        "src/errors.cc",
        "src/walk.cc",
          "src/pipetask.cc",
        "src/sysv.cc",
        "src/sysvremove.cc",
        "src/sockdiag.cc",
        "src/conntrack.cc",
        "src/peek.cc",
        "src/sockns.cc",
        "src/sockproto.cc",
        "src/pidfd.cc",
        "src/posix.cc",
        "src/mem.cc",
        "src/heap.cc",
        "src/fdstate.cc",
        "src/heldstat.cc",
        "src/pathlookup.cc",
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
  ],
  "conditions": [
    ["ipci_bpf==1", {
      "targets": [
        {
          # The BPF programs (bpf/*.bpf.c) embedded as skeletons from build/bpf/, and their
          # loaders. A module of its own: it links libbpf.so, which the main addon must not need.
          "target_name": "ipc_inspector_bpf",
          "sources": [
            "src/bpf/addon.cc",
            "src/bpf/loader.cc",
            "src/bpf/fditer.cc",
            "src/bpf/procfacts.cc",
            "src/bpf/bpfwalk.cc",
            "src/bpf/anonfacts.cc",
            "src/bpf/timedreads.cc",
            "src/bpf/tracerload.cc",
            "src/bpf/tracer.cc",
            "src/errors.cc"
          ],
          "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "build/bpf", "bpf"],
          "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "_GNU_SOURCE"],
          "cflags!": ["-fno-exceptions", "-O3"],
          "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20", "-O3"],
          "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
          "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-pthread"],
          "ldflags": ["-pthread"],
          "libraries": ["-lbpf", "-pthread"]
        }
      ]
    }]
  ]
}
