// Per-item timeouts for the BPF walk's /proc reads, and the stuck list (see timedreads.h).
#include "timedreads.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace ipci {
namespace bpf {
namespace {

using Clock = std::chrono::steady_clock;

// Replacement threads one run may start for items given up as stuck. Each stands for a process
// found stuck (then skipped by later walks), so this only bounds what one scan can cost when many
// processes are stuck at once; the items left when no thread is running are reported not reached.
constexpr unsigned kMaxReplacements = 16;

inline int64_t NowNs() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

// ---- the stuck list, process-wide (every walk in every worker_thread sees it) ----

struct Entry {
  uint64_t id;
  StuckRead read;
};
std::mutex gStuckMu;
std::vector<Entry> gStuck;
uint64_t gStuckNextId = 1;

uint64_t RegisterStuck(int32_t pid, const std::string& what) {
  std::lock_guard<std::mutex> lock(gStuckMu);
  uint64_t id = gStuckNextId++;
  gStuck.push_back(Entry{id, StuckRead{pid, what, Clock::now()}});
  return id;
}

void UnregisterStuck(uint64_t id) {
  std::lock_guard<std::mutex> lock(gStuckMu);
  gStuck.erase(std::remove_if(gStuck.begin(), gStuck.end(), [id](const Entry& e) { return e.id == id; }), gStuck.end());
}

// ---- one run ----

// A thread's place in the run. The waiting thread reads startNs and stage without the lock (to
// find items past their timeout); the rest is under Run::mu.
struct Slot {
  std::atomic<int64_t> startNs{0};  // steady-clock ns when the current item started, 0 while idle
  std::atomic<const char*> stage{""};
  size_t item = 0;
  bool givenUp = false;  // the thread no longer belongs to the run; it exits when it returns
  uint64_t stuckId = 0;  // its entry on the stuck list, removed when it returns
};

// Owned jointly by RunTimed and every thread it started: a thread given up keeps it alive.
struct Run {
  std::vector<int32_t> pids;
  ItemFn fn;
  std::mutex mu;
  std::condition_variable cv;
  size_t next = 0;
  bool stop = false;     // the deadline passed: take no more items
  unsigned running = 0;  // threads still part of the run
  std::vector<ItemState> state;
  std::vector<std::string> stuck;
  std::vector<std::unique_ptr<Slot>> slots;  // Slot addresses stay put as the vector grows
};

void Loop(const std::shared_ptr<Run>& r, Slot* s) {
  for (;;) {
    size_t i;
    {
      std::lock_guard<std::mutex> lock(r->mu);
      if (r->stop || r->next >= r->pids.size()) break;
      i = r->next++;
      std::string what;
      if (StuckOn(r->pids[i], what)) {
        r->state[i] = ItemState::kSkipped;
        r->stuck[i] = std::move(what);
        continue;
      }
      s->item = i;
      s->stage.store("", std::memory_order_relaxed);
      s->startNs.store(NowNs(), std::memory_order_relaxed);
    }
    r->fn(i, s->stage);
    std::lock_guard<std::mutex> lock(r->mu);
    if (s->givenUp) {
      // Returned after all: the pid may be read again. Its results are never read (not kDone).
      if (s->stuckId) UnregisterStuck(s->stuckId);
      s->stuckId = 0;
      return;
    }
    s->startNs.store(0, std::memory_order_relaxed);
    r->state[i] = ItemState::kDone;
  }
  std::lock_guard<std::mutex> lock(r->mu);
  r->running--;
  r->cv.notify_all();
}

// Under r->mu. False when no thread could be started.
bool Start(const std::shared_ptr<Run>& r) {
  r->slots.emplace_back(new Slot());
  Slot* s = r->slots.back().get();
  r->running++;
  try {
    std::thread([r, s] {
      pthread_setname_np(pthread_self(), "ipci-walk");
      Loop(r, s);
    }).detach();
    return true;
  } catch (const std::system_error&) {
    r->running--;
    r->slots.pop_back();
    return false;
  }
}

// Under r->mu: the slot's item is given up; `stuck` puts its pid on the stuck list.
void GiveUp(Run& r, Slot& s, bool stuck) {
  s.givenUp = true;
  const size_t i = s.item;
  if (!stuck) {
    r.state[i] = ItemState::kCut;
    return;
  }
  const char* stage = s.stage.load(std::memory_order_relaxed);
  std::string what = "/proc/" + std::to_string(r.pids[i]);
  if (stage && *stage) what += std::string("/") + stage;
  s.stuckId = RegisterStuck(r.pids[i], what);
  r.state[i] = ItemState::kStuck;
  r.stuck[i] = std::move(what);
}

}  // namespace

std::vector<StuckRead> StuckReads() {
  std::lock_guard<std::mutex> lock(gStuckMu);
  std::vector<StuckRead> out;
  out.reserve(gStuck.size());
  for (const Entry& e : gStuck) out.push_back(e.read);
  return out;
}

bool StuckOn(int32_t pid, std::string& what) {
  std::lock_guard<std::mutex> lock(gStuckMu);
  for (const Entry& e : gStuck) {
    if (e.read.pid == pid) {
      what = e.read.what;
      return true;
    }
  }
  return false;
}

TimedRun RunTimed(std::vector<int32_t> pids, unsigned threads, double itemTimeoutMs, Clock::time_point deadline, ItemFn fn) {
  auto r = std::make_shared<Run>();
  const size_t n = pids.size();
  r->pids = std::move(pids);
  r->fn = std::move(fn);
  r->state.assign(n, ItemState::kNotReached);
  r->stuck.resize(n);
  TimedRun out;
  if (n == 0) return out;
  if (threads == 0) threads = 1;
  if (threads > n) threads = static_cast<unsigned>(n);
  const int64_t timeoutNs = static_cast<int64_t>(itemTimeoutMs * 1e6);
  const int64_t deadlineNs = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();

  std::unique_lock<std::mutex> lock(r->mu);
  unsigned started = 0;
  for (unsigned t = 0; t < threads; t++)
    if (Start(r)) started++;
  if (started == 0) {
    // Not even one thread: read here, without timeouts (better than no snapshot).
    Slot here;
    r->running = 1;
    lock.unlock();
    Loop(r, &here);
    lock.lock();
    out.state = r->state;
    out.stuck = r->stuck;
    out.threads = 1;
    return out;
  }
  unsigned replaced = 0;
  for (;;) {
    if (r->running == 0) break;
    const int64_t now = NowNs();
    if (now >= deadlineNs) break;
    // Wake at the deadline, when the earliest running item reaches its timeout, or one timeout
    // from now (an item that starts later times out later than that).
    int64_t wake = std::min(deadlineNs, now + timeoutNs);
    for (size_t k = 0; k < r->slots.size(); k++) {
      Slot& s = *r->slots[k];
      const int64_t since = s.startNs.load(std::memory_order_relaxed);
      if (s.givenUp || since == 0) continue;
      if (now - since >= timeoutNs) {
        GiveUp(*r, s, true);
        r->running--;
        if (replaced < kMaxReplacements && r->next < n && Start(r)) replaced++;
      } else {
        wake = std::min(wake, since + timeoutNs);
      }
    }
    if (r->running == 0) break;
    r->cv.wait_until(lock, Clock::time_point(std::chrono::nanoseconds(wake)));
  }
  // Done, or the deadline: items still running are given up (stuck only when past their timeout).
  r->stop = true;
  const int64_t now = NowNs();
  for (auto& sp : r->slots) {
    Slot& s = *sp;
    const int64_t since = s.startNs.load(std::memory_order_relaxed);
    if (!s.givenUp && since != 0) GiveUp(*r, s, now - since >= timeoutNs);
  }
  out.state = r->state;
  out.stuck = r->stuck;
  out.threads = started + replaced;
  return out;
}

}  // namespace bpf
}  // namespace ipci
