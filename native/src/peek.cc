// Non-consuming peeks: tee() a pipe into a private pipe; recv(MSG_PEEK) on a pidfd_getfd duplicate.
#include "errors.h"

#include <vector>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ipci {

Napi::Value PipePeek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "fdPath");
  double maxD = ArgNumber(info, 1, "maxBytes");
  if (!(maxD >= 0)) ThrowType(env, "maxBytes must be >= 0");
  size_t maxBytes = maxD > (1 << 30) ? (1u << 30) : static_cast<size_t>(maxD);
  Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!fd.ok()) ThrowSyscall(env, errno, "open", path);
  int avail = 0;
  if (ioctl(fd.get(), FIONREAD, &avail) != 0) ThrowSyscall(env, errno, "ioctl", path);
  int cap = fcntl(fd.get(), F_GETPIPE_SZ);
  if (cap < 0) ThrowSyscall(env, errno, "fcntl", path);
  size_t want = static_cast<size_t>(avail) < maxBytes ? static_cast<size_t>(avail) : maxBytes;
  std::vector<char> data;
  if (want > 0) {
    int pp[2];
    if (pipe2(pp, O_NONBLOCK | O_CLOEXEC) != 0) ThrowSyscall(env, errno, "pipe2");
    Fd pr(pp[0]), pw(pp[1]);
    int pcap = fcntl(pw.get(), F_GETPIPE_SZ);
    if (pcap >= 0 && static_cast<size_t>(pcap) < want) {
      // Best effort: unprivileged callers are bounded by /proc/sys/fs/pipe-max-size.
      if (fcntl(pw.get(), F_SETPIPE_SZ, static_cast<int>(want)) < 0 && static_cast<size_t>(cap) <= want) fcntl(pw.get(), F_SETPIPE_SZ, cap);
    }
    ssize_t t;
    do {
      t = tee(fd.get(), pw.get(), want, SPLICE_F_NONBLOCK);
    } while (t < 0 && errno == EINTR);
    if (t < 0 && errno != EAGAIN) ThrowSyscall(env, errno, "tee", path);
    if (t > 0) {
      data.resize(static_cast<size_t>(t));
      size_t got = 0;
      while (got < data.size()) {
        ssize_t r = read(pr.get(), data.data() + got, data.size() - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<size_t>(r);
      }
      data.resize(got);
    }
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("buffered", Napi::Number::New(env, avail));
  o.Set("capacity", Napi::Number::New(env, cap));
  o.Set("data", Napi::Buffer<char>::Copy(env, data.data(), data.size()));
  return o;
}

Napi::Value SocketPeek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = ArgInt(info, 0, "pid");
  int fdnum = ArgInt(info, 1, "fd");
  double maxD = ArgNumber(info, 2, "maxBytes");
  if (!(maxD >= 0)) ThrowType(env, "maxBytes must be >= 0");
  size_t maxBytes = maxD > (1 << 30) ? (1u << 30) : static_cast<size_t>(maxD);
  Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.ok()) ThrowSyscall(env, errno, "pidfd_open");
  Fd dup(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fdnum, 0)));
  if (!dup.ok()) ThrowSyscall(env, errno, "pidfd_getfd");
  // Size the buffer by what is queued (SIOCINQ), not by the caller's upper bound.
  int inq = 0;
  if (ioctl(dup.get(), FIONREAD, &inq) != 0 || inq <= 0) inq = 64 * 1024;
  size_t want = static_cast<size_t>(inq) < maxBytes ? static_cast<size_t>(inq) : maxBytes;
  std::vector<char> buf(want ? want : 1);
  ssize_t n;
  do {
    n = recv(dup.get(), buf.data(), want, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) n = 0;
    else ThrowSyscall(env, errno, "recv");
  }
  return Napi::Buffer<char>::Copy(env, buf.data(), static_cast<size_t>(n));
}

}  // namespace ipci
