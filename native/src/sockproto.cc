// socketProtocol: the protocol name of a socket another process holds, read without touching the
// socket. sockfs names each socket's dentry after the proto it was made with (UNIX-STREAM, TCP,
// TCPv6, MPTCP, UDP-Lite, NETLINK, PACKET, AF_VSOCK, XDP, ALG…; an accepted socket is named after
// its listener's) and answers that name as the xattr system.sockprotoname — what lsof prints as
// `protocol:`. Reading it is a VFS call on the inode: unlike pidfd_getfd (socketNetns), no copy of
// the holder's fd is made, so the kernel's __receive_sock() never re-tags the socket with our
// cgroup's net_cls classid / net_prio index, no LSM file_receive hook runs, no reference is held.
//
// The fd is reached as fdhandle.h reaches any held fd: an O_PATH handle of /proc/PID/fd/N's target
// (no ->open runs), statx-ed from the attribute cache, and only a socket of sockfs (our own
// socket's device: a socket *file* on a FUSE mount is S_ISSOCK too, and its getxattr would be a
// FUSE request the daemon may never answer) with the inode the walk saw is asked, through
// /proc/self/fd/H (fgetxattr refuses O_PATH handles with EBADF on this kernel; the path follows
// the handle to the same inode).
#include "fdhandle.h"
#include "napi_helpers.h"
#include "threadworker.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace ipci {
namespace {

class SocketProtocolWorker : public ThreadWorker {
 public:
  SocketProtocolWorker(Napi::Env env, int pid, int fd, double inode)
      : ThreadWorker(env, "ipcInspectorSocketProtocol"), pid_(pid), fd_(fd), inode_(static_cast<unsigned long long>(inode)) {}

 protected:
  void Execute() override {
    char path[48];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", pid_, fd_);
    Fd handle(OpenTargetHandle(AT_FDCWD, path));
    if (!handle.ok()) return err_.set(errno, "open", path);
    struct statx sx, own;
    if (!StatNoSync(handle.get(), sx)) return err_.set(errno, "statx", path);
    Fd mine(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));  // sockfs's device, as this kernel numbers it
    if (!mine.ok()) return err_.set(errno, "socket");
    if (!StatNoSync(mine.get(), own)) return err_.set(errno, "statx");
    if (!S_ISSOCK(sx.stx_mode) || sx.stx_ino != inode_ || sx.stx_dev_major != own.stx_dev_major || sx.stx_dev_minor != own.stx_dev_minor)
      return err_.set(ESTALE, "statx", path);  // not that socket any more
    char self[40];
    snprintf(self, sizeof self, "/proc/self/fd/%d", handle.get());
    char name[64];  // (struct proto's name is 32 bytes)
    ssize_t n = getxattr(self, "system.sockprotoname", name, sizeof name);
    if (n < 0) return err_.set(errno, "getxattr", path);
    name_.assign(name, strnlen(name, static_cast<size_t>(n)));
  }

  Napi::Value Settle(Napi::Env env) override { return Napi::String::New(env, name_); }

 private:
  int pid_, fd_;
  unsigned long long inode_;
  std::string name_;
};

}  // namespace

// socketProtocol(pid, fd, inode) → Promise<string>: the protocol name sockfs keeps for the socket
// at /proc/PID/fd/N ("" for a socket made without one); rejects with ESTALE when that fd is not
// socket inode `inode` of sockfs any more.
Napi::Value SocketProtocol(const Napi::CallbackInfo& info) {
  HeldFdArgs h = ArgHeldFd(info, 0);
  return (new SocketProtocolWorker(info.Env(), h.pid, h.fd, h.inode))->Start();
}

}  // namespace ipci
