// sock_diag netlink dumps (unix_diag, inet_diag — TCP, MPTCP, UDP, UDP-Lite and raw —, packet_diag, netlink_diag) on a worker; with nsPath the dump runs on a
// fresh std::thread that first setns()es into that network namespace (only that thread moves).
// Every recv has a timeout (SO_RCVTIMEO), so a dump can fail but never hang.
#include "napi_helpers.h"
#include "netlink.h"
#include "netns.h"
#include "pagealloc.h"
#include "utf8.h"

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace ipci {
namespace {

// Rows reserved before a dump. Address space, not memory: a column's large block is pages of its
// own (pagealloc.h), and only the pages a dump writes become resident. Grown one push at a time,
// each column was copied at every doubling and every block on the way faulted in — at 50k fds
// (22.5k Unix sockets, 8.6k inet) ~1,000 faults and 8 copies per column per refresh, for a peak
// of the last block beside the one before it. Beyond these the columns double as before. Only the
// caller's own namespace's dumps reserve: a scan of many containers' namespaces runs a dump per
// namespace, and most of those hold a few sockets.
constexpr size_t kUnixRows = 32768;
constexpr size_t kInetRows = 16384;

struct UnixCols {
  // vfsIno/vfsDev: the bound file's inode and the kernel's s_dev (MAJOR << 20 | MINOR), 0 when
  // not bound to a path (UNIX_DIAG_VFS).
  // peer: the other end's inode; -1 when the kernel names an other end without one (a closed
  // end it still references, or a connection's embryo in an accept queue); 0 when none.
  // shutdown: sk_shutdown (UNIX_DIAG_SHUTDOWN: 1 receive, 2 send; 3 once a stream peer closed).
  BigVec<double> inode, peer, rqueue, wqueue, vfsIno, vfsDev;
  BigVec<uint8_t> type, state, nameKind, shutdown;
  BigVec<std::string> name;
  // UNIX_DIAG_ICONS of listeners: each connection waiting in one's accept queue, as a pair — the
  // listener's inode and the connecting (client) socket's. Rare and few: not reserved.
  BigVec<double> pendingListener, pendingClient;

  void Reserve(size_t n) {
    for (BigVec<double>* v : {&inode, &peer, &rqueue, &wqueue, &vfsIno, &vfsDev}) v->reserve(n);
    for (BigVec<uint8_t>* v : {&type, &state, &nameKind, &shutdown}) v->reserve(n);
    name.reserve(n);
  }
};

struct InetCols {
  // v6only: IPV6_V6ONLY of an IPv6 socket (INET_DIAG_SKV6ONLY), 0 or 1; 2 when not said (IPv4;
  // the kernel sends it for LISTEN and CLOSE sockets only)
  BigVec<uint8_t> family, state, v6only;
  BigVec<std::string> localAddr, remoteAddr;
  BigVec<uint16_t> localPort, remotePort;
  BigVec<double> rqueue, wqueue, inode, uid;
  // the device the socket is bound to (SO_BINDTODEVICE, an IPv6 link-local address's scope), by
  // name in the namespace the dump runs in ('' when none): ss prints it after the local address
  BigVec<std::string> iface;
  // Only with Info::kMptcp / kSubflows (MPTCP connections and their subflows are few; not
  // reserved). token: the MPTCP connection's local token — an MPTCP socket's mptcpi_token
  // (INET_DIAG_INFO), a TCP subflow's MPTCP_SUBFLOW_ATTR_TOKEN_LOC (INET_DIAG_ULP_INFO): the same
  // number for a connection and each of its subflows; -1 when not said. joins: an MPTCP socket's
  // subflows beyond its first (mptcpi_subflows). unacked: bytes of its stream the peer has not
  // acknowledged (mptcpi_write_seq - mptcpi_snd_una), -1 when not said.
  BigVec<double> token, unacked;
  BigVec<uint8_t> joins;

  void Reserve(size_t n) {
    for (BigVec<uint8_t>* v : {&family, &state, &v6only}) v->reserve(n);
    for (BigVec<std::string>* v : {&localAddr, &remoteAddr, &iface}) v->reserve(n);
    for (BigVec<uint16_t>* v : {&localPort, &remotePort}) v->reserve(n);
    for (BigVec<double>* v : {&rqueue, &wqueue, &inode, &uid}) v->reserve(n);
  }
};

struct PacketCols {
  // type: SOCK_RAW 3 or SOCK_DGRAM 2; protocol: the ethertype it receives, host order (3
  // ETH_P_ALL, 0 none until bound); ifindex 0 when bound to no device; ring: 1 when it has a
  // PACKET_RX_RING (its packets go to a mapped ring, not to the receive queue); rqueue/wqueue: the
  // receive and send buffer memory in use (SK_MEMINFO_RMEM_ALLOC / WMEM_ALLOC, ss's Recv-Q);
  // rcvbuf: the receive buffer's size (SK_MEMINFO_RCVBUF, ss's rb: a frame is dropped when the
  // memory in use has reached it); drops: frames dropped since it was opened (SK_MEMINFO_DROPS,
  // ss's d); -1 when not said. version: pdi_version (0 TPACKET_V1, 1 V2, 2 V3: the frame layout of
  // its rings, ss -0 -e's ver); rx*/tx*: PACKET_DIAG_RX_RING / TX_RING's packet_diag_ring (block
  // size and count, frame size and count, as ss -0 -e's ring_rx(blk_size,blk_nr,frm_size,frm_nr)),
  // 0 when it has no such ring
  BigVec<uint8_t> type, ring, version;
  BigVec<double> protocol, ifindex, rqueue, wqueue, rcvbuf, drops, inode, uid;
  BigVec<double> rxBlockSize, rxBlocks, rxFrameSize, rxFrames, txBlockSize, txBlocks, txFrameSize, txFrames;
  BigVec<std::string> iface;
};

struct NetlinkCols {
  // protocol, portid (0: the kernel's own socket), type (SOCK_RAW 3 / SOCK_DGRAM 2), connected
  // (NETLINK_CONNECTED: dstPortid / dstGroup say where it sends by default); rqueue/wqueue/drops
  // from SK_MEMINFO (-1 when not said); rcvbuf: the receive buffer's size (SK_MEMINFO_RCVBUF: a
  // message that finds the memory in use past it is dropped, counted in drops; -1 when not said);
  // dump: NDIAG_FLAG_CB_RUNNING; groups: the bitmap as 32-bit words, group 1 first (NETLINK_DIAG_GROUPS)
  BigVec<uint8_t> type, connected, dump;
  BigVec<double> protocol, portid, dstPortid, dstGroup, rqueue, wqueue, rcvbuf, drops, inode;
  std::vector<std::vector<uint32_t>> groups;
};

// An SK_MEMINFO attribute (packet_diag, netlink_diag): receive and send memory in use, the
// receive buffer's size and the drops, each left as it was (-1) when the kernel's array is too
// short to hold it.
void ReadSkMeminfo(const char* d, size_t dl, double& rq, double& wq, double& rb, double& drops) {
  uint32_t v[SK_MEMINFO_VARS] = {};
  memcpy(v, d, dl < sizeof v ? dl : sizeof v);
  if (dl >= sizeof(uint32_t) * (SK_MEMINFO_WMEM_ALLOC + 1)) {
    rq = v[SK_MEMINFO_RMEM_ALLOC];
    wq = v[SK_MEMINFO_WMEM_ALLOC];
    rb = v[SK_MEMINFO_RCVBUF];
  }
  if (dl >= sizeof(uint32_t) * (SK_MEMINFO_DROPS + 1)) drops = v[SK_MEMINFO_DROPS];
}

// Sends one dump request and feeds every reply message to onMsg. Returns 0 or sets err.
// `type`: the request's message type, which its replies carry (SOCK_DIAG_BY_FAMILY; TCPDIAG_GETSOCK for the compat request).
template <typename OnMsg>
bool Dump(const void* req, size_t reqLen, PendingError& err, OnMsg&& onMsg, uint16_t type = SOCK_DIAG_BY_FAMILY) {
  Fd sock = OpenNetlink(SOCK_DGRAM, NETLINK_SOCK_DIAG, 10, err);
  if (!sock.ok()) return false;
  struct {
    nlmsghdr nlh;
    char body[128];
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = NLMSG_LENGTH(reqLen);
  msg.nlh.nlmsg_type = type;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = 1;
  memcpy(NLMSG_DATA(&msg.nlh), req, reqLen);
  if (!SendNl(sock.get(), &msg, msg.nlh.nlmsg_len, err)) return false;
  BigVec<char> buf(256 * 1024);
  for (;;) {
    size_t len = RecvNl(sock.get(), buf.data(), buf.size(), err);
    if (len == 0) return false;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq != 1) continue;
      if (h->nlmsg_type == NLMSG_DONE) {
        // A family or protocol without a diag handler (raw_diag not built, a module not loaded)
        // answers the dump with an empty DONE carrying -ENOENT, not an NLMSG_ERROR: that is no
        // empty table (ss reads /proc/net then, and so does the caller).
        if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
          int e;
          memcpy(&e, NLMSG_DATA(h), sizeof e);
          if (e < 0) {
            err.set(-e, "sock_diag");
            return false;
          }
        }
        return true;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        int e = NlError(h);
        err.set(e ? e : EPROTO, "sock_diag");
        return false;
      }
      if (h->nlmsg_type == type) onMsg(h);
    }
  }
}

