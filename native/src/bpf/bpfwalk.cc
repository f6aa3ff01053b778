// bpfWalk: the fd walk through the task_file BPF iterator, returning the same ProcWalk shape as
// walkProc (src/core/native.ts), so the rest of the snapshot does not know which backend ran.
//
// On a worker (AsyncWorker::Execute, plain C++), with the /proc walk's deadlines: one thread reads
// the fd iterator (one read() pass over every process's files, records per native/bpf/walk.h);
// this thread meanwhile reads the task pass (stat/status facts per process) and starts the maps
// pass (the shared-memory mappings, formatted as /proc/PID/maps lines; it only try-locks mmap
// locks). A kernel thread's facts can come from its task record alone (`kthreadsFromTask`: for
// snapshots that show only IPC holders). What is left of each process's /proc text (procfacts.cc: cmdline, cwd, exe; timers and
// maps only when needed), the /proc/PID/maps of processes the maps pass could not cover, and the
// statx checks of some rows (below) are read under per-item timeouts (timedreads.h): a process
// whose read does not return within itemTimeoutMs (in D state, holding its mmap lock) is given
// up and reported with error ETIMEDOUT and `stuck` = the file, exactly as the /proc walk reports
// it; its thread is left behind, never waited for, and later walks skip the pid while it is stuck
// (this module's stuck list, and the /proc walk's, passed in as `skipStuck`). Whatever is not
// done at `deadlineMs` is given up the same way (ETIMEDOUT without `stuck`). A given-up process is
// never half-read: it is reported with its pid and error alone, and its rows are dropped. An
// iterator pass unfinished at the deadline rejects with ETIMEDOUT (the caller falls back).
//
// Rows: the iterator emits them in (tgid, fd) order; past the snapshot's fd-row budget
// (`rowsPerUser`, `rowsTotal`) they are dropped as each read returns (RecordValve), counted per
// process in `fdsPastBudget`. Pipe bytes in use and capacity come from the
// kernel's pipe state (passive: no open). FIFO / mqueue / /dev/shm rows carry the d_path text
// (= the readlink of /proc/PID/fd/N); their dev:inode are the superblock's and the inode's,
// except on filesystems whose stat reports other numbers (btrfs, overlayfs, network and FUSE
// filesystems), where the row is checked with one statx of /proc/PID/fd/N as the /proc walk does.
// Rows of processes /proc would not show this caller (fd links refused) are dropped.
//
// Anon inodes (eventfd, signalfd): TypeScript passes the rules (`anonRules`: code, exact link
// `anon_inode:[NAME]`, fdinfo keys); their names go into the program's name map for the pass
// (fditer.h AcquireAnonNames), so only those anon inodes are emitted, and a row gets its rule's
// code. An eventfd's and a signalfd's fdinfo lines are written from the facts the program read
// (anonfacts.h), where this kernel prints them the same. Other rows whose rule asks for fdinfo
// lines get /proc/PID/fdinfo/FD read — one item per process,
// under the item timeouts, beside the statx checks — and keep only the asked keys, as walk.cc
// does (an fd closed since the pass: the row stays, without lines, infoIndex -1, as walk.cc's
// row of an fd closed between its readlink and its fdinfo read). With `classCodes`, the fixed
// classes' rows (1–5, and 7: memfds) get their rules' codes too (classes without one are dropped), so the kind column
// is in rule codes throughout; without it, it is the class (IPCI_FD_*).
#include <linux/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <fcntl.h>
#include <malloc.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "../errors.h"
#include "../walkoptions.h"
#include "../fdinfolines.h"
#include "../napi_helpers.h"
#include "../walkrows.h"
#include "../../bpf/walk.h"
#include "anonfacts.h"
#include "fditer.h"
#include "loader.h"
#include "procfacts.h"
#include "../mapsread.h"
#include "../rowvalve.h"
#include "timedreads.h"

namespace ipci {
namespace bpf {
/**
 * Threads with an fd table of their own, machine-wide, past which the fd pass gives way to the
 * /proc walk (see the task pass). Real machines have next to none; 64 per process are walked.
 */
constexpr size_t kMaxIterThreadTables = 4 * kMaxThreadTables;

namespace {

using Clock = std::chrono::steady_clock;

// An fd rule for anon inodes (core/kinds/kind.ts FdRule with `exact` and link anon_inode:NAME).
struct AnonRule {
  uint8_t code = 0;
  std::string name;                 // the link after "anon_inode:", e.g. "[eventfd]"
  bool rw = false;                  // mode is always rw (no f_mode)
  std::vector<std::string> fdinfo;  // fdinfo lines to keep, by key
};

struct Options : WalkCommonOptions {
  std::vector<AnonRule> anonRules;
  bool classCodesGiven = false;
  uint8_t classCodes[IPCI_FD_PTS + 1] = {};  // by class IPCI_FD_* (1..5, 7..9): the rule code, 0 = not reported
  FactsOptions facts;
  bool measurePipes = false;
  bool scmFds = false;  // Unix socket rows: buffered = scm_fds, the files in flight (IPCI_F_SCM_FDS)
  bool kthreadsFromTask = false;  // kernel threads' facts from the task record alone (KthreadFactsUsable)
  bool taskFacts = true;  // stat/status/ns/net from the task iterator where it can stand in
  // (rowsPerUser/rowsTotal: applied to the records as they are read, RecordValve)
  bool anonFacts = true;  // eventfd/signalfd fdinfo lines from the program's facts where they match the kernel's (anonfacts.h)
  std::string btfPath = "/sys/kernel/btf/vmlinux";
};

// The anon rule of an anon record (its name is the path bytes), or null: no rule of this walk
// names it (another walk running at the same time asked for it).
const AnonRule* AnonRuleIn(const Options& opt, const ipci_fd_rec& r, const char* path) {
  if (r.kind != IPCI_FD_ANON) return nullptr;
  for (const AnonRule& a : opt.anonRules)
    if (a.name.size() == r.path_len && memcmp(a.name.data(), path, r.path_len) == 0) return &a;
  return nullptr;
}

// A record of a class this walk reports (classCodes), or an anon record some rule names.
bool WantedBy(const Options& opt, const ipci_fd_rec& r, const char* path) {
  if (r.kind == IPCI_FD_ANON) return AnonRuleIn(opt, r, path) != nullptr;
  if (r.kind == 0 || r.kind == IPCI_FD_ANON || r.kind > IPCI_FD_PTS) return false;
  return !opt.classCodesGiven || opt.classCodes[r.kind] != 0;
}

// The fd budget (rowvalve.h) over the iterator's records as each read() returns them, in their
// (tgid, fd) order, which is the snapshot's: a record of a user whose share (or the walk's total)
// is spent is dropped before the next read, and counted under its tgid. So are records no rule of
// this walk reports (another walk's anon names). Until as many rows as the smaller bound have
// gone by, nobody can be spent: the rows are only counted per tgid, and no uid is looked up —
// the common case costs one pass over the records. Past that, a process's uid is read from
// /proc/TGID/status once (a process gone: one unknown user, as the snapshot counts it).
class RecordValve {
 public:
  RecordValve(const Options& opt, int procFd)
      : opt_(opt), procFd_(procFd), budget_(RowBound(opt.rowsPerUser), RowBound(opt.rowsTotal)),
        // a walk of given pids (and of their threads' tables, which it adds as it goes) is not
        // bounded here: rows of other processes would count against theirs
        quiet_(opt.pidsGiven ? kNoRowBound : std::min(RowBound(opt.rowsPerUser), RowBound(opt.rowsTotal))) {}

