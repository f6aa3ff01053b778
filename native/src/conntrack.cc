// conntrack lookups over ctnetlink (IPCTNL_MSG_CT_GET): the flow a socket's own tuple belongs to,
// found by the kernel's hash lookup — instead of reading /proc/net/nf_conntrack, which walks the
// whole hash table (every bucket, even empty ones) on each read. The kernel hashes both tuples of
// a flow, so a socket's (local → remote) finds its flow whether it is the original side (the
// client) or the reply side (the server behind a NAT). With nsPath the lookups run on a thread
// moved into that network namespace (netns.h). Which tuples, which namespaces and what a flow
// means are the caller's business (core/probes/netLinks.ts).
#include "napi_helpers.h"
#include "netlink.h"
#include "netns.h"

#include <cstring>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace ipci {
namespace {

struct Tuple {
  uint8_t src[16];
  uint8_t dst[16];
  uint16_t sport = 0, dport = 0;  // host order
  bool ok = false;
};

struct Query {
  int family;  // AF_INET or AF_INET6
  uint8_t proto;
  Tuple t;
};

struct Flow {
  bool found = false;
  Tuple orig, reply;
  uint32_t status = 0;
};

// Requests per send: each is under 100 bytes and each answer under 400, so a batch fits the
// socket's buffers both ways (a send larger than the send buffer fails with EMSGSIZE).
constexpr size_t kBatch = 128;

void PutAttr(std::vector<char>& b, uint16_t type, const void* data, size_t len) {
  nlattr a;
  a.nla_type = type;
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  size_t at = b.size();
  b.resize(at + NLA_ALIGN(a.nla_len), 0);
  memcpy(&b[at], &a, sizeof a);
  if (len) memcpy(&b[at + NLA_HDRLEN], data, len);
}

// Opens a nested attribute; CloseNest writes its length once its members are in.
size_t OpenNest(std::vector<char>& b, uint16_t type) {
  size_t at = b.size();
  PutAttr(b, type | NLA_F_NESTED, nullptr, 0);
  return at;
}

void CloseNest(std::vector<char>& b, size_t at) {
  nlattr a;
  memcpy(&a, &b[at], sizeof a);
  a.nla_len = static_cast<uint16_t>(b.size() - at);
  memcpy(&b[at], &a, sizeof a);
}

void PutRequest(std::vector<char>& b, const Query& q, uint32_t seq) {
  size_t start = b.size();
  b.resize(start + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)), 0);
  nfgenmsg g;
  g.nfgen_family = static_cast<uint8_t>(q.family);
  g.version = NFNETLINK_V0;
  g.res_id = 0;
  memcpy(&b[start + NLMSG_HDRLEN], &g, sizeof g);
  size_t tuple = OpenNest(b, CTA_TUPLE_ORIG);
  size_t ip = OpenNest(b, CTA_TUPLE_IP);
  size_t alen = q.family == AF_INET ? 4 : 16;
  PutAttr(b, q.family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, q.t.src, alen);
  PutAttr(b, q.family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST, q.t.dst, alen);
  CloseNest(b, ip);
  size_t proto = OpenNest(b, CTA_TUPLE_PROTO);
  PutAttr(b, CTA_PROTO_NUM, &q.proto, 1);
  uint16_t sp = htons(q.t.sport), dp = htons(q.t.dport);
  PutAttr(b, CTA_PROTO_SRC_PORT, &sp, 2);
  PutAttr(b, CTA_PROTO_DST_PORT, &dp, 2);
  CloseNest(b, proto);
  CloseNest(b, tuple);
  nlmsghdr h;
  memset(&h, 0, sizeof h);
  h.nlmsg_len = static_cast<uint32_t>(b.size() - start);
  h.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
  h.nlmsg_flags = NLM_F_REQUEST;  // no NLM_F_ACK: exactly one answer per request (the flow or an error)
  h.nlmsg_seq = seq;
  memcpy(&b[start], &h, sizeof h);
}