void UnixDump(UnixCols& c, size_t rows, PendingError& err) {
  unix_diag_req req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = AF_UNIX;
  req.udiag_states = ~0u;
  req.udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN | UDIAG_SHOW_VFS | UDIAG_SHOW_ICONS;
  req.udiag_cookie[0] = req.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
  c.Reserve(rows);
  Dump(&req, sizeof req, err, [&](nlmsghdr* h) {
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(unix_diag_msg))) return;
    auto* m = static_cast<unix_diag_msg*>(NLMSG_DATA(h));
    double peer = 0, rq = 0, wq = 0, vino = 0, vdev = 0;
    uint8_t kind = 0, shut = 0;
    std::string name;
    auto* a = reinterpret_cast<rtattr*>(m + 1);
    unsigned int alen = h->nlmsg_len - NLMSG_LENGTH(sizeof *m);
    for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
      const char* d = static_cast<const char*>(RTA_DATA(a));
      size_t dl = RTA_PAYLOAD(a);
      switch (a->rta_type) {
        case UNIX_DIAG_NAME:
          if (dl > 0 && d[0] == '\0') {
            kind = 2;
            name.assign(d + 1, dl - 1);
          } else if (dl > 0) {
            kind = 1;
            while (dl > 0 && d[dl - 1] == '\0') dl--;
            name.assign(d, dl);
          }
          break;
        case UNIX_DIAG_PEER:
          if (dl >= 4) {
            uint32_t v;
            memcpy(&v, d, 4);
            peer = v != 0 ? static_cast<double>(v) : -1.0;
          }
          break;
        case UNIX_DIAG_SHUTDOWN:
          if (dl >= 1) shut = static_cast<uint8_t>(d[0]);
          break;
        case UNIX_DIAG_VFS:
          if (dl >= sizeof(unix_diag_vfs)) {
            unix_diag_vfs v;
            memcpy(&v, d, sizeof v);
            vino = v.udiag_vfs_ino;
            vdev = v.udiag_vfs_dev;
          }
          break;
        case UNIX_DIAG_ICONS:
          // the client end of each embryo in a listener's queue (0 once the client is gone)
          for (size_t k = 0; k + 4 <= dl; k += 4) {
            uint32_t v;
            memcpy(&v, d + k, 4);
            if (v == 0) continue;
            c.pendingListener.push_back(m->udiag_ino);
            c.pendingClient.push_back(v);
          }
          break;
        case UNIX_DIAG_RQLEN:
          if (dl >= sizeof(unix_diag_rqlen)) {
            unix_diag_rqlen r;
            memcpy(&r, d, sizeof r);
            rq = r.udiag_rqueue;
            wq = r.udiag_wqueue;
          }
          break;
      }
    }
    c.inode.push_back(m->udiag_ino);
    c.type.push_back(m->udiag_type);
    c.state.push_back(m->udiag_state);
    c.peer.push_back(peer);
    c.shutdown.push_back(shut);
    c.rqueue.push_back(rq);
    c.wqueue.push_back(wq);
    c.nameKind.push_back(kind);
    c.name.push_back(std::move(name));
    c.vfsIno.push_back(vino);
    c.vfsDev.push_back(vdev);
  });
}