  /** Filters the records in data[scanned, len) in place; returns the bytes kept. */
  size_t operator()(char* data, size_t len) {
    size_t w = scanned_, p = scanned_;
    while (len - p >= sizeof(ipci_fd_rec)) {
      ipci_fd_rec r;
      memcpy(&r, data + p, sizeof r);
      const size_t size = sizeof r + ((static_cast<size_t>(r.path_len) + 7) & ~static_cast<size_t>(7));
      if (len - p < size) break;  // (a read returns whole records: never trusted)
      const bool keep = WantedBy(opt_, r, data + p + sizeof r) && Keep(static_cast<int32_t>(r.tgid));
      if (keep) {
        if (w != p) memmove(data + w, data + p, size);
        w += size;
      }
      p += size;
    }
    if (p < len && w != p) memmove(data + w, data + p, len - p);
    scanned_ = w;
    return w + (len - p);
  }

  /** Rows dropped past the budget, by tgid. */
  const std::unordered_map<int32_t, uint64_t>& Dropped() const { return dropped_; }

 private:
  bool Keep(int32_t tgid) {
    if (seen_ < quiet_) {
      seen_++;
      if (!runs_.empty() && runs_.back().first == tgid) runs_.back().second++;
      else runs_.emplace_back(tgid, 1);
      return true;
    }
    if (!runs_.empty()) {
      // the rows so far, in order, now that someone may be spent
      for (const auto& run : runs_) budget_.Take(UidOf(run.first), run.second);
      runs_.clear();
      runs_.shrink_to_fit();
    }
    if (budget_.Take(UidOf(tgid), 1) == 1) return true;
    dropped_[tgid]++;
    return false;
  }

  uint32_t UidOf(int32_t tgid) {
    if (tgid == lastTgid_) return lastUid_;
    auto it = uids_.find(tgid);
    if (it == uids_.end()) {
      char name[32];
      snprintf(name, sizeof name, "%d/status", tgid);
      ssize_t n = ReadProcFile(procFd_, name, buf_);
      it = uids_.emplace(tgid, n > 0 ? StatusUid(std::string(buf_.data(), static_cast<size_t>(n))) : kUnknownUser).first;
    }
    lastTgid_ = tgid;
    lastUid_ = it->second;
    return lastUid_;
  }

  const Options& opt_;
  int procFd_;
  RowBudget budget_;
  const int64_t quiet_;  // rows before anyone can be spent
  int64_t seen_ = 0;
  size_t scanned_ = 0;
  std::vector<std::pair<int32_t, int64_t>> runs_;  // (tgid, rows) in order, until quiet_ rows
  std::unordered_map<int32_t, uint32_t> uids_;
  int32_t lastTgid_ = -1;
  uint32_t lastUid_ = kUnknownUser;
  std::vector<char> buf_ = std::vector<char>(4096);
  std::unordered_map<int32_t, uint64_t> dropped_;
};

// Filesystems whose stat() reports i_sb->s_dev and i_ino unchanged (generic_fillattr): ext2/3/4,
// xfs, tmpfs/shmem, ramfs, f2fs, mqueue. Anything else is statx-ed like the /proc walk does.
bool PlainStat(uint32_t magic) {
  switch (magic) {
    case 0xEF53:      // ext2/3/4
    case 0x58465342:  // xfs
    case 0x01021994:  // tmpfs, shmem
    case 0x858458f6:  // ramfs
    case 0xF2F52010:  // f2fs
    case 0x19800202:  // mqueue
      return true;
    default:
      return false;
  }
}

// State shared with the threads; it outlives Execute when a thread is left behind (a stuck read,
// or the iterator at the deadline). Per-process slots are written only by the item that owns
// them, and read by Execute only once that item is done (timedreads.h).
struct Shared {
  int procFd = -1;
  Options opt;
  std::vector<ProcFacts> procs;
  std::vector<const ipci_task_rec*> tasks;     // per process: its task record, or null
  BigVec<char> taskRecs;                       // what `tasks` point into
  // the maps pass (its own thread): per process the filtered maps text, and whether it is there
  bool mapsPass = false;
  std::vector<std::string> mapsText;
  std::vector<uint8_t> mapsHave;  // the text is there (the pass covered it, or /proc/PID/maps was read)
  std::vector<uint8_t> mapsCovered;  // by the pass (written by its thread before mapsDone)
  std::vector<uint8_t> mapsTrunc;    // a bound cut the text short (mapsread.h)
  MapsBudget mapsBudget;
  CmdlineBudget cmdlineBudget;
  TimersBudget timersBudget;
  bool mapsDone = false;          // under mu
  double mapsMs = 0;
  size_t mapsFromPass = 0;
  // the iterator pass
  BigVec<char> records;
  std::unordered_map<int32_t, uint64_t> pastBudget;  // records dropped by the fd budget, by tgid (RecordValve)
  std::atomic<bool> cancelIter{false};  // the walk gave the pass up (kMaxIterThreadTables)
  int iterErr = 0;
  bool iterDone = false;  // under mu
  double iterMs = 0;
  // per-row reads (records offset → result), filled by the row items: a statx check of a path
  // row, or the fdinfo lines of an anon row (`rule` ≥ 0: its anonRules index)
  struct Check {
    size_t offset;
    uint32_t tgid, fd;
    int rule = -1;
    bool ok = false;
    struct statx sx;
    std::string info;
  };
  std::vector<Check> checks;
  std::mutex mu;
  std::condition_variable cv;
  ~Shared() {
    if (procFd >= 0) close(procFd);
  }
};

// A reusable read buffer per thread (the item threads come and go with each walk).
std::vector<char>& ThreadBuf() {
  thread_local std::vector<char> buf(64 * 1024);
  return buf;
}

// One mapping as /proc/PID/maps prints it (fs/proc/task_mmu.c show_map_vma), appended to `out`.
void AppendMapsLine(const ipci_vma_rec& r, const char* path, std::string& out) {
  const uint64_t kRead = 0x1, kWrite = 0x2, kExec = 0x4, kMayShare = 0x80;
  static const long pageShift = __builtin_ctzl(static_cast<unsigned long>(sysconf(_SC_PAGESIZE)));
  char head[160];
  int n = snprintf(head, sizeof head, "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ", static_cast<unsigned long long>(r.start),
                   static_cast<unsigned long long>(r.end), (r.vm_flags & kRead) ? 'r' : '-', (r.vm_flags & kWrite) ? 'w' : '-',
                   (r.vm_flags & kExec) ? 'x' : '-', (r.vm_flags & kMayShare) ? 's' : 'p', static_cast<unsigned long long>(r.pgoff << pageShift),
                   r.dev >> 20, r.dev & 0xfffff, static_cast<unsigned long long>(r.ino));
  if (n < 0) return;
  if (!out.empty()) out.push_back('\n');
  out.append(head, static_cast<size_t>(n));
  // seq_pad: the path starts after column 72 (25 + 6 * sizeof(void *) - 1), one space at least
  const int width = 25 + 6 * static_cast<int>(sizeof(void*)) - 1;
  if (n < width) out.append(static_cast<size_t>(width - n), ' ');
  out.push_back(' ');
  // seq_path(…, "\n"): a newline in the path is printed as the octal escape \012
  for (uint16_t i = 0; i < r.path_len; i++) {
    if (path[i] == '\n') out.append("\\012");
    else out.push_back(path[i]);
  }
}

// The maps pass, on its own thread: the records → each process's filtered maps text (kept by the
// same filter as the /proc reads). Processes it does not cover (mmap lock busy, an overlayfs file
// mapped shared, or no header: an exiting process) get /proc/PID/maps read afterwards, under the
// item timeouts, as the /proc walk would read them.
void MapsThread(std::shared_ptr<Shared> sh, int linkFd, Clock::time_point deadline, std::unordered_map<uint32_t, size_t> slot) {
  auto t0 = Clock::now();
  BigVec<char> recs;
  size_t fromPass = 0;
  if (ReadFdIter(linkFd, deadline, recs) == 0) {
    const char* p = recs.data();
    const char* end = p + recs.size();
    size_t cur = SIZE_MAX;
    bool trunc = false, fromProc = false;
    std::string all;
    auto flush = [&] {
      if (cur == SIZE_MAX) return;
      if (fromProc) {  // left uncovered: its /proc/PID/maps is read below
        fromProc = false;
        all.clear();
        cur = SIZE_MAX;
        return;
      }
      const uint32_t uid = sh->tasks[cur] ? sh->tasks[cur]->uid : kMapsUnknownUser;
      if (!sh->mapsBudget.Spent(uid)) {
        KeepMapsLines(all.data(), all.size(), sh->mapsText[cur]);
        sh->mapsBudget.Spend(uid, static_cast<int64_t>(sh->mapsText[cur].size()));
      } else {
        sh->mapsTrunc[cur] = 1;
      }
      if (trunc) sh->mapsTrunc[cur] = 1;
      trunc = false;
      sh->mapsCovered[cur] = 1;
      sh->mapsHave[cur] = 1;
      fromPass++;
      all.clear();
      cur = SIZE_MAX;
    };
    while (end - p >= static_cast<ptrdiff_t>(sizeof(ipci_vma_rec))) {
      ipci_vma_rec r;
      memcpy(&r, p, sizeof r);
      size_t pathBytes = (static_cast<size_t>(r.path_len) + 7) & ~static_cast<size_t>(7);
      if (static_cast<size_t>(end - p) < sizeof r + pathBytes) break;
      const char* path = p + sizeof r;
      p += sizeof r + pathBytes;
      if (r.flags & IPCI_V_TRUNC) {
        trunc = true;  // the program stopped this process's mappings at its bound
        continue;
      }
      if (r.flags & IPCI_V_PROC) {
        fromProc = true;  // it maps an overlayfs file shared, or a path longer than the program reads: only the kernel's maps text names it right
        continue;
      }
      if (r.flags & IPCI_V_HEADER) {
        flush();
        auto it = slot.find(r.tgid);
        if (it != slot.end() && !(r.flags & IPCI_V_BUSY)) cur = it->second;
        continue;
      }
      if (cur != SIZE_MAX) AppendMapsLine(r, path, all);
    }
    flush();
  }
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::lock_guard<std::mutex> lock(sh->mu);
  sh->mapsMs = ms;
  sh->mapsFromPass = fromPass;
  sh->mapsDone = true;
  sh->cv.notify_all();
}

// The fd pass; the anon names this walk put in the program's map are held until it is read.
void IterThread(std::shared_ptr<Shared> sh, const FdIterLoad* load, std::vector<std::string> anonNames, bool scm, Clock::time_point deadline) {
  auto t0 = Clock::now();
  BigVec<char> recs;
  RecordValve valve(sh->opt, sh->procFd);
  int err = ReadFdIter(load->linkFd, deadline, recs, &sh->cancelIter, std::ref(valve));
  ReleaseAnonNames(*load, anonNames);
  if (scm) ReleaseScmFds(*load);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::lock_guard<std::mutex> lock(sh->mu);
  sh->records = std::move(recs);
  sh->pastBudget = valve.Dropped();
  sh->iterErr = err;
  sh->iterDone = true;
  sh->iterMs = ms;
  sh->cv.notify_all();
}

class BpfWalkWorker : public PromiseWorker {
 public:
  BpfWalkWorker(Napi::Env env, Options opt) : PromiseWorker(env, "ipcInspectorBpfWalk"), opt_(std::move(opt)) {}

