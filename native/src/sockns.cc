// socketNetns: the family and network namespace of a socket a process holds (SO_DOMAIN, and
// SIOCGSKNS on a pidfd_getfd copy). The socket tables are dumped per namespace, and namespaces are
// found through processes; a socket made in a namespace no process is in any more (a child that
// entered a new one, bound, passed the socket to its parent and exited) is in no table. With its
// namespace's fd, the caller dumps that namespace too (nsPath /proc/self/fd/N) and closes the fd.
#include "fdhandle.h"
#include "napi_helpers.h"
#include "threadworker.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ipci {
namespace {

class SocketNetnsWorker : public ThreadWorker {
 public:
  SocketNetnsWorker(Napi::Env env, int pid, int fd, double inode, bool keep)
      : ThreadWorker(env, "ipcInspectorSocketNetns"), pid_(pid), fd_(fd), inode_(static_cast<unsigned long long>(inode)), keep_(keep) {}

 protected:
  void Execute() override {
    const char* what = "";
    Fd dup(DupHeldSocket(pid_, fd_, inode_, what));
    if (!dup.ok()) return err_.set(errno, what);
    socklen_t l = sizeof family_;
    if (getsockopt(dup.get(), SOL_SOCKET, SO_DOMAIN, &family_, &l) != 0) return err_.set(errno, "getsockopt(SO_DOMAIN)");
    int ns = ioctl(dup.get(), SIOCGSKNS);
    if (ns < 0) return err_.set(errno, "ioctl(SIOCGSKNS)");
    struct stat st;
    if (fstat(ns, &st) != 0) {
      int e = errno;
      close(ns);
      return err_.set(e, "fstat");
    }
    netns_ = static_cast<double>(st.st_ino);
    if (keep_) nsFd_ = ns;  // (O_CLOEXEC: open_related_ns)
    else close(ns);
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", Napi::Number::New(env, family_));
    o.Set("netns", Napi::Number::New(env, netns_));
    if (nsFd_ >= 0) o.Set("nsFd", Napi::Number::New(env, nsFd_));
    return o;
  }

 private:
  int pid_, fd_;
  unsigned long long inode_;
  bool keep_;
  int family_ = -1;
  double netns_ = 0;
  int nsFd_ = -1;
};

}  // namespace

// socketNetns(pid, fd, inode, keepNsFd) → { family, netns (inode), nsFd? } (the caller closes nsFd with closeFd)
Napi::Value SocketNetns(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = ArgInt(info, 0, "pid");
  int fd = ArgInt(info, 1, "fd");
  double inode = ArgInode(info, 2);
  bool keep = info.Length() > 3 && info[3].ToBoolean().Value();
  if (pid <= 0 || fd < 0) ThrowType(env, "pid must be > 0 and fd >= 0");
  return (new SocketNetnsWorker(env, pid, fd, inode, keep))->Start();
}

}  // namespace ipci
