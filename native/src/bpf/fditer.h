// The task_file iterator program (native/bpf/walk.bpf.c): loaded once per process, then each walk
// creates a fresh iterator fd from the cached link and reads it to the end.
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
  int linkFd = -1;      // the iterator link; lives until the process exits
};

/** Loads (first call) or returns the cached load. Thread-safe; runs the verifier, so never on the JS thread. */
const FdIterLoad& LoadFdIter(const std::string& btfPath);

/** True when the addon was built with this program (native/build/bpf/walk.skel.h). */
bool FdIterBuilt();

/**
 * Reads one full pass of the iterator into `out` (records per native/bpf/walk.h). Returns 0, or an
 * errno (ETIMEDOUT when `deadline` passed between two reads; each read returns after at most one
 * kernel buffer of records, so the check runs often).
 */
int ReadFdIter(int linkFd, std::chrono::steady_clock::time_point deadline, std::vector<char>& out);

}  // namespace bpf
}  // namespace ipci
