// Errors shaped like Node's own (code = errno name, errno, syscall), and an errno captured on a
// worker thread until the JS thread turns it into one. The N-API helpers are in napi_helpers.h.
#pragma once

#include <napi.h>

#include <cerrno>
#include <string>

namespace ipci {

/** "ENOENT" for ENOENT; "E<number>" when the C library has no name. Thread-safe, no allocation. */
const char* ErrnoName(int err);

/** A JS Error: message "CODE: strerror, syscall", code, errno (negative, as Node does), syscall. */
Napi::Error SyscallError(Napi::Env env, int err, const char* syscall, const std::string& path = std::string());

/** Throws SyscallError (NAPI_CPP_EXCEPTIONS). */
[[noreturn]] void ThrowSyscall(Napi::Env env, int err, const char* syscall, const std::string& path = std::string());

/** TypeError for bad arguments. */
[[noreturn]] void ThrowType(Napi::Env env, const char* message);

/** An errno captured on a worker thread, turned into a JS Error on the main thread. */
struct PendingError {
  int err = 0;
  const char* syscall = nullptr;
  std::string path;
  void set(int e, const char* sc, std::string p = std::string()) {
    err = e;
    syscall = sc;
    path = std::move(p);
  }
  explicit operator bool() const { return err != 0; }
};

}  // namespace ipci