// Interface names by index, asked once each (if_indextoname makes a socket per call); in the
// caller's network namespace, which is the dump's (InNetns).
const std::string& IfaceName(std::unordered_map<uint32_t, std::string>& names, uint32_t index) {
  auto it = names.find(index);
  if (it != names.end()) return it->second;
  char buf[IF_NAMESIZE] = {0};
  // a device gone since the dump: its number, as ss prints an unknown index
  std::string name = if_indextoname(index, buf) ? std::string(buf) : "if" + std::to_string(index);
  return names.emplace(index, std::move(name)).first->second;
}

// What an inet_diag dump asks beyond the socket itself: kNone; kMptcp, an MPTCP socket's
// mptcp_info (INET_DIAG_INFO); kSubflows, a TCP dump's ULP info (which the kernel sends only with
// INET_DIAG_INFO), keeping only the sockets that carry an MPTCP subflow.
enum class Info { kNone, kMptcp, kSubflows };

// MPTCP_SUBFLOW_ATTR_TOKEN_LOC inside an INET_DIAG_ULP_INFO attribute's INET_ULP_INFO_MPTCP; -1 when absent.
double SubflowToken(rtattr* ulp) {
  int ulen = static_cast<int>(RTA_PAYLOAD(ulp));
  for (rtattr* u = static_cast<rtattr*>(RTA_DATA(ulp)); RTA_OK(u, ulen); u = RTA_NEXT(u, ulen)) {
    if ((u->rta_type & NLA_TYPE_MASK) != INET_ULP_INFO_MPTCP) continue;
    int mlen = static_cast<int>(RTA_PAYLOAD(u));
    for (rtattr* m = static_cast<rtattr*>(RTA_DATA(u)); RTA_OK(m, mlen); m = RTA_NEXT(m, mlen)) {
      if ((m->rta_type & NLA_TYPE_MASK) != MPTCP_SUBFLOW_ATTR_TOKEN_LOC || RTA_PAYLOAD(m) < sizeof(uint32_t)) continue;
      uint32_t t;
      memcpy(&t, RTA_DATA(m), sizeof t);
      return t;
    }
  }
  return -1;
}

