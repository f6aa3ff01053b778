// Per-process /proc text for the BPF walk: the same files, read the same way, as the /proc walk
// (native/src/walk.cc) reads for each process — stat, status, cmdline, maps (only the SysV /
// /dev/shm / shared-anonymous lines), timers, ns/net, cwd, exe — minus the fd table, which the
// iterator gives. Also tells whether /proc would let this caller read the fd links (the BPF rows
// of a process /proc hides are dropped, so both walks show the same).
#pragma once

#include <linux/types.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "../../bpf/walk.h"
#include "../boundedtext.h"
#include "../mapsread.h"
#include "../walkrows.h"

namespace ipci {
namespace bpf {

// (stuck, with error == ETIMEDOUT: the file whose read did not return in time — timedreads.h)
struct ProcFacts : ProcText {
  bool fdsVisible = false;  // /proc would show this caller the fd links (ptrace read access)
  bool hasTask = false;     // `task` replaces stat and status (and ns/net, and timers when it has none)
  ipci_task_rec task{};
};

/** The task iterator's facts can stand in for stat/status: a live user process, SigQ known. */
bool TaskFactsUsable(const ipci_task_rec& t);

/**
 * A live kernel thread whose task record says all the snapshot uses of it: its /proc files hold
 * nothing more it shows (an empty cmdline, no exe, no fds, no maps) but its name — /proc names a
 * workqueue worker after its work (`kworker/1:0H-events_highpri`) and a kthread by its full name
 * where comm is cut at 15 bytes — and its cwd (`/`). Callers that show every process read /proc.
 */
bool KthreadFactsUsable(const ipci_task_rec& t);

/** A process's facts from its task record alone (KthreadFactsUsable): no /proc read. */
void FactsFromTask(ProcFacts& p, const ipci_task_rec& t);

struct FactsOptions {
  bool readMaps = false, readTimers = false, readLinks = false, readCgroup = false;
  MapsBudget* mapsBudget = nullptr;  // the walk's, over every process and per user (mapsread.h)
  CmdlineBudget* cmdlineBudget = nullptr;  // the same for command lines and timers (boundedtext.h)
  TimersBudget* timersBudget = nullptr;
};

/**
 * Reads one process's facts relative to the /proc dirfd `procFd`. `buf` is a reusable buffer.
 * With `task` (usable), stat, status and ns/net are not read, and timers only when it has some;
 * with `haveMaps`, p.maps comes from the maps pass and /proc/PID/maps is not read. Before each
 * read the file's name goes into `stage` (what a read that does not return is reported stuck on).
 */
void ReadProcFacts(int procFd, const FactsOptions& opt, ProcFacts& p, std::vector<char>& buf, std::atomic<const char*>& stage, const ipci_task_rec* task = nullptr,
                   bool haveMaps = false);

/** Reads the whole file `name` (relative to the /proc dirfd) into buf (grown as needed): its bytes or -errno. */
ssize_t ReadProcFile(int procFd, const char* name, std::vector<char>& buf);

/** Reads /proc/PID/maps, bounded (mapsread.h), and keeps the lines KeepMapsLines keeps; 0 or the errno. */
int ReadProcMaps(int procFd, int32_t pid, uint32_t uid, std::string& out, std::vector<char>& buf, MapsBudget* budget, bool& truncated);

/** Appends the maps lines the snapshot uses (SysV shm, /dev/shm, shared unnamed shmem) of `n` bytes of maps text to `out`. */
void KeepMapsLines(const char* p, size_t n, std::string& out);

/** Numeric entries of the /proc dirfd, in directory order (ascending pid). False + errno on error. */
bool ListPids(int procFd, std::vector<int32_t>& out);

}  // namespace bpf
}  // namespace ipci
