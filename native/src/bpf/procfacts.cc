// Per-process /proc reads for the BPF walk (see procfacts.h). Kept identical in what it reads and
// keeps to the /proc walk's per-process part (walk.cc WalkOne, parsers/procPid.ts filterMaps), so
// both backends give the same process rows; the integration test compares them.
#include "procfacts.h"
#include "../mapsread.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <tuple>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ipci {
namespace bpf {
namespace {

// readlinkat into out; 0 or the errno.
int ReadLinkAt(int dirfd, const char* name, std::string& out) {
  char link[4097];
  ssize_t n = readlinkat(dirfd, name, link, sizeof link - 1);
  if (n < 0) return errno;
  out.assign(link, static_cast<size_t>(n));
  return 0;
}

// Whether st_size of a /proc/PID/fd directory is its open fd count (Linux >= 6.2; 0 before): our
// own table is never empty, so a count of ours says so.
bool ProcFdCounts() {
  static const bool counts = [] {
    struct stat st;
    return stat("/proc/self/fd", &st) == 0 && st.st_size > 0;
  }();
  return counts;
}

}  // namespace

// The maps lines the snapshot uses, told by the start of the path field — the kinds' maps rules
// (walk.cc's WantMapsLine applies them as given): SysV shm (/SYSV…), /dev/shm files, shared (`s`)
// unnamed shmem (/dev/zero, /anon_hugepage, /memfd:), and shared files outside /dev, of which a
// process keeps the first IPCI_VMA_FILE_LINES (walk.h: what the BPF program emits, the file-shm
// rule's `max` in core/kinds/fileShm.ts).
namespace {

enum class MapsWant { No, Core, File };

MapsWant WantedMapsLine(const char* p, size_t ll) {
  const size_t at = MapsPathAt(p, ll);
  if (MapsPathStarts(p, ll, at, "/SYSV", 5) || MapsPathStarts(p, ll, at, "/dev/shm/", 9)) return MapsWant::Core;
  const char* sp = static_cast<const char*>(memchr(p, ' ', ll));
  if (!(sp && sp + 4 < p + ll && sp[4] == 's')) return MapsWant::No;
  if (MapsPathStarts(p, ll, at, "/dev/zero", 9) || MapsPathStarts(p, ll, at, "/anon_hugepage", 14) || MapsPathStarts(p, ll, at, "/memfd:", 7)) return MapsWant::Core;
  if (MapsPathStarts(p, ll, at, "/dev/", 5) || !MapsPathStarts(p, ll, at, "/", 1)) return MapsWant::No;
  return MapsWant::File;
}

// One process's keep decision: its shared file lines counted.
struct MapsKeeper {
  uint32_t files = 0;
  bool operator()(const char* p, size_t ll) {
    const MapsWant w = WantedMapsLine(p, ll);
    if (w != MapsWant::File) return w == MapsWant::Core;
    if (files >= IPCI_VMA_FILE_LINES) return false;
    files++;
    return true;
  }
};
}  // namespace

void KeepMapsLines(const char* p, size_t n, std::string& out) {
  const char* end = p + n;
  MapsKeeper keep;
  while (p < end) {
    const char* nl = static_cast<const char*>(memchr(p, '\n', end - p));
    const char* le = nl ? nl : end;
    size_t ll = le - p;
    if (keep(p, ll)) {
      if (!out.empty()) out.push_back('\n');
      out.append(p, ll);
    }
    p = nl ? nl + 1 : end;
  }
}

namespace {

// KeepText (walkrows.h), with the file named in `stage` (what a read that does not return is reported stuck on).
bool Text(int pdir, const char* file, std::string& out, ProcFacts& p, uint32_t flag, std::vector<char>& buf, std::atomic<const char*>& stage) {
  stage.store(file, std::memory_order_relaxed);
  return KeepText(p, pdir, file, out, flag, buf);
}

// Text() within `budget` (boundedtext.h): a text cut short is kept, with the read error EFBIG, as
// the /proc walk keeps it.
bool Bounded(int pdir, const char* file, std::string& out, ProcFacts& p, uint32_t flag, std::vector<char>& buf, std::atomic<const char*>& stage, TextBudget& budget,
             uint32_t uid, const char* record = nullptr) {
  stage.store(file, std::memory_order_relaxed);
  return KeepBounded(p, file, flag, ReadBounded(pdir, file, buf, out, budget, uid, record), false);
}

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

// A process whose ptrace read access is refused: the /proc walk is then refused some of its files
// as well — which ones depends on the file and the caller (root without CAP_SYS_PTRACE may read
// another user's maps but not its timers; a process of a user namespace above ours refuses both).
// What the iterators read of it from the kernel is kept only where /proc would give it too: the
// same files are asked (an open, a readlink), and each refusal drops the fact and says the error
// in the /proc walk's order (before cwd and exe), so both walks give the same row and nothing the
// kernel refuses to /proc readers shows through BPF.
void AsProcSeesIt(int pdir, ProcFacts& p, const FactsOptions& opt) {
  auto said = [&p](const char* field) {
    return std::any_of(p.errors.begin(), p.errors.end(), [field](const auto& e) { return strcmp(e.first, field) == 0; });
  };
  auto opens = [pdir](const char* file) {
    int fd = openat(pdir, file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return errno;
    close(fd);
    return 0;
  };
  std::vector<std::pair<const char*, int>> add;
  // (maps the iterator gave, or none: the maps pass reads a refused process's file itself and keeps no error)
  if (opt.readMaps && !said("maps")) {
    if (int e = opens("maps")) {
      p.maps.clear();
      p.has &= ~F_MAPS;
      add.emplace_back("maps", e);
    }
  }
  // (the task said it has no timers, so the file was not read: the /proc walk reads it all the same)
  if (opt.readTimers && !(p.has & F_TIMERS) && !said("timers")) {
    if (int e = opens("timers")) add.emplace_back("timers", e);
  }
  // the namespace links as the /proc walk reads them (the task's may be missing, or refused to /proc)
  std::string link;
  if (!said("ns/net")) {
    if (int e = ReadLinkAt(pdir, "ns/net", link)) {
      p.netns.clear();
      p.has &= ~F_NETNS;
      if (e != ENOENT) add.emplace_back("ns/net", e);  // as the /proc walk: a zombie has no namespaces
    } else {
      p.netns = link;
      p.has |= F_NETNS;
    }
  }
  // (no field error when refused: ns/net's says it already, and the process is taken as ours)
  for (auto [name, text, flag] : {std::tuple<const char*, std::string*, uint32_t>{"ns/ipc", &p.ipcns, F_IPCNS}, {"ns/mnt", &p.mntns, F_MNTNS}}) {
    if (ReadLinkAt(pdir, name, link) != 0) {
      text->clear();
      p.has &= ~flag;
    } else {
      *text = link;
      p.has |= flag;
    }
  }
  auto at = std::find_if(p.errors.begin(), p.errors.end(), [](const auto& e) { return strcmp(e.first, "cwd") == 0 || strcmp(e.first, "exe") == 0; });
  p.errors.insert(at, add.begin(), add.end());
}

}  // namespace

namespace {
// a live task whose record has stat's and status's facts (SigQ, NSpid)
bool LiveWithFacts(const ipci_task_rec& t) { return (t.flags & IPCI_T_FACTS) && (t.flags & IPCI_T_NSPID) && t.exit_state == 0; }
}  // namespace

bool TaskFactsUsable(const ipci_task_rec& t) {
  // kernel threads: /proc names them from more than comm (workqueue, kthread full names)
  return LiveWithFacts(t) && !(t.flags & IPCI_T_KTHREAD);
}

bool KthreadFactsUsable(const ipci_task_rec& t) { return LiveWithFacts(t) && (t.flags & IPCI_T_KTHREAD) && !(t.flags & IPCI_T_THREAD); }

namespace {
// ns/net, ns/ipc and ns/mnt as their links read, from the task record
void NamespacesFromTask(ProcFacts& p, const ipci_task_rec& t) {
  if (t.flags & IPCI_T_NETNS) {
    p.netns = "net:[" + std::to_string(t.netns_ino) + "]";
    p.has |= F_NETNS;
  }
  if (t.flags & IPCI_T_IPCNS) {
    p.ipcns = "ipc:[" + std::to_string(t.ipcns_ino) + "]";
    p.has |= F_IPCNS;
  }
  if (t.flags & IPCI_T_MNTNS) {
    p.mntns = "mnt:[" + std::to_string(t.mntns_ino) + "]";
    p.has |= F_MNTNS;
  }
}
}  // namespace

void FactsFromTask(ProcFacts& p, const ipci_task_rec& t) {
  p.hasTask = true;
  p.task = t;
  NamespacesFromTask(p, t);
  p.fdsVisible = true;  // a kernel thread's table (the kernel's own, empty) is no one's to hide
}

void ReadProcFacts(int procFd, const FactsOptions& opt, ProcFacts& p, std::vector<char>& buf, std::atomic<const char*>& stage, const ipci_task_rec* task,
                   bool haveMaps) {
  char name[16];
  snprintf(name, sizeof name, "%d", static_cast<int>(p.pid));
  stage.store("", std::memory_order_relaxed);  // the directory itself: reported as /proc/PID
  int pdir = openat(procFd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pdir < 0) {
    p.error = errno;
    return;
  }
  bool alive = true;
  if (task) {
    p.hasTask = true;
    p.task = *task;
  } else {
    stage.store("stat", std::memory_order_relaxed);
    ssize_t n = ReadWholeAt(pdir, "stat", buf);
    if (n < 0) {
      p.error = static_cast<int>(-n);
      close(pdir);
      return;
    }
    p.stat.assign(buf.data(), static_cast<size_t>(n));
    p.has |= F_STAT;
    alive = Text(pdir, "status", p.status, p, F_STATUS, buf, stage);
  }
  const uint32_t uid = task ? task->uid : StatusUid(p.status);
  alive = alive && Bounded(pdir, "cmdline", p.cmdline, p, F_CMDLINE, buf, stage, *opt.cmdlineBudget, uid);
  if (alive && opt.readMaps && !haveMaps) {
    stage.store("maps", std::memory_order_relaxed);
    MapsRead m = ReadMapsKept(pdir, "maps", buf, p.maps, opt.mapsBudget, uid, MapsKeeper{});
    if (m.err == 0) {
      p.has |= F_MAPS;
      if (m.truncated) p.errors.emplace_back("maps", EFBIG);
    } else {
      p.maps.clear();
      if (m.err == ESRCH) {
        p.error = ESRCH;
        alive = false;
      } else {
        p.errors.emplace_back("maps", m.err);  // as the /proc walk
      }
    }
  }
  // no POSIX timers (the task says so): the file would be empty
  if (alive && opt.readTimers && (!task || (task->flags & IPCI_T_TIMERS))) alive = Bounded(pdir, "timers", p.timers, p, F_TIMERS, buf, stage, *opt.timersBudget, uid, "ID: ");
  if (alive && opt.readCgroup) alive = Text(pdir, "cgroup", p.cgroup, p, F_CGROUP, buf, stage);
  if (alive) {
    // The fd links need ptrace read access (PTRACE_MODE_READ_FSCREDS), as ns/net, cwd and exe do:
    // when that is refused, /proc would show no fd of this process, so the BPF rows are dropped.
    int access = 0;
    if (!task) {
      stage.store("ns/net", std::memory_order_relaxed);
      access = ReadLinkAt(pdir, "ns/net", p.netns);
      if (access == 0) p.has |= F_NETNS;
      if (access == 0 && ReadLinkAt(pdir, "ns/ipc", p.ipcns) == 0) p.has |= F_IPCNS;
      if (access == 0 && ReadLinkAt(pdir, "ns/mnt", p.mntns) == 0) p.has |= F_MNTNS;
    } else {
      NamespacesFromTask(p, *task);
    }
    if (opt.readLinks) {
      stage.store("cwd", std::memory_order_relaxed);
      int e = ReadLinkAt(pdir, "cwd", p.cwd);
      if (e == 0) p.has |= F_CWD;
      else if (e != ENOENT) p.errors.emplace_back("cwd", e);  // as the /proc walk: ENOENT is a kernel thread or zombie
      if (task) access = e;
      stage.store("exe", std::memory_order_relaxed);
      int x = ReadLinkAt(pdir, "exe", p.exe);
      if (x == 0) p.has |= F_EXE;
      else if (x != ENOENT) p.errors.emplace_back("exe", x);
    } else if (task) {
      std::string unused;
      stage.store("ns/net", std::memory_order_relaxed);
      access = ReadLinkAt(pdir, "ns/net", unused);
    }
    stage.store("fd", std::memory_order_relaxed);
    int fdDir = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fdDir < 0) {
      p.fdError = errno;
    } else {
      p.fdsVisible = access != EACCES && access != EPERM;
      // its fd links would be refused as this link was: a read error of the process, as the /proc
      // walk reports it (its rows are dropped), never a process that holds nothing — unless it
      // holds nothing indeed (an empty table: the /proc walk reads no link of it, so no refusal)
      struct stat st;
      bool empty = !p.fdsVisible && ProcFdCounts() && fstat(fdDir, &st) == 0 && st.st_size == 0;
      close(fdDir);
      if (!p.fdsVisible && !empty) {
        p.fdError = access;
        p.fdLinksRefused = true;
      }
    }
    if (access == EACCES || access == EPERM) AsProcSeesIt(pdir, p, opt);
  }
  close(pdir);
}

ssize_t ReadProcFile(int procFd, const char* name, std::vector<char>& buf) {
  if (buf.empty()) buf.resize(4096);
  return ReadWholeAt(procFd, name, buf);
}

int ReadProcMaps(int procFd, int32_t pid, uint32_t uid, std::string& out, std::vector<char>& buf, MapsBudget* budget, bool& truncated) {
  char name[32];
  snprintf(name, sizeof name, "%d/maps", static_cast<int>(pid));
  MapsRead m = ReadMapsKept(procFd, name, buf, out, budget, uid, MapsKeeper{});
  if (m.err) out.clear();
  truncated = m.truncated;
  return m.err;
}

bool ListPids(int procFd, std::vector<int32_t>& out) {
  int fd = openat(procFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  std::vector<char> dents(64 * 1024);
  for (;;) {
    long n = syscall(SYS_getdents64, fd, dents.data(), dents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      errno = e;
      return false;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<linux_dirent64*>(dents.data() + off);
      off += d->d_reclen;
      const char* s = d->d_name;
      if (*s < '1' || *s > '9') continue;
      uint64_t v = 0;
      bool ok = true;
      for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 0x7fffffff) {
          ok = false;
          break;
        }
        v = v * 10 + static_cast<uint64_t>(*s - '0');
      }
      if (ok && v <= 0x7fffffff) out.push_back(static_cast<int32_t>(v));
    }
  }
  close(fd);
  return true;
}

}  // namespace bpf
}  // namespace ipci
