// Loading, attaching and reading the live-activity tracer (see tracerload.h and
// native/bpf/tracer.bpf.c). Process-wide state, created once and never destroyed (a reader thread
// may still be polling at exit); every entry point takes its mutex.
//
// Loading probes features at run time: when the whole object does not load, each program is
// tried alone, and the object is loaded again without the ones the kernel refused (a missing
// tracepoint, an older verifier) — the others still run, and the status says why each did not.
// Counters: the reader swaps the generation programs write to (an array-of-maps update, after
// which the kernel has waited for an RCU grace period: no program holds the old map any more),
// then drains the old one with lookup-and-delete batches. Signals: a thread polls the ring buffer
// into a bounded queue; a full queue is counted, never hidden.
#include "tracerload.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "../../bpf/tracer.h"
#include "programs.h"  // generated: IPCI_BPF_HAVE_<NAME> per program that compiled
#if IPCI_BPF_HAVE_TRACER
#include "tracer.skel.h"
#endif

namespace ipci {
namespace bpf {
namespace {

using Clock = std::chrono::steady_clock;
double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// Signals the reader keeps until JS reads them (about 28 MB at most: 2.6 s of a 100k/s storm).
constexpr size_t kMaxQueuedSignals = 1u << 18;
// How often the reader drains the signal ring when the program did not wake it (ms).
constexpr int kDrainMs = 50;

struct ProgramDef {
  const char* name;
  const char* attachPoint;
  int part;
};
const ProgramDef kPrograms[] = {
    {"sys_exit", "tp_btf/sys_exit", kPartPipes},
    {"sock_send", "tp_btf/sock_send_length", kPartSockets},
    {"sock_recv", "tp_btf/sock_recv_length", kPartSockets},
    {"signal", "tp_btf/signal_generate", kPartSignals},
};
constexpr size_t kProgramCount = sizeof kPrograms / sizeof kPrograms[0];

struct State {
  std::mutex mu;
  TracerStatus status;
#if IPCI_BPF_HAVE_TRACER
  ipci_tracer* skel = nullptr;
  bpf_link* links[kProgramCount] = {};
#endif
  int slot = 0;  // which generation programs write to: 0 = counters_a, 1 = counters_b
  // the signal reader
  ring_buffer* rb = nullptr;
  std::atomic<bool> readerStop{false};
  std::atomic<bool> readerRunning{false};
  std::mutex qmu;
  std::deque<ipci_sig_rec> queue;
  uint64_t queueDropped = 0;
  // the mq_names keys (ino, dev) found at the previous read (PruneMqNames)
  std::set<std::pair<uint64_t, uint32_t>> mqListed;
};

State& S() {
  static State* s = new State();  // never destroyed: a reader thread may outlive static destruction
  return *s;
}

#if IPCI_BPF_HAVE_TRACER
bpf_program* Prog(ipci_tracer* skel, size_t i) {
  switch (i) {
    case 0: return skel->progs.ipci_sys_exit;
    case 1: return skel->progs.ipci_sock_send;
    case 2: return skel->progs.ipci_sock_recv;
    default: return skel->progs.ipci_signal;
  }
}
#endif

void InitPrograms(TracerStatus& st) {
  if (!st.programs.empty()) return;
  for (const ProgramDef& d : kPrograms) {
    TracerProgramState p;
    p.name = d.name;
    p.attachPoint = d.attachPoint;
    p.part = d.part;
    st.programs.push_back(p);
  }
}

const char* ErrName(int e) {
  const char* n = e ? strerrorname_np(e) : nullptr;
  return n ? n : "EINVAL";
}

#if IPCI_BPF_HAVE_TRACER
ipci_tracer* Open(const std::string& btfPath, const std::vector<bool>& autoload) {
  LIBBPF_OPTS(bpf_object_open_opts, opts);
  if (btfPath != "/sys/kernel/btf/vmlinux") opts.btf_custom_path = btfPath.c_str();
  ipci_tracer* skel = ipci_tracer__open_opts(&opts);
  if (!skel) return nullptr;
  for (size_t i = 0; i < kProgramCount; i++) bpf_program__set_autoload(Prog(skel, i), autoload[i]);
  return skel;
}

void Load(State& s, const std::string& btfPath) {
  TracerStatus& st = s.status;
  st.tried = true;
  st.verdict = CheckEnvironment(btfPath);
  if (!st.verdict.ok) {
    if (st.verdict.code == "EPERM") st.verdict.reason = "not privileged: the tracer needs root or CAP_BPF+CAP_PERFMON";
    return;
  }
  auto t0 = Clock::now();
  LogCapture log;
  std::vector<bool> autoload(kProgramCount, true);
  ipci_tracer* skel = Open(btfPath, autoload);
  if (!skel) {
    int e = errno;
    st.verdict = {false, ErrName(e), "BPF open failed: " + log.Tail()};
    return;
  }
  int err = ipci_tracer__load(skel);
  if (err) {
    // which programs does this kernel refuse? each alone, then the rest together
    std::string whyAll = log.Tail(2);
    ipci_tracer__destroy(skel);
    skel = nullptr;
    for (size_t i = 0; i < kProgramCount; i++) {
      std::vector<bool> one(kProgramCount, false);
      one[i] = true;
      LogCapture plog;
      ipci_tracer* t = Open(btfPath, one);
      if (!t) continue;
      if (ipci_tracer__load(t) != 0) {
        autoload[i] = false;
        st.programs[i].loadError = plog.Tail(2);
        if (st.programs[i].loadError.empty()) st.programs[i].loadError = "refused by the kernel";
      }
      ipci_tracer__destroy(t);
    }
    bool any = false;
    for (bool b : autoload) any = any || b;
    if (any) {
      skel = Open(btfPath, autoload);
      if (skel && ipci_tracer__load(skel) != 0) {
        ipci_tracer__destroy(skel);
        skel = nullptr;
      }
    }
    if (!skel) {
      int e = errno;
      st.verdict = {false, ErrName(e), "BPF load failed: " + whyAll};
      return;
    }
  }
  for (size_t i = 0; i < kProgramCount; i++) st.programs[i].loaded = autoload[i];
  s.skel = skel;
  st.loadMs = MsSince(t0);
}

#if IPCI_BPF_HAVE_TRACER
// The program names a queue at first sight and never forgets it, so the map only grows: full
// (4,096 queues made and removed — a test suite, a service restarting — within hours), every new
// queue is counted without a name (IPCI_LOST_MQ_NAME). A name is needed only until the read that
// drains its queue's counters, so a read forgets those that were already there at the previous
// read and were not counted since: the queue is gone or idle, and its next use names it again.
// A name inserted after this read's generation swap was not there at the previous read: it stays
// for the read that drains its counters. (An idle queue used again between this swap and the
// delete keeps no name for that one interval: its counts are unattributed once.)
void PruneMqNames(State& s, int namesFd, const std::set<std::pair<uint64_t, uint32_t>>& counted) {
  std::vector<ipci_mq_key> keys;
  ipci_mq_key k, next;
  memset(&k, 0, sizeof k);
  memset(&next, 0, sizeof next);
  bool first = true;
  while (bpf_map_get_next_key(namesFd, first ? nullptr : &k, &next) == 0) {
    keys.push_back(next);
    k = next;
    first = false;
  }
  std::set<std::pair<uint64_t, uint32_t>> listed;
  for (const ipci_mq_key& key : keys) {
    std::pair<uint64_t, uint32_t> id{key.ino, key.dev};
    if (s.mqListed.count(id) && !counted.count(id)) bpf_map_delete_elem(namesFd, &key);
    else listed.insert(id);
  }
  s.mqListed.swap(listed);
}
#endif

int OnSignal(void* ctx, void* data, size_t size) {
  State* s = static_cast<State*>(ctx);
  if (size < sizeof(ipci_sig_rec)) return 0;
  std::lock_guard<std::mutex> lock(s->qmu);
  if (s->queue.size() >= kMaxQueuedSignals) {
    s->queueDropped++;
    return 0;
  }
  ipci_sig_rec r;
  memcpy(&r, data, sizeof r);
  s->queue.push_back(r);
  return 0;
}

void StartReader(State& s) {
  if (s.readerRunning.load()) return;
  if (!s.rb) {
    s.rb = ring_buffer__new(bpf_map__fd(s.skel->maps.signals), OnSignal, &s, nullptr);
    if (!s.rb) return;
  }
  s.readerStop.store(false);
  s.readerRunning.store(true);
  std::thread([&s] {
    // The program wakes this thread only when the ring is a quarter full (a storm); otherwise the
    // records wait here for at most kDrainMs — batches, not one wake-up per signal.
    while (!s.readerStop.load()) {
      int n = ring_buffer__poll(s.rb, kDrainMs);
      if (n < 0 && n != -EINTR) break;
      if (ring_buffer__consume(s.rb) < 0) break;
    }
    ring_buffer__consume(s.rb);  // what arrived before the detach
    s.readerRunning.store(false);
  }).detach();
}

void StopReader(State& s) {
  s.readerStop.store(true);
  while (s.readerRunning.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void Attach(State& s, size_t i) {
  TracerProgramState& p = s.status.programs[i];
  if (s.links[i] || !p.loaded) return;
  LogCapture log;
  bpf_link* link = bpf_program__attach(Prog(s.skel, i));
  if (!link) {
    int e = errno;
    p.attachError = std::string(ErrName(e)) + ": " + strerror(e) + (log.Tail().empty() ? "" : " (" + log.Tail() + ")");
    return;
  }
  s.links[i] = link;
  p.attached = true;
  p.attachError.clear();
}

void Detach(State& s, size_t i) {
  if (!s.links[i]) return;
  bpf_link__destroy(s.links[i]);
  s.links[i] = nullptr;
  s.status.programs[i].attached = false;
}

// Wanted programs attached, unwanted ones detached; the reader runs while the signal program does.
void Apply(State& s) {
  for (size_t i = 0; i < kProgramCount; i++) {
    if (s.status.users[kPrograms[i].part] > 0) Attach(s, i);
    else Detach(s, i);
  }
  if (s.links[3]) StartReader(s);
  else StopReader(s);
}

void ProgramInfo(State& s) {
  for (size_t i = 0; i < kProgramCount; i++) {
    TracerProgramState& p = s.status.programs[i];
    if (!p.loaded) continue;
    bpf_prog_info info;
    memset(&info, 0, sizeof info);
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(bpf_program__fd(Prog(s.skel, i)), &info, &len) == 0) {
      p.runCount = info.run_cnt;
      p.runTimeNs = info.run_time_ns;
      p.recursionMisses = info.recursion_misses;
    }
  }
}

// Drains one (swapped-out) generation: every key and its per-CPU values summed, then deleted.
int Drain(int fd, std::vector<TracerCounter>& out) {
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return EINVAL;
  const size_t vsz = (sizeof(ipci_act_val) + 7) & ~static_cast<size_t>(7);
  __u32 chunk = 1024;
  std::vector<ipci_act_key> keys(chunk);
  std::vector<uint8_t> vals(static_cast<size_t>(chunk) * ncpu * vsz);
  __u32 inBatch = 0, outBatch = 0;
  bool first = true;
  auto take = [&](__u32 n) {
    for (__u32 i = 0; i < n; i++) {
      const ipci_act_key& k = keys[i];
      TracerCounter c;
      c.kind = k.kind;
      c.dir = k.dir;
      c.tgid = k.tgid;
      c.ino = k.ino;
      c.dev = k.kind == IPCI_ACT_FIFO ? UserDev(k.dev) : k.dev;
      for (int cpu = 0; cpu < ncpu; cpu++) {
        ipci_act_val v;
        memcpy(&v, vals.data() + (static_cast<size_t>(i) * ncpu + cpu) * vsz, sizeof v);
        c.bytes += v.bytes;
        c.ops += v.ops;
        if (v.peer) c.peer = v.peer;
      }
      out.push_back(c);
    }
  };
  for (;;) {
    __u32 n = chunk;
    int r = bpf_map_lookup_and_delete_batch(fd, first ? nullptr : &inBatch, &outBatch, keys.data(), vals.data(), &n, nullptr);
    int e = r < 0 ? errno : 0;
    if (r < 0 && e == ENOSPC && n == 0) {
      // one bucket holds more than a chunk: bigger buffers, same position
      chunk *= 4;
      keys.resize(chunk);
      vals.resize(static_cast<size_t>(chunk) * ncpu * vsz);
      continue;
    }
    if (r < 0 && e != ENOENT) return e;
    take(n);
    if (r < 0) return 0;  // ENOENT: that was the last batch
    inBatch = outBatch;
    first = false;
  }
}

uint64_t SumPerCpu(int fd, __u32 key) {
  const int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return 0;
  std::vector<__u64> v(static_cast<size_t>(ncpu));
  if (bpf_map_lookup_elem(fd, &key, v.data()) != 0) return 0;
  uint64_t sum = 0;
  for (__u64 x : v) sum += x;
  return sum;
}

// CLOCK_REALTIME minus CLOCK_BOOTTIME, ns: turns the program's boot-time stamps into wall time.
double RealMinusBootNs() {
  timespec r, b;
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_BOOTTIME, &b);
  return (static_cast<double>(r.tv_sec) - b.tv_sec) * 1e9 + (static_cast<double>(r.tv_nsec) - b.tv_nsec);
}

std::string Comm(const char* c, size_t n) { return std::string(c, strnlen(c, n)); }
#endif  // IPCI_BPF_HAVE_TRACER

}  // namespace

Verdict TracerCheck(const std::string& btfPath) {
#if !IPCI_BPF_HAVE_TRACER
  return {false, "ENOSYS", "the addon was built without the tracer (see native/build/bpf/report.json)"};
#else
  State& s = S();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.status.tried && !s.status.verdict.ok) return s.status.verdict;
  }
  Verdict v = CheckEnvironment(btfPath);
  if (!v.ok && v.code == "EPERM") v.reason = "not privileged: the tracer needs root or CAP_BPF+CAP_PERFMON";
  return v;
#endif
}

