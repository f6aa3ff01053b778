// ThreadWorker: one detached std::thread per call, settled through a thread-safe function.
#include "threadworker.h"

#include <system_error>
#include <thread>

namespace ipci {

Napi::Promise ThreadWorker::Start() {
  Napi::Env env = env_;
  Napi::Promise promise = deferred_.Promise();
  napi_value resource = Napi::String::New(env, name_);
  if (napi_create_threadsafe_function(env, nullptr, nullptr, resource, 0, 1, nullptr, nullptr, nullptr, CallJs, &tsfn_) != napi_ok) {
    deferred_.Reject(Napi::Error::New(env, "cannot create a thread-safe function").Value());
    delete this;
    return promise;
  }
  try {
    std::thread([this] {
      Execute();
      napi_threadsafe_function t = tsfn_;  // `this` may be deleted by CallJs before Release below
      if (napi_call_threadsafe_function(t, this, napi_tsfn_blocking) != napi_ok) delete this;  // environment gone
      napi_release_threadsafe_function(t, napi_tsfn_release);
    }).detach();
  } catch (const std::system_error& e) {
    napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
    deferred_.Reject(SyscallError(env, e.code().value() ? e.code().value() : EAGAIN, "pthread_create").Value());
    delete this;
  }
  return promise;
}

void ThreadWorker::CallJs(napi_env env, napi_value, void*, void* data) {
  auto* w = static_cast<ThreadWorker*>(data);
  if (env != nullptr) {
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
  delete w;
}

}  // namespace ipci
