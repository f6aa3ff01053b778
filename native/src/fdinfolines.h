// The fdinfo lines an fd rule asks for (core/kinds/kind.ts FdRule.fdinfo), kept the one way both
// fd walks keep them (native/src/walk.cc, native/src/bpf/bpfwalk.cc): the lines of a
// /proc/PID/fdinfo/N text whose key ("key:\tvalue") is one of `keys`, in the file's order,
// newline-joined. Text processing only, no syscall.
#pragma once

#include <cstring>
#include <string>
#include <vector>

namespace ipci {

inline void KeepFdinfoLines(const char* p, size_t n, const std::vector<std::string>& keys, std::string& out) {
  const char* end = p + n;
  while (p < end) {
    const char* nl = static_cast<const char*>(memchr(p, '\n', end - p));
    const char* le = nl ? nl : end;
    const char* colon = static_cast<const char*>(memchr(p, ':', le - p));
    if (colon) {
      for (const std::string& k : keys) {
        if (static_cast<size_t>(colon - p) == k.size() && memcmp(p, k.data(), k.size()) == 0) {
          if (!out.empty()) out.push_back('\n');
          out.append(p, le - p);
          break;
        }
      }
    }
    p = nl ? nl + 1 : end;
  }
}

}  // namespace ipci
