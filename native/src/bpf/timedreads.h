// Per-process /proc reads of the BPF walk under per-item timeouts, and the stuck list: the
// guarantees the /proc walk (native/src/walk.cc) gives its own reads. A read of
// /proc/PID/{cmdline,maps,…} waits for the process's mmap lock, which a process stuck in a FUSE
// page fault can hold for good (D state; not even SIGKILL frees it). So the items (one process's
// reads each) run on threads of their own while the caller waits. An item still running after
// itemTimeoutMs is given up: its thread is left blocked (everything it touches is owned jointly
// with it, never by the caller alone), its pid goes on the stuck list, and a new thread carries on
// with the items left, so one stuck process does not cost the others. Whatever is still running
// at the deadline is given up too, and goes on the list only if it was past itemTimeoutMs. While
// a thread is stuck in a pid, every walk of this module skips that pid, so a stuck process costs
// one thread, not one per scan. The list is this module's (ipc_inspector_bpf.node); the /proc
// walk keeps its own, and TypeScript hands each walk the other's (`skipStuck`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ipci {
namespace bpf {

enum class ItemState : uint8_t {
  kNotReached,  // the deadline came before it started
  kDone,        // finished: its results may be read
  kStuck,       // still running after itemTimeoutMs: given up, its pid is on the stuck list
  kSkipped,     // not started: a thread of an earlier walk is still stuck in this pid
  kCut,         // still running at the deadline, not yet past itemTimeoutMs: given up
};

struct TimedRun {
  std::vector<ItemState> state;
  /** Per item, for kStuck and kSkipped: the file the thread is stuck on, e.g. "/proc/123/cmdline". */
  std::vector<std::string> stuck;
  /** Threads started (replacements included). */
  unsigned threads = 0;
};

/**
 * Item `i` (a process): before each read it stores the /proc file name it reads next ("cmdline",
 * a static string) in `stage`. It may run on a thread that outlives RunTimed: everything it writes
 * must be owned by what it captured (shared_ptr), and the caller reads an item's results only when
 * its state is kDone.
 */
using ItemFn = std::function<void(size_t item, std::atomic<const char*>& stage)>;

/** Runs fn over pids[0..n) on up to `threads` threads; returns at the latest at `deadline`. */
TimedRun RunTimed(std::vector<int32_t> pids, unsigned threads, double itemTimeoutMs, std::chrono::steady_clock::time_point deadline, ItemFn fn);

struct StuckRead {
  int32_t pid;
  std::string what;  // "/proc/PID/FILE"
  std::chrono::steady_clock::time_point since;
};

/** Threads of this module given up while blocked in a /proc read that have not returned yet. */
std::vector<StuckRead> StuckReads();

/** Whether a thread is still stuck in `pid` (and on what). */
bool StuckOn(int32_t pid, std::string& what);

}  // namespace bpf
}  // namespace ipci
