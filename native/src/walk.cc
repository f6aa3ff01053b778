// walkProc: the bulk /proc walk on a worker (AsyncWorker::Execute is plain C++), split across
// std::threads that pull pids from a shared counter. Per process: stat, status, cmdline, optional
// maps/timers/links, then the fd table. Results are columns (typed arrays) so the main thread
// never builds one JS object per fd.
//
// What counts is not decided here: TypeScript passes the rules (core/kinds: `fdRules` — which
// readlink targets are reported, with which identity, mode and fdinfo lines; `mapsRules` — which
// maps lines are kept). The walk applies them and knows no IPC kind.
//
// The walk is passive by default: it only reads /proc. Per fd one readlinkat("N") relative to the
// /proc/PID/fd dirfd; an lstat of that link (its mode bits are the fd's read/write mode) only for
// fds a rule reports (not for `rw` rules: sockets); a statx(AT_STATX_DONT_SYNC) that follows the
// link only for path targets when a "/" rule exists (a FIFO can live anywhere; DONT_SYNC: no
// FUSE/NFS round trip); an fdinfo read only for fds whose rule asks for fdinfo lines (anon inodes
// such as eventfds: few). Everything else costs just the readlink. A `measure` rule opens each
// distinct pipe or FIFO inode once, only through a read-mode fd, and never by name: an O_PATH handle
// to the fd's target (no ->open runs), checked to be a FIFO of the dev:inode just seen and still
// behind a read-mode fd, is reopened through /proc/self/fd (fdhandle.h). So the holder cannot swap
// in a device or another user's FIFO for us to open, and the open never takes a pipe from zero
// readers to one (which would hide EPIPE from a writer or wake a FIFO writer blocked in open()).
// The measuring happens after the walk, in tasks outside our thread group (pipetask.h): the
// reopen and FIONREAD wait for the pipe's lock, which its holder can keep for good.
//
// Deadlines: a read of /proc/PID/{cmdline,maps,…} waits for the process's mmap lock, which a
// process stuck in a FUSE page fault can hold for good (D state; not even SIGKILL frees it). The
// walk therefore runs on threads of its own while the AsyncWorker's thread only waits: an item (a
// process, or one range of a large fd table) that has not finished after `itemTimeoutMs`, or
// anything left when `deadlineMs` has passed, is given up. Its thread is abandoned (detached; the
// job it uses stays alive through a shared_ptr until it returns), its rows are never read, and
// the process is reported with error ETIMEDOUT and what it was stuck on. Walks later in this
// process skip a pid whose thread is still stuck (a process-wide list, stuckWalks(); and the BPF
// walk's list, passed in as `skipStuck`), so a stuck process costs one thread, not one per scan.
// Dense fd tables are probed by number (no getdents64); sparse ones are listed with getdents64,
// from an lseek(fd + 2) position when a probe gives up. Tables larger than kChunk fds are split
// into fd ranges walked by every thread, so one huge process does not serialise the walk.
//
// The snapshot's fd-row budget (`rowsPerUser`, `rowsTotal`; rowvalve.h) is applied as the walk
// goes: a process's table, or a range of it, whose rows the rows before it in (pid, fd) order have
// already spent is not walked, only its open fds counted (`fdsPastBudget`). Any user can hold
// millions of fds; the walk's columns then stay near the budget instead of growing with them.
//
// Option `useGetfd: true` (opt-in, not for the periodic walk) classifies each fd by duplicating it
// into this process with pidfd_getfd (root / ptrace rights, real /proc only) and fstat-ing the copy.
// It is cheaper in CPU but NOT passive: pidfd_getfd on a socket runs the kernel's __receive_sock(),
// which re-tags the target's socket with this process's cgroup v1 net_cls classid / net_prio index
// (silently changing how the observed process's traffic is classified); each copy briefly holds an
// extra reference (a pipe reader whose last writer just closed sees EOF late); closing a copy of a
// FUSE / NFS file runs its ->flush (FUSE_FLUSH to the daemon, NFS writeback); and every copy runs
// the LSM file_receive hook and may emit audit events. Single-fd peeks (peek.cc) may use
// pidfd_getfd because the user asked for that one fd; the bulk walk does not unless asked.
#include "napi_helpers.h"
#include "fdhandle.h"
#include "fdinfolines.h"
#include "boundedtext.h"
#include "mapsread.h"
#include "pipetask.h"
#include "rowvalve.h"
#include "walkrows.h"
#include "walkoptions.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/kcmp.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