  void Execute() override {
    auto t0 = Clock::now();
    const FdIterLoad& load = LoadFdIter(opt_.btfPath);
    if (!load.verdict.ok) {
      verdict_ = load.verdict;
      return;
    }
    loadMs_ = load.loadMs;
    mapsOwnPaths_ = load.mapsOwnPaths;
    anonFacts_ = opt_.anonFacts && AnonFactsMatchKernel();
    auto tWalk = Clock::now();
    auto deadline = tWalk + std::chrono::microseconds(static_cast<int64_t>(opt_.deadlineMs * 1000));

    auto sh = std::make_shared<Shared>();
    sh->opt = opt_;
    sh->procFd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sh->procFd < 0) {
      err_.set(errno, "open", "/proc");
      return;
    }
    std::vector<int32_t> pids;
    if (opt_.pidsGiven && !opt_.pids.empty()) {
      pids = opt_.pids;
    } else if (!ListPids(sh->procFd, pids)) {
      err_.set(errno, "getdents64", "/proc");
      return;
    }
    // A thread that cannot be started runs inline (no deadline for it then: the machine is out
    // of threads anyway).
    auto run = [](auto fn) {
      try {
        std::thread(fn).detach();
        return true;
      } catch (const std::system_error&) {
        fn();
        return false;
      }
    };
    // The fd pass on a thread of its own from the start; meanwhile, on this thread, the process
    // pass and the maps pass (one record per process, and per shared-memory mapping: ~1 ms),
    // which tell the /proc readers what they can skip; then the readers, side by side.
    std::vector<std::string> anonNames;
    for (const AnonRule& r : opt_.anonRules)
      if (std::find(anonNames.begin(), anonNames.end(), r.name) == anonNames.end()) anonNames.push_back(r.name);
    if (int e = AcquireAnonNames(load, anonNames)) {
      err_.set(e, "bpf_map_update_elem", "ipci_anon_names");
      return;
    }
    // without the map (cannot be: it is in the object) the rows just carry no counts
    const bool scm = opt_.scmFds && AcquireScmFds(load) == 0;
    const FdIterLoad* loadp = &load;  // cached for the life of the process
    threads_ = run([sh, loadp, anonNames, scm, deadline] { IterThread(sh, loadp, anonNames, scm, deadline); }) ? 1 : 0;
    auto tt = Clock::now();
    bool taskPass = opt_.taskFacts && ReadFdIter(load.taskLinkFd, deadline, sh->taskRecs) == 0;
    // Threads with an fd table of their own are not in the /proc listing: the task pass names
    // them, and each is walked as a process under its tid (its fd rows come under the tid too).
    std::vector<int32_t> leaders(pids.size(), 0);
    std::unordered_map<int32_t, uint32_t> skippedTables;
    if (taskPass) {
      std::unordered_set<int32_t> given(pids.begin(), pids.end());
      // Threads sharing one table of their own (all threads of a process whose main thread has
      // exited: the leader's table is gone) list it once, under the first (lowest tid), as the
      // /proc walk does; lsof lists it once per thread.
      std::unordered_set<uint64_t> tables;
      // At most kMaxThreadTables tables per process, the first in tid order (the records come in
      // it), as the /proc walk takes them; the threads with a table of their own past those are
      // counted on the process (its rows, and theirs, are dropped: they have no entry)
      std::unordered_map<int32_t, uint32_t> walked;
      size_t ownTables = 0;
      for (size_t off = 0; off + sizeof(ipci_task_rec) <= sh->taskRecs.size(); off += sizeof(ipci_task_rec)) {
        auto* t = reinterpret_cast<const ipci_task_rec*>(sh->taskRecs.data() + off);
        if (!(t->flags & IPCI_T_THREAD)) continue;
        ownTables++;
        const int32_t tid = static_cast<int32_t>(t->tgid), leader = static_cast<int32_t>(t->leader);
        if (given.count(tid)) continue;
        if (opt_.pidsGiven && !opt_.pids.empty() && !given.count(leader)) continue;
        if (tables.count(t->files_id)) continue;
        uint32_t& n = walked[leader];
        if (n >= kMaxThreadTables) {
          skippedTables[leader]++;
          continue;
        }
        n++;
        tables.insert(t->files_id);
        pids.push_back(tid);
        leaders.push_back(leader);
        if (opt_.pidsGiven) opt_.pids.push_back(tid);  // its rows are kept with its process's
      }
      // The kernel's iterator visits every fd of every such table, the copies of its process's
      // fds it skips included (~1-2 µs each: any user's 1,000 threads over 9,900 inherited pipes
      // took 20 s), while the /proc walk asks kcmp only for the tables it walks. Past
      // kMaxIterThreadTables the pass is given up at once and the caller takes the /proc walk.
      if (ownTables > kMaxIterThreadTables) {
        sh->cancelIter = true;
        err_.set(ECANCELED, "read", "BPF task_file iterator: " + std::to_string(ownTables) + " threads with an fd table of their own, more than " +
                                        std::to_string(kMaxIterThreadTables) + " (the /proc walk takes them faster)");
        return;
      }
    }
    const size_t np = pids.size();
    sh->procs.resize(np);
    for (size_t i = 0; i < np; i++) {
      sh->procs[i].pid = pids[i];
      sh->procs[i].leader = leaders[i];
      auto sk = leaders[i] ? skippedTables.end() : skippedTables.find(pids[i]);
      if (sk != skippedTables.end()) sh->procs[i].threadTablesSkipped = sk->second;
    }
    sh->tasks.assign(np, nullptr);
    sh->mapsText.resize(np);
    sh->mapsHave.assign(np, 0);
    sh->mapsTrunc.assign(np, 0);
    // a thread's mappings are its process's: listed once, under the process
    sh->mapsCovered.assign(np, 0);
    for (size_t i = 0; i < np; i++) sh->mapsCovered[i] = leaders[i] != 0;
    // Per process, what became of it: read (facts in sh->procs), or given up (in procs_ already).
    procs_.resize(np);
    ok_.assign(np, 0);