TracerStatus TracerStart(const std::string& btfPath, const bool parts[kPartCount]) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  InitPrograms(s.status);
#if !IPCI_BPF_HAVE_TRACER
  s.status.tried = true;
  s.status.verdict = {false, "ENOSYS", "the addon was built without the tracer (see native/build/bpf/report.json)"};
  return s.status;
#else
  if (!s.status.tried) Load(s, btfPath);
  if (!s.status.verdict.ok) return s.status;
  for (int p = 0; p < kPartCount; p++)
    if (parts[p]) s.status.users[p]++;
  Apply(s);
  return s.status;
#endif
}

TracerStatus TracerStop(const bool parts[kPartCount]) {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  InitPrograms(s.status);
#if IPCI_BPF_HAVE_TRACER
  if (s.skel) {
    for (int p = 0; p < kPartCount; p++)
      if (parts[p] && s.status.users[p] > 0) s.status.users[p]--;
    Apply(s);
  }
#endif
  return s.status;
}

TracerStatus TracerGetStatus() {
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  InitPrograms(s.status);
  return s.status;
}

TracerReadResult TracerRead() {
  TracerReadResult r;
  State& s = S();
  std::lock_guard<std::mutex> lock(s.mu);
  InitPrograms(s.status);
  r.verdict = s.status.verdict;
#if !IPCI_BPF_HAVE_TRACER
  r.verdict = {false, "ENOSYS", "the addon was built without the tracer (see native/build/bpf/report.json)"};
  return r;
#else
  if (!s.skel) {
    if (r.verdict.ok) r.verdict = {false, "ENOENT", "the tracer is not loaded (tracerStart first)"};
    return r;
  }
  for (size_t i = 0; i < kProgramCount; i++) r.attached = r.attached || s.links[i] != nullptr;
  // counters: swap generations, then drain the old one
  int fdA = bpf_map__fd(s.skel->maps.counters_a);
  int fdB = bpf_map__fd(s.skel->maps.counters_b);
  int outer = bpf_map__fd(s.skel->maps.counters);
  int old = s.slot == 0 ? fdA : fdB;
  int next = s.slot == 0 ? fdB : fdA;
  __u32 zero = 0;
  auto t0 = Clock::now();
  if (bpf_map_update_elem(outer, &zero, &next, BPF_ANY) != 0) {
    int e = errno;
    r.verdict = {false, ErrName(e), std::string("swapping the counter maps failed: ") + strerror(e)};
    return r;
  }
  r.swapMs = MsSince(t0);
  s.slot ^= 1;
  t0 = Clock::now();
  int e = Drain(old, r.counters);
  r.drainMs = MsSince(t0);
  if (e) {
    r.verdict = {false, ErrName(e), std::string("reading the counters failed: ") + strerror(e)};
    return r;
  }
  // names of the POSIX queues seen
  std::set<std::pair<uint64_t, uint32_t>> seen;
  int namesFd = bpf_map__fd(s.skel->maps.mq_names);
  for (const TracerCounter& c : r.counters) {
    if (c.kind != IPCI_ACT_POSIX_MQ || !seen.insert({c.ino, static_cast<uint32_t>(c.dev)}).second) continue;
    ipci_mq_key k;
    memset(&k, 0, sizeof k);
    k.ino = c.ino;
    k.dev = static_cast<__u32>(c.dev);
    char name[IPCI_MQ_NAME_MAX];
    if (bpf_map_lookup_elem(namesFd, &k, name) == 0) r.mqNames.push_back({c.ino, c.dev, Comm(name, sizeof name)});
  }
  PruneMqNames(s, namesFd, seen);
  // lost events (totals since load)
  int lostFd = bpf_map__fd(s.skel->maps.lost);
  r.lost.counterFull = SumPerCpu(lostFd, IPCI_LOST_COUNTER_FULL);
  r.lost.signalRing = SumPerCpu(lostFd, IPCI_LOST_SIGNAL_RING);
  r.lost.mqName = SumPerCpu(lostFd, IPCI_LOST_MQ_NAME);
  ProgramInfo(s);
  for (const TracerProgramState& p : s.status.programs) r.lost.recursion += p.recursionMisses;
  r.programs = s.status.programs;
  // signals queued by the reader
  std::deque<ipci_sig_rec> q;
  {
    std::lock_guard<std::mutex> ql(s.qmu);
    q.swap(s.queue);
    r.lost.signalQueue = s.queueDropped;
  }
  const double offsetNs = RealMinusBootNs();
  const long tck = sysconf(_SC_CLK_TCK);
  const uint64_t nsPerTick = 1000000000ull / static_cast<uint64_t>(tck > 0 ? tck : 100);  // nsec_to_clock_t
  r.signals.reserve(q.size());
  for (const ipci_sig_rec& x : q) {
    TracerSignal g;
    g.timeMs = (static_cast<double>(x.boot_ns) + offsetNs) / 1e6;
    g.senderPid = x.sender_tgid;
    g.senderTid = x.sender_tid;
    g.senderUid = x.sender_uid;
    g.senderStart = x.sender_start / nsPerTick;
    g.senderComm = Comm(x.sender_comm, sizeof x.sender_comm);
    g.targetPid = x.target_tgid;
    g.targetTid = x.target_tid;
    g.targetStart = x.target_start / nsPerTick;
    g.targetComm = Comm(x.target_comm, sizeof x.target_comm);
    g.sig = x.sig;
    g.code = x.code;
    g.group = x.group;
    g.result = x.result;
    g.siErrno = x.si_errno;
    g.siPid = x.si_pid;
    g.siUid = x.si_uid;
    g.siValue = x.si_value;
    g.flags = x.flags;
    r.signals.push_back(std::move(g));
  }
  return r;
#endif
}

}  // namespace bpf
}  // namespace ipci
