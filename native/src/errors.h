// Errors shaped like Node's own (code = errno name, errno, syscall) and an RAII fd closer.
#pragma once

#include <napi.h>

#include <cerrno>
#include <string>
#include <unistd.h>

namespace ipci {

/** "ENOENT" for ENOENT; "E<number>" when the C library has no name. Thread-safe, no allocation. */
const char* ErrnoName(int err);

/** A JS Error: message "CODE: strerror, syscall", code, errno (negative, as Node does), syscall. */
Napi::Error SyscallError(Napi::Env env, int err, const char* syscall, const std::string& path = std::string());

/** Throws SyscallError (NAPI_CPP_EXCEPTIONS). */
[[noreturn]] void ThrowSyscall(Napi::Env env, int err, const char* syscall, const std::string& path = std::string());

/** TypeError for bad arguments. */
[[noreturn]] void ThrowType(Napi::Env env, const char* message);

/** Closes the fd when it goes out of scope. */
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) {
      int saved = errno;
      ::close(fd_);
      errno = saved;
    }
    fd_ = fd;
  }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

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

/**
 * An AsyncWorker that settles a promise: Execute() (plain C++, off the JS thread) fills the
 * result or `err_`; Settle() turns the result into JS and resolves. A captured errno rejects with
 * the Node-style error. At environment teardown (the extension host exiting) N-API calls fail and
 * node-addon-api throws; an exception escaping a completion callback would abort the whole
 * process, so a promise nobody can observe any more is dropped instead.
 */
class PromiseWorker : public Napi::AsyncWorker {
 public:
  PromiseWorker(Napi::Env env, const char* name) : Napi::AsyncWorker(env, name), deferred_(env) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void OnOK() override {
    try {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      if (err_) deferred_.Reject(SyscallError(env, err_.err, err_.syscall, err_.path).Value());
      else deferred_.Resolve(Settle(env));
    } catch (...) {
    }
  }

  void OnError(const Napi::Error& e) override {
    try {
      deferred_.Reject(e.Value());
    } catch (...) {
    }
  }

 protected:
  /** Builds the resolved value (main thread). */
  virtual Napi::Value Settle(Napi::Env env) = 0;
  PendingError err_;

 private:
  Napi::Promise::Deferred deferred_;
};

// Argument helpers (throw TypeError).
int32_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name);
double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);

}  // namespace ipci