// One socket of an inet_diag reply, appended to the columns.
class InetRows {
 public:
  InetRows(InetCols& c, Info info) : c_(c), info_(info) {}
  void operator()(nlmsghdr* h) {
    InetCols& c = c_;
    static const std::string kNone;
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return;
    auto* m = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
    int fam = m->idiag_family;
    uint8_t v6only = 2;
    double token = -1, unacked = -1;
    uint8_t joins = 0;
    if (fam == AF_INET6 || info_ != Info::kNone) {
      int alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(inet_diag_msg)));
      for (rtattr* a = reinterpret_cast<rtattr*>(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
        if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1) v6only = *static_cast<const uint8_t*>(RTA_DATA(a)) ? 1 : 0;
        else if (info_ == Info::kSubflows && (a->rta_type & NLA_TYPE_MASK) == INET_DIAG_ULP_INFO) token = SubflowToken(a);
        else if (info_ == Info::kMptcp && a->rta_type == INET_DIAG_INFO && RTA_PAYLOAD(a) >= offsetof(mptcp_info, mptcpi_rcv_nxt)) {
          mptcp_info mi;
          memcpy(&mi, RTA_DATA(a), offsetof(mptcp_info, mptcpi_rcv_nxt));
          token = mi.mptcpi_token;
          joins = mi.mptcpi_subflows;
          unacked = static_cast<double>(mi.mptcpi_write_seq - mi.mptcpi_snd_una);
        }
      }
    }
    if (info_ == Info::kSubflows && token < 0) return;
    c.iface.push_back(m->id.idiag_if ? IfaceName(names_, m->id.idiag_if) : kNone);
    char a[INET6_ADDRSTRLEN];
    c.family.push_back(fam == AF_INET6 ? 6 : 4);
    c.state.push_back(m->idiag_state);
    inet_ntop(fam, m->id.idiag_src, a, sizeof a);
    c.localAddr.emplace_back(a);
    inet_ntop(fam, m->id.idiag_dst, a, sizeof a);
    c.remoteAddr.emplace_back(a);
    c.localPort.push_back(ntohs(m->id.idiag_sport));
    c.remotePort.push_back(ntohs(m->id.idiag_dport));
    c.rqueue.push_back(m->idiag_rqueue);
    c.wqueue.push_back(m->idiag_wqueue);
    c.inode.push_back(m->idiag_inode);
    c.uid.push_back(m->idiag_uid);
    c.v6only.push_back(v6only);
    if (info_ != Info::kNone) {
      c.token.push_back(token);
      c.unacked.push_back(unacked);
      c.joins.push_back(joins);
    }
  }

 private:
  InetCols& c_;
  Info info_;
  // interface names by index, asked once each (IfaceName)
  std::unordered_map<uint32_t, std::string> names_;
};

// Packet sockets (AF_PACKET) of the namespace, as ss -0 asks for them.
void PacketDump(PacketCols& c, PendingError& err) {
  packet_diag_req req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = AF_PACKET;
  req.pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MEMINFO | PACKET_SHOW_RING_CFG;
  req.pdiag_cookie[0] = req.pdiag_cookie[1] = INET_DIAG_NOCOOKIE;
  std::unordered_map<uint32_t, std::string> names;
  static const std::string kNone;
  Dump(&req, sizeof req, err, [&](nlmsghdr* h) {
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(packet_diag_msg))) return;
    auto* m = static_cast<packet_diag_msg*>(NLMSG_DATA(h));
    uint32_t ifindex = 0, uid = 0;
    uint8_t ring = 0, version = 0;
    double rq = -1, wq = -1, rb = -1, dr = -1;
    packet_diag_ring rx{}, tx{};  // (zero: no such ring)
    auto* a = reinterpret_cast<rtattr*>(m + 1);
    int alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
    for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
      const char* d = static_cast<const char*>(RTA_DATA(a));
      size_t dl = RTA_PAYLOAD(a);
      switch (a->rta_type) {
        case PACKET_DIAG_INFO:
          if (dl >= sizeof(packet_diag_info)) {
            packet_diag_info i;
            memcpy(&i, d, sizeof i);
            ifindex = i.pdi_index;
            version = static_cast<uint8_t>(i.pdi_version);
          }
          break;
        case PACKET_DIAG_MEMINFO:
          ReadSkMeminfo(d, dl, rq, wq, rb, dr);
          break;
        case PACKET_DIAG_UID:
          if (dl >= 4) memcpy(&uid, d, 4);
          break;
        case PACKET_DIAG_RX_RING:
          ring = 1;
          if (dl >= sizeof rx) memcpy(&rx, d, sizeof rx);
          break;
        case PACKET_DIAG_TX_RING:
          if (dl >= sizeof tx) memcpy(&tx, d, sizeof tx);
          break;
      }
    }
    c.type.push_back(m->pdiag_type);
    c.protocol.push_back(m->pdiag_num);
    c.ifindex.push_back(ifindex);
    c.iface.push_back(ifindex ? IfaceName(names, ifindex) : kNone);
    c.ring.push_back(ring);
    c.version.push_back(version);
    c.rxBlockSize.push_back(rx.pdr_block_size);
    c.rxBlocks.push_back(rx.pdr_block_nr);
    c.rxFrameSize.push_back(rx.pdr_frame_size);
    c.rxFrames.push_back(rx.pdr_frame_nr);
    c.txBlockSize.push_back(tx.pdr_block_size);
    c.txBlocks.push_back(tx.pdr_block_nr);
    c.txFrameSize.push_back(tx.pdr_frame_size);
    c.txFrames.push_back(tx.pdr_frame_nr);
    c.rqueue.push_back(rq);
    c.wqueue.push_back(wq);
    c.rcvbuf.push_back(rb);
    c.drops.push_back(dr);
    c.inode.push_back(m->pdiag_ino);
    c.uid.push_back(uid);
  });
}

