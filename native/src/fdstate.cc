// Whether the far end of one of our own descriptors has gone: poll(2) asking for no events still
// reports POLLERR on a pipe's write end once no reader is left, and POLLHUP on a socket its peer
// shut. The CLI's live commands ask it of their stdout between rounds (src/cli/liveLoop.ts), so
// `watch | head` ends when head does, not at the next change it would have printed.
#include <napi.h>
#include <poll.h>

#include "errors.h"

namespace ipci {

// fdHangup(fd) → true when the reader (or peer) of fd is gone; never blocks (timeout 0).
Napi::Value FdHangup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) ThrowType(env, "fdHangup(fd: number)");
  struct pollfd p = {info[0].As<Napi::Number>().Int32Value(), 0, 0};
  int n;
  do n = poll(&p, 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) ThrowSyscall(env, errno, "poll");
  return Napi::Boolean::New(env, n > 0 && (p.revents & (POLLERR | POLLHUP)) != 0);
}

}  // namespace ipci
