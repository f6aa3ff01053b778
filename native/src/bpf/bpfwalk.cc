// bpfWalk: the fd walk through the task_file BPF iterator, returning the same ProcWalk shape as
// walkProc (src/core/native.ts), so the rest of the snapshot does not know which backend ran.
//
// On a worker (AsyncWorker::Execute, plain C++), with a deadline: one thread reads the fd
// iterator (one read() pass over every process's files, records per native/bpf/walk.h); this
// thread meanwhile reads the task pass (stat/status facts per process) and the maps pass (the
// shared-memory mappings, formatted as /proc/PID/maps lines), then the others read what is left
// of each process's /proc text (procfacts.cc: cmdline, cwd, exe; timers and maps only when needed). The threads share a heap state, so when the
// deadline passes Execute returns what finished — unfinished processes carry error ETIMEDOUT —
// and a thread stuck in a /proc read (a process whose mmap lock hangs) is left behind, never
// waited for. An iterator read past the deadline rejects with ETIMEDOUT (the caller falls back).
//
// Rows: the iterator emits them in (tgid, fd) order. Pipe bytes in use and capacity come from the
// kernel's pipe state (passive: no open). FIFO / mqueue / /dev/shm rows carry the d_path text
// (= the readlink of /proc/PID/fd/N); their dev:inode are the superblock's and the inode's,
// except on filesystems whose stat reports other numbers (btrfs, overlayfs, network and FUSE
// filesystems), where the row is checked with one statx of /proc/PID/fd/N as the /proc walk does.
// Rows of processes /proc would not show this caller (fd links refused) are dropped.
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
#include "../../bpf/walk.h"
#include "fditer.h"
#include "loader.h"
#include "procfacts.h"