// Netlink sockets of the namespace, every protocol, as ss -A netlink asks for them (the caller
// asks only where netlink_diag is in the kernel already: a request without it loads the module).
void NetlinkDump(NetlinkCols& c, PendingError& err) {
  netlink_diag_req req;
  memset(&req, 0, sizeof req);
  req.sdiag_family = AF_NETLINK;
  req.sdiag_protocol = NDIAG_PROTO_ALL;
  req.ndiag_show = NDIAG_SHOW_GROUPS | NDIAG_SHOW_MEMINFO | NDIAG_SHOW_FLAGS;
  req.ndiag_cookie[0] = req.ndiag_cookie[1] = INET_DIAG_NOCOOKIE;
  Dump(&req, sizeof req, err, [&](nlmsghdr* h) {
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(netlink_diag_msg))) return;
    auto* m = static_cast<netlink_diag_msg*>(NLMSG_DATA(h));
    double rq = -1, wq = -1, rb = -1, drops = -1;
    uint8_t dump = 0;
    std::vector<uint32_t> groups;
    auto* a = reinterpret_cast<rtattr*>(m + 1);
    int alen = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
    for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
      const char* d = static_cast<const char*>(RTA_DATA(a));
      size_t dl = RTA_PAYLOAD(a);
      switch (a->rta_type) {
        case NETLINK_DIAG_MEMINFO:
          ReadSkMeminfo(d, dl, rq, wq, rb, drops);
          break;
        case NETLINK_DIAG_GROUPS:
          // the kernel's bitmap of unsigned longs, split into 32-bit words low half first
          for (size_t off = 0; off + sizeof(unsigned long) <= dl && groups.size() < 1024; off += sizeof(unsigned long)) {
            unsigned long w;
            memcpy(&w, d + off, sizeof w);
            groups.push_back(static_cast<uint32_t>(w));
            if (sizeof w > 4) groups.push_back(static_cast<uint32_t>(static_cast<uint64_t>(w) >> 32));
          }
          break;
        case NETLINK_DIAG_FLAGS:
          if (dl >= 4) {
            uint32_t f;
            memcpy(&f, d, 4);
            dump = (f & NDIAG_FLAG_CB_RUNNING) ? 1 : 0;
          }
          break;
      }
    }
    while (!groups.empty() && groups.back() == 0) groups.pop_back();
    c.protocol.push_back(m->ndiag_protocol);
    c.portid.push_back(m->ndiag_portid);
    c.type.push_back(m->ndiag_type);
    c.connected.push_back(m->ndiag_state == NETLINK_CONNECTED ? 1 : 0);
    c.dstPortid.push_back(m->ndiag_dst_portid);
    c.dstGroup.push_back(m->ndiag_dst_group);
    c.rqueue.push_back(rq < 0 ? 0 : rq);
    c.wqueue.push_back(wq < 0 ? 0 : wq);
    c.rcvbuf.push_back(rb);
    c.drops.push_back(drops < 0 ? 0 : drops);
    c.dump.push_back(dump);
    c.inode.push_back(m->ndiag_ino);
    c.groups.push_back(std::move(groups));
  });
}