    // kernel threads whose task record is all the snapshot uses of them: no /proc read (most of a
    // machine's processes when it is quiet: 62 of 68 here, each ~10 /proc files a walk)
    std::vector<uint8_t> fromTask(np, 0);
    std::unordered_map<uint32_t, size_t> slot;
    slot.reserve(np * 2);
    for (size_t i = 0; i < np; i++) slot.emplace(static_cast<uint32_t>(pids[i]), i);
    if (taskPass) {
      for (size_t off = 0; off + sizeof(ipci_task_rec) <= sh->taskRecs.size(); off += sizeof(ipci_task_rec)) {
        auto* t = reinterpret_cast<const ipci_task_rec*>(sh->taskRecs.data() + off);
        auto it = slot.find(t->tgid);
        if (it == slot.end()) continue;
        if (TaskFactsUsable(*t)) {
          sh->tasks[it->second] = t;
          taskRecords_++;
        } else if (opt_.kthreadsFromTask && KthreadFactsUsable(*t)) {
          sh->tasks[it->second] = t;
          fromTask[it->second] = 1;
          taskRecords_++;
          kthreads_++;
        }
      }
    }
    if (opt_.taskFacts) taskMs_ = std::chrono::duration<double, std::milli>(Clock::now() - tt).count();
    mapsNote_ = load.mapsUnavailable;
    // With the maps pass, the facts items never read maps: the pass gives them, and the few
    // processes it could not cover get /proc/PID/maps read afterwards.
    sh->mapsPass = opt_.facts.readMaps && opt_.taskFacts && load.mapsLinkFd >= 0;
    sh->opt.facts.mapsBudget = &sh->mapsBudget;
    sh->opt.facts.cmdlineBudget = &sh->cmdlineBudget;
    sh->opt.facts.timersBudget = &sh->timersBudget;
    if (sh->mapsPass) {
      int mapsFd = load.mapsLinkFd;
      if (run([sh, mapsFd, deadline, slot] { MapsThread(sh, mapsFd, deadline, slot); })) threads_++;
    }
    unsigned n = opt_.threads ? opt_.threads : std::thread::hardware_concurrency();
    if (n == 0) n = 1;
    if (n > 64) n = 64;

    // Facts of every process not known to be stuck.
    std::vector<size_t> todo;
    std::vector<int32_t> todoPids;
    todo.reserve(np);
    todoPids.reserve(np);
    for (size_t i = 0; i < np; i++) {
      const std::string* what = nullptr;
      for (const auto& s : opt_.skipStuck)
        if (s.first == pids[i]) what = &s.second;
      if (what) {
        GivenUp(i, pids[i], *what);
      } else if (fromTask[i]) {
        FactsFromTask(sh->procs[i], *sh->tasks[i]);
        ok_[i] = 1;
      } else {
        todo.push_back(i);
        todoPids.push_back(pids[i]);
      }
    }
    const bool mapsPass = sh->mapsPass;
    TimedRun facts = RunTimed(todoPids, n, opt_.itemTimeoutMs, deadline, [sh, todo, mapsPass](size_t k, std::atomic<const char*>& stage) {
      const size_t i = todo[k];
      if (sh->procs[i].leader) {
        // a thread's mappings and POSIX timers are its process's: listed once, under the process
        FactsOptions fo = sh->opt.facts;
        fo.readMaps = fo.readTimers = false;
        ReadProcFacts(sh->procFd, fo, sh->procs[i], ThreadBuf(), stage, sh->tasks[i], true);
        return;
      }
      ReadProcFacts(sh->procFd, sh->opt.facts, sh->procs[i], ThreadBuf(), stage, sh->tasks[i], mapsPass);
    });
    unsigned readers = facts.threads;
    for (size_t k = 0; k < todo.size(); k++) {
      if (facts.state[k] == ItemState::kDone) ok_[todo[k]] = 1;
      else GivenUp(todo[k], pids[todo[k]], facts.stuck[k]);
    }

    // /proc/PID/maps of the processes read whose maps the pass did not give.
    if (sh->mapsPass) {
      bool passDone;
      {
        std::unique_lock<std::mutex> lock(sh->mu);
        passDone = sh->cv.wait_until(lock, deadline, [&] { return sh->mapsDone; });
        mapsMs_ = sh->mapsMs;
        mapsProcs_ = sh->mapsFromPass;
      }
      auto tm = Clock::now();
      todo.clear();
      todoPids.clear();
      for (size_t i = 0; i < np; i++) {
        if (!ok_[i] || sh->procs[i].error) continue;
        if (!passDone) GivenUp(i, pids[i], std::string());  // the deadline came first
        else if (!sh->mapsCovered[i]) {
          todo.push_back(i);
          todoPids.push_back(pids[i]);
        }
      }
      mapsFromProc_ = todoPids;
      TimedRun maps = RunTimed(todoPids, n, opt_.itemTimeoutMs, deadline, [sh, todo](size_t k, std::atomic<const char*>& stage) {
        const size_t i = todo[k];
        stage.store("maps", std::memory_order_relaxed);
        bool cut = false;
        const ProcFacts& p = sh->procs[i];
        const uint32_t uid = sh->tasks[i] ? sh->tasks[i]->uid : StatusUid(p.status);
        if (ReadProcMaps(sh->procFd, p.pid, uid, sh->mapsText[i], ThreadBuf(), &sh->mapsBudget, cut) == 0) sh->mapsHave[i] = 1;
        sh->mapsTrunc[i] = cut;
      });
      readers = std::max(readers, maps.threads);
      for (size_t k = 0; k < todo.size(); k++)
        if (maps.state[k] != ItemState::kDone) GivenUp(todo[k], pids[todo[k]], maps.stuck[k]);
      mapsMs_ += std::chrono::duration<double, std::milli>(Clock::now() - tm).count();
    }
    threads_ += readers;

