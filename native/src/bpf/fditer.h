// The walk's iterator programs (native/bpf/walk.bpf.c: task_file for fds, task for process facts):
// loaded once per process, then each walk creates fresh iterator fds from the cached links and
// reads them to the end.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "loader.h"

namespace ipci {
namespace bpf {

struct FdIterLoad {
  Verdict verdict;      // why it cannot run (ok = loaded)
  double loadMs = 0;    // open + load (verifier) + attach, on the first call
  int linkFd = -1;      // the task_file iterator link; lives until the process exits
  int taskLinkFd = -1;  // the task iterator link
  int mapsLinkFd = -1;  // the maps pass (open-coded VMA iterator, kernel >= 6.7); -1 = read /proc/PID/maps
  std::string mapsUnavailable;  // why the maps pass is off
};

/** Loads (first call) or returns the cached load. Thread-safe; runs the verifier, so never on the JS thread. */
const FdIterLoad& LoadFdIter(const std::string& btfPath);

/**
 * Reads one full pass of an iterator into `out` (records per native/bpf/walk.h). Returns 0, or an
 * errno (ETIMEDOUT when `deadline` passed between two reads; each read returns after at most one
 * kernel buffer of records, so the check runs often).
 */
int ReadFdIter(int linkFd, std::chrono::steady_clock::time_point deadline, std::vector<char>& out);

}  // namespace bpf
}  // namespace ipci