bool InetDumpFamily(int proto, int family, InetCols& c, PendingError& err, Info info = Info::kNone) {
  // (raw: sdiag_protocol IPPROTO_RAW asks raw_diag for every raw socket of the family; the byte
  // after it, inet_diag_req_raw's sdiag_raw_protocol, filters single-socket lookups only)
  // (MPTCP, 262, does not fit sdiag_protocol's byte: the kernel takes it from an
  // INET_DIAG_REQ_PROTOCOL attribute after the request, as ss -M sends it)
  struct {
    inet_diag_req_v2 r;
    rtattr a;
    uint32_t proto;
  } req;
  memset(&req, 0, sizeof req);
  req.r.sdiag_family = static_cast<uint8_t>(family);
  req.r.sdiag_protocol = static_cast<uint8_t>(proto);
  req.r.idiag_states = ~0u;
  // (subflows: no listener, TIME-WAIT or SYN-RECV socket carries one, and each would bring its tcp_info)
  if (info == Info::kSubflows) req.r.idiag_states &= ~((1u << TCP_LISTEN) | (1u << TCP_TIME_WAIT) | (1u << TCP_SYN_RECV) | (1u << 12 /* TCP_NEW_SYN_RECV */));
  if (info != Info::kNone) req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  req.r.id.idiag_cookie[0] = req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  size_t len = sizeof req.r;
  if (proto > 255) {
    static_assert(sizeof(inet_diag_req_v2) % RTA_ALIGNTO == 0, "the attribute follows the request unpadded");
    req.a.rta_type = INET_DIAG_REQ_PROTOCOL;
    req.a.rta_len = RTA_LENGTH(sizeof req.proto);
    req.proto = static_cast<uint32_t>(proto);
    len = sizeof req;
  }
  return Dump(&req, len, err, InetRows(c, info));
}

// `family` AF_UNSPEC: both. For TCP in one pass over the kernel's tables: the compat request
// (TCPDIAG_GETSOCK, struct inet_diag_req), which the kernel answers for every family at once —
// each SOCK_DIAG_BY_FAMILY request walks the whole established hash, empty buckets included
// (262,144 of them here: ~1.2 ms of kernel time per request, most of a quiet machine's TCP
// dump), so one request instead of two. Where the kernel refuses it, the two requests.
void InetDump(int proto, int family, InetCols& c, size_t rows, PendingError& err, Info info) {
  c.Reserve(rows);
  if (family != AF_UNSPEC) {
    InetDumpFamily(proto, family, c, err, info);
    return;
  }
  if (proto == IPPROTO_TCP && info == Info::kNone) {
    inet_diag_req req;
    memset(&req, 0, sizeof req);
    req.idiag_family = AF_INET;  // not read: the compat dump is of every family
    req.idiag_states = ~0u;
    req.id.idiag_cookie[0] = req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    PendingError compat;
    if (Dump(&req, sizeof req, compat, InetRows(c, info), TCPDIAG_GETSOCK)) return;
    c = InetCols();  // whatever came before the refusal
    c.Reserve(rows);
  }
  if (InetDumpFamily(proto, AF_INET, c, err, info)) InetDumpFamily(proto, AF_INET6, c, err, info);
}

// One JS string per distinct value: most are the same few (unnamed sockets' '', 127.0.0.1, ::1,
// 0.0.0.0), and each string made costs the main thread an allocation and later a GC copy.
template <typename A>
Napi::Array Strings(Napi::Env env, const std::vector<std::string, A>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  std::unordered_map<std::string, Napi::Value> made;
  for (uint32_t i = 0; i < v.size(); i++) {
    auto it = made.find(v[i]);
    if (it == made.end()) it = made.emplace(v[i], Napi::String::New(env, v[i].data(), v[i].size())).first;
    a.Set(i, it->second);
  }
  return a;
}

/** The names that are not UTF-8, by their bytes: { at: row indices, hex: their bytes in hex } (usually empty). */
void NamesNotUtf8(Napi::Env env, Napi::Object o, const BigVec<std::string>& names) {
  std::vector<double> at;
  std::vector<std::string> hex;
  for (size_t i = 0; i < names.size(); i++) {
    if (Utf8(names[i])) continue;
    at.push_back(static_cast<double>(i));
    hex.push_back(Hex(names[i]));
  }
  if (at.empty()) return;
  Napi::Array a = Napi::Array::New(env, at.size());
  for (uint32_t k = 0; k < at.size(); k++) a.Set(k, Napi::Number::New(env, at[k]));
  o.Set("nameHexAt", a);
  o.Set("nameHex", Strings(env, hex));
}

class DiagWorker : public PromiseWorker {
 public:
  DiagWorker(Napi::Env env, bool isUnix, int proto, int family, std::string nsPath, Info info = Info::kNone)
      : PromiseWorker(env, "ipcInspectorSockDiag"), unix_(isUnix), proto_(proto), family_(family), ns_(std::move(nsPath)), info_(info) {}