    // The iterator's records.
    {
      std::unique_lock<std::mutex> lock(sh->mu);
      sh->cv.wait_until(lock, deadline, [&] { return sh->iterDone; });
      if (!sh->iterDone) {
        err_.set(ETIMEDOUT, "read", "BPF task_file iterator");
        return;
      }
      if (sh->iterErr) {
        err_.set(sh->iterErr, "read", "BPF task_file iterator");
        return;
      }
      records_ = std::move(sh->records);
      pastBudget_ = std::move(sh->pastBudget);
      iterMs_ = sh->iterMs;
    }
    for (size_t i = 0; i < np; i++) {
      if (!ok_[i]) continue;
      procs_[i] = std::move(sh->procs[i]);
      if (sh->mapsPass && !procs_[i].error && sh->mapsHave[i]) {
        procs_[i].maps = std::move(sh->mapsText[i]);
        procs_[i].has |= F_MAPS;
        if (sh->mapsTrunc[i]) procs_[i].errors.emplace_back("maps", EFBIG);
      }
    }
    factsMs_ = std::chrono::duration<double, std::milli>(Clock::now() - tWalk).count();
    auto tJoin = Clock::now();
    RowReads(sh, n, deadline);
    BuildRows(sh->checks);
    joinMs_ = std::chrono::duration<double, std::milli>(Clock::now() - tJoin).count();
    // The record buffer (MBs at 100k fds) and the /proc readers' buffers are done with: give the
    // pages back now, or glibc keeps them in the threads' arenas for the life of the process.
    BigVec<char>().swap(records_);
    pathAt_ = {};
    malloc_trim(0);
    // verifier steps, and run statistics (cumulative, counted while kernel.bpf_stats_enabled is 1 —
    // the profile bench turns it on: our programs' own share of the passes, the rest being the kernel's iteration)
    progInfo_ = ReadProgInfo(load);
    elapsedMs_ = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }

 protected:
  void OnOK() override {
    if (!verdict_.ok && !err_) {
      try {
        Napi::Env env = Env();
        Napi::HandleScope scope(env);
        Napi::Error e = Napi::Error::New(env, verdict_.reason);
        e.Set("code", JsString(env, verdict_.code));
        e.Set("unsupported", Napi::Boolean::New(env, true));
        Reject(e.Value());
      } catch (...) {
      }
      return;
    }
    PromiseWorker::OnOK();
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Array procs = Napi::Array::New(env, procs_.size());
    uint32_t i = 0;
    Keys keys(env);
    for (const ProcFacts& p : procs_) {
      Napi::Object o = ProcTextToJs(env, p, keys);
      if (p.hasTask) o.Set(keys("task"), TaskFacts(env, p.task, keys));
      auto past = pastBudget_.find(p.pid);
      if (past != pastBudget_.end() && !p.error) o.Set(keys("fdsPastBudget"), Napi::Number::New(env, static_cast<double>(past->second)));
      procs.Set(i++, o);
    }
    Napi::Object phases = Napi::Object::New(env);
    phases.Set("taskMs", Napi::Number::New(env, taskMs_));
    phases.Set("taskRecords", Napi::Number::New(env, static_cast<double>(taskRecords_)));
    phases.Set("kthreadsFromTask", Napi::Number::New(env, static_cast<double>(kthreads_)));
    phases.Set("mapsMs", Napi::Number::New(env, mapsMs_));
    phases.Set("mapsProcesses", Napi::Number::New(env, static_cast<double>(mapsProcs_)));
    if (!mapsNote_.empty()) phases.Set("mapsUnavailable", JsString(env, mapsNote_));
    if (!mapsOwnPaths_.empty()) phases.Set("mapsOwnPaths", JsString(env, mapsOwnPaths_));
    {
      Napi::Object v = Napi::Object::New(env);
      Napi::Object stats = Napi::Object::New(env);
      for (const ProgInfo& pi : progInfo_) {
        v.Set(pi.name, Napi::Number::New(env, pi.verifiedInsns));
        Napi::Object o = Napi::Object::New(env);
        o.Set("runs", Napi::Number::New(env, static_cast<double>(pi.runs)));
        o.Set("runTimeNs", Napi::Number::New(env, static_cast<double>(pi.runTimeNs)));
        stats.Set(pi.name, o);
      }
      phases.Set("verifiedInsns", v);
      phases.Set("programStats", stats);
    }
    {
      // which processes the pass sent to /proc/PID/maps (a busy mmap lock, an overlay file, kernel
      // threads): what a test or a profile asks when the count is off
      const size_t m = std::min<size_t>(mapsFromProc_.size(), 4096);
      Napi::Array a = Napi::Array::New(env, m);
      for (size_t k = 0; k < m; k++) a.Set(static_cast<uint32_t>(k), Napi::Number::New(env, mapsFromProc_[k]));
      phases.Set("mapsFromProc", a);
    }
    phases.Set("loadMs", Napi::Number::New(env, loadMs_));
    phases.Set("iteratorMs", Napi::Number::New(env, iterMs_));
    phases.Set("procFactsMs", Napi::Number::New(env, factsMs_));
    phases.Set("rowsMs", Napi::Number::New(env, joinMs_));
    phases.Set("records", Napi::Number::New(env, static_cast<double>(records_count_)));
    phases.Set("bytes", Napi::Number::New(env, static_cast<double>(records_bytes_)));
    phases.Set("statx", Napi::Number::New(env, static_cast<double>(statx_)));
    phases.Set("fdinfo", Napi::Number::New(env, static_cast<double>(fdinfo_)));
    phases.Set("anonFacts", Napi::Number::New(env, static_cast<double>(anonFactsRows_)));
    Napi::Object res = Napi::Object::New(env);
    res.Set("processes", procs);
    SetFdRows(env, res, std::move(cols_));
    res.Set("elapsedMs", Napi::Number::New(env, elapsedMs_));
    res.Set("threads", Napi::Number::New(env, threads_));
    res.Set("bpf", phases);
    return res;
  }

 private:
  // The fields toProcess takes from stat and status, from the task record (format of /proc/PID/status).
  static Napi::Object TaskFacts(Napi::Env env, const ipci_task_rec& t, Keys& k) {
    Napi::Object o = Napi::Object::New(env);
    size_t n = strnlen(t.comm, sizeof t.comm);
    o.Set(k("comm"), JsString(env, t.comm, n));
    if (!Utf8(t.comm, n)) o.Set(k("commHex"), JsString(env, Hex(t.comm, n)));  // lossy as text: its bytes too
    o.Set(k("state"), JsString(env, std::string(1, StateChar(t.state, t.exit_state))));
    o.Set(k("ppid"), Napi::Number::New(env, t.ppid));
    static const long hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    o.Set(k("startTime"), Napi::Number::New(env, static_cast<double>(t.start_ns / (1000000000ull / static_cast<unsigned long long>(hz)))));
    o.Set(k("threads"), Napi::Number::New(env, t.threads));
    o.Set(k("uid"), Napi::Number::New(env, t.uid));
    o.Set(k("euid"), Napi::Number::New(env, t.euid));
    o.Set(k("tracerPid"), Napi::Number::New(env, t.tracer));
    auto hex = [&](const char* key, uint64_t v) {
      char b[17];
      snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
      o.Set(k(key), JsString(env, b));
    };
    hex("sigPnd", t.sig_pnd);
    hex("shdPnd", t.sig_shd);
    hex("sigBlk", t.sig_blk);
    hex("sigIgn", t.sig_ign);
    hex("sigCgt", t.sig_cgt);
    o.Set(k("sigQ"), JsString(env, std::to_string(t.sigq) + "/" + std::to_string(t.sigq_limit)));
    Napi::Array ns = Napi::Array::New(env, t.nspid_n);
    for (uint32_t i = 0; i < t.nspid_n && i < 8; i++) ns.Set(i, Napi::Number::New(env, t.nspid[i]));
    o.Set(k("nsPid"), ns);
    if (t.flags & IPCI_T_OWN_ROOT) o.Set(k("ownRoot"), Napi::Boolean::New(env, true));
    return o;
  }