namespace ipci {
namespace {


// One fd rule as TypeScript passed it (core/kinds/kind.ts FdRule): the walk applies rules, it does
// not know what they are for.
struct FdRule {
  uint8_t code = 0;
  std::string link;       // readlink text starts with this ("/" for files)
  bool exact = false;     // the whole link is `link`
  bool bracket = false;   // identity from "[N]" at the end of the link
  int type = 0;           // "/" links: 0 any, S_IFIFO, S_IFREG or S_IFCHR (statx through the link)
  // S_IFCHR: the device number's major and minor ranges; the row's identity is the device number
  uint32_t majLo = 0, majHi = UINT32_MAX, minLo = 0, minHi = UINT32_MAX;
  std::string under;      // "/" links: the path starts with this
  bool mqueue = false;    // "/" links: one component on an mqueue filesystem
  bool memfd = false;     // "/" links: "…NAME (deleted)" on the kernel's internal shmem mount (a memfd)
  bool rw = false;        // no lstat: always read-write
  bool measure = false;   // FIONREAD + F_GETPIPE_SZ once per distinct inode, through read-mode fds
  std::vector<std::string> fdinfo;  // fdinfo lines to keep, by key
};

// A maps line is kept when it contains `text` (and is a shared "s" mapping when `shared`); a text
// starting with a space is matched at the path's start, and then the path must not start with any
// of `except` (each also starting with a space). `max` (0: none) bounds the lines of a process
// this rule keeps, in address order.
struct MapsRule {
  std::string text;
  bool shared = false;
  std::vector<std::string> except;
  uint32_t max = 0;
};

struct Options : WalkCommonOptions {
  std::string procRoot = "/proc";
  // Parallel to pids: threads with an fd table of their own, walked under their tid (a first
  // walk named them: ProcOut::ownTables), with their process's pid; 0 = a process.
  std::vector<int32_t> leaders;
  bool readTimers = false, readLinks = false, readCgroup = false;
  std::vector<FdRule> fdRules;      // which fds are reported (none: no fd table is read)
  std::vector<MapsRule> mapsRules;  // which maps lines are kept (none: maps are not read)
  std::vector<std::string> skipLinks;  // "/" links never statx-ed (a devpts terminal)
  int16_t byCode[256];              // index into fdRules by code, -1 for none (indices: Options is copied)
  bool anyMeasure = false, anyPathRule = false;
  Options() { std::fill(std::begin(byCode), std::end(byCode), static_cast<int16_t>(-1)); }
  bool useGetfd = false;  // opt-in pidfd_getfd classification (see the header comment); off = passive
  // (rowsPerUser/rowsTotal: a table whose rows would all be cut is not walked)
};

struct ProcOut : ProcText {
  uint32_t thread = 0;
  size_t fdStart = 0, fdCount = 0;
  // fd-number ranges of a large fd table beyond the first one, walked in phase 2 by every thread.
  std::vector<std::pair<uint32_t, uint32_t>> deferred;
  bool probe = false;  // walk the deferred ranges by probing fd numbers (dense table)
  Fd pdir;  // kept open while deferred ranges remain, so phase 2 cannot walk a recycled pid
  // (stuck, with error == ETIMEDOUT: empty when the deadline came first — not reached, or still busy then)
  // Some fd ranges were given up: the file the walk was stuck on, or empty (deadline).
  bool fdsCut = false;
  std::string fdsCutAt;
  // The fd budget (rowvalve.h): open fds (st_size of the fd dir; 0 unknown), those the walk found,
  // and those left unwalked because every row of them would be cut (0: none)
  uint64_t fdsOpen = 0, fdsVisited = 0, fdsPast = 0;
  // Threads of this process with an fd table of their own (unshare(CLONE_FILES)): /proc/PID/fd
  // does not list their fds; the caller walks them again as processes under their tids.
  std::vector<int32_t> ownTables;
};

// One deferred fd range [lo, hi) of one process (phase 2).
struct Chunk {
  size_t proc = 0;
  uint32_t lo = 0, hi = 0;
  uint32_t thread = 0;
  size_t rowStart = 0, rowCount = 0;
  bool skipped = false;  // past the fd budget: not walked
  uint32_t visited = 0;  // fds found in the range
};

// fds walked inline per process; bigger tables are split into ranges of about this many fds.
constexpr uint32_t kChunk = 1024;
constexpr uint32_t kNoLimit = 0xffffffffu;

struct Key {
  uint64_t dev, ino;
  bool operator==(const Key& o) const { return dev == o.dev && ino == o.ino; }
};
struct KeyHash {
  size_t operator()(const Key& k) const { return static_cast<size_t>((k.ino * 0x9E3779B97F4A7C15ULL) ^ (k.dev * 1000003ULL)) >> 7; }
};
struct Meas {
  double buffered = -1, capacity = -1;
  // another read-mode fd of the pipe, to measure it through when the claimant's fails (that fd
  // closed or changed since the readlink): a pipe is not left unknown for one holder's race
  int32_t altPid = 0, altFd = -1;
};

struct Shared {
  const Options* opt;
  int rootFd;
  bool procfs = false;  // procRoot is a procfs mount (not a captured tree)
  // The device of the kernel's internal shmem mount, where memfd_create puts every memfd (from a
  // memfd of our own; 0: none made, no file is a memfd). No mounted tmpfs is that device.
  uint64_t memfdDev = 0;
  std::vector<ProcOut>* procs;
  std::vector<Chunk> chunks;
  // Set by the walker that finished item i, under that walker's publish lock (see Walker::Publish).
  std::vector<uint8_t> procDone, chunkDone;
  std::atomic<size_t> next{0};
  std::atomic<size_t> nextChunk{0};
  // the fd budget over items in output order: phase 1's processes, then (phase 2) every process
  // and its ranges, a range's item number in chunkItem
  RowValve valve;
  std::vector<size_t> chunkItem;
  // maps text, command lines and timers that may still be kept over every process (mapsread.h, boundedtext.h)
  MapsBudget mapsBudget;
  CmdlineBudget cmdlineBudget;
  TimersBudget timersBudget;
  // Pipe measurements, sharded so threads rarely wait on each other.
  static constexpr size_t kShards = 64;
  struct Shard {
    std::mutex mu;
    std::unordered_map<Key, Meas, KeyHash> meas;
  } shards[kShards];
  Shard& ShardOf(const Key& k) { return shards[KeyHash()(k) % kShards]; }
  // Every shard's lock, for reading the tables while a walker given up may still claim in them.
  std::vector<std::unique_lock<std::mutex>> LockAll() {
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(kShards);
    for (auto& shard : shards) locks.emplace_back(shard.mu);
    return locks;
  }
  const Meas* Find(const Key& k) {
    Shard& s = ShardOf(k);
    auto it = s.meas.find(k);
    return it == s.meas.end() ? nullptr : &it->second;
  }
};

// Walk threads given up while blocked in the kernel, process-wide (every walk in every worker_thread
// sees them): a later walk skips their pids instead of leaving one more thread stuck per scan.
struct StuckWalk {
  uint64_t id;
  std::string root;  // the procRoot walked (a captured tree's pids are not this machine's)
  int32_t pid;
  std::string what;
  std::chrono::steady_clock::time_point since;
};
std::mutex gStuckMu;
std::vector<StuckWalk> gStuck;
uint64_t gStuckNextId = 1;

uint64_t RegisterStuck(const std::string& root, int32_t pid, std::string what) {
  std::lock_guard<std::mutex> lock(gStuckMu);
  uint64_t id = gStuckNextId++;
  gStuck.push_back(StuckWalk{id, root, pid, std::move(what), std::chrono::steady_clock::now()});
  return id;
}

void UnregisterStuck(uint64_t id) {
  std::lock_guard<std::mutex> lock(gStuckMu);
  for (size_t i = 0; i < gStuck.size(); i++) {
    if (gStuck[i].id == id) {
      gStuck.erase(gStuck.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

// What a walk thread is still stuck on in this pid, or false.
bool StuckOn(const std::string& root, int32_t pid, std::string& what) {
  std::lock_guard<std::mutex> lock(gStuckMu);
  for (const auto& s : gStuck) {
    if (s.pid == pid && s.root == root) {
      what = s.what;
      return true;
    }
  }
  return false;
}

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

inline bool ParseUint(const char* s, size_t n, uint64_t& out) {
  if (n == 0 || n > 19) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned c = static_cast<unsigned char>(s[i]) - '0';
    if (c > 9) return false;
    v = v * 10 + c;
  }
  out = v;
  return true;
}

bool ReadLinkAt(int dirfd, const char* name, char* link, size_t cap, std::string& out) {
  ssize_t n = readlinkat(dirfd, name, link, cap);
  if (n < 0) return false;
  out.assign(link, static_cast<size_t>(n));
  return true;
}

// Whether some rule asks for this maps line ("start-end perms …": perms[3] 's' is a shared
// mapping). A rule's text (" /SYSV", " /dev/shm/", …) is matched at the start of the path field.
bool WantMapsLine(const char* p, size_t ll, const std::vector<MapsRule>& rules, std::vector<uint32_t>& kept) {
  const char* sp = static_cast<const char*>(memchr(p, ' ', ll));
  const bool shared = sp && sp + 4 < p + ll && sp[4] == 's';
  const size_t at = MapsPathAt(p, ll);
  for (const MapsRule& r : rules) {
    if (r.shared && !shared) continue;
    const bool spaced = !r.text.empty() && r.text[0] == ' ';
    if (!spaced) {
      if (memmem(p, ll, r.text.data(), r.text.size()) != nullptr) return true;
      continue;
    }
    if (!MapsPathStarts(p, ll, at, r.text.data() + 1, r.text.size() - 1)) continue;
    if (std::any_of(r.except.begin(), r.except.end(), [&](const std::string& e) { return MapsPathStarts(p, ll, at, e.data() + 1, e.size() - 1); })) continue;
    if (r.max != 0) {
      uint32_t& n = kept[static_cast<size_t>(&r - rules.data())];
      if (n >= r.max) continue;
      n++;
    }
    return true;
  }
  return false;
}

// "123" into out (NUL-terminated); returns the length.
inline size_t FormatUint(uint32_t v, char* out) {
  char t[12];
  size_t n = 0;
  do {
    t[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) out[i] = t[n - 1 - i];
  out[n] = '\0';
  return n;
}


inline uint8_t ModeOfFlags(int fl) {
  if (fl & O_PATH) return 0;
  int acc = fl & O_ACCMODE;
  return static_cast<uint8_t>((acc == O_RDONLY || acc == O_RDWR ? 1 : 0) | (acc == O_WRONLY || acc == O_RDWR ? 2 : 0));
}

class Walker {
 public:
  Walker(Shared& sh, uint32_t index) : sh_(sh), index_(index), buf_(64 * 1024), dents_(256 * 1024) {
    // address space, not memory (pagealloc.h: only written pages are resident); a walker's share
    // of a large machine fills it without the copies and faults of doubling from 8k rows
    cols.reserve(65536);
    names_.reserve(4096);
    // pidfd_getfd only when asked, and only on the real /proc (a captured tree's pids are not this machine's).
    getfd_ = sh.opt->useGetfd && sh.opt->procRoot == "/proc";
    for (const FdRule& r : sh.opt->fdRules) {
      if (!sockRule_ && r.link == "socket:[") sockRule_ = &r;
      if (!pipeRule_ && r.link == "pipe:[") pipeRule_ = &r;
    }
    int pp[2];
    if ((getfd_ || sh.opt->anyMeasure) && pipe2(pp, O_CLOEXEC) == 0) {
      struct stat st;
      if (fstat(pp[0], &st) == 0) pipefsDev_ = st.st_dev;  // every anonymous pipe lives on the one pipefs
      close(pp[0]);
      close(pp[1]);
    } else {
      getfd_ = false;
    }
  }

  // Phase 1: one process at a time, pulled from a shared counter. False when given up meanwhile.
  bool Run() {
    std::vector<ProcOut>& procs = *sh_.procs;
    for (;;) {
      size_t i = sh_.next.fetch_add(1, std::memory_order_relaxed);
      if (i >= procs.size()) break;
      // Everything goes into cur_ and the end of cols first; Publish hands it over (or drops it
      // when this walker was given up while the process held it).
      cur_ = ProcOut();
      cur_.pid = procs[i].pid;
      cur_.leader = procs[i].leader;
      cur_.thread = index_;
      cur_.fdStart = cols.pid.size();
      Begin(i, cur_.pid);
      std::string what;
      if (StuckOn(sh_.opt->procRoot, cur_.pid, what) || SkipGiven(cur_.pid, what)) {
        cur_.error = ETIMEDOUT;
        cur_.stuck = what;
      } else {
        WalkOne(cur_);
      }
      cur_.fdCount = cols.pid.size() - cur_.fdStart;
      const uint32_t uid = StatusUid(cur_.status);
      const int64_t counted = cur_.error ? 0 : static_cast<int64_t>(cur_.fdCount);  // the snapshot drops a process in error
      {
        std::lock_guard<std::mutex> lock(pubMu);
        if (abandoned) return false;
        MarkPublished();
        procs[i] = std::move(cur_);
        sh_.procDone[i] = 1;
        itemStartNs.store(0, std::memory_order_relaxed);
      }
      sh_.valve.Done(i, uid, counted);
    }
    return true;
  }

  bool SkipGiven(int32_t pid, std::string& what) const {
    if (sh_.opt->procRoot != "/proc") return false;  // the other walk's pids are this machine's
    for (const auto& s : sh_.opt->skipStuck) {
      if (s.first == pid) {
        what = s.second;
        return true;
      }
    }
    return false;
  }

  // Phase 2: ranges of large fd tables, so one process with 50k fds still uses every thread.
  bool RunChunks() {
    std::vector<ProcOut>& procs = *sh_.procs;
    for (;;) {
      size_t i = sh_.nextChunk.fetch_add(1, std::memory_order_relaxed);
      if (i >= sh_.chunks.size()) break;
      Chunk& c = sh_.chunks[i];
      ProcOut& p = procs[c.proc];  // published in phase 1: only read here
      size_t rowStart = cols.pid.size();
      Begin(i, p.pid);
      stage.store("fd", std::memory_order_relaxed);
      // A dirfd of our own: the listing position (lseek) is per open file.
      const uint32_t uid = StatusUid(p.status);
      const bool spent = sh_.valve.Spent(uid);
      uint32_t visited = 0;
      int fdDir = p.pdir.ok() && !spent ? openat(p.pdir.get(), "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
      if (fdDir >= 0) {
        Fd closer(fdDir);
        BeginProcess(p, p.pdir.get());
        linkDenied_ = 0;  // (refused here only if the process changed since phase 1: its rows so far stand)
        visited = Enumerate(p, fdDir, c.lo, c.hi, kNoLimit, p.probe);
      }
      const size_t rows = cols.pid.size() - rowStart;
      {
        std::lock_guard<std::mutex> lock(pubMu);
        if (abandoned) return false;
        MarkPublished();
        c.thread = index_;
        c.rowStart = rowStart;
        c.rowCount = rows;
        c.skipped = spent;
        c.visited = visited;
        sh_.chunkDone[i] = 1;
        itemStartNs.store(0, std::memory_order_relaxed);
      }
      sh_.valve.Done(sh_.chunkItem[i], uid, p.error ? 0 : static_cast<int64_t>(rows));
    }
    return true;
  }

  // Called by the waiting thread when it gives this walker up. Copies the rows published so far
  // (the walker may still be appending to its columns: it is never stopped, only left alone);
  // returns the item index the walker is on (and its pid and stage), or -1 when idle. A walker on
  // its item for itemTimeoutNs or more is entered in the process-wide stuck list, under the same
  // lock Finished() takes, so a thread that returns right now cannot leave a stale entry behind.
  long Abandon(FdCols& taken, int32_t& pid, const char*& what, bool& stuck, int64_t itemTimeoutNs, int64_t now) {
    std::lock_guard<std::mutex> lock(pubMu);
    abandoned = true;
    // Only the published prefix, and no move of `cols`: the walker's appends write past it and
    // grow a column only under this lock (Room), so the prefix's memory stays where it is.
    auto head = [](auto& to, const auto& from, size_t n) { to.assign(from.begin(), from.begin() + static_cast<ptrdiff_t>(n)); };
    head(taken.pid, cols.pid, pubRows_);
    head(taken.fd, cols.fd, pubRows_);
    head(taken.kind, cols.kind, pubRows_);
    head(taken.mode, cols.mode, pubRows_);
    head(taken.inode, cols.inode, pubRows_);
    head(taken.dev, cols.dev, pubRows_);
    head(taken.pathIndex, cols.pathIndex, pubRows_);
    head(taken.infoIndex, cols.infoIndex, pubRows_);
    head(taken.paths, cols.paths, pubPaths_);
    head(taken.infos, cols.infos, pubInfos_);
    const int64_t since = itemStartNs.load(std::memory_order_relaxed);
    if (since == 0) return -1;
    pid = curPid_;
    what = stage.load(std::memory_order_relaxed);
    stuck = now - since >= itemTimeoutNs && !finished_;
    if (stuck) stuckId_ = RegisterStuck(sh_.opt->procRoot, pid, sh_.opt->procRoot + "/" + std::to_string(pid) + "/" + what);
    return static_cast<long>(curIndex_);
  }

  // The walk thread's last act: a thread that was stuck and finally returned takes its pid off the
  // process-wide list.
  void Finished() {
    std::lock_guard<std::mutex> lock(pubMu);
    finished_ = true;
    if (stuckId_) UnregisterStuck(stuckId_);
    stuckId_ = 0;
  }

  FdCols cols;
  // the pipes and FIFOs this walker claimed, measured after the walk (Defer)
  std::vector<PipeMeasureItem> measure;
  std::mutex pubMu;
  bool abandoned = false;  // under pubMu
  // What of `cols` is published (rows, paths, infos): what Abandon copies. Under pubMu.
  size_t pubRows_ = 0, pubPaths_ = 0, pubInfos_ = 0;
  // Steady-clock ns when the current item started, 0 while idle: the waiting thread reads it to
  // find walkers stuck longer than itemTimeoutMs.
  std::atomic<int64_t> itemStartNs{0};
  // The /proc file being read (static strings), for the report of a stuck walker.
  std::atomic<const char*> stage{""};

 private:
  // Under pubMu: everything in `cols` so far belongs to published items.
  void MarkPublished() {
    pubRows_ = cols.pid.size();
    pubPaths_ = cols.paths.size();
    pubInfos_ = cols.infos.size();
  }

  // Before an append to `v`: a full vector grows under pubMu, so that Abandon, on another thread,
  // never reads a buffer the growth frees. Appends that fit write past what Abandon reads.
  template <typename V>
  void Room(V& v) {
    if (v.size() < v.capacity()) return;
    std::lock_guard<std::mutex> lock(pubMu);
    v.reserve(v.capacity() < 16 ? 16 : v.capacity() * 2);
  }

  void Begin(size_t index, int32_t pid) {
    // paths are shared within one process's (or chunk's) rows only: Append moves each range's own
    recentPaths_.clear();
    std::lock_guard<std::mutex> lock(pubMu);
    curIndex_ = index;
    curPid_ = pid;
    stage.store("stat", std::memory_order_relaxed);
    itemStartNs.store(NowNs(), std::memory_order_relaxed);
  }

  void WalkOne(ProcOut& p) {
    const Options& opt = *sh_.opt;
    char name[24];
    FormatUint(static_cast<uint32_t>(p.pid), name);
    int pdir = openat(sh_.rootFd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pdir < 0) {
      p.error = errno;
      return;
    }
    Fd pdirCloser(pdir);

    ssize_t n = ReadWholeAt(pdir, "stat", buf_);
    if (n < 0) {
      p.error = static_cast<int>(-n);
      return;
    }
    p.stat.assign(buf_.data(), n);
    p.has |= F_STAT;
    if (!Text(pdir, "status", p.status, p, F_STATUS)) return;
    if (!Bounded(pdir, "cmdline", p.cmdline, p, F_CMDLINE, sh_.cmdlineBudget)) return;
    // a thread's mappings and POSIX timers are its process's: listed once, under the process
    const bool thread = p.leader != 0;
    if (!thread && sh_.procfs && opt.procRoot == "/proc" && StatusField(p.status, "\nThreads:", 9) > 1) OwnTables(pdir, p);
    if (!opt.mapsRules.empty() && !thread) {
      stage.store("maps", std::memory_order_relaxed);
      MapsRead m = ReadMapsKept(pdir, "maps", buf_, p.maps, &sh_.mapsBudget, StatusUid(p.status),
                                [&opt, kept = std::vector<uint32_t>(opt.mapsRules.size())](const char* line, size_t len) mutable {
                                  return WantMapsLine(line, len, opt.mapsRules, kept);
                                });
      if (m.err == 0) {
        p.has |= F_MAPS;
        if (m.truncated) p.errors.emplace_back("maps", EFBIG);
      } else if (m.err == ESRCH) {
        p.error = ESRCH;
        return;
      } else {
        p.maps.clear();
        p.errors.emplace_back("maps", m.err);
      }
    }
    if (opt.readTimers && !thread && !Bounded(pdir, "timers", p.timers, p, F_TIMERS, sh_.timersBudget, "ID: ")) return;
    if (opt.readCgroup && !Text(pdir, "cgroup", p.cgroup, p, F_CGROUP)) return;
    stage.store("ns/net", std::memory_order_relaxed);
    if (ReadLinkAt(pdir, "ns/net", link_, sizeof link_, p.netns)) p.has |= F_NETNS;
    else if (errno != ENOENT) p.errors.emplace_back("ns/net", errno);  // ENOENT: a zombie has no namespaces (as cwd and exe)
    // (no field error when refused: ns/net's says it already, and a process without it is taken as ours)
    if (ReadLinkAt(pdir, "ns/ipc", link_, sizeof link_, p.ipcns)) p.has |= F_IPCNS;
    if (ReadLinkAt(pdir, "ns/mnt", link_, sizeof link_, p.mntns)) p.has |= F_MNTNS;
    if (opt.readLinks) {
      stage.store("cwd", std::memory_order_relaxed);
      if (ReadLinkAt(pdir, "cwd", link_, sizeof link_, p.cwd)) p.has |= F_CWD;
      else if (errno != ENOENT) p.errors.emplace_back("cwd", errno);  // ENOENT: a kernel thread or zombie has none
      if (ReadLinkAt(pdir, "exe", link_, sizeof link_, p.exe)) p.has |= F_EXE;
      else if (errno != ENOENT) p.errors.emplace_back("exe", errno);
    }
    if (opt.fdRules.empty()) return;  // no fd class wanted (a process-only walk)
    stage.store("fd", std::memory_order_relaxed);
    WalkFds(p, pdir);
  }

  // The threads whose fd table is not the process's (kcmp KCMP_FILES; the same ptrace access the
  // fd links need). Only on this machine's /proc: kcmp takes pids of our namespace.
  void OwnTables(int pdir, ProcOut& p) {
    stage.store("task", std::memory_order_relaxed);
    int dir = openat(pdir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return;
    Fd closer(dir);
    for (;;) {
      long n = syscall(SYS_getdents64, dir, dents_.data(), dents_.size());
      if (n <= 0) return;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<linux_dirent64*>(dents_.data() + off);
        off += d->d_reclen;
        uint64_t tid;
        if (!ParseUint(d->d_name, strlen(d->d_name), tid) || tid > 0x7fffffff || static_cast<int32_t>(tid) == p.pid) continue;
        if (!Differ(p.pid, static_cast<int32_t>(tid))) continue;
        // threads sharing one table of their own (all of them, once the main thread has exited
        // and taken its table along) list it once, under the first: task/ is in tid order
        bool shared = false;
        for (int32_t other : p.ownTables)
          if (!Differ(other, static_cast<int32_t>(tid))) shared = true;
        if (shared) continue;
        // at most kMaxThreadTables tables, the first in tid order (the BPF walk takes the same):
        // the others are counted, for the snapshot's warning
        if (p.ownTables.size() >= kMaxThreadTables) p.threadTablesSkipped++;
        else p.ownTables.push_back(static_cast<int32_t>(tid));
      }
    }
  }

  // Two tasks' fd tables differ (kcmp says so: an error, e.g. a task gone, is not a difference).
  static bool Differ(int32_t a, int32_t b) {
    long r = syscall(SYS_kcmp, a, b, KCMP_FILES, 0, 0);
    return r == 1 || r == 2;
  }

  // KeepText (walkrows.h), with the file named in `stage` (what a read that does not return is reported stuck on).
  bool Text(int pdir, const char* file, std::string& out, ProcOut& p, uint32_t flag) {
    stage.store(file, std::memory_order_relaxed);
    return KeepText(p, pdir, file, out, flag, buf_);
  }

  // Text() within `budget` (boundedtext.h): a text cut short is kept, with the read error EFBIG.
  bool Bounded(int pdir, const char* file, std::string& out, ProcOut& p, uint32_t flag, TextBudget& budget, const char* record = nullptr) {
    stage.store(file, std::memory_order_relaxed);
    return KeepBounded(p, file, flag, ReadBounded(pdir, file, buf_, out, budget, StatusUid(p.status), record), true);
  }

  // The fd table: `count` open fds (st_size of /proc/PID/fd, Linux >= 6.2) below `size` (status
  // FDSize). A mostly full table is probed by number, which skips getdents64 (whose per-entry cost
  // is a good part of a readlink); a sparse one, or one whose count is unknown, is listed.
  void WalkFds(ProcOut& p, int pdir) {
    int fdDir = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fdDir < 0) {
      p.fdError = errno;
      return;
    }
    Fd closer(fdDir);
    linkDenied_ = 0;
    WalkFdTable(p, pdir, fdDir);
    // links refused: no fd of it is seen (ranges left for phase 2 would be refused the same)
    if (linkDenied_) {
      p.fdError = linkDenied_;
      p.fdLinksRefused = true;
      p.deferred.clear();
      p.pdir.reset();
    }
  }

  void WalkFdTable(ProcOut& p, int pdir, int fdDir) {
    BeginProcess(p, pdir);
    struct stat st;
    // st_size of a procfs fd dir is the open count (Linux >= 6.2; 0 before). Not on captured trees.
    uint64_t count = sh_.procfs && fstat(fdDir, &st) == 0 && st.st_size > 0 ? static_cast<uint64_t>(st.st_size) : 0;
    p.fdsOpen = count;
    // every row of this table would be cut (rowvalve.h): not walked, only counted
    if (sh_.valve.Spent(StatusUid(p.status))) {
      names_.clear();
      if (count == 0) ListNames(fdDir, 0, kNoLimit);
      p.fdsPast = count ? count : names_.size();
      if (p.fdsPast == 0) p.fdsPast = 1;
      return;
    }
    uint64_t size = (p.has & F_STATUS) ? StatusField(p.status, "\nFDSize:", 8) : 0;
    if (size > (1u << 30)) size = 0;
    if (count > 0 && size >= count) {
      // Probing costs a failed lookup per hole (several times a getdents entry): only for tables at
      // least a third full, and Enumerate gives up on a probe that meets too many holes.
      bool probe = count >= 8 && size - count <= 2 * count;
      if (count <= kChunk + kChunk / 2) {
        p.fdsVisited = Enumerate(p, fdDir, 0, static_cast<uint32_t>(size), static_cast<uint32_t>(count), probe);
        return;
      }
      // Split [0, size) into ranges of about kChunk open fds each; the first is walked now.
      uint64_t width = kChunk * size / count;
      if (width < kChunk) width = kChunk;
      p.fdsVisited = Enumerate(p, fdDir, 0, static_cast<uint32_t>(width), kNoLimit, probe);
      for (uint64_t lo = width; lo < size; lo += width) {
        uint64_t hi = lo + width < size ? lo + width : size;
        p.deferred.emplace_back(static_cast<uint32_t>(lo), static_cast<uint32_t>(hi));
      }
      p.probe = probe;
      p.pdir.reset(fcntl(pdir, F_DUPFD_CLOEXEC, 0));
      return;
    }
    // Count unknown (older kernels, captured trees): list the names.
    names_.clear();
    if (!ListNames(fdDir, 0, kNoLimit)) {
      if (names_.empty()) p.fdError = errno;
    }
    size_t n = names_.size();
    // Deferred ranges are listed again from lseek(fd + 2), which only procfs understands.
    size_t inl = n <= kChunk + kChunk / 2 || !sh_.procfs ? n : kChunk;
    char nm[16];
    for (size_t k = 0; k < inl && !linkDenied_; k++) {
      FormatUint(names_[k], nm);
      if (Visit(p, fdDir, nm, names_[k])) p.fdsVisited++;
    }
    if (inl < n) {
      for (size_t k = inl; k < n; k += kChunk) {
        uint32_t hi = k + kChunk < n ? names_[k + kChunk] : kNoLimit;
        p.deferred.emplace_back(names_[k], hi);
      }
      p.probe = false;
      p.pdir.reset(fcntl(pdir, F_DUPFD_CLOEXEC, 0));
    }
  }

  // Appends the fd numbers in [lo, hi) to names_, in order. False on a getdents64 error (errno set).
  bool ListNames(int fdDir, uint32_t lo, uint32_t hi) {
    // /proc/PID/fd positions are fd + 2 (0 and 1 are "." and "..").
    if (lseek(fdDir, static_cast<off_t>(lo) + (lo ? 2 : 0), SEEK_SET) < 0) return false;
    for (;;) {
      long nread = syscall(SYS_getdents64, fdDir, dents_.data(), dents_.size());
      if (nread < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      if (nread == 0) return true;
      for (long off = 0; off < nread;) {
        auto* d = reinterpret_cast<linux_dirent64*>(dents_.data() + off);
        off += d->d_reclen;
        uint64_t fdnum;
        if (!ParseUint(d->d_name, strlen(d->d_name), fdnum) || fdnum < lo) continue;
        if (fdnum >= hi) return true;
        names_.push_back(static_cast<uint32_t>(fdnum));
      }
    }
  }

  // Visits the open fds in [lo, hi) in increasing order, at most `want` of them when probing.
  // A probe gives up when holes get denser than about 1 in 8 over the recent fds (a miss costs
  // ~5 getdents entries): budget in 1/8 holes, +1 per open fd up to 4 holes, -8 per hole.
  // Returns the number of open fds found.
  uint32_t Enumerate(ProcOut& p, int fdDir, uint32_t lo, uint32_t hi, uint32_t want, bool probe) {
    char nm[16];
    uint32_t fd = lo;
    uint32_t found = 0;
    if (probe) {
      int budget = 3 * 8;
      for (; fd < hi && found < want && !linkDenied_; fd++) {
        FormatUint(fd, nm);
        if (Visit(p, fdDir, nm, fd)) {
          found++;
          if (budget < 4 * 8) budget++;
        } else if (!pidfd_.ok() && (budget -= 8) < 0) {  // pidfd_getfd holes (EBADF) are cheap
          fd++;
          break;
        }
      }
      if (fd >= hi || found >= want || linkDenied_) return found;
    }
    names_.clear();
    ListNames(fdDir, fd, hi);
    for (uint32_t f : names_) {
      if (linkDenied_) return found;
      FormatUint(f, nm);
      if (Visit(p, fdDir, nm, f)) found++;
    }
    return found;
  }

  // One fd; false when it is not open (a hole, or closed meanwhile).
  bool Visit(ProcOut& p, int fdDir, const char* nm, uint32_t fdnum) {
    // A thread's table began as a copy of its process's: an fd that is still the same open file
    // at the same number as the process's (kcmp KCMP_FILE compares the struct file, as the BPF
    // walk does) is the process's, listed under it once — else every thread that unshares lists
    // all of its process's fds again. Only an fd the thread opened, replaced or kept after the
    // process closed it is the thread's. (The leader gone: kcmp fails, every fd is the thread's.)
    if (p.leader != 0 && syscall(SYS_kcmp, p.leader, p.pid, KCMP_FILE, fdnum, fdnum) == 0) return true;
    if (pidfd_.ok()) {
      int r = VisitGetfd(p, fdDir, nm, static_cast<int32_t>(fdnum));
      if (r >= 0) return r > 0;
      pidfd_.reset();  // no pidfd_getfd rights over this process: readlink path from now on
    }
    return VisitLink(p, fdDir, nm, static_cast<int32_t>(fdnum));
  }

  // Passive path: any procRoot, any permissions. The first rule whose link prefix matches decides;
  // "/" rules share one statx of the target (only FIFOs, regular files under a directory, or on an
  // mqueue mount can match, so anything else is skipped after it).
  bool VisitLink(ProcOut& p, int fdDir, const char* nm, int32_t fdnum) {
    ssize_t n = readlinkat(fdDir, nm, link_, sizeof link_ - 1);
    // A path longer than a page has no link text (ENAMETOOLONG): any user can nest directories
    // that deep. Such an fd is still a file of its type, so the path rules that need no text (a
    // FIFO's) see it, without a path: nothing hides from the walk by a long name.
    const bool nameless = n < 0 && errno == ENAMETOOLONG;
    if (n < 0 && (errno == EACCES || errno == EPERM)) {
      // The fd exists (it was listed) but its link is refused: ptrace read access to the process
      // is denied (an LSM, a process of a user namespace above ours, no CAP_SYS_PTRACE over it).
      // None of its fds can be seen — a read error of the process, as an unreadable fd directory
      // is, never an fd "closed meanwhile": the snapshot says processes are hidden, and the
      // diagnosis cannot say nobody holds the other end of a pipe.
      linkDenied_ = errno;
      return true;
    }
    if (n <= 0 && !nameless) return false;
    const Options& opt = *sh_.opt;
    const size_t len = nameless ? 0 : static_cast<size_t>(n);
    bool statted = false;
    struct statx sx;
    for (const FdRule& r : opt.fdRules) {
      if (nameless) {
        if (r.link != "/" || !r.under.empty() || r.mqueue || r.memfd) continue;
      } else if (len < r.link.size() || memcmp(link_, r.link.data(), r.link.size()) != 0) {
        continue;
      }
      if (r.exact && len != r.link.size()) continue;
      uint64_t ino = 0, dev = 0;
      if (r.bracket) {
        const size_t pl = r.link.size();
        if (len <= pl + 1 || link_[len - 1] != ']' || !ParseUint(link_ + pl, len - pl - 1, ino)) return true;
      } else if (r.link == "/") {
        if (!statted) {
          for (const std::string& skip : opt.skipLinks)
            if (len >= skip.size() && memcmp(link_, skip.data(), skip.size()) == 0) return true;
          // Follows the link to the open file. AT_STATX_DONT_SYNC: FUSE / NFS answer from their
          // attribute cache (type and inode never change) instead of a round trip that would hang
          // on a dead server.
          if (statx(fdDir, nm, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO | STATX_NLINK, &sx) != 0) return true;
          statted = true;
        }
        if (r.type && (sx.stx_mode & S_IFMT) != static_cast<unsigned>(r.type)) continue;
        if (!r.under.empty() && (len <= r.under.size() || memcmp(link_, r.under.data(), r.under.size()) != 0)) continue;
        ino = sx.stx_ino;
        if (r.type == S_IFCHR) {
          // a device node (a terminal): which device it is, not its inode (stx_rdev is always filled)
          if (sx.stx_rdev_major < r.majLo || sx.stx_rdev_major > r.majHi || sx.stx_rdev_minor < r.minLo || sx.stx_rdev_minor > r.minHi) continue;
          ino = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
        }
        dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
        if (r.mqueue && (len < 2 || memchr(link_ + 1, '/', len - 1) != nullptr || !IsMqueueDev(dev, fdDir, nm))) continue;
        // a memfd's link ends in the kernel's " (deleted)"; its device decides (a captured tree's
        // targets are stand-ins: the text alone)
        if (r.memfd && (len < r.under.size() + 10 || memcmp(link_ + len - 10, " (deleted)", 10) != 0 || (sh_.procfs && (sh_.memfdDev == 0 || dev != sh_.memfdDev)))) continue;
      }
      uint8_t mode = r.rw ? 3 : LinkMode(fdDir, nm);
      // unlinked: the inode says so on a procfs; a captured tree's targets are stand-ins, whose
      // link text is all there is
      if (r.link == "/" && (sh_.procfs ? (sx.stx_mask & STATX_NLINK) && sx.stx_nlink == 0 : len > 10 && memcmp(link_ + len - 10, " (deleted)", 10) == 0))
        mode |= kModeUnlinked;
      // bracketed identities (pipes) live on the one pipefs; a path's target on its own device
      if (r.measure && (mode & 1)) {
        const Key key{r.bracket ? 0 : dev, ino};
        if (Claim(key, p.pid, fdnum)) Defer(p.pid, fdnum, key, r.bracket ? pipefsDev_ : dev);
      }
      int32_t pathIndex = -1;
      if (r.link == "/" && !nameless) pathIndex = PathOf(dev, ino, len);
      int32_t infoIndex = -1;
      if (!r.fdinfo.empty()) infoIndex = ReadFdinfo(fdDir, nm, r.fdinfo);
      Push(p.pid, fdnum, r.code, mode, ino, dev, pathIndex, infoIndex);
      return true;
    }
    return true;
  }

  // The index of link_'s `len` bytes in cols.paths: the one an earlier fd of this process to the
  // same file stored, when its text is the same, else a new one. Another user can dup one FIFO
  // fd at a 4,094-byte path to the fd limit in as many processes as they like (8 bytes of their
  // kernel memory a fd): one copy per fd made 10 × 20,000 of them 1.7 GB here.
  int32_t PathOf(uint64_t dev, uint64_t ino, size_t len) {
    const uint64_t key = ino * 0x9E3779B97F4A7C15ull ^ dev;
    auto it = recentPaths_.find(key);
    if (it != recentPaths_.end()) {
      const std::string& s = cols.paths[static_cast<size_t>(it->second)];
      if (s.size() == len && memcmp(s.data(), link_, len) == 0) return it->second;
    }
    const int32_t at = static_cast<int32_t>(cols.paths.size());
    Room(cols.paths);
    cols.paths.emplace_back(link_, len);
    if (recentPaths_.size() < kRecentPaths) recentPaths_[key] = at;
    return at;
  }

  // The fdinfo lines a rule asks for, stored in cols.infos; -1 when the fd is gone or unreadable.
  int32_t ReadFdinfo(int fdDir, const char* nm, const std::vector<std::string>& keys) {
    char path[48];
    snprintf(path, sizeof path, "../fdinfo/%s", nm);
    ssize_t n = ReadWholeAt(fdDir, path, buf_);
    if (n <= 0) return -1;
    std::string kept;
    KeepFdinfoLines(buf_.data(), static_cast<size_t>(n), keys, kept);
    Room(cols.infos);
    cols.infos.push_back(std::move(kept));
    return static_cast<int32_t>(cols.infos.size() - 1);
  }

  // The link's permission bits are the fd's f_mode: S_IRUSR read, S_IWUSR write.
  static uint8_t LinkMode(int fdDir, const char* nm) { return static_cast<uint8_t>(ipci::LinkMode(fdDir, nm)); }

  // Single-component regular-file paths are mqueue candidates; the answer is cached per st_dev
  // (memfds, "/memfd:x (deleted)", share one dev and would otherwise cost a lookup each). Decided
  // from procfs where possible, not by asking the file's filesystem (a statfs of a file on a hung
  // FUSE mount would block): the fd's mnt_id (fdinfo) looked up in the holder's mountinfo. An fd
  // from mq_open (or memfd_create) is on the kernel's internal mount, which no mountinfo lists;
  // only then statfs, whose answer for those internal filesystems never waits on anyone (a FUSE
  // file there, e.g. from a detached mount, is what the walk deadline is for).
  bool IsMqueueDev(uint64_t dev, int fdDir, const char* nm) {
    for (const auto& d : mqDevs_)
      if (d.first == dev) return d.second;
    char path[48];
    snprintf(path, sizeof path, "../fdinfo/%s", nm);
    ssize_t n = ReadWholeAt(fdDir, path, buf_);
    if (n <= 0) return false;
    const char* f = static_cast<const char*>(memmem(buf_.data(), static_cast<size_t>(n), "mnt_id:", 7));
    if (!f) return false;
    f += 7;
    const char* end = buf_.data() + n;
    while (f < end && (*f == ' ' || *f == '\t')) f++;
    uint64_t mnt = 0;
    const char* digits = f;
    while (f < end && *f >= '0' && *f <= '9') mnt = mnt * 10 + static_cast<uint64_t>(*f++ - '0');
    if (f == digits) return false;
    n = ReadWholeAt(fdDir, "../mountinfo", buf_);
    if (n <= 0) return false;
    bool mq = false, found = false;
    for (const char* line = buf_.data(); line < buf_.data() + n && !found;) {
      const char* nl = static_cast<const char*>(memchr(line, '\n', static_cast<size_t>(buf_.data() + n - line)));
      const char* le = nl ? nl : buf_.data() + n;
      uint64_t id = 0;
      const char* q = line;
      while (q < le && *q >= '0' && *q <= '9') id = id * 10 + static_cast<uint64_t>(*q++ - '0');
      if (q > line && id == mnt) {
        found = true;
        const char* sep = static_cast<const char*>(memmem(line, static_cast<size_t>(le - line), " - ", 3));
        mq = sep && le - sep >= 10 && memcmp(sep + 3, "mqueue ", 7) == 0;
      }
      line = le + 1;
    }
    if (!found) {
      struct statfs sf;
      if (fstatfsat(fdDir, nm, sf) != 0) return false;
      mq = static_cast<unsigned long>(sf.f_type) == MQUEUE_MAGIC;
    }
    if (mqDevs_.size() < 64) mqDevs_.emplace_back(dev, mq);
    return mq;
  }

  // statfs of a path relative to a directory fd (there is no statfsat): through /proc/self/fd.
  static int fstatfsat(int dirfd, const char* name, struct statfs& sf) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, name);
    return statfs(path, &sf);
  }

  // A pipe or FIFO to measure behind this read-mode fd, once the walk is done: FIONREAD and
  // F_GETPIPE_SZ, and the reopen they need, wait for the pipe's lock, which its holder can keep
  // for good, so they run in a task of their own (pipetask.h: MeasurePipes, with the checks that
  // nothing the holder swapped in since the readlink is opened).
  void Defer(int32_t pid, int32_t fdnum, const Key& key, uint64_t dev) {
    PipeMeasureItem it{};
    it.pid = pid;
    it.fd = fdnum;
    it.ino = key.ino;
    it.dev = dev;
    it.tag = claimed_;
    claimed_ = nullptr;
    measure.push_back(it);
  }

  // ---- opt-in pidfd_getfd path (useGetfd) ----

  // With useGetfd: a pidfd for the process whose fds are walked next, verified against its /proc
  // dir (still alive after pidfd_open) so a recycled pid is never used. Without: none, ever.
  void BeginProcess(ProcOut& p, int pdir) {
    pidfd_.reset();
    if (!getfd_) return;
    pidfd_.reset(OpenPidfd(p.pid));
    if (pidfd_.ok() && faccessat(pdir, "fd", F_OK, 0) != 0) pidfd_.reset();
  }

  // pidfd_getfd a duplicate and fstat it; readlink only for FIFOs and regular files. Pipe numbers
  // come from the duplicate (through read-mode fds only, as on the passive path, so both paths give
  // the same rows). Returns 1 when the fd exists (row pushed or fd skipped), 0 for a hole (EBADF),
  // -1 when pidfd_getfd is not permitted.
  int VisitGetfd(ProcOut& p, int fdDir, const char* nm, int32_t fdnum) {
    int d = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd_.get(), fdnum, 0));
    if (d < 0) return errno == EBADF ? 0 : -1;
    Fd dup(d);
    struct stat st;
    if (fstat(d, &st) != 0) return 1;
    int fl = fcntl(d, F_GETFL);
    if (fl < 0) return 1;
    // Sockets and pipes are classified from the copy (no readlink); everything else takes the
    // passive path for this fd, so both paths give the same rows.
    const bool sock = S_ISSOCK(st.st_mode);
    const bool pipe = S_ISFIFO(st.st_mode) && st.st_dev == pipefsDev_;
    const FdRule* r = sock ? sockRule_ : pipe ? pipeRule_ : nullptr;
    if (!r) {
      if (!sock && !pipe) VisitLink(p, fdDir, nm, fdnum);
      return 1;
    }
    const uint8_t mode = r->rw ? 3 : ModeOfFlags(fl);
    // measured as on the passive path, in a task (the copy's FIONREAD would wait on the pipe's lock here)
    if (r->measure && (mode & 1) && Claim(Key{0, st.st_ino}, p.pid, fdnum)) Defer(p.pid, fdnum, Key{0, st.st_ino}, pipefsDev_);
    Push(p.pid, fdnum, r->code, mode, st.st_ino, 0, -1, -1);
    return 1;
  }

  static bool IsMqueueFd(int fd) {
    struct statfs sf;
    return fstatfs(fd, &sf) == 0 && static_cast<unsigned long>(sf.f_type) == MQUEUE_MAGIC;
  }

  // ---- shared ----

  void Push(int32_t pid, int32_t fdnum, uint8_t kind, uint8_t mode, uint64_t ino, uint64_t dev, int32_t pathIndex, int32_t infoIndex) {
    Room(cols.pid);
    Room(cols.fd);
    Room(cols.kind);
    Room(cols.mode);
    Room(cols.inode);
    Room(cols.dev);
    Room(cols.pathIndex);
    Room(cols.infoIndex);
    cols.pid.push_back(pid);
    cols.fd.push_back(fdnum);
    cols.kind.push_back(kind);
    cols.mode.push_back(mode);
    cols.inode.push_back(static_cast<double>(ino));
    cols.dev.push_back(static_cast<double>(dev));
    cols.pathIndex.push_back(pathIndex);
    cols.infoIndex.push_back(infoIndex);
  }

  // True when this thread should measure the pipe/FIFO through pid's fd (nobody else claimed it);
  // otherwise the fd is kept as the pipe's alternate if it has none. The claimed entry is
  // remembered for Defer (unordered_map nodes never move), saving a lookup.
  bool Claim(const Key& key, int32_t pid, int32_t fd) {
    Shared::Shard& shard = sh_.ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto r = shard.meas.try_emplace(key);
    claimed_ = r.second ? &r.first->second : nullptr;
    if (!r.second && r.first->second.altFd < 0) {
      r.first->second.altPid = pid;
      r.first->second.altFd = fd;
    }
    return r.second;
  }

  Shared& sh_;
  uint32_t index_;
  bool getfd_ = false;
  uint64_t pipefsDev_ = 0;
  Fd pidfd_;  // only ever open with useGetfd
  const FdRule* sockRule_ = nullptr;  // the rules the pidfd_getfd path applies to the copies it classifies
  const FdRule* pipeRule_ = nullptr;
  Meas* claimed_ = nullptr;  // the entry of the last successful Claim, until its Defer
  ProcOut cur_;              // the process being walked (phase 1), handed over by Run
  size_t curIndex_ = 0;      // under pubMu
  int32_t curPid_ = 0;       // under pubMu
  uint64_t stuckId_ = 0;     // under pubMu
  bool finished_ = false;    // under pubMu: the thread's fn returned
  BigVec<char> buf_;
  BigVec<char> dents_;
  std::vector<uint32_t> names_;
  std::vector<std::pair<uint64_t, bool>> mqDevs_;
  char link_[4097];
  // this process's (or chunk's) stored paths by file (PathOf), at most kRecentPaths of them
  static constexpr size_t kRecentPaths = 4096;
  std::unordered_map<uint64_t, int32_t> recentPaths_;
  // errno of an fd link refused (EACCES/EPERM) in the table being walked; 0 = none
  int linkDenied_ = 0;
};

// Everything the walk threads touch, owned jointly by the AsyncWorker and every walk thread: a
// thread given up while stuck in the kernel keeps it alive until it returns (if ever).
struct Job {
  Options opt;
  Fd root;
  Shared sh;
  std::vector<ProcOut> procs;
  std::vector<std::unique_ptr<Walker>> walkers;
  std::mutex mu;  // guards running
  std::condition_variable cv;
  std::vector<uint8_t> running;
};

class WalkWorker : public PromiseWorker {
 public:
  WalkWorker(Napi::Env env, Options opt) : PromiseWorker(env, "ipcInspectorWalkProc"), opt_(std::move(opt)) {}

  void Execute() override {
    auto t0 = std::chrono::steady_clock::now();
    deadline_ = t0 + std::chrono::microseconds(static_cast<int64_t>(opt_.deadlineMs * 1000));
    job_ = std::make_shared<Job>();
    Job& job = *job_;
    std::vector<ProcOut>& procs = job.procs;
    int rootFd = open(opt_.procRoot.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootFd < 0) {
      err_.set(errno, "open", opt_.procRoot);
      return;
    }
    job.root.reset(rootFd);
    // The opt-in pidfd_getfd path needs this /proc to be of our pid namespace (/proc/self == getpid()).
    if (opt_.useGetfd) {
      char self[32], mine[32];
      ssize_t n = readlinkat(rootFd, "self", self, sizeof self - 1);
      int m = snprintf(mine, sizeof mine, "%d", static_cast<int>(getpid()));
      opt_.useGetfd = n == m && memcmp(self, mine, static_cast<size_t>(m)) == 0;
    }
    job.opt = opt_;
    if (opt_.pidsGiven && !opt_.pids.empty()) {
      for (size_t k = 0; k < opt_.pids.size(); k++) {
        ProcOut& p = procs.emplace_back();
        p.pid = opt_.pids[k];
        if (k < opt_.leaders.size()) p.leader = opt_.leaders[k];
      }
    } else if (!ListPids(rootFd, procs)) {
      return;
    }
    unsigned n = opt_.threads ? opt_.threads : std::thread::hardware_concurrency();
    if (n == 0) n = 1;
    if (n > 64) n = 64;
    if (n > procs.size()) n = procs.empty() ? 1 : static_cast<unsigned>(procs.size());

    Shared& sh = job.sh;
    sh.opt = &job.opt;
    sh.rootFd = rootFd;
    {
      struct statfs sf;
      sh.procfs = fstatfs(rootFd, &sf) == 0 && static_cast<unsigned long>(sf.f_type) == 0x9fa0;  // PROC_SUPER_MAGIC
    }
    if (sh.procfs && std::any_of(opt_.fdRules.begin(), opt_.fdRules.end(), [](const FdRule& r) { return r.memfd; })) {
      int m = static_cast<int>(syscall(SYS_memfd_create, "ipci-dev", MFD_CLOEXEC));
      struct stat st;
      if (m >= 0 && fstat(m, &st) == 0) sh.memfdDev = st.st_dev;
      if (m >= 0) close(m);
    }
    sh.procs = &procs;
    sh.procDone.assign(procs.size(), 0);
    if (opt_.anyMeasure)
      for (auto& s : sh.shards) s.meas.reserve(128);  // 8k pipes before a shard rehashes
    for (unsigned i = 0; i < n; i++) job.walkers.emplace_back(new Walker(sh, i));
    job.running.assign(n, 0);
    usable_.assign(n, 1);
    taken_.resize(n);
    sh.valve.Limit(opt_.rowsPerUser, opt_.rowsTotal);
    sh.valve.Sequence(procs.size());
    threads_ = RunPhase(&Walker::Run, true);

    for (size_t i = 0; i < procs.size(); i++) {
      if (!sh.procDone[i]) continue;
      for (const auto& r : procs[i].deferred) {
        Chunk c;
        c.proc = i;
        c.lo = r.first;
        c.hi = r.second;
        sh.chunks.push_back(c);
      }
    }
    sh.chunkDone.assign(sh.chunks.size(), 0);
    if (!sh.chunks.empty()) {
      // the budget in output order again: each process's phase-1 rows, then its ranges
      sh.valve.Sequence(procs.size() + sh.chunks.size());
      sh.chunkItem.resize(sh.chunks.size());
      size_t item = 0;
      for (size_t pi = 0, ci = 0; pi < procs.size(); pi++) {
        const ProcOut& p = procs[pi];
        const int64_t rows = sh.procDone[pi] && !p.error ? static_cast<int64_t>(p.fdCount) : 0;
        sh.valve.Done(item++, StatusUid(p.status), rows, false);
        for (; ci < sh.chunks.size() && sh.chunks[ci].proc == pi; ci++) sh.chunkItem[ci] = item++;
      }
      RunPhase(&Walker::RunChunks, false);
    }
    for (size_t i = 0; i < procs.size(); i++) {
      ProcOut& p = procs[i];
      if (!sh.procDone[i] && p.error == 0) p.error = ETIMEDOUT;  // given up (RunPhase noted a stuck read) or cut by the deadline
    }
    std::vector<uint8_t> keepDir(procs.size(), 0);
    for (size_t ci = 0; ci < sh.chunks.size(); ci++) {
      if (sh.chunkDone[ci]) continue;
      ProcOut& p = procs[sh.chunks[ci].proc];
      keepDir[sh.chunks[ci].proc] = 1;  // a given-up walker may still use it
      p.fdsCut = true;
    }
    for (size_t i = 0; i < procs.size(); i++)
      if (!keepDir[i] && sh.procDone[i]) procs[i].pdir.reset();
    // ranges left unwalked by the budget: the open fds not found (the table's count less those
    // found; without a count, a range's worth each)
    {
      std::vector<uint64_t> visited(procs.size(), 0), skipped(procs.size(), 0);
      for (const Chunk& c : sh.chunks) {
        if (!sh.chunkDone[&c - sh.chunks.data()]) continue;
        if (c.skipped) skipped[c.proc]++;
        else visited[c.proc] += c.visited;
      }
      for (size_t i = 0; i < procs.size(); i++) {
        if (!skipped[i]) continue;
        ProcOut& p = procs[i];
        const uint64_t seen = p.fdsVisited + visited[i];
        p.fdsPast = p.fdsOpen > seen ? p.fdsOpen - seen : skipped[i] * kChunk;
      }
    }

    // The pipes the walkers that returned claimed, measured in a task of their own (a walker given
    // up may still be filling its list: its pipes stay unmeasured, as its rows are not read).
    std::vector<PipeMeasureItem> pipes;
    for (size_t w = 0; w < job.walkers.size(); w++)
      if (usable_[w]) pipes.insert(pipes.end(), job.walkers[w]->measure.begin(), job.walkers[w]->measure.end());
    const int stallMs = static_cast<int>(std::max<double>(50, std::min<double>(opt_.itemTimeoutMs, 500)));
    if (!pipes.empty()) MeasurePipes(rootFd, pipes, deadline_, stallMs);
    // once more through another holder's fd where the claimant's failed (closed or changed since
    // its readlink); a pipe a task is stuck on is not tried again (MeasurePipes)
    std::vector<PipeMeasureItem> retry;
    {
      const auto held = sh.LockAll();  // a walker given up may still write an alternate
      for (const PipeMeasureItem& it : pipes) {
        const Meas* m = static_cast<const Meas*>(it.tag);
        if (it.avail >= 0 || it.cap >= 0 || m->altFd < 0) continue;
        PipeMeasureItem again = it;
        again.pid = m->altPid;
        again.fd = m->altFd;
        retry.push_back(again);
      }
    }
    if (!retry.empty()) {
      MeasurePipes(rootFd, retry, deadline_, stallMs);
      pipes.insert(pipes.end(), retry.begin(), retry.end());
    }

    // Merge per-thread columns in pid-list order, so output order is deterministic. Every shard
    // lock is held: a walker given up may still claim pipes in the tables.
    std::vector<FdCols*> colsOf(job.walkers.size());
    size_t total = 0;
    for (size_t w = 0; w < job.walkers.size(); w++) {
      colsOf[w] = usable_[w] ? &job.walkers[w]->cols : &taken_[w];
      total += colsOf[w]->pid.size();
    }
    const auto locks = sh.LockAll();
    for (const PipeMeasureItem& it : pipes) {
      if (it.avail < 0 && it.cap < 0) continue;
      Meas* m = static_cast<Meas*>(it.tag);
      m->buffered = it.avail;
      m->capacity = it.cap;
    }
    out_.reserve(total);
    out_.buffered.reserve(total);
    out_.capacity.reserve(total);
    size_t ci = 0;
    for (size_t pi = 0; pi < procs.size(); pi++) {
      const ProcOut& p = procs[pi];
      if (sh.procDone[pi]) Append(sh, *colsOf[p.thread], p.fdStart, p.fdCount);
      for (; ci < sh.chunks.size() && sh.chunks[ci].proc == pi; ci++) {
        const Chunk& ch = sh.chunks[ci];
        if (sh.chunkDone[ci]) Append(sh, *colsOf[ch.thread], ch.rowStart, ch.rowCount);
      }
    }
    elapsedMs_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  // Runs `fn` on every usable walker, each on a thread of its own, while this thread waits. Returns
  // when all have returned, or when every walker still running has been on its current item for
  // longer than itemTimeoutMs (stuck), or at the deadline. Walkers still running then are given up:
  // their published rows are taken, their item is reported, their thread is detached, and they
  // take no part in later phases. Returns the number of threads that ran.
  unsigned RunPhase(bool (Walker::*fn)(), bool phase1) {
    Job& job = *job_;
    const size_t n = job.walkers.size();
    const int64_t itemTimeoutNs = static_cast<int64_t>(opt_.itemTimeoutMs * 1e6);
    std::vector<std::thread> threads(n);
    unsigned started = 0;
    for (size_t w = 0; w < n; w++) {
      if (!usable_[w]) continue;
      {
        std::lock_guard<std::mutex> lock(job.mu);
        job.running[w] = 1;
      }
      try {
        std::shared_ptr<Job> keep = job_;
        threads[w] = std::thread([keep, w, fn] {
          pthread_setname_np(pthread_self(), "ipci-walk");
          Walker& walker = *keep->walkers[w];
          (walker.*fn)();
          walker.Finished();
          std::lock_guard<std::mutex> lock(keep->mu);
          keep->running[w] = 0;
          keep->cv.notify_all();
        });
        started++;
      } catch (const std::system_error&) {
        std::lock_guard<std::mutex> lock(job.mu);
        job.running[w] = 0;  // fewer threads than asked: the others share the work
      }
    }
    if (started == 0) {
      // Not even one thread: walk here, without a deadline (better than no snapshot).
      for (size_t w = 0; w < n; w++) {
        if (usable_[w]) {
          (job.walkers[w].get()->*fn)();
          return 1;
        }
      }
      return 0;
    }
    {
      std::unique_lock<std::mutex> lock(job.mu);
      const auto tick = std::chrono::nanoseconds(std::max<int64_t>(itemTimeoutNs / 4, 10000000));
      for (;;) {
        bool any = false, allStuck = true;
        const int64_t now = NowNs();
        for (size_t w = 0; w < n; w++) {
          if (!job.running[w]) continue;
          any = true;
          const int64_t since = job.walkers[w]->itemStartNs.load(std::memory_order_relaxed);
          if (since == 0 || now - since < itemTimeoutNs) allStuck = false;
        }
        if (!any || allStuck || std::chrono::steady_clock::now() >= deadline_) break;
        job.cv.wait_until(lock, std::min(deadline_, std::chrono::steady_clock::now() + tick));
      }
    }
    for (size_t w = 0; w < n; w++) {
      if (!threads[w].joinable()) continue;
      bool run;
      {
        std::lock_guard<std::mutex> lock(job.mu);
        run = job.running[w] != 0;
      }
      if (!run) {
        threads[w].join();
        continue;
      }
      Walker& walker = *job.walkers[w];
      const int64_t now = NowNs();
      int32_t pid = 0;
      const char* what = "";
      bool stuck = false;
      long item = walker.Abandon(taken_[w], pid, what, stuck, itemTimeoutNs, now);
      usable_[w] = 0;
      threads[w].detach();
      if (item < 0 || !stuck) continue;  // busy at the deadline, not stuck: reported as cut by it
      std::string where = opt_.procRoot + "/" + std::to_string(pid) + "/" + what;
      if (phase1) {
        job.procs[static_cast<size_t>(item)].stuck = where;
      } else {
        ProcOut& p = job.procs[job.sh.chunks[static_cast<size_t>(item)].proc];
        p.fdsCut = true;
        p.fdsCutAt = where;
      }
    }
    return started;
  }

  void Append(Shared& sh, FdCols& c, size_t start, size_t count) {
    std::unordered_map<int32_t, int32_t> moved;
    {
      for (size_t r = start, e = start + count; r < e; r++) {
        out_.pid.push_back(c.pid[r]);
        out_.fd.push_back(c.fd[r]);
        out_.kind.push_back(c.kind[r]);
        out_.mode.push_back(c.mode[r]);
        out_.inode.push_back(c.inode[r]);
        out_.dev.push_back(c.dev[r]);
        int32_t pi = c.pathIndex[r];
        if (pi >= 0) {
          // a path several rows share (PathOf) is moved once
          auto [it, first] = moved.try_emplace(pi, static_cast<int32_t>(out_.paths.size()));
          if (first) out_.paths.push_back(std::move(c.paths[pi]));
          out_.pathIndex.push_back(it->second);
        } else {
          out_.pathIndex.push_back(-1);
        }
        int32_t ii = c.infoIndex[r];
        if (ii >= 0) {
          out_.infoIndex.push_back(static_cast<int32_t>(out_.infos.size()));
          out_.infos.push_back(std::move(c.infos[ii]));
        } else {
          out_.infoIndex.push_back(-1);
        }
        double b = -1, cap = -1;
        const int16_t ri = opt_.byCode[c.kind[r]];
        const FdRule* rule = ri >= 0 ? &opt_.fdRules[static_cast<size_t>(ri)] : nullptr;
        if (rule && rule->measure) {
          const Meas* m = sh.Find(Key{rule->bracket ? 0 : static_cast<uint64_t>(c.dev[r]), static_cast<uint64_t>(c.inode[r])});
          if (m) {
            b = m->buffered;
            cap = m->capacity;
          }
        }
        out_.buffered.push_back(b);
        out_.capacity.push_back(cap);
      }
    }
  }

 protected:
  Napi::Value Settle(Napi::Env env) override {
    // Read only: a given-up walker of a fd range may still read its process's entry.
    const std::vector<ProcOut>& list = job_->procs;
    Napi::Array procs = Napi::Array::New(env, list.size());
    uint32_t i = 0;
    Keys keys(env);
    for (const ProcOut& p : list) {
      Napi::Object o = ProcTextToJs(env, p, keys);
      if (p.fdsCut) o.Set("fdsCut", JsString(env, p.fdsCutAt));
      if (p.fdsPast) o.Set("fdsPastBudget", Napi::Number::New(env, static_cast<double>(p.fdsPast)));
      if (!p.ownTables.empty()) {
        Napi::Array t = Napi::Array::New(env, p.ownTables.size());
        for (uint32_t k = 0; k < p.ownTables.size(); k++) t.Set(k, Napi::Number::New(env, p.ownTables[k]));
        o.Set("threadTables", t);
      }
      procs.Set(i++, o);
    }
    Napi::Object res = Napi::Object::New(env);
    res.Set("processes", procs);
    SetFdRows(env, res, std::move(out_));
    res.Set("elapsedMs", Napi::Number::New(env, elapsedMs_));
    res.Set("threads", Napi::Number::New(env, threads_));
    return res;
  }


  bool ListPids(int rootFd, std::vector<ProcOut>& procs) {
    int fd = openat(rootFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      err_.set(errno, "open", opt_.procRoot);
      return false;
    }
    Fd closer(fd);
    std::vector<char> dents(64 * 1024);
    for (;;) {
      long n = syscall(SYS_getdents64, fd, dents.data(), dents.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        err_.set(errno, "getdents64", opt_.procRoot);
        return false;
      }
      if (n == 0) break;
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<linux_dirent64*>(dents.data() + off);
        off += d->d_reclen;
        uint64_t pid;
        if (ParseUint(d->d_name, strlen(d->d_name), pid) && pid <= 0x7fffffff) procs.emplace_back().pid = static_cast<int32_t>(pid);
      }
    }
    return true;
  }

  Options opt_;
  std::shared_ptr<Job> job_;
  std::vector<uint8_t> usable_;  // walkers not given up (their threads were joined)
  std::vector<FdCols> taken_;    // rows published by walkers that were given up
  std::chrono::steady_clock::time_point deadline_;
  FdCols out_;
  double elapsedMs_ = 0;
  unsigned threads_ = 1;
};

std::string GetString(const Napi::Object& o, const char* k) {
  Napi::Value v = o.Get(k);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

std::vector<std::string> GetStrings(Napi::Env env, const Napi::Object& o, const char* k) {
  std::vector<std::string> out;
  Napi::Value v = o.Get(k);
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) ThrowType(env, "rule lists must be arrays of strings");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value x = a.Get(i);
    if (!x.IsString()) ThrowType(env, "rule lists must be arrays of strings");
    out.push_back(x.As<Napi::String>().Utf8Value());
  }
  return out;
}

// rdev: { major: [lo, hi], minor?: [lo, hi] } of a chr rule.
void ParseRdev(Napi::Env env, const Napi::Object& r, FdRule& rule) {
  Napi::Value v = r.Get("rdev");
  if (v.IsUndefined()) return;
  if (!v.IsObject()) ThrowType(env, "fdRules[].rdev must be an object");
  auto range = [&](const char* k, uint32_t& lo, uint32_t& hi, bool required) {
    Napi::Value a = v.As<Napi::Object>().Get(k);
    if (a.IsUndefined() && !required) return;
    if (!a.IsArray() || a.As<Napi::Array>().Length() != 2 || !a.As<Napi::Array>().Get(0u).IsNumber() || !a.As<Napi::Array>().Get(1u).IsNumber())
      ThrowType(env, "fdRules[].rdev ranges must be [lo, hi] numbers");
    lo = a.As<Napi::Array>().Get(0u).As<Napi::Number>().Uint32Value();
    hi = a.As<Napi::Array>().Get(1u).As<Napi::Number>().Uint32Value();
  };
  range("major", rule.majLo, rule.majHi, true);
  range("minor", rule.minLo, rule.minHi, false);
}

// fdRules, mapsRules, skipLinks (core/kinds/kind.ts FdRule, MapsRule): checked, then indexed.
void ParseRules(Napi::Env env, const Napi::Object& o, Options& opt) {
  Napi::Value fr = o.Get("fdRules");
  if (!fr.IsUndefined()) {
    if (!fr.IsArray()) ThrowType(env, "options.fdRules must be an array");
    Napi::Array a = fr.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      if (!a.Get(i).IsObject()) ThrowType(env, "options.fdRules must hold objects");
      Napi::Object r = a.Get(i).As<Napi::Object>();
      FdRule rule;
      Napi::Value code = r.Get("code");
      if (!code.IsNumber()) ThrowType(env, "fdRules[].code must be a number");
      const int c = code.As<Napi::Number>().Int32Value();
      if (c < 1 || c > 255) ThrowType(env, "fdRules[].code must be in [1, 255]");
      rule.code = static_cast<uint8_t>(c);
      rule.link = GetString(r, "link");
      if (rule.link.empty()) ThrowType(env, "fdRules[].link must be a non-empty string");
      rule.exact = GetBool(r, "exact");
      rule.bracket = GetBool(r, "bracket");
      const std::string type = GetString(r, "type");
      rule.type = type == "fifo" ? S_IFIFO : type == "reg" ? S_IFREG : type == "chr" ? S_IFCHR : 0;
      ParseRdev(env, r, rule);
      rule.under = GetString(r, "under");
      rule.mqueue = GetBool(r, "mqueue");
      rule.memfd = GetBool(r, "memfd");
      rule.rw = GetBool(r, "rw");
      rule.measure = GetBool(r, "measure");
      rule.fdinfo = GetStrings(env, r, "fdinfo");
      opt.fdRules.push_back(std::move(rule));
    }
  }
  Napi::Value mr = o.Get("mapsRules");
  if (!mr.IsUndefined()) {
    if (!mr.IsArray()) ThrowType(env, "options.mapsRules must be an array");
    Napi::Array a = mr.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      if (!a.Get(i).IsObject()) ThrowType(env, "options.mapsRules must hold objects");
      Napi::Object r = a.Get(i).As<Napi::Object>();
      MapsRule rule{GetString(r, "text"), GetBool(r, "shared"), GetStrings(env, r, "except"), 0};
      if (rule.text.empty()) ThrowType(env, "mapsRules[].text must be a non-empty string");
      for (const std::string& e : rule.except)
        if (rule.text[0] != ' ' || e.size() < 2 || e[0] != ' ') ThrowType(env, "mapsRules[].except needs a text and excepts that start with a space (path starts)");
      Napi::Value max = r.Get("max");
      if (!max.IsUndefined()) {
        const double m = max.IsNumber() ? max.As<Napi::Number>().DoubleValue() : -1;
        if (!(m >= 1 && m <= 1e6) || m != static_cast<double>(static_cast<uint32_t>(m))) ThrowType(env, "mapsRules[].max must be an integer from 1 to 1000000");
        rule.max = static_cast<uint32_t>(m);
      }
      opt.mapsRules.push_back(std::move(rule));
    }
  }
  opt.skipLinks = GetStrings(env, o, "skipLinks");
  std::fill(std::begin(opt.byCode), std::end(opt.byCode), static_cast<int16_t>(-1));
  for (size_t i = 0; i < opt.fdRules.size(); i++) {
    const FdRule& r = opt.fdRules[i];
    if (opt.byCode[r.code] >= 0) ThrowType(env, "fdRules[].code must be unique");
    opt.byCode[r.code] = static_cast<int16_t>(i);
    opt.anyMeasure = opt.anyMeasure || r.measure;
    opt.anyPathRule = opt.anyPathRule || r.link == "/";
  }
}

}  // namespace