  void Execute() override {
    InNetns(ns_, err_, [this] {
      if (family_ == AF_PACKET) PacketDump(p_, err_);
      else if (family_ == AF_NETLINK) NetlinkDump(n_, err_);
      else if (unix_) UnixDump(u_, ns_.empty() ? kUnixRows : 0, err_);
      // (raw, MPTCP and UDP-Lite sockets are few)
      else InetDump(proto_, family_, i_, ns_.empty() && info_ == Info::kNone && (proto_ == IPPROTO_TCP || proto_ == IPPROTO_UDP) ? kInetRows : 0, err_, info_);
    });
  }

 protected:
  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    if (family_ == AF_NETLINK) {
      o.Set("protocol", Adopt<Napi::Float64Array>(env, std::move(n_.protocol)));
      o.Set("portid", Adopt<Napi::Float64Array>(env, std::move(n_.portid)));
      o.Set("type", Adopt<Napi::Uint8Array>(env, std::move(n_.type)));
      o.Set("connected", Adopt<Napi::Uint8Array>(env, std::move(n_.connected)));
      o.Set("dstPortid", Adopt<Napi::Float64Array>(env, std::move(n_.dstPortid)));
      o.Set("dstGroup", Adopt<Napi::Float64Array>(env, std::move(n_.dstGroup)));
      o.Set("rqueue", Adopt<Napi::Float64Array>(env, std::move(n_.rqueue)));
      o.Set("wqueue", Adopt<Napi::Float64Array>(env, std::move(n_.wqueue)));
      o.Set("rcvbuf", Adopt<Napi::Float64Array>(env, std::move(n_.rcvbuf)));
      o.Set("drops", Adopt<Napi::Float64Array>(env, std::move(n_.drops)));
      o.Set("dump", Adopt<Napi::Uint8Array>(env, std::move(n_.dump)));
      o.Set("inode", Adopt<Napi::Float64Array>(env, std::move(n_.inode)));
      Napi::Array groups = Napi::Array::New(env, n_.groups.size());
      for (uint32_t i = 0; i < n_.groups.size(); i++) {
        const auto& words = n_.groups[i];
        Napi::Array w = Napi::Array::New(env, words.size());
        for (uint32_t k = 0; k < words.size(); k++) w.Set(k, Napi::Number::New(env, words[k]));
        groups.Set(i, w);
      }
      o.Set("groups", groups);
    } else if (family_ == AF_PACKET) {
      o.Set("type", Adopt<Napi::Uint8Array>(env, std::move(p_.type)));
      o.Set("protocol", Adopt<Napi::Float64Array>(env, std::move(p_.protocol)));
      o.Set("ifindex", Adopt<Napi::Float64Array>(env, std::move(p_.ifindex)));
      o.Set("iface", Strings(env, p_.iface));
      o.Set("ring", Adopt<Napi::Uint8Array>(env, std::move(p_.ring)));
      o.Set("version", Adopt<Napi::Uint8Array>(env, std::move(p_.version)));
      o.Set("rxBlockSize", Adopt<Napi::Float64Array>(env, std::move(p_.rxBlockSize)));
      o.Set("rxBlocks", Adopt<Napi::Float64Array>(env, std::move(p_.rxBlocks)));
      o.Set("rxFrameSize", Adopt<Napi::Float64Array>(env, std::move(p_.rxFrameSize)));
      o.Set("rxFrames", Adopt<Napi::Float64Array>(env, std::move(p_.rxFrames)));
      o.Set("txBlockSize", Adopt<Napi::Float64Array>(env, std::move(p_.txBlockSize)));
      o.Set("txBlocks", Adopt<Napi::Float64Array>(env, std::move(p_.txBlocks)));
      o.Set("txFrameSize", Adopt<Napi::Float64Array>(env, std::move(p_.txFrameSize)));
      o.Set("txFrames", Adopt<Napi::Float64Array>(env, std::move(p_.txFrames)));
      o.Set("rqueue", Adopt<Napi::Float64Array>(env, std::move(p_.rqueue)));
      o.Set("wqueue", Adopt<Napi::Float64Array>(env, std::move(p_.wqueue)));
      o.Set("rcvbuf", Adopt<Napi::Float64Array>(env, std::move(p_.rcvbuf)));
      o.Set("drops", Adopt<Napi::Float64Array>(env, std::move(p_.drops)));
      o.Set("inode", Adopt<Napi::Float64Array>(env, std::move(p_.inode)));
      o.Set("uid", Adopt<Napi::Float64Array>(env, std::move(p_.uid)));
    } else if (unix_) {
      o.Set("inode", Adopt<Napi::Float64Array>(env, std::move(u_.inode)));
      o.Set("type", Adopt<Napi::Uint8Array>(env, std::move(u_.type)));
      o.Set("state", Adopt<Napi::Uint8Array>(env, std::move(u_.state)));
      o.Set("peer", Adopt<Napi::Float64Array>(env, std::move(u_.peer)));
      o.Set("shutdown", Adopt<Napi::Uint8Array>(env, std::move(u_.shutdown)));
      o.Set("rqueue", Adopt<Napi::Float64Array>(env, std::move(u_.rqueue)));
      o.Set("wqueue", Adopt<Napi::Float64Array>(env, std::move(u_.wqueue)));
      o.Set("nameKind", Adopt<Napi::Uint8Array>(env, std::move(u_.nameKind)));
      o.Set("name", Strings(env, u_.name));
      NamesNotUtf8(env, o, u_.name);
      o.Set("vfsIno", Adopt<Napi::Float64Array>(env, std::move(u_.vfsIno)));
      o.Set("vfsDev", Adopt<Napi::Float64Array>(env, std::move(u_.vfsDev)));
      o.Set("pendingListener", Adopt<Napi::Float64Array>(env, std::move(u_.pendingListener)));
      o.Set("pendingClient", Adopt<Napi::Float64Array>(env, std::move(u_.pendingClient)));
    } else {
      o.Set("family", Adopt<Napi::Uint8Array>(env, std::move(i_.family)));
      o.Set("state", Adopt<Napi::Uint8Array>(env, std::move(i_.state)));
      o.Set("localAddr", Strings(env, i_.localAddr));
      o.Set("localPort", Adopt<Napi::Uint16Array>(env, std::move(i_.localPort)));
      o.Set("remoteAddr", Strings(env, i_.remoteAddr));
      o.Set("remotePort", Adopt<Napi::Uint16Array>(env, std::move(i_.remotePort)));
      o.Set("rqueue", Adopt<Napi::Float64Array>(env, std::move(i_.rqueue)));
      o.Set("wqueue", Adopt<Napi::Float64Array>(env, std::move(i_.wqueue)));
      o.Set("inode", Adopt<Napi::Float64Array>(env, std::move(i_.inode)));
      o.Set("uid", Adopt<Napi::Float64Array>(env, std::move(i_.uid)));
      o.Set("v6only", Adopt<Napi::Uint8Array>(env, std::move(i_.v6only)));
      o.Set("iface", Strings(env, i_.iface));
      if (info_ != Info::kNone) {
        o.Set("token", Adopt<Napi::Float64Array>(env, std::move(i_.token)));
        o.Set("unacked", Adopt<Napi::Float64Array>(env, std::move(i_.unacked)));
        o.Set("joins", Adopt<Napi::Uint8Array>(env, std::move(i_.joins)));
      }
    }
    return o;
  }


 private:
  bool unix_;
  int proto_, family_;
  std::string ns_;
  Info info_;
  UnixCols u_;
  InetCols i_;
  PacketCols p_;
  NetlinkCols n_;
};

}  // namespace