namespace ipci {
namespace bpf {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  bool pidsGiven = false;
  std::vector<int32_t> pids;
  unsigned threads = 0;
  FactsOptions facts;
  bool measurePipes = false;
  double timeoutMs = 10000;
  bool taskFacts = true;  // stat/status/ns/net from the task iterator where it can stand in
  std::string btfPath = "/sys/kernel/btf/vmlinux";
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

// State shared with the threads; it outlives Execute when a thread is left behind at the deadline.
struct Shared {
  int procFd = -1;
  Options opt;
  std::vector<ProcFacts> procs;
  std::vector<const ipci_task_rec*> tasks;     // per process: its task record, or null
  std::vector<char> taskRecs;                  // what `tasks` point into
  // the maps pass (its own thread): per process the filtered maps text, and whether it is complete
  bool mapsPass = false;
  std::vector<std::string> mapsText;
  std::vector<uint8_t> mapsHave;  // the text is there (the pass covered it, or /proc/PID/maps was read)
  std::unique_ptr<std::atomic<bool>[]> mapsDone;
  double mapsMs = 0;
  size_t mapsFromPass = 0;
  std::unique_ptr<std::atomic<bool>[]> done;  // per process: its facts are complete
  std::atomic<size_t> next{0};
  std::atomic<bool> abandoned{false};
  // the iterator pass
  std::vector<char> records;
  int iterErr = 0;
  bool iterDone = false;
  double iterMs = 0;
  // completion
  std::mutex mu;
  std::condition_variable cv;
  unsigned running = 0;
  ~Shared() {
    if (procFd >= 0) close(procFd);
  }
};

void FactsThread(std::shared_ptr<Shared> sh) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    if (sh->abandoned.load(std::memory_order_relaxed)) break;
    size_t i = sh->next.fetch_add(1, std::memory_order_relaxed);
    if (i >= sh->procs.size()) break;
    ReadProcFacts(sh->procFd, sh->opt.facts, sh->procs[i], buf, sh->tasks[i], sh->mapsPass);
    sh->done[i].store(true, std::memory_order_release);
  }
  std::lock_guard<std::mutex> lock(sh->mu);
  if (--sh->running == 0) sh->cv.notify_all();
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
// same filter as the /proc reads); then /proc/PID/maps for the processes the pass did not cover
// (mmap lock busy, or no header: an exiting process), as the /proc walk would read them.
void MapsThread(std::shared_ptr<Shared> sh, int linkFd, Clock::time_point deadline, std::unordered_map<uint32_t, size_t> slot) {
  auto t0 = Clock::now();
  std::vector<char> recs;
  size_t fromPass = 0;
  std::vector<uint8_t> covered(sh->procs.size(), 0);
  if (ReadFdIter(linkFd, deadline, recs) == 0) {
    const char* p = recs.data();
    const char* end = p + recs.size();
    size_t cur = SIZE_MAX;
    std::string all;
    auto flush = [&] {
      if (cur == SIZE_MAX) return;
      KeepMapsLines(all.data(), all.size(), sh->mapsText[cur]);
      covered[cur] = 1;
      sh->mapsHave[cur] = 1;
      sh->mapsDone[cur].store(true, std::memory_order_release);
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
  std::vector<char> buf(64 * 1024);
  for (size_t i = 0; i < sh->procs.size() && !sh->abandoned.load(std::memory_order_relaxed); i++) {
    if (covered[i]) continue;
    if (ReadProcMaps(sh->procFd, sh->procs[i].pid, sh->mapsText[i], buf) == 0) sh->mapsHave[i] = 1;
    sh->mapsDone[i].store(true, std::memory_order_release);
  }
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::lock_guard<std::mutex> lock(sh->mu);
  sh->mapsMs = ms;
  sh->mapsFromPass = fromPass;
  if (--sh->running == 0) sh->cv.notify_all();
}

void IterThread(std::shared_ptr<Shared> sh, int linkFd, Clock::time_point deadline) {
  auto t0 = Clock::now();
  std::vector<char> recs;
  int err = ReadFdIter(linkFd, deadline, recs);
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::lock_guard<std::mutex> lock(sh->mu);
  sh->records = std::move(recs);
  sh->iterErr = err;
  sh->iterDone = true;
  sh->iterMs = ms;
  if (--sh->running == 0) sh->cv.notify_all();
}

struct Cols {
  std::vector<int32_t> pid, fd, pathIndex;
  std::vector<uint8_t> kind, mode;
  std::vector<double> inode, dev, buffered, capacity;
  std::vector<std::string> paths;
};

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
    auto tWalk = Clock::now();
    auto deadline = tWalk + std::chrono::microseconds(static_cast<int64_t>(opt_.timeoutMs * 1000));

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
    sh->procs.resize(pids.size());
    for (size_t i = 0; i < pids.size(); i++) sh->procs[i].pid = pids[i];
    sh->done.reset(new std::atomic<bool>[pids.size() ? pids.size() : 1]);
    for (size_t i = 0; i < pids.size(); i++) sh->done[i].store(false);
    sh->tasks.assign(pids.size(), nullptr);
    sh->mapsText.resize(pids.size());
    sh->mapsHave.assign(pids.size(), 0);
    sh->mapsDone.reset(new std::atomic<bool>[pids.size() ? pids.size() : 1]);
    for (size_t i = 0; i < pids.size(); i++) sh->mapsDone[i].store(false);

    // A thread that cannot be started runs inline (no deadline for it then: the machine is out
    // of threads anyway).
    auto run = [&sh](auto fn) {
      {
        std::lock_guard<std::mutex> lock(sh->mu);
        sh->running++;
      }
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
    int linkFd = load.linkFd;
    threads_ = run([sh, linkFd, deadline] { IterThread(sh, linkFd, deadline); }) ? 1 : 0;
    std::unordered_map<uint32_t, size_t> slot;
    slot.reserve(pids.size() * 2);
    for (size_t i = 0; i < pids.size(); i++) slot.emplace(static_cast<uint32_t>(pids[i]), i);
    if (opt_.taskFacts) {
      auto tt = Clock::now();
      if (ReadFdIter(load.taskLinkFd, deadline, sh->taskRecs) == 0) {
        for (size_t off = 0; off + sizeof(ipci_task_rec) <= sh->taskRecs.size(); off += sizeof(ipci_task_rec)) {
          auto* t = reinterpret_cast<const ipci_task_rec*>(sh->taskRecs.data() + off);
          auto it = slot.find(t->tgid);
          if (it == slot.end() || !TaskFactsUsable(*t)) continue;
          sh->tasks[it->second] = t;
          taskRecords_++;
        }
      }
      taskMs_ = std::chrono::duration<double, std::milli>(Clock::now() - tt).count();
    }
    mapsNote_ = load.mapsUnavailable;
    // With the maps pass, the /proc readers never read maps: the pass's thread does, for the
    // few processes the pass could not cover.
    sh->mapsPass = opt_.facts.readMaps && opt_.taskFacts && load.mapsLinkFd >= 0;
    if (sh->mapsPass) {
      int mapsFd = load.mapsLinkFd;
      threads_ += run([sh, mapsFd, deadline, slot] { MapsThread(sh, mapsFd, deadline, slot); }) ? 1 : 0;
    }
    unsigned n = opt_.threads ? opt_.threads : std::thread::hardware_concurrency();
    if (n == 0) n = 1;
    if (n > 64) n = 64;
    if (n > pids.size()) n = pids.size() ? static_cast<unsigned>(pids.size()) : 1;
    for (unsigned i = 0; i < n; i++) threads_ += run([sh] { FactsThread(sh); }) ? 1 : 0;
    if (threads_ == 0) threads_ = 1;
    {
      std::unique_lock<std::mutex> lock(sh->mu);
      sh->cv.wait_until(lock, deadline, [&] { return sh->running == 0; });
      sh->abandoned.store(true);
      if (!sh->iterDone) {
        err_.set(ETIMEDOUT, "read", "BPF task_file iterator");
        return;
      }
      if (sh->iterErr) {
        err_.set(sh->iterErr, "read", "BPF task_file iterator");
        return;
      }
      records_ = std::move(sh->records);
      iterMs_ = sh->iterMs;
    }
    // Facts of processes that finished; the rest (a thread still inside a read) time out.
    procs_.resize(sh->procs.size());
    for (size_t i = 0; i < sh->procs.size(); i++) {
      bool mapsOk = !sh->mapsPass || sh->mapsDone[i].load(std::memory_order_acquire);
      if (sh->done[i].load(std::memory_order_acquire) && mapsOk) {
        procs_[i] = std::move(sh->procs[i]);
        if (sh->mapsPass && !procs_[i].error && sh->mapsHave[i]) {
          procs_[i].maps = std::move(sh->mapsText[i]);
          procs_[i].has |= F_MAPS;
        }
      } else {
        procs_[i].pid = sh->procs[i].pid;
        procs_[i].error = ETIMEDOUT;
      }
    }
    mapsMs_ = sh->mapsMs;
    mapsProcs_ = sh->mapsFromPass;
    factsMs_ = std::chrono::duration<double, std::milli>(Clock::now() - tWalk).count();
    auto tJoin = Clock::now();
    BuildRows();
    joinMs_ = std::chrono::duration<double, std::milli>(Clock::now() - tJoin).count();
    // The record buffer (MBs at 100k fds) and the /proc readers' buffers are done with: give the
    // pages back now, or glibc keeps them in the threads' arenas for the life of the process.
    std::vector<char>().swap(records_);
    malloc_trim(0);
    elapsedMs_ = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }

 protected:
  void OnOK() override {
    if (!verdict_.ok && !err_) {
      try {
        Napi::Env env = Env();
        Napi::HandleScope scope(env);
        Napi::Error e = Napi::Error::New(env, verdict_.reason);
        e.Set("code", Napi::String::New(env, verdict_.code));
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
    for (const ProcFacts& p : procs_) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("pid", Napi::Number::New(env, p.pid));
      if (p.error) o.Set("error", Napi::String::New(env, ErrnoName(p.error)));
      if (p.fdError) o.Set("fdError", Napi::String::New(env, ErrnoName(p.fdError)));
      auto str = [&](uint32_t flag, const char* key, const std::string& s) {
        if (p.has & flag) o.Set(key, Napi::String::New(env, s.data(), s.size()));
      };
      str(F_STAT, "stat", p.stat);
      str(F_STATUS, "status", p.status);
      str(F_CMDLINE, "cmdline", p.cmdline);
      str(F_MAPS, "maps", p.maps);
      str(F_TIMERS, "timers", p.timers);
      str(F_NETNS, "netns", p.netns);
      str(F_CWD, "cwd", p.cwd);
      str(F_EXE, "exe", p.exe);
      if (p.hasTask) o.Set("task", TaskFacts(env, p.task));
      procs.Set(i++, o);
    }
    Napi::Object fds = Napi::Object::New(env);
    fds.Set("pid", Typed<Napi::Int32Array>(env, cols_.pid));
    fds.Set("fd", Typed<Napi::Int32Array>(env, cols_.fd));
    fds.Set("kind", Typed<Napi::Uint8Array>(env, cols_.kind));
    fds.Set("mode", Typed<Napi::Uint8Array>(env, cols_.mode));
    fds.Set("inode", Typed<Napi::Float64Array>(env, cols_.inode));
    fds.Set("dev", Typed<Napi::Float64Array>(env, cols_.dev));
    fds.Set("pathIndex", Typed<Napi::Int32Array>(env, cols_.pathIndex));
    fds.Set("buffered", Typed<Napi::Float64Array>(env, cols_.buffered));
    fds.Set("capacity", Typed<Napi::Float64Array>(env, cols_.capacity));
    Napi::Array paths = Napi::Array::New(env, cols_.paths.size());
    for (uint32_t j = 0; j < cols_.paths.size(); j++) paths.Set(j, Napi::String::New(env, cols_.paths[j]));
    Napi::Object phases = Napi::Object::New(env);
    phases.Set("taskMs", Napi::Number::New(env, taskMs_));
    phases.Set("taskRecords", Napi::Number::New(env, static_cast<double>(taskRecords_)));
    phases.Set("mapsMs", Napi::Number::New(env, mapsMs_));
    phases.Set("mapsProcesses", Napi::Number::New(env, static_cast<double>(mapsProcs_)));
    if (!mapsNote_.empty()) phases.Set("mapsUnavailable", Napi::String::New(env, mapsNote_));
    phases.Set("loadMs", Napi::Number::New(env, loadMs_));
    phases.Set("iteratorMs", Napi::Number::New(env, iterMs_));
    phases.Set("procFactsMs", Napi::Number::New(env, factsMs_));
    phases.Set("rowsMs", Napi::Number::New(env, joinMs_));
    phases.Set("records", Napi::Number::New(env, static_cast<double>(records_count_)));
    phases.Set("bytes", Napi::Number::New(env, static_cast<double>(records_bytes_)));
    phases.Set("statx", Napi::Number::New(env, static_cast<double>(statx_)));
    Napi::Object res = Napi::Object::New(env);
    res.Set("processes", procs);
    res.Set("fds", fds);
    res.Set("paths", paths);
    res.Set("elapsedMs", Napi::Number::New(env, elapsedMs_));
    res.Set("threads", Napi::Number::New(env, threads_));
    res.Set("bpf", phases);
    return res;
  }

 private:
  template <typename TA, typename T>
  static TA Typed(Napi::Env env, const std::vector<T>& v) {
    TA a = TA::New(env, v.size());
    if (!v.empty()) memcpy(a.Data(), v.data(), v.size() * sizeof(T));
    return a;
  }

  // The fields toProcess takes from stat and status, from the task record (format of /proc/PID/status).
  static Napi::Object TaskFacts(Napi::Env env, const ipci_task_rec& t) {
    Napi::Object o = Napi::Object::New(env);
    size_t n = strnlen(t.comm, sizeof t.comm);
    o.Set("comm", Napi::String::New(env, t.comm, n));
    o.Set("state", Napi::String::New(env, std::string(1, StateChar(t.state, t.exit_state))));
    o.Set("ppid", Napi::Number::New(env, t.ppid));
    static const long hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    o.Set("startTime", Napi::Number::New(env, static_cast<double>(t.start_ns / (1000000000ull / static_cast<unsigned long long>(hz)))));
    o.Set("threads", Napi::Number::New(env, t.threads));
    o.Set("uid", Napi::Number::New(env, t.uid));
    o.Set("tracerPid", Napi::Number::New(env, t.tracer));
    auto hex = [&](const char* k, uint64_t v) {
      char b[17];
      snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
      o.Set(k, Napi::String::New(env, b));
    };
    hex("sigPnd", t.sig_pnd);
    hex("shdPnd", t.sig_shd);
    hex("sigBlk", t.sig_blk);
    hex("sigIgn", t.sig_ign);
    hex("sigCgt", t.sig_cgt);
    o.Set("sigQ", Napi::String::New(env, std::to_string(t.sigq) + "/" + std::to_string(t.sigq_limit)));
    Napi::Array ns = Napi::Array::New(env, t.nspid_n);
    for (uint32_t i = 0; i < t.nspid_n && i < 8; i++) ns.Set(i, Napi::Number::New(env, t.nspid[i]));
    o.Set("nsPid", ns);
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

  // Records → columns, keeping only rows /proc would show (see the file comment).
  void BuildRows() {
    std::unordered_map<int32_t, const ProcFacts*> byPid;
    byPid.reserve(procs_.size() * 2);
    for (const ProcFacts& p : procs_) byPid.emplace(p.pid, &p);
    std::unordered_set<int32_t> only;
    if (opt_.pidsGiven && !opt_.pids.empty()) only.insert(opt_.pids.begin(), opt_.pids.end());
    size_t estimate = records_.size() / sizeof(ipci_fd_rec);
    cols_.pid.reserve(estimate);
    cols_.fd.reserve(estimate);
    cols_.kind.reserve(estimate);
    cols_.mode.reserve(estimate);
    cols_.inode.reserve(estimate);
    cols_.dev.reserve(estimate);
    cols_.pathIndex.reserve(estimate);
    cols_.buffered.reserve(estimate);
    cols_.capacity.reserve(estimate);
    records_bytes_ = records_.size();
    int32_t lastPid = -1;
    bool keep = false;
    const char* p = records_.data();
    const char* end = p + records_.size();
    while (end - p >= static_cast<ptrdiff_t>(sizeof(ipci_fd_rec))) {
      ipci_fd_rec r;
      memcpy(&r, p, sizeof r);
      size_t pathBytes = (static_cast<size_t>(r.path_len) + 7) & ~static_cast<size_t>(7);
      if (static_cast<size_t>(end - p) < sizeof r + pathBytes) break;  // torn tail: cannot happen, never trust it
      const char* path = p + sizeof r;
      p += sizeof r + pathBytes;
      records_count_++;
      int32_t pid = static_cast<int32_t>(r.tgid);
      if (pid != lastPid) {
        lastPid = pid;
        auto it = byPid.find(pid);
        // a process that started after the /proc listing has no facts: its rows would be dropped
        // by the snapshot anyway; one /proc hides (fd links refused, fd dir unreadable) is dropped here
        keep = it != byPid.end() && !it->second->error && !it->second->fdError && it->second->fdsVisible &&
               (only.empty() || only.count(pid) > 0);
      }
      if (!keep) continue;
      Row(r, path);
    }
  }

  void Row(const ipci_fd_rec& r, const char* path) {
    uint8_t kind = r.kind;
    double buffered = -1, capacity = -1;
    uint64_t ino = r.ino;
    uint64_t dev = 0;
    int32_t pathIndex = -1;
    uint8_t mode = r.f_mode & 3;
    if (kind == IPCI_FD_PIPE || kind == IPCI_FD_FIFO) {
      if (opt_.measurePipes && (r.flags & IPCI_F_PIPE_STATE)) {
        capacity = r.capacity;
        if (!(r.flags & IPCI_F_PIPE_PARTIAL)) buffered = r.buffered;
      }
    }
    if (kind == IPCI_FD_FIFO || kind == IPCI_FD_MQUEUE || kind == IPCI_FD_DEVSHM) {
      // the /proc walk keeps these only with a path link ("/…"), mqueue only with one component
      if (r.path_len == 0 || path[0] != '/') return;
      if (kind == IPCI_FD_MQUEUE && (r.path_len < 2 || memchr(path + 1, '/', r.path_len - 1) != nullptr)) return;
      dev = UserDev(r.dev);
      if (!PlainStat(r.magic)) {
        // stat's own numbers, as the /proc walk gets them (statx through the fd link, no sync)
        char link[64];
        snprintf(link, sizeof link, "/proc/%u/fd/%u", r.tgid, r.fd);
        struct statx sx;
        statx_++;
        if (statx(AT_FDCWD, link, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &sx) != 0) return;
        bool fifo = S_ISFIFO(sx.stx_mode);
        if (fifo != (kind == IPCI_FD_FIFO) || (!fifo && !S_ISREG(sx.stx_mode))) return;  // replaced meanwhile
        dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
        ino = sx.stx_ino;
      }
      pathIndex = static_cast<int32_t>(cols_.paths.size());
      cols_.paths.emplace_back(path, r.path_len);
    }
    cols_.pid.push_back(static_cast<int32_t>(r.tgid));
    cols_.fd.push_back(static_cast<int32_t>(r.fd));
    cols_.kind.push_back(kind);
    cols_.mode.push_back(mode);
    cols_.inode.push_back(static_cast<double>(ino));
    cols_.dev.push_back(static_cast<double>(dev));
    cols_.pathIndex.push_back(pathIndex);
    cols_.buffered.push_back(buffered);
    cols_.capacity.push_back(capacity);
  }

  Options opt_;
  Verdict verdict_;
  std::vector<char> records_;
  std::vector<ProcFacts> procs_;
  Cols cols_;
  size_t records_count_ = 0, records_bytes_ = 0, statx_ = 0;
  double loadMs_ = 0, iterMs_ = 0, factsMs_ = 0, joinMs_ = 0, elapsedMs_ = 0, taskMs_ = 0, mapsMs_ = 0;
  size_t taskRecords_ = 0, mapsProcs_ = 0;
  std::string mapsNote_;
  unsigned threads_ = 1;
};

bool GetBool(const Napi::Object& o, const char* k) {
  Napi::Value v = o.Get(k);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : false;
}

}  // namespace

Napi::Value BpfWalk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Options opt;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsObject()) ThrowType(env, "options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value th = o.Get("threads");
    if (th.IsNumber()) {
      double d = th.As<Napi::Number>().DoubleValue();
      opt.threads = d > 0 && d < 1024 ? static_cast<unsigned>(d) : 0;
    }
    Napi::Value pids = o.Get("pids");
    if (pids.IsArray()) {
      Napi::Array a = pids.As<Napi::Array>();
      opt.pidsGiven = true;
      for (uint32_t i = 0; i < a.Length(); i++) {
        Napi::Value v = a.Get(i);
        if (!v.IsNumber()) ThrowType(env, "options.pids must be numbers");
        opt.pids.push_back(v.As<Napi::Number>().Int32Value());
      }
    }
    opt.facts.readMaps = GetBool(o, "readMaps");
    opt.facts.readTimers = GetBool(o, "readTimers");
    opt.facts.readLinks = GetBool(o, "readLinks");
    opt.measurePipes = GetBool(o, "measurePipes");
    Napi::Value to = o.Get("timeoutMs");
    if (to.IsNumber()) {
      double d = to.As<Napi::Number>().DoubleValue();
      if (d > 0 && d < 3600e3) opt.timeoutMs = d;
    }
    Napi::Value tf = o.Get("taskFacts");
    if (tf.IsBoolean()) opt.taskFacts = tf.As<Napi::Boolean>().Value();
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