  // fs/proc/array.c task_state_array[task_state_index()]: the first letter of /proc/PID/stat's state.
  static char StateChar(uint32_t state, uint32_t exitState) {
    const uint32_t kReport = 0x7f, kReportIdle = 0x80, kUninterruptible = 0x02, kNoload = 0x400, kRtlockWait = 0x1000, kFrozen = 0x8000;
    uint32_t s = (state | exitState) & kReport;
    if ((state & (kUninterruptible | kNoload)) == (kUninterruptible | kNoload)) s = kReportIdle;
    if ((state & kRtlockWait) || (state & kFrozen)) s = kUninterruptible;
    int idx = s ? 32 - __builtin_clz(s) : 0;
    static const char kChars[] = "RSDTtXZPI";
    return idx < 9 ? kChars[idx] : '?';
  }

  void Reject(Napi::Value v) {
    // PromiseWorker keeps its deferred private: settle through OnError's path.
    PromiseWorker::OnError(Napi::Error(Env(), v));
  }

  // The process is given up (a read did not return in time, or the deadline): reported with its
  // pid and error alone, whatever was read of it is dropped, and so are its rows.
  void GivenUp(size_t i, int32_t pid, const std::string& stuck) {
    ok_[i] = 0;
    procs_[i] = ProcFacts();
    procs_[i].pid = pid;
    procs_[i].error = ETIMEDOUT;
    procs_[i].stuck = stuck;
  }

  // A FIFO / mqueue / /dev/shm / memfd row the /proc walk would keep: a path link ("/…"), mqueue
  // with one component, a memfd's ending in the kernel's " (deleted)"; and a FIFO whose path d_path could not give (longer than a page: any user can nest
  // directories that deep), kept without one as the /proc walk keeps it, so no FIFO hides that way.
  static bool PathRow(const ipci_fd_rec& r, const char* path) {
    if (r.kind != IPCI_FD_FIFO && r.kind != IPCI_FD_MQUEUE && r.kind != IPCI_FD_DEVSHM && r.kind != IPCI_FD_MEMFD) return false;
    if (r.path_len == 0) return r.kind == IPCI_FD_FIFO && (r.flags & IPCI_F_PATH_ERROR) != 0;
    if (path[0] != '/') return false;
    if (r.kind == IPCI_FD_MEMFD) return r.path_len >= 17 && memcmp(path + r.path_len - 10, " (deleted)", 10) == 0;  // "/memfd:" NAME " (deleted)"
    return r.kind != IPCI_FD_MQUEUE || (r.path_len >= 2 && memchr(path + 1, '/', r.path_len - 1) == nullptr);
  }

  // An eventfd or signalfd record that carries its fdinfo facts (walk.h IPCI_F_ANON_FACTS), on a
  // kernel whose fdinfo lines AnonFactsLines writes as it prints them: no fdinfo read for it.
  bool AnonFactsServed(const ipci_fd_rec& r) const { return (r.flags & IPCI_F_ANON_FACTS) && anonFacts_; }

  const AnonRule* AnonRuleOf(const ipci_fd_rec& r, const char* path) const { return AnonRuleIn(opt_, r, path); }
  bool Wanted(const ipci_fd_rec& r, const char* path) const { return WantedBy(opt_, r, path); }

  // Calls fn(record, path, offset) for each record of a process whose rows are kept (see the file
  // comment); returns the number of records.
  template <typename Fn>
  size_t ForEachKept(Fn fn) {
    std::unordered_map<int32_t, const ProcFacts*> byPid;
    byPid.reserve(procs_.size() * 2);
    for (const ProcFacts& p : procs_) byPid.emplace(p.pid, &p);
    std::unordered_set<int32_t> only;
    if (opt_.pidsGiven && !opt_.pids.empty()) only.insert(opt_.pids.begin(), opt_.pids.end());
    size_t count = 0;
    int32_t lastPid = -1;
    bool keep = false;
    // this task's records that carry a path, by fd: a later record of the same open file names
    // its carrier instead of repeating the path (walk.h IPCI_F_PATH_SHARED)
    std::unordered_map<uint32_t, const char*> carriers;
    const char* p = records_.data();
    const char* end = p + records_.size();
    while (end - p >= static_cast<ptrdiff_t>(sizeof(ipci_fd_rec))) {
      ipci_fd_rec r;
      memcpy(&r, p, sizeof r);
      size_t pathBytes = (static_cast<size_t>(r.path_len) + 7) & ~static_cast<size_t>(7);
      if (static_cast<size_t>(end - p) < sizeof r + pathBytes) break;  // torn tail: cannot happen, never trust it
      const char* path = p + sizeof r;
      const size_t offset = static_cast<size_t>(p - records_.data());
      int32_t pid = static_cast<int32_t>(r.tgid);
      if (pid != lastPid) carriers.clear();
      if (r.flags & IPCI_F_PATH_SHARED) {
        // as its carrier: the same file, so the same path and superblock (its own fd, mode, pipe state)
        auto it = carriers.find(r.magic);
        r.flags &= ~IPCI_F_PATH_SHARED;
        if (it != carriers.end()) {
          ipci_fd_rec c;
          memcpy(&c, it->second, sizeof c);
          r.magic = c.magic;
          r.path_len = c.path_len;
          path = it->second + sizeof c;
        } else {
          r.flags |= IPCI_F_PATH_ERROR;  // cannot happen: a carrier precedes what names it
          r.magic = 0;
        }
      } else if (r.path_len > 0) {
        carriers[r.fd] = p;
      }
      p += sizeof r + pathBytes;
      count++;
      if (pid != lastPid) {
        lastPid = pid;
        auto it = byPid.find(pid);
        // a process that started after the /proc listing has no facts: its rows would be dropped
        // by the snapshot anyway; one /proc hides (fd links refused, fd dir unreadable) or one
        // given up is dropped here
        keep = it != byPid.end() && !it->second->error && !it->second->fdError && it->second->fdsVisible &&
               (only.empty() || only.count(pid) > 0);
      }
      if (keep && Wanted(r, path)) fn(r, path, offset);
    }
    return count;
  }

