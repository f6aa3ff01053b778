// A promise settled by work on a thread of its own, for calls that may block in the kernel for
// good: a peek whose target swapped in a FUSE file (closing our duplicate sends FLUSH; reading
// /proc/PID/mem sends READ) can sit in D state, where not even SIGKILL frees the thread. On the
// libuv pool such a call would hold one of its four threads forever (and with them every fs, dns
// and crypto call of the extension host); on the JS thread it would freeze the host. Here only
// this detached thread is stuck: the caller races the promise against a deadline and moves on.
// Like a libuv request, a pending call keeps the event loop alive (a CLI waits for its answer; a
// process cannot fully exit while one of its threads is in D state anyway). A thread that returns
// after its environment was torn down (a worker_thread terminated meanwhile) drops its result and
// touches nothing of that environment (threadworker.cc).
#pragma once

#include "napi_helpers.h"

#include <string>

namespace ipci {

class ThreadWorker {
 public:
  ThreadWorker(Napi::Env env, const char* name) : env_(env), deferred_(env), name_(name) {}
  virtual ~ThreadWorker() = default;
  ThreadWorker(const ThreadWorker&) = delete;
  ThreadWorker& operator=(const ThreadWorker&) = delete;

  /** Runs Execute() on a new detached thread and returns the promise. Takes ownership of `this`. */
  Napi::Promise Start();

 protected:
  /** Plain C++ on the worker's own thread: syscalls only, results into members or err_. */
  virtual void Execute() = 0;
  /** Builds the resolved value on the JS thread. */
  virtual Napi::Value Settle(Napi::Env env) = 0;
  PendingError err_;

 private:
  static void CallJs(napi_env env, napi_value js, void* context, void* data);
  Napi::Env env_;
  Napi::Promise::Deferred deferred_;
  std::string name_;
};

}  // namespace ipci
