// The netlink plumbing both netlink files need (sock_diag dumps, ctnetlink lookups): a socket whose
// every recv has a timeout, a send to the kernel and a receive that retry EINTR, and the errno of
// an NLMSG_ERROR. Each returns false / 0 with err set, as the rest of the addon does. Every socket
// opened here has its inode remembered (OwnNetlinkInodes): a netlink table read while it lives
// lists it, and the snapshot leaves it out as ours.
#pragma once

#include "napi_helpers.h"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

namespace ipci {

/** The inodes of the last netlink sockets the addon opened (a ring; every thread's). */
struct OwnNetlinkRing {
  static constexpr size_t kSize = 1024;
  std::mutex m;
  double inode[kSize] = {};
  size_t next = 0, count = 0;
};

inline OwnNetlinkRing& OwnNetlink() {
  static OwnNetlinkRing ring;
  return ring;
}

inline void RememberOwnNetlink(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  OwnNetlinkRing& r = OwnNetlink();
  std::lock_guard<std::mutex> lock(r.m);
  r.inode[r.next] = static_cast<double>(st.st_ino);
  r.next = (r.next + 1) % OwnNetlinkRing::kSize;
  if (r.count < OwnNetlinkRing::kSize) r.count++;
}

/** The remembered inodes, oldest first. */
inline std::vector<double> OwnNetlinkInodes() {
  OwnNetlinkRing& r = OwnNetlink();
  std::lock_guard<std::mutex> lock(r.m);
  std::vector<double> out;
  out.reserve(r.count);
  for (size_t k = 0; k < r.count; k++) out.push_back(r.inode[(r.next + OwnNetlinkRing::kSize - r.count + k) % OwnNetlinkRing::kSize]);
  return out;
}

/**
 * A netlink socket of `protocol` with a 1 MiB receive buffer. The kernel answers at once; a recv
 * still waiting after `timeoutSec` fails with EAGAIN instead of holding a pool thread (and the
 * snapshot) forever.
 */
inline Fd OpenNetlink(int type, int protocol, long timeoutSec, PendingError& err) {
  Fd sock(socket(AF_NETLINK, type | SOCK_CLOEXEC, protocol));
  if (!sock.ok()) {
    err.set(errno, "socket");
    return sock;
  }
  RememberOwnNetlink(sock.get());
  int rcv = 1 << 20;
  setsockopt(sock.get(), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  struct timeval tv = {timeoutSec, 0};
  setsockopt(sock.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return sock;
}

/** Sends `len` bytes of requests to the kernel. */
inline bool SendNl(int sock, const void* data, size_t len, PendingError& err) {
  sockaddr_nl sa;
  memset(&sa, 0, sizeof sa);
  sa.nl_family = AF_NETLINK;
  ssize_t s;
  do {
    s = sendto(sock, data, len, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  } while (s < 0 && errno == EINTR);
  if (s < 0) {
    err.set(errno, "sendto");
    return false;
  }
  return true;
}

/** One datagram of answers into buf; 0 with err set on failure (an empty read is EPROTO). */
inline size_t RecvNl(int sock, char* buf, size_t cap, PendingError& err) {
  for (;;) {
    ssize_t n = recv(sock, buf, cap, 0);
    if (n > 0) return static_cast<size_t>(n);
    if (n < 0 && errno == EINTR) continue;
    err.set(n < 0 ? errno : EPROTO, "recv");
    return 0;
  }
}

/** The errno an NLMSG_ERROR message carries (0 for an ack), EPROTO when it is cut short. */
inline int NlError(const nlmsghdr* h) {
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return EPROTO;
  return -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
}

}  // namespace ipci
