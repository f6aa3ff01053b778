// The live-activity tracer (native/bpf/tracer.bpf.c): loaded once per process, its programs
// attached while someone wants them (a count per part), read periodically. Plain C++ (no N-API):
// tracer.cc wraps it in promises whose work runs on worker threads — loading verifies the
// programs (~50–150 ms), and a read waits for an RCU grace period when it swaps the counter maps.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loader.h"

namespace ipci {
namespace bpf {

/** The parts callers ask for; each is one or two programs. */
enum TracerPart { kPartPipes = 0, kPartSockets = 1, kPartSignals = 2, kPartCount = 3 };

struct TracerProgramState {
  std::string name;        // e.g. "sys_exit"
  std::string attachPoint; // e.g. "tp_btf/sys_exit"
  int part = 0;
  bool loaded = false;
  std::string loadError;   // why it did not load (verifier, missing tracepoint)
  bool attached = false;
  std::string attachError;
  // from BPF_OBJ_GET_INFO_BY_FD (run_* need kernel.bpf_stats_enabled=1)
  uint64_t runCount = 0;
  uint64_t runTimeNs = 0;
  uint64_t recursionMisses = 0;  // runs the kernel skipped because the program was already running on that CPU
};

struct TracerCounter {
  uint8_t kind = 0;  // ipci_act_kind
  uint8_t dir = 0;   // ipci_act_dir
  uint32_t tgid = 0;
  uint64_t ino = 0;
  uint64_t dev = 0;  // FIFOs: user-space dev_t; queues: IPC namespace inode; 0 otherwise
  uint64_t bytes = 0;
  uint64_t ops = 0;
  uint64_t peer = 0;
};

struct TracerMqName {
  uint64_t ino = 0;
  uint64_t dev = 0;
  std::string name;
};

struct TracerSignal {
  double timeMs = 0;  // wall clock (epoch ms)
  uint32_t senderPid = 0, senderTid = 0, senderUid = 0;
  uint64_t senderStart = 0;  // clock ticks since boot, like /proc/PID/stat field 22
  std::string senderComm;
  uint32_t targetPid = 0, targetTid = 0;
  uint64_t targetStart = 0;
  std::string targetComm;
  int32_t sig = 0, code = 0, group = 0, result = 0, siErrno = 0, siValue = 0;
  uint32_t siPid = 0, siUid = 0, flags = 0;
};

struct TracerLost {
  uint64_t counterFull = 0;   // events not counted: the counter map was full
  uint64_t signalRing = 0;    // signals not logged: the ring buffer was full
  uint64_t mqName = 0;        // queue names not kept: the name map was full
  uint64_t signalQueue = 0;   // signals dropped by the reader: its queue was full (JS did not read)
  uint64_t recursion = 0;     // program runs the kernel skipped (sum of recursionMisses)
};

struct TracerStatus {
  Verdict verdict;      // load verdict (ok = loaded)
  bool tried = false;   // a load was attempted
  double loadMs = 0;
  std::vector<TracerProgramState> programs;
  int users[kPartCount] = {0, 0, 0};
};

struct TracerReadResult {
  Verdict verdict;
  std::vector<TracerCounter> counters;
  std::vector<TracerMqName> mqNames;
  std::vector<TracerSignal> signals;
  TracerLost lost;  // totals since the tracer was loaded in this process
  std::vector<TracerProgramState> programs;
  double swapMs = 0;   // the map swap (an RCU grace period)
  double drainMs = 0;  // reading the old generation
  bool attached = false;
};

/** Environment only (privileges, BTF, pid namespace, built): no load. */
Verdict TracerCheck(const std::string& btfPath);

/** Loads (first call) and attaches the programs of `parts` (counted per part). */
TracerStatus TracerStart(const std::string& btfPath, const bool parts[kPartCount]);

/** Releases `parts`; a program is detached when no part wants it. The load stays cached. */
TracerStatus TracerStop(const bool parts[kPartCount]);

/** Counters since the previous read (drained), the signals queued since, lost-event totals. */
TracerReadResult TracerRead();

TracerStatus TracerGetStatus();

}  // namespace bpf
}  // namespace ipci