  // The reads some rows need, one item per process, under the item timeouts like every /proc
  // read here: rows on filesystems whose stat numbers are not the inode's get one statx of
  // /proc/PID/fd/N (following the link, AT_STATX_DONT_SYNC: no FUSE/NFS round trip), as the /proc
  // walk does; anon rows whose rule asks for fdinfo lines get /proc/PID/fdinfo/N read.
  void RowReads(const std::shared_ptr<Shared>& sh, unsigned threads, Clock::time_point deadline) {
    std::vector<int32_t> groupPids;
    std::vector<std::pair<size_t, size_t>> groups;  // [begin, end) of sh->checks per process
    ForEachKept([&](const ipci_fd_rec& r, const char* path, size_t offset) {
      int rule = -1;
      if (r.kind == IPCI_FD_ANON) {
        const AnonRule* a = AnonRuleOf(r, path);
        if (!a || a->fdinfo.empty() || AnonFactsServed(r)) return;
        rule = static_cast<int>(a - opt_.anonRules.data());
      } else if (!PathRow(r, path) || PlainStat(r.magic)) {
        return;
      }
      if (groupPids.empty() || groupPids.back() != static_cast<int32_t>(r.tgid)) {
        groupPids.push_back(static_cast<int32_t>(r.tgid));
        groups.emplace_back(sh->checks.size(), sh->checks.size());
      }
      checkAt_.emplace(offset, sh->checks.size());
      Shared::Check c{};
      c.offset = offset;
      c.tgid = r.tgid;
      c.fd = r.fd;
      c.rule = rule;
      sh->checks.push_back(c);
      groups.back().second++;
      if (rule >= 0) fdinfo_++;
      else statx_++;
    });
    if (groups.empty()) return;
    TimedRun run = RunTimed(groupPids, threads, opt_.itemTimeoutMs, deadline, [sh, groups](size_t k, std::atomic<const char*>& stage) {
      std::vector<char>& buf = ThreadBuf();
      for (size_t j = groups[k].first; j < groups[k].second; j++) {
        Shared::Check& c = sh->checks[j];
        char name[64];
        if (c.rule < 0) {
          stage.store("fd", std::memory_order_relaxed);
          snprintf(name, sizeof name, "/proc/%u/fd/%u", c.tgid, c.fd);
          c.ok = statx(AT_FDCWD, name, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO | STATX_NLINK, &c.sx) == 0;
        } else {
          stage.store("fdinfo", std::memory_order_relaxed);
          snprintf(name, sizeof name, "%u/fdinfo/%u", c.tgid, c.fd);
          ssize_t n = ReadProcFile(sh->procFd, name, buf);
          if (n > 0) {
            KeepFdinfoLines(buf.data(), static_cast<size_t>(n), sh->opt.anonRules[c.rule].fdinfo, c.info);
            c.ok = true;
          }
        }
      }
    });
    std::unordered_map<int32_t, size_t> index;
    for (size_t i = 0; i < procs_.size(); i++) index.emplace(procs_[i].pid, i);
    for (size_t k = 0; k < groupPids.size(); k++) {
      if (run.state[k] == ItemState::kDone) continue;
      auto it = index.find(groupPids[k]);
      if (it != index.end()) GivenUp(it->second, groupPids[k], run.stuck[k]);
    }
  }

  // Records → columns, keeping only rows /proc would show (see the file comment). `checks`: the
  // statx results of CheckRows, read only for processes still kept (their checks are done).
  void BuildRows(const std::vector<Shared::Check>& checks) {
    size_t estimate = records_.size() / sizeof(ipci_fd_rec);
    cols_.pid.reserve(estimate);
    cols_.fd.reserve(estimate);
    cols_.kind.reserve(estimate);
    cols_.mode.reserve(estimate);
    cols_.inode.reserve(estimate);
    cols_.dev.reserve(estimate);
    cols_.pathIndex.reserve(estimate);
    cols_.infoIndex.reserve(estimate);
    cols_.buffered.reserve(estimate);
    cols_.capacity.reserve(estimate);
    records_bytes_ = records_.size();
    records_count_ = ForEachKept([&](const ipci_fd_rec& r, const char* path, size_t offset) { Row(r, path, offset, checks); });
  }

  void Row(const ipci_fd_rec& r, const char* path, size_t offset, const std::vector<Shared::Check>& checks) {
    uint8_t kind = r.kind;
    double buffered = -1, capacity = -1;
    uint64_t ino = r.ino;
    uint64_t dev = 0;
    int32_t pathIndex = -1, infoIndex = -1;
    uint8_t mode = r.f_mode & 3;
    if (kind == IPCI_FD_ANON) {
      // as walk.cc reports an `exact` rule's row: identity 0 (the fdinfo lines tell objects apart)
      const AnonRule* a = AnonRuleOf(r, path);
      if (!a) return;
      if (a->rw) mode = 3;
      if (!a->fdinfo.empty() && AnonFactsServed(r)) {
        std::string info;
        AnonFactsLines(r, path, r.path_len, a->fdinfo, info);
        anonFactsRows_++;
        infoIndex = static_cast<int32_t>(cols_.infos.size());
        cols_.infos.push_back(std::move(info));
      } else if (!a->fdinfo.empty()) {
        auto it = checkAt_.find(offset);
        if (it == checkAt_.end()) return;
        const Shared::Check& c = checks[it->second];
        if (c.ok) {
          infoIndex = static_cast<int32_t>(cols_.infos.size());
          cols_.infos.push_back(c.info);
        }
      }
      Push(r, a->code, mode, 0, 0, -1, infoIndex, -1, -1);
      return;
    }
    if (kind == IPCI_FD_PTM || kind == IPCI_FD_PTS) {
      PtyRow(r, path);
      return;
    }
    // a Unix socket's files in flight, where this walk asked (another walk at the same time may
    // have asked when this one did not: its counts are not this walk's to report)
    if (kind == IPCI_FD_SOCKET && opt_.scmFds && (r.flags & IPCI_F_SCM_FDS)) buffered = r.buffered;
    if (kind == IPCI_FD_PIPE || kind == IPCI_FD_FIFO) {
      if (opt_.measurePipes && (r.flags & IPCI_F_PIPE_STATE)) {
        capacity = r.capacity;
        if (!(r.flags & IPCI_F_PIPE_PARTIAL)) buffered = r.buffered;
        mode |= kModeKernelEnds;
        if (r.flags & IPCI_F_PIPE_NO_READER) mode |= kModeNoReader;
        if (r.flags & IPCI_F_PIPE_NO_WRITER) mode |= kModeNoWriter;
      }
    }
    if (kind == IPCI_FD_FIFO || kind == IPCI_FD_MQUEUE || kind == IPCI_FD_DEVSHM || kind == IPCI_FD_MEMFD) {
      if (!PathRow(r, path)) return;
      dev = UserDev(r.dev);
      // bit 4 of the mode column: the file has no name left (walkrows.h MODE_UNLINKED)
      bool unlinked = (r.flags & IPCI_F_UNLINKED) != 0;
      if (!PlainStat(r.magic)) {
        // stat's own numbers, as the /proc walk gets them (CheckRows)
        auto it = checkAt_.find(offset);
        if (it == checkAt_.end()) return;
        const Shared::Check& c = checks[it->second];
        if (!c.ok) return;
        bool fifo = S_ISFIFO(c.sx.stx_mode);
        if (fifo != (kind == IPCI_FD_FIFO) || (!fifo && !S_ISREG(c.sx.stx_mode))) return;  // replaced meanwhile
        dev = makedev(c.sx.stx_dev_major, c.sx.stx_dev_minor);
        ino = c.sx.stx_ino;
        unlinked = (c.sx.stx_mask & STATX_NLINK) && c.sx.stx_nlink == 0;  // stat's own, as the /proc walk
      }
      if (unlinked) mode |= kModeUnlinked;
      if (r.path_len > 0) {
        // one copy per carrier's path, however many fds share it
        auto [it, first] = pathAt_.try_emplace(path, static_cast<int32_t>(cols_.paths.size()));
        if (first) cols_.paths.emplace_back(path, r.path_len);
        pathIndex = it->second;
      }
    }
    if (opt_.classCodesGiven) kind = opt_.classCodes[kind];
    Push(r, kind, mode, ino, dev, pathIndex, infoIndex, buffered, capacity);
  }