// Calls fn(type, payload, len) for each attribute in [p, p + len).
template <typename Fn>
void EachAttr(const char* p, size_t len, Fn&& fn) {
  while (len >= NLA_HDRLEN) {
    nlattr a;
    memcpy(&a, p, sizeof a);
    if (a.nla_len < NLA_HDRLEN || a.nla_len > len) return;
    fn(static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK), p + NLA_HDRLEN, static_cast<size_t>(a.nla_len - NLA_HDRLEN));
    size_t step = NLA_ALIGN(a.nla_len);
    if (step >= len) return;
    p += step;
    len -= step;
  }
}

void ParseTuple(const char* p, size_t len, Tuple& t) {
  bool s = false, d = false, sp = false, dp = false;
  EachAttr(p, len, [&](uint16_t type, const char* v, size_t n) {
    if (type == CTA_TUPLE_IP) {
      EachAttr(v, n, [&](uint16_t it, const char* iv, size_t in) {
        if ((it == CTA_IP_V4_SRC && in == 4) || (it == CTA_IP_V6_SRC && in == 16)) {
          memcpy(t.src, iv, in);
          s = true;
        } else if ((it == CTA_IP_V4_DST && in == 4) || (it == CTA_IP_V6_DST && in == 16)) {
          memcpy(t.dst, iv, in);
          d = true;
        }
      });
    } else if (type == CTA_TUPLE_PROTO) {
      EachAttr(v, n, [&](uint16_t pt, const char* pv, size_t pn) {
        uint16_t port;
        if (pn != 2) return;
        memcpy(&port, pv, 2);
        if (pt == CTA_PROTO_SRC_PORT) {
          t.sport = ntohs(port);
          sp = true;
        } else if (pt == CTA_PROTO_DST_PORT) {
          t.dport = ntohs(port);
          dp = true;
        }
      });
    }
  });
  t.ok = s && d && sp && dp;
}

void ParseFlow(const nlmsghdr* h, Flow& f) {
  size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  if (h->nlmsg_len < off) return;
  const char* p = reinterpret_cast<const char*>(h) + off;
  EachAttr(p, h->nlmsg_len - off, [&](uint16_t type, const char* v, size_t n) {
    if (type == CTA_TUPLE_ORIG) ParseTuple(v, n, f.orig);
    else if (type == CTA_TUPLE_REPLY) ParseTuple(v, n, f.reply);
    else if (type == CTA_STATUS && n == 4) {
      uint32_t st;
      memcpy(&st, v, 4);
      f.status = ntohl(st);
    }
  });
  f.found = f.orig.ok && f.reply.ok;
}

// One batch of lookups on `sock`: sends them in one message and reads one answer per request.
bool Batch(int sock, const std::vector<Query>& qs, size_t from, size_t to, std::vector<Flow>& out, PendingError& err) {
  std::vector<char> req;
  for (size_t i = from; i < to; i++) PutRequest(req, qs[i], static_cast<uint32_t>(i + 1));
  if (!SendNl(sock, req.data(), req.size(), err)) return false;
  std::vector<char> buf(64 * 1024);
  size_t answered = 0;
  while (answered < to - from) {
    size_t len = RecvNl(sock, buf.data(), buf.size(), err);
    if (len == 0) return false;
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_seq <= from || h->nlmsg_seq > to) continue;
      size_t i = h->nlmsg_seq - 1;
      if (h->nlmsg_type == NLMSG_ERROR) {
        int e = NlError(h);
        // ENOENT: no flow has that tuple (not an error); anything else (EPERM without
        // CAP_NET_ADMIN, EOPNOTSUPP) says lookups do not work here at all
        if (e != 0 && e != ENOENT) {
          err.set(e, "ctnetlink");
          return false;
        }
        answered++;
      } else if (h->nlmsg_type == ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)) {
        ParseFlow(h, out[i]);
        answered++;
      }
    }
  }
  return true;
}

void Lookup(const std::vector<Query>& qs, std::vector<Flow>& out, PendingError& err) {
  Fd sock = OpenNetlink(SOCK_RAW, NETLINK_NETFILTER, 5, err);
  if (!sock.ok()) return;
  for (size_t from = 0; from < qs.size(); from += kBatch) {
    size_t to = std::min(qs.size(), from + kBatch);
    if (!Batch(sock.get(), qs, from, to, out, err)) return;
  }
}

