// ThreadWorker: one detached std::thread per call, settled through a thread-safe function.
//
// The thread may outlive the JS environment (a worker_thread terminated while a call is blocked in
// the kernel). Node deletes a thread-safe function when its environment is torn down, whoever
// still holds it, so the thread must not touch it after that: a Link shared by both sides records
// whether the environment is alive, flipped by an environment cleanup hook (registered after the
// thread-safe function, so it runs before Node's own) under the same mutex the thread holds while
// it queues its result.
#include "threadworker.h"

#include <pthread.h>

#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace ipci {
namespace {

struct Link {
  std::mutex mu;
  bool alive = true;
  napi_threadsafe_function tsfn = nullptr;
};

// The cleanup hook's argument: a reference to the Link, freed by whichever comes first of the
// hook (teardown) and the settlement (CallJs removes the hook).
struct HookRef {
  std::shared_ptr<Link> link;
};

void OnTeardown(void* arg) {
  auto* ref = static_cast<HookRef*>(arg);
  {
    std::lock_guard<std::mutex> lock(ref->link->mu);
    ref->link->alive = false;
  }
  delete ref;
}

struct Call {
  ThreadWorker* worker;
  HookRef* hook;
};

}  // namespace

Napi::Promise ThreadWorker::Start() {
  Napi::Env env = env_;
  Napi::Promise promise = deferred_.Promise();
  napi_value resource = Napi::String::New(env, name_);
  auto link = std::make_shared<Link>();
  if (napi_create_threadsafe_function(env, nullptr, nullptr, resource, 0, 1, nullptr, nullptr, nullptr, CallJs, &link->tsfn) != napi_ok) {
    deferred_.Reject(Napi::Error::New(env, "cannot create a thread-safe function").Value());
    delete this;
    return promise;
  }
  auto* hook = new HookRef{link};
  napi_add_env_cleanup_hook(env, OnTeardown, hook);
  try {
    std::thread([this, link, hook] {
      pthread_setname_np(pthread_self(), "ipci-call");  // findable in /proc/PID/task/*/comm while blocked
      Execute();
      std::lock_guard<std::mutex> lock(link->mu);
      if (!link->alive) {
        delete this;  // nobody left to settle for; the thread-safe function is gone
        return;
      }
      auto* call = new Call{this, hook};
      if (napi_call_threadsafe_function(link->tsfn, call, napi_tsfn_blocking) != napi_ok) {
        delete call;
        delete this;
      }
      napi_release_threadsafe_function(link->tsfn, napi_tsfn_release);
    }).detach();
  } catch (const std::system_error& e) {
    napi_remove_env_cleanup_hook(env, OnTeardown, hook);
    delete hook;
    napi_release_threadsafe_function(link->tsfn, napi_tsfn_release);
    deferred_.Reject(SyscallError(env, e.code().value() ? e.code().value() : EAGAIN, "pthread_create").Value());
    delete this;
  }
  return promise;
}

void ThreadWorker::CallJs(napi_env env, napi_value, void*, void* data) {
  auto* call = static_cast<Call*>(data);
  ThreadWorker* w = call->worker;
  if (env != nullptr) {
    // Settled normally: the hook is no longer needed (at teardown it frees its own argument).
    napi_remove_env_cleanup_hook(env, OnTeardown, call->hook);
    delete call->hook;
    try {
      Napi::Env e(env);
      Napi::HandleScope scope(e);
      if (w->err_) w->deferred_.Reject(SyscallError(e, w->err_.err, w->err_.syscall, w->err_.path).Value());
      else w->deferred_.Resolve(w->Settle(e));
    } catch (const Napi::Error& err) {
      try {
        w->deferred_.Reject(err.Value());
      } catch (...) {
      }
    } catch (...) {
    }
  }
  delete call;
  delete w;
}

}  // namespace ipci