  // A pty end as the /proc walk reports it (a chr rule's row: identity the device number, dev the
  // file's st_dev, the link text), a master with the fdinfo lines that rule asks for as the kernel
  // prints them (`mnt_id`, `tty-index`), and `devpts-dev`, no kernel line: its pair's devpts,
  // which /proc cannot say.
  void PtyRow(const ipci_fd_rec& r, const char* path) {
    const uint32_t rdev = static_cast<uint32_t>(r.ino);
    int32_t infoIndex = -1, pathIndex = -1;
    if (r.path_len > 0 && path[0] == '/') {
      pathIndex = static_cast<int32_t>(cols_.paths.size());
      cols_.paths.emplace_back(path, r.path_len);
    }
    if (r.kind == IPCI_FD_PTM && (r.flags & IPCI_F_PTY_INDEX)) {
      std::string info = "mnt_id:\t" + std::to_string(r.magic) + "\ntty-index:\t" + std::to_string(r.buffered);
      if (r.flags & IPCI_F_PTY_DEVPTS) info += "\ndevpts-dev:\t" + std::to_string(r.capacity >> 20) + ":" + std::to_string(r.capacity & 0xfffff);
      infoIndex = static_cast<int32_t>(cols_.infos.size());
      cols_.infos.push_back(std::move(info));
    }
    const uint8_t kind = opt_.classCodesGiven ? opt_.classCodes[r.kind] : r.kind;
    Push(r, kind, r.f_mode & 3, makedev(rdev >> 20, rdev & 0xfffff), UserDev(r.dev), pathIndex, infoIndex, -1, -1);
  }

  void Push(const ipci_fd_rec& r, uint8_t kind, uint8_t mode, uint64_t ino, uint64_t dev, int32_t pathIndex, int32_t infoIndex, double buffered,
            double capacity) {
    cols_.pid.push_back(static_cast<int32_t>(r.tgid));
    cols_.fd.push_back(static_cast<int32_t>(r.fd));
    cols_.kind.push_back(kind);
    cols_.mode.push_back(mode);
    cols_.inode.push_back(static_cast<double>(ino));
    cols_.dev.push_back(static_cast<double>(dev));
    cols_.pathIndex.push_back(pathIndex);
    cols_.infoIndex.push_back(infoIndex);
    cols_.buffered.push_back(buffered);
    cols_.capacity.push_back(capacity);
  }

  Options opt_;
  Verdict verdict_;
  BigVec<char> records_;
  std::unordered_map<int32_t, uint64_t> pastBudget_;  // RecordValve's drops, by tgid
  bool anonFacts_ = false;  // AnonFactsMatchKernel(), asked at the start of the walk
  size_t anonFactsRows_ = 0;  // rows whose fdinfo lines were written from the program's facts
  std::vector<ProcFacts> procs_;
  std::vector<uint8_t> ok_;  // per process: read in time (its facts are in the shared state until moved to procs_)
  std::unordered_map<size_t, size_t> checkAt_;  // record offset → its statx check
  FdCols cols_;
  size_t records_count_ = 0, records_bytes_ = 0, statx_ = 0, fdinfo_ = 0;
  // a carrier record's path (by where its bytes are) → its index in cols_.paths (Row)
  std::unordered_map<const char*, int32_t> pathAt_;
  double loadMs_ = 0, iterMs_ = 0, factsMs_ = 0, joinMs_ = 0, elapsedMs_ = 0, taskMs_ = 0, mapsMs_ = 0;
  size_t taskRecords_ = 0, mapsProcs_ = 0, kthreads_ = 0;
  std::vector<int32_t> mapsFromProc_;
  std::string mapsNote_;
  std::string mapsOwnPaths_;
  std::vector<ProgInfo> progInfo_;
  unsigned threads_ = 1;
};

// anonRules: [{ code, link: 'anon_inode:NAME', rw?, fdinfo?: [keys] }]; classCodes: [code per class
// IPCI_FD_* 1..5 at that index, 0 = not reported]. Checked here; what they mean is TypeScript's.
void ParseAnonRules(Napi::Env env, const Napi::Object& o, Options& opt) {
  auto code = [&](Napi::Value v, const char* what) -> uint8_t {
    if (!v.IsNumber()) ThrowType(env, (std::string(what) + " must be a number").c_str());
    double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 255) || d != static_cast<double>(static_cast<int>(d))) ThrowType(env, (std::string(what) + " must be an integer in [0, 255]").c_str());
    return static_cast<uint8_t>(d);
  };
  Napi::Value cc = o.Get("classCodes");
  if (!cc.IsUndefined()) {
    if (!cc.IsArray()) ThrowType(env, "options.classCodes must be an array");
    Napi::Array a = cc.As<Napi::Array>();
    if (a.Length() > IPCI_FD_PTS + 1) ThrowType(env, "options.classCodes has one entry per class (0..9)");
    opt.classCodesGiven = true;
    for (uint32_t i = 1; i < a.Length(); i++) opt.classCodes[i] = code(a.Get(i), "options.classCodes[]");
  }
  Napi::Value ar = o.Get("anonRules");
  if (ar.IsUndefined()) return;
  if (!ar.IsArray()) ThrowType(env, "options.anonRules must be an array");
  Napi::Array a = ar.As<Napi::Array>();
  static const char kPrefix[] = "anon_inode:";
  const size_t pl = sizeof kPrefix - 1;
  for (uint32_t i = 0; i < a.Length(); i++) {
    if (!a.Get(i).IsObject()) ThrowType(env, "options.anonRules must hold objects");
    Napi::Object r = a.Get(i).As<Napi::Object>();
    AnonRule rule;
    rule.code = code(r.Get("code"), "anonRules[].code");
    if (rule.code == 0) ThrowType(env, "anonRules[].code must be in [1, 255]");
    Napi::Value link = r.Get("link");
    std::string l = link.IsString() ? link.As<Napi::String>().Utf8Value() : std::string();
    if (l.size() <= pl || l.compare(0, pl, kPrefix) != 0 || l.size() - pl > IPCI_ANON_NAME_MAX || l.find('\0') != std::string::npos)
      ThrowType(env, "anonRules[].link must be anon_inode:NAME (NAME at most 30 bytes: IPCI_ANON_NAME_MAX)");
    rule.name = l.substr(pl);
    rule.rw = GetBool(r, "rw");
    Napi::Value keys = r.Get("fdinfo");
    if (!keys.IsUndefined()) {
      if (!keys.IsArray()) ThrowType(env, "anonRules[].fdinfo must be an array of strings");
      Napi::Array k = keys.As<Napi::Array>();
      for (uint32_t j = 0; j < k.Length(); j++) {
        if (!k.Get(j).IsString()) ThrowType(env, "anonRules[].fdinfo must be an array of strings");
        rule.fdinfo.push_back(k.Get(j).As<Napi::String>().Utf8Value());
      }
    }
    opt.anonRules.push_back(std::move(rule));
  }
}

}  // namespace

Napi::Value BpfWalk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Options opt;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsObject()) ThrowType(env, "options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    ParseWalkCommon(env, o, opt);
    opt.facts.readMaps = GetBool(o, "readMaps");
    opt.facts.readTimers = GetBool(o, "readTimers");
    opt.facts.readLinks = GetBool(o, "readLinks");
    opt.facts.readCgroup = GetBool(o, "readCgroup");
    opt.measurePipes = GetBool(o, "measurePipes");
    opt.scmFds = GetBool(o, "scmFds");
    opt.kthreadsFromTask = GetBool(o, "kthreadsFromTask");
    ParseAnonRules(env, o, opt);
    Napi::Value tf = o.Get("taskFacts");
    if (tf.IsBoolean()) opt.taskFacts = tf.As<Napi::Boolean>().Value();
    Napi::Value af = o.Get("anonFacts");
    if (af.IsBoolean()) opt.anonFacts = af.As<Napi::Boolean>().Value();
    Napi::Value btf = o.Get("btfPath");
    if (btf.IsString()) opt.btfPath = btf.As<Napi::String>().Utf8Value();
  }
  auto* w = new BpfWalkWorker(env, std::move(opt));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace bpf
}  // namespace ipci
