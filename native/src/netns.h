// Running work inside another namespace (network: netlink dumps; IPC: the SysV lists): on a fresh
// std::thread that setns()es first, so only that thread moves (a pool thread moved would stay
// there for later work).
#pragma once

#include "napi_helpers.h"

#include <exception>
#include <string>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <sched.h>

namespace ipci {

/**
 * Runs fn in the caller's namespaces (nsPath empty), or on a fresh thread moved into nsPath's
 * namespace of type nstype (CLONE_NEWNET, CLONE_NEWIPC: both may be entered by one thread of a
 * process with threads).
 */
template <typename Fn>
void InNamespace(const std::string& nsPath, int nstype, PendingError& err, Fn&& fn) {
  // a thread that cannot be made (or an allocation failing on the caller's) is an error of the
  // call, never an exception out of a pool thread's Execute
  try {
    if (nsPath.empty()) {
      fn();
      return;
    }
    std::thread t([&] {
      Fd ns(open(nsPath.c_str(), O_RDONLY | O_CLOEXEC));
      if (!ns.ok()) {
        err.set(errno, "open", nsPath);
        return;
      }
      if (setns(ns.get(), nstype) != 0) {
        err.set(errno, "setns", nsPath);
        return;
      }
      fn();
    });
    t.join();
  } catch (const std::exception&) {
    err.set(EAGAIN, "pthread_create");
  }
}

/** An optional nsPath argument (e.g. /proc/PID/ns/net): empty when absent or null. */
inline std::string NsPathArg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && !info[i].IsUndefined() && !info[i].IsNull() ? ArgString(info, i, "nsPath") : std::string();
}

/** Runs fn in the caller's netns (nsPath empty), or on a fresh thread moved into nsPath's netns. */
template <typename Fn>
void InNetns(const std::string& nsPath, PendingError& err, Fn&& fn) {
  InNamespace(nsPath, CLONE_NEWNET, err, std::forward<Fn>(fn));
}

}  // namespace ipci
