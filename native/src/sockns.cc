// socketNetns: the family and network namespace of a socket a process holds (SO_DOMAIN, and
// SIOCGSKNS on a pidfd_getfd copy). The socket tables are dumped per namespace, and namespaces are
// found through processes; a socket made in a namespace no process is in any more (a child that
// entered a new one, bound, passed the socket to its parent and exited) is in no table. With its
// namespace's fd, the caller dumps that namespace too (nsPath /proc/self/fd/N) and closes the fd.
// An inet socket in no table of its namespace (never bound; closed but still held) is described
// from the copy, read-only, as ss would print it; a netlink one (never bound: D-Bus's audit socket)
// by its protocol and addresses, as lsof lists it (`sock protocol: NETLINK`).
#include "fdhandle.h"
#include "napi_helpers.h"
#include "threadworker.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

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
    if (family_ == AF_INET || family_ == AF_INET6) Inet(dup.get());
    else if (family_ == AF_NETLINK) Netlink(dup.get());
  }

  // A netlink socket in no table: its type, protocol, port id and groups (0 until bound), and
  // where it is connected (getpeername: port id and group). All read-only.
  void Netlink(int s) {
    netlink_ = true;
    socklen_t l = sizeof type_;
    getsockopt(s, SOL_SOCKET, SO_TYPE, &type_, &l);
    l = sizeof protocol_;
    getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &protocol_, &l);
    sockaddr_nl a;
    memset(&a, 0, sizeof a);
    l = sizeof a;
    if (getsockname(s, reinterpret_cast<struct sockaddr*>(&a), &l) == 0) {
      nlPortid_ = a.nl_pid;
      nlGroups_ = a.nl_groups;
    }
    memset(&a, 0, sizeof a);
    l = sizeof a;
    if (getpeername(s, reinterpret_cast<struct sockaddr*>(&a), &l) == 0) {
      nlDstPortid_ = a.nl_pid;
      nlDstGroups_ = a.nl_groups;
    }
  }

  // What ss would print of an inet socket in no table (never bound, or closed but still held):
  // all read-only (getsockname/getpeername, TCP_INFO, SIOCINQ/SIOCOUTQ, fstat).
  void Inet(int s) {
    inet_ = true;
    socklen_t l = sizeof type_;
    getsockopt(s, SOL_SOCKET, SO_TYPE, &type_, &l);
    l = sizeof protocol_;
    getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &protocol_, &l);
    struct sockaddr_storage a;
    l = sizeof a;
    if (getsockname(s, reinterpret_cast<struct sockaddr*>(&a), &l) == 0) Addr(a, local_, localPort_);
    l = sizeof a;
    if (getpeername(s, reinterpret_cast<struct sockaddr*>(&a), &l) == 0) Addr(a, remote_, remotePort_);
    if (protocol_ == IPPROTO_TCP) {
      struct tcp_info ti;
      l = sizeof ti;
      if (getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0) tcpState_ = ti.tcpi_state;
    }
    int q = 0;
    if (ioctl(s, SIOCINQ, &q) == 0) rq_ = q;
    if (ioctl(s, SIOCOUTQ, &q) == 0) sq_ = q;
    if (family_ == AF_INET6) {
      int v = 0;
      l = sizeof v;
      if (getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l) == 0) v6only_ = v ? 1 : 0;
    }
    struct stat st;
    if (fstat(s, &st) == 0) uid_ = static_cast<double>(st.st_uid);
  }

  static void Addr(const struct sockaddr_storage& a, std::string& out, int& port) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (a.ss_family == AF_INET) {
      const auto* v4 = reinterpret_cast<const struct sockaddr_in*>(&a);
      inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
      port = ntohs(v4->sin_port);
    } else if (a.ss_family == AF_INET6) {
      const auto* v6 = reinterpret_cast<const struct sockaddr_in6*>(&a);
      inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
      port = ntohs(v6->sin6_port);
    }
    out = buf;
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("family", Napi::Number::New(env, family_));
    o.Set("netns", Napi::Number::New(env, netns_));
    if (nsFd_ >= 0) o.Set("nsFd", Napi::Number::New(env, nsFd_));
    if (inet_) {
      Napi::Object i = Napi::Object::New(env);
      i.Set("type", Napi::Number::New(env, type_));
      i.Set("protocol", Napi::Number::New(env, protocol_));
      i.Set("localAddr", JsString(env, local_));
      i.Set("localPort", Napi::Number::New(env, localPort_));
      i.Set("remoteAddr", JsString(env, remote_));
      i.Set("remotePort", Napi::Number::New(env, remotePort_));
      i.Set("tcpState", Napi::Number::New(env, tcpState_));
      i.Set("rqueue", Napi::Number::New(env, rq_));
      i.Set("wqueue", Napi::Number::New(env, sq_));
      i.Set("v6only", Napi::Number::New(env, v6only_));
      i.Set("uid", Napi::Number::New(env, uid_));
      o.Set("inet", i);
    }
    if (netlink_) {
      Napi::Object n = Napi::Object::New(env);
      n.Set("type", Napi::Number::New(env, type_));
      n.Set("protocol", Napi::Number::New(env, protocol_));
      n.Set("portid", Napi::Number::New(env, nlPortid_));
      n.Set("groups", Napi::Number::New(env, nlGroups_));
      n.Set("dstPortid", Napi::Number::New(env, nlDstPortid_));
      n.Set("dstGroups", Napi::Number::New(env, nlDstGroups_));
      o.Set("netlink", n);
    }
    return o;
  }

 private:
  int pid_, fd_;
  unsigned long long inode_;
  bool keep_;
  int family_ = -1;
  double netns_ = 0;
  int nsFd_ = -1;
  bool inet_ = false, netlink_ = false;
  uint32_t nlPortid_ = 0, nlGroups_ = 0, nlDstPortid_ = 0, nlDstGroups_ = 0;
  int type_ = 0, protocol_ = 0, localPort_ = 0, remotePort_ = 0, tcpState_ = 0, rq_ = 0, sq_ = 0, v6only_ = 2;
  std::string local_, remote_;
  double uid_ = -1;
};

}  // namespace

// socketNetns(pid, fd, inode, keepNsFd) → { family, netns (inode), nsFd?, inet? } (the caller closes
// nsFd with closeFd; inet: type, protocol, local/remote addr and port, tcpState, rqueue, wqueue,
// v6only (2: unknown), uid — for AF_INET/AF_INET6; netlink: type, protocol, portid, groups (the
// first 32, a bitmap), dstPortid, dstGroups — for AF_NETLINK)
Napi::Value SocketNetns(const Napi::CallbackInfo& info) {
  HeldFdArgs h = ArgHeldFd(info, 0);
  bool keep = info.Length() > 3 && info[3].ToBoolean().Value();
  return (new SocketNetnsWorker(info.Env(), h.pid, h.fd, h.inode, keep))->Start();
}

}  // namespace ipci