// Queues a dump on its worker thread; the promise settles with its columns.
static Napi::Value QueueDiag(DiagWorker* w) {
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value UnixDiag(const Napi::CallbackInfo& info) {
  return QueueDiag(new DiagWorker(info.Env(), true, 0, AF_UNIX, NsPathArg(info, 0)));
}

Napi::Value InetDiag(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string proto = ArgString(info, 0, "protocol");
  int fam = ArgInt(info, 1, "family");
  int p;
  Info ask = Info::kNone;
  if (proto == "tcp") p = IPPROTO_TCP;
  // (the TCP sockets that carry an MPTCP subflow, with their connection's token)
  else if (proto == "mptcp-subflows") p = IPPROTO_TCP, ask = Info::kSubflows;
  else if (proto == "udp") p = IPPROTO_UDP;
  else if (proto == "raw") p = IPPROTO_RAW;
  else if (proto == "mptcp") p = IPPROTO_MPTCP, ask = Info::kMptcp;
  else if (proto == "udplite") p = IPPROTO_UDPLITE;
  else ThrowType(env, "protocol must be 'tcp', 'mptcp', 'mptcp-subflows', 'udp', 'udplite' or 'raw'");
  if (fam != 4 && fam != 6 && fam != 0) ThrowType(env, "family must be 4, 6 or 0 (both)");
  return QueueDiag(new DiagWorker(env, false, p, fam == 4 ? AF_INET : fam == 6 ? AF_INET6 : AF_UNSPEC, NsPathArg(info, 2), ask));
}

Napi::Value NetlinkDiag(const Napi::CallbackInfo& info) {
  return QueueDiag(new DiagWorker(info.Env(), false, 0, AF_NETLINK, NsPathArg(info, 0)));
}

Napi::Value OwnNetlinkInodes(const Napi::CallbackInfo& info) {
  std::vector<double> v = ipci::OwnNetlinkInodes();
  Napi::Array a = Napi::Array::New(info.Env(), v.size());
  for (uint32_t i = 0; i < v.size(); i++) a.Set(i, Napi::Number::New(info.Env(), v[i]));
  return a;
}

Napi::Value PacketDiag(const Napi::CallbackInfo& info) {
  return QueueDiag(new DiagWorker(info.Env(), false, 0, AF_PACKET, NsPathArg(info, 0)));
}

}  // namespace ipci