Napi::Value WalkProc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Options opt;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsObject()) ThrowType(env, "options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value root = o.Get("procRoot");
    if (root.IsString()) opt.procRoot = root.As<Napi::String>().Utf8Value();
    if (opt.procRoot.empty()) opt.procRoot = "/proc";
    ParseWalkCommon(env, o, opt);
    Napi::Value leaders = o.Get("leaders");
    if (opt.pidsGiven && leaders.IsArray()) {
      Napi::Array l = leaders.As<Napi::Array>();
      for (uint32_t i = 0; i < l.Length() && i < opt.pids.size(); i++) {
        Napi::Value v = l.Get(i);
        if (!v.IsNumber()) ThrowType(env, "options.leaders must be numbers");
        opt.leaders.push_back(v.As<Napi::Number>().Int32Value());
      }
    }
    opt.readTimers = GetBool(o, "readTimers");
    opt.readLinks = GetBool(o, "readLinks");
    opt.readCgroup = GetBool(o, "readCgroup");
    ParseRules(env, o, opt);
    opt.useGetfd = GetBool(o, "useGetfd");
  }
  auto* w = new WalkWorker(env, std::move(opt));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// stuckWalks() → [{ pid, what, ms }]: walk threads given up while blocked in the kernel that have
// not returned yet (their pids are skipped by every walk until they do).
Napi::Value StuckWalks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<StuckWalk> copy;
  {
    std::lock_guard<std::mutex> lock(gStuckMu);
    copy = gStuck;
  }
  const auto now = std::chrono::steady_clock::now();
  Napi::Array out = Napi::Array::New(env, copy.size());
  for (uint32_t i = 0; i < copy.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("pid", Napi::Number::New(env, copy[i].pid));
    o.Set("what", JsString(env, copy[i].what));
    o.Set("ms", Napi::Number::New(env, std::chrono::duration<double, std::milli>(now - copy[i].since).count()));
    out.Set(i, o);
  }
  return out;
}

}  // namespace ipci
