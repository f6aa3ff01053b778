// Running netlink work inside another network namespace: on a fresh std::thread that setns()es
// first, so only that thread moves (a pool thread moved would stay there for later work).
#pragma once

#include "napi_helpers.h"

#include <string>
#include <thread>

#include <fcntl.h>
#include <sched.h>

namespace ipci {

/** Runs fn in the caller's netns (nsPath empty), or on a fresh thread moved into nsPath's netns. */
template <typename Fn>
void InNetns(const std::string& nsPath, PendingError& err, Fn&& fn) {
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
    if (setns(ns.get(), CLONE_NEWNET) != 0) {
      err.set(errno, "setns", nsPath);
      return;
    }
    fn();
  });
  t.join();
}

}  // namespace ipci