class ConntrackWorker : public PromiseWorker {
 public:
  ConntrackWorker(Napi::Env env, std::vector<Query> qs, std::string nsPath)
      : PromiseWorker(env, "ipcInspectorConntrack"), qs_(std::move(qs)), ns_(std::move(nsPath)), out_(qs_.size()) {}

  void Execute() override {
    InNetns(ns_, err_, [this] { Lookup(qs_, out_, err_); });
  }

 protected:
  Napi::Value Settle(Napi::Env env) override {
    Napi::Array a = Napi::Array::New(env, out_.size());
    for (uint32_t i = 0; i < out_.size(); i++) {
      const Flow& f = out_[i];
      if (!f.found) {
        a.Set(i, env.Null());
        continue;
      }
      int fam = qs_[i].family;
      auto tuple = [&](const Tuple& t) {
        char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
        inet_ntop(fam, t.src, s, sizeof s);
        inet_ntop(fam, t.dst, d, sizeof d);
        Napi::Object o = Napi::Object::New(env);
        o.Set("src", s);
        o.Set("dst", d);
        o.Set("sport", t.sport);
        o.Set("dport", t.dport);
        return o;
      };
      Napi::Object o = Napi::Object::New(env);
      o.Set("orig", tuple(f.orig));
      o.Set("reply", tuple(f.reply));
      o.Set("status", f.status);
      a.Set(i, o);
    }
    return a;
  }

 private:
  std::vector<Query> qs_;
  std::string ns_;
  std::vector<Flow> out_;
};

}  // namespace

// conntrackGet(queries: {family: 4|6, proto: 'tcp'|'udp', src, dst, sport, dport}[], nsPath?)
//   → Promise<({orig, reply, status} | null)[]>: the flow each (src:sport → dst:dport) belongs to
// in either direction, null when none has it. Rejects (EPERM, EPROTONOSUPPORT …) when lookups
// cannot be made here at all.
Napi::Value ConntrackGet(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) ThrowType(env, "queries must be an array");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<Query> qs(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsObject()) ThrowType(env, "each query must be an object");
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value fam = o.Get("family"), proto = o.Get("proto"), src = o.Get("src"), dst = o.Get("dst"), sport = o.Get("sport"), dport = o.Get("dport");
    if (!fam.IsNumber() || !proto.IsString() || !src.IsString() || !dst.IsString() || !sport.IsNumber() || !dport.IsNumber())
      ThrowType(env, "a query is {family, proto, src, dst, sport, dport}");
    Query& q = qs[i];
    int f = fam.As<Napi::Number>().Int32Value();
    if (f != 4 && f != 6) ThrowType(env, "family must be 4 or 6");
    q.family = f == 4 ? AF_INET : AF_INET6;
    std::string p = proto.As<Napi::String>().Utf8Value();
    if (p == "tcp") q.proto = IPPROTO_TCP;
    else if (p == "udp") q.proto = IPPROTO_UDP;
    else ThrowType(env, "proto must be 'tcp' or 'udp'");
    if (inet_pton(q.family, src.As<Napi::String>().Utf8Value().c_str(), q.t.src) != 1 ||
        inet_pton(q.family, dst.As<Napi::String>().Utf8Value().c_str(), q.t.dst) != 1)
      ThrowType(env, "src and dst must be addresses of the family");
    double sp = sport.As<Napi::Number>().DoubleValue(), dp = dport.As<Napi::Number>().DoubleValue();
    if (!(sp >= 0 && sp <= 65535 && dp >= 0 && dp <= 65535) || sp != static_cast<int>(sp) || dp != static_cast<int>(dp))
      ThrowType(env, "ports must be integers 0..65535");
    q.t.sport = static_cast<uint16_t>(sp);
    q.t.dport = static_cast<uint16_t>(dp);
  }
  auto* w = new ConntrackWorker(env, std::move(qs), NsPathArg(info, 1));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace ipci
