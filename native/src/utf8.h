// Bytes that are not UTF-8, kept exact. Napi::String::New decodes a name lossily (U+FFFD for each
// bad sequence), so two names that differ only in those bytes would reach JS as the same text:
// such a value also goes to JS as hex (`…Hex` fields, usually absent). Shared by sock_diag's
// socket names and both fd walks' /proc texts and link paths.
#pragma once

#include <cstddef>
#include <string>

namespace ipci {

/**
 * Whether bytes are UTF-8 as V8 decodes it (no overlong forms, surrogates or code points past
 * U+10FFFF). ASCII, nearly every name, costs one test a byte.
 */
inline bool Utf8(const char* s, size_t n) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s);
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > n) return false;
    unsigned cp = len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}
inline bool Utf8(const std::string& s) { return Utf8(s.data(), s.size()); }

/** Lower-case hex of the bytes. */
inline std::string Hex(const char* s, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string h;
  h.reserve(2 * n);
  for (size_t i = 0; i < n; i++) {
    unsigned char b = static_cast<unsigned char>(s[i]);
    h.push_back(digits[b >> 4]);
    h.push_back(digits[b & 15]);
  }
  return h;
}
inline std::string Hex(const std::string& s) { return Hex(s.data(), s.size()); }

}  // namespace ipci
