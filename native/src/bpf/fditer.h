// The walk's iterator programs (native/bpf/walk.bpf.c: task_file for fds, task for process facts):
// loaded once per process, then each walk creates fresh iterator fds from the cached links and
// reads them to the end.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "loader.h"
#include "../pagealloc.h"

namespace ipci {
namespace bpf {

struct FdIterLoad {
  Verdict verdict;      // why it cannot run (ok = loaded)
  double loadMs = 0;    // open + load (verifier) + attach, on the first call
  int linkFd = -1;      // the task_file iterator link; lives until the process exits
  int taskLinkFd = -1;  // the task iterator link
  int mapsLinkFd = -1;  // the maps pass (open-coded VMA iterator, kernel >= 6.7); -1 = read /proc/PID/maps
  std::string mapsUnavailable;  // why the maps pass is off
  std::string mapsOwnPaths;     // why the maps pass prints paths of its own (ipci_task_maps_own), or empty
  std::vector<std::pair<std::string, int>> progFds;  // per loaded program, its fd (ReadProgInfo)
  int anonMapFd = -1;   // ipci_anon_names: the anon inode names the task_file pass emits
  int scmMapFd = -1;    // ipci_want_scm: whether the task_file pass reads Unix sockets' scm_fds
};

/**
 * The anon inode names (`[eventfd]`) a walk's task_file pass must emit, held in the program's map
 * while that pass reads. Walks may run at once (worker threads): the map holds the union of what
 * they asked for, each name counted, and a walk drops rows of names it did not ask for. Acquire
 * returns 0 or an errno (E2BIG: more distinct names at once than the map holds) and then holds
 * nothing; Release undoes one successful Acquire of the same names.
 */
int AcquireAnonNames(const FdIterLoad& load, const std::vector<std::string>& names);
void ReleaseAnonNames(const FdIterLoad& load, const std::vector<std::string>& names);

/**
 * Unix sockets' scm_fds (files in flight) in the task_file pass, on while any walk that asked for
 * them reads (counted, as the anon names are). Acquire returns 0 or an errno and then holds
 * nothing; Release undoes one successful Acquire.
 */
int AcquireScmFds(const FdIterLoad& load);
void ReleaseScmFds(const FdIterLoad& load);

/** What the kernel says of one loaded program (bpf_prog_info). */
struct ProgInfo {
  std::string name;
  uint32_t verifiedInsns = 0;  // what the verifier processed (5.16)
  // cumulative since the load, counted only while kernel.bpf_stats_enabled is 1: callers take differences
  uint64_t runs = 0, runTimeNs = 0;
};

/** The loaded programs' bpf_prog_info, one entry per program. */
std::vector<ProgInfo> ReadProgInfo(const FdIterLoad& load);

/** Loads (first call) or returns the cached load. Thread-safe; runs the verifier, so never on the JS thread. */
const FdIterLoad& LoadFdIter(const std::string& btfPath);

/**
 * Reads one full pass of an iterator into `out` (records per native/bpf/walk.h). Returns 0, or an
 * errno (ETIMEDOUT when `deadline` passed between two reads; each read returns after at most one
 * kernel buffer of records, so the check runs often). `filter`, when given, is called after each read
 * with the bytes so far and returns how many to keep (it may drop records it has not seen yet, in
 * place): what is dropped there never accumulates.
 */
int ReadFdIter(int linkFd, std::chrono::steady_clock::time_point deadline, BigVec<char>& out, const std::atomic<bool>* cancel = nullptr,
               const std::function<size_t(char* data, size_t len)>& filter = nullptr);

}  // namespace bpf
}  // namespace ipci
