// The helpers every entry point uses: an RAII fd closer, an AsyncWorker that settles a promise
// (PromiseWorker: Execute() is plain C++ on the libuv pool, Settle() builds the JS value), typed
// arrays from vectors (Typed<> copies, Adopt<> takes the vector's memory), property keys made once
// per result (Keys), and argument checks that throw TypeError. Calls that may block
// for good on another process's object use ThreadWorker (threadworker.h) instead of the pool.
#pragma once

#include "errors.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace ipci {

/**
 * A JS string as a napi_value, the form to hand to Object::Set and Array::Set. Given a
 * Napi::String, node-addon-api's Set converts the value through std::string (Value::From: a
 * String is convertible to one), so every string was made, read back as UTF-8 and made again:
 * 10 % of the main thread's share of a walk of 3,000 processes.
 */
inline napi_value JsString(Napi::Env env, const char* s, size_t n) { return Napi::String::New(env, s, n); }
inline napi_value JsString(Napi::Env env, const char* s) { return Napi::String::New(env, s); }
inline napi_value JsString(Napi::Env env, const std::string& s) { return Napi::String::New(env, s); }

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

/**
 * Property keys made once per result instead of once per property: napi_set_named_property makes
 * its key from UTF-8 and looks it up in V8's string table on every call (12 ms of a snapshot of
 * 3,000 processes, 27 keys each). Keyed by the string literal's address; the keys live in the
 * handle scope that made them, so one Keys serves one scope.
 */
class Keys {
 public:
  explicit Keys(Napi::Env env) : env_(env) {}
  napi_value operator()(const char* key) {
    for (const auto& e : keys_)
      if (e.first == key) return e.second;
    napi_value v = Napi::String::New(env_, key);
    keys_.emplace_back(key, v);
    return v;
  }

 private:
  Napi::Env env_;
  std::vector<std::pair<const char*, napi_value>> keys_;
};

/** A typed array (Int32Array, Float64Array, …) holding a copy of `v`. */
template <typename TA, typename T, typename A>
TA Typed(Napi::Env env, const std::vector<T, A>& v) {
  TA a = TA::New(env, v.size());
  if (!v.empty()) memcpy(a.Data(), v.data(), v.size() * sizeof(T));
  return a;
}

/**
 * A typed array over the vector's own memory, which it takes (the vector is left empty and the
 * memory freed when JS lets go of the array). Why not Typed<>: at 50k fds the walk's and the
 * sock_diag dumps' columns are ~5 MB a snapshot, which a copy writes into fresh pages on the main
 * thread — page faults that cost 2–14 µs each on the VMs measured (bench: floor.c --fault-cost).
 * Where the runtime allows no external buffers (napi_no_external_buffers_allowed: Electron's V8
 * sandbox, the desktop extension host), a copy as Typed<> makes.
 */
template <typename TA, typename T, typename A>
TA Adopt(Napi::Env env, std::vector<T, A>&& v) {
  using Vec = std::vector<T, A>;
  if (v.empty()) return TA::New(env, 0);
  Vec* held = new Vec(std::move(v));
  napi_value ab;
  napi_finalize drop = [](napi_env, void*, void* hint) { delete static_cast<Vec*>(hint); };
  if (napi_create_external_arraybuffer(env, held->data(), held->size() * sizeof(T), drop, held, &ab) != napi_ok) {
    TA a = TA::New(env, held->size());
    memcpy(a.Data(), held->data(), held->size() * sizeof(T));
    delete held;
    return a;
  }
  return TA::New(env, held->size(), Napi::ArrayBuffer(env, ab), 0);
}

// Argument helpers (throw TypeError).
int32_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name);
double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name);

/** An inode argument: a positive integer a double holds exactly. */
inline double ArgInode(const Napi::CallbackInfo& info, size_t i) {
  double d = ArgNumber(info, i, "inode");
  if (!(d > 0) || d > 9007199254740991.0) ThrowType(info.Env(), "inode must be a positive integer");
  return d;
}

/** Another process's fd, as arguments i, i+1, i+2: pid > 0, fd >= 0, and the inode it should name. */
struct HeldFdArgs {
  int pid, fd;
  double inode;
};
inline HeldFdArgs ArgHeldFd(const Napi::CallbackInfo& info, size_t i) {
  HeldFdArgs a{ArgInt(info, i, "pid"), ArgInt(info, i + 1, "fd"), ArgInode(info, i + 2)};
  if (a.pid <= 0 || a.fd < 0) ThrowType(info.Env(), "pid must be > 0 and fd >= 0");
  return a;
}
std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
/** A string (its UTF-8) or a Buffer (its exact bytes: names that are not UTF-8), without NUL bytes. */
std::string ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name);

}  // namespace ipci
