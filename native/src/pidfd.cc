// pidfd_open / pidfd_send_signal (optionally with an SI_QUEUE siginfo, like sigqueue) / close.
#include "fdhandle.h"
#include "napi_helpers.h"

#include <csignal>
#include <cstring>

#include <sys/syscall.h>
#include <unistd.h>

namespace ipci {

Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = ArgInt(info, 0, "pid");
  if (pid <= 0) ThrowSyscall(env, EINVAL, "pidfd_open");
  long fd = OpenPidfd(pid);
  if (fd < 0) ThrowSyscall(env, errno, "pidfd_open");
  // O_CLOEXEC is implied by pidfd_open.
  return Napi::Number::New(env, static_cast<double>(fd));
}

Napi::Value PidfdSendSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pidfd = ArgInt(info, 0, "pidfd");
  int sig = ArgInt(info, 1, "signal");
  long r;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    int value = ArgInt(info, 2, "value");
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    r = syscall(SYS_pidfd_send_signal, pidfd, sig, &si, 0);
  } else {
    r = syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
  }
  if (r < 0) ThrowSyscall(env, errno, "pidfd_send_signal");
  return env.Undefined();
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ArgInt(info, 0, "fd");
  if (close(fd) != 0 && errno != EINTR) ThrowSyscall(env, errno, "close");
  return env.Undefined();
}

}  // namespace ipci
