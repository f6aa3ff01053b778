// walkProc: the bulk /proc walk on a worker (AsyncWorker::Execute is plain C++), split across
// std::threads that pull pids from a shared counter. Per process: stat, status, cmdline, optional
// maps/timers/links, then one readlinkat per fd relative to the /proc/PID/fd dirfd. Results are
// columns (typed arrays) so the main thread never builds one JS object per fd.
#include "errors.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MQUEUE_MAGIC
#define MQUEUE_MAGIC 0x19800202
#endif

namespace ipci {
namespace {

enum : uint8_t { kPipe = 1, kSocket = 2, kFifo = 3, kMqueue = 4, kDevShm = 5 };
enum : uint32_t { F_STAT = 1, F_STATUS = 2, F_CMDLINE = 4, F_MAPS = 8, F_TIMERS = 16, F_NETNS = 32, F_CWD = 64, F_EXE = 128 };

struct Options {
  std::string procRoot = "/proc";
  unsigned threads = 0;
  bool pidsGiven = false;
  std::vector<int32_t> pids;
  bool readMaps = false, readTimers = false, readLinks = false, measurePipes = false;
  bool fastPath = true;  // pidfd_getfd classification where permitted (undocumented option `noGetfd` turns it off)
};

struct ProcOut {
  int32_t pid = 0;
  int error = 0;
  int fdError = 0;
  uint32_t has = 0;
  std::string stat, status, cmdline, maps, timers, netns, cwd, exe;
  uint32_t thread = 0;
  size_t fdStart = 0, fdCount = 0;
  // fds of a large fd table beyond the first chunk, walked in phase 2 by every thread.
  std::vector<int32_t> deferred;
  Fd pdir;  // kept open while deferred fds remain, so phase 2 cannot walk a recycled pid
};

// A slice of one process's deferred fds (phase 2).
struct Chunk {
  size_t proc = 0, begin = 0, end = 0;
  uint32_t thread = 0;
  size_t rowStart = 0, rowCount = 0;
};

constexpr size_t kChunk = 1024;

struct FdCols {
  std::vector<int32_t> pid, fd;
  std::vector<uint8_t> kind, mode;
  std::vector<double> inode, dev;
  std::vector<int32_t> pathIndex;
  std::vector<double> buffered, capacity;
  std::vector<std::string> paths;
  void reserve(size_t n) {
    pid.reserve(n); fd.reserve(n); kind.reserve(n); mode.reserve(n);
    inode.reserve(n); dev.reserve(n); pathIndex.reserve(n);
  }
};

struct Key {
  uint64_t dev, ino;
  bool operator==(const Key& o) const { return dev == o.dev && ino == o.ino; }
};
struct KeyHash {
  size_t operator()(const Key& k) const { return static_cast<size_t>((k.ino * 0x9E3779B97F4A7C15ULL) ^ (k.dev * 1000003ULL)) >> 7; }
};
struct Meas {
  double buffered = -1, capacity = -1;
};

struct Shared {
  const Options* opt;
  int rootFd;
  std::vector<ProcOut>* procs;
  std::vector<Chunk> chunks;
  std::atomic<size_t> next{0};
  std::atomic<size_t> nextChunk{0};
  // Pipe measurements, sharded so threads rarely wait on each other.
  static constexpr size_t kShards = 64;
  struct Shard {
    std::mutex mu;
    std::unordered_map<Key, Meas, KeyHash> meas;
  } shards[kShards];
  Shard& ShardOf(const Key& k) { return shards[KeyHash()(k) % kShards]; }
  const Meas* Find(const Key& k) {
    Shard& s = ShardOf(k);
    auto it = s.meas.find(k);
    return it == s.meas.end() ? nullptr : &it->second;
  }
};

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

// Reads a whole file relative to dirfd into buf (grown as needed). Returns bytes or -errno.
ssize_t ReadAt(int dirfd, const char* name, std::vector<char>& buf) {
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -errno;
  Fd closer(fd);
  size_t len = 0;
  for (;;) {
    if (len == buf.size()) buf.resize(buf.size() * 2);
    ssize_t r = read(fd, buf.data() + len, buf.size() - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (r == 0) break;
    len += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(len);
}

bool ReadLinkAt(int dirfd, const char* name, char* link, size_t cap, std::string& out) {
  ssize_t n = readlinkat(dirfd, name, link, cap);
  if (n < 0) return false;
  out.assign(link, static_cast<size_t>(n));
  return true;
}

void KeepMapsLines(const char* p, size_t n, std::string& out) {
  const char* end = p + n;
  while (p < end) {
    const char* nl = static_cast<const char*>(memchr(p, '\n', end - p));
    const char* le = nl ? nl : end;
    size_t ll = le - p;
    if (memmem(p, ll, "/SYSV", 5) || memmem(p, ll, "/dev/shm/", 9)) {
      if (!out.empty()) out.push_back('\n');
      out.append(p, ll);
    }
    p = nl ? nl + 1 : end;
  }
}

class Walker {
 public:
  Walker(Shared& sh, uint32_t index) : sh_(sh), index_(index), buf_(64 * 1024), dents_(32 * 1024) {
    // pidfd_getfd only on the real /proc (a captured tree's pids are not this machine's).
    useGetfd_ = sh.opt->procRoot == "/proc" && sh.opt->fastPath;
    int pp[2];
    if (useGetfd_ && pipe2(pp, O_CLOEXEC) == 0) {
      struct stat st;
      if (fstat(pp[0], &st) == 0) pipefsDev_ = st.st_dev;  // every anonymous pipe lives on the one pipefs
      close(pp[0]);
      close(pp[1]);
    } else {
      useGetfd_ = false;
    }
  }

  void Run() {
    std::vector<ProcOut>& procs = *sh_.procs;
    for (;;) {
      size_t i = sh_.next.fetch_add(1, std::memory_order_relaxed);
      if (i >= procs.size()) break;
      ProcOut& p = procs[i];
      p.thread = index_;
      p.fdStart = cols.pid.size();
      WalkOne(p);
      p.fdCount = cols.pid.size() - p.fdStart;
    }
  }

  // Phase 2: slices of large fd tables, so one process with 50k fds still uses every thread.
  void RunChunks() {
    std::vector<ProcOut>& procs = *sh_.procs;
    for (;;) {
      size_t i = sh_.nextChunk.fetch_add(1, std::memory_order_relaxed);
      if (i >= sh_.chunks.size()) break;
      Chunk& c = sh_.chunks[i];
      ProcOut& p = procs[c.proc];
      c.thread = index_;
      c.rowStart = cols.pid.size();
      int fdDir = p.pdir.ok() ? openat(p.pdir.get(), "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
      if (fdDir >= 0) {
        Fd closer(fdDir);
        curPdir_ = p.pdir.get();
        char nm[16];
        for (size_t k = c.begin; k < c.end; k++) {
          snprintf(nm, sizeof nm, "%d", p.deferred[k]);
          OneFd(p, fdDir, nm, p.deferred[k]);
        }
      }
      c.rowCount = cols.pid.size() - c.rowStart;
    }
  }

  FdCols cols;

 private:
  void WalkOne(ProcOut& p) {
    const Options& opt = *sh_.opt;
    char name[24];
    snprintf(name, sizeof name, "%d", p.pid);
    int pdir = openat(sh_.rootFd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pdir < 0) {
      p.error = errno;
      return;
    }
    Fd pdirCloser(pdir);
    curPdir_ = pdir;

    ssize_t n = ReadAt(pdir, "stat", buf_);
    if (n < 0) {
      p.error = static_cast<int>(-n);
      return;
    }
    p.stat.assign(buf_.data(), n);
    p.has |= F_STAT;
    if (!Text(pdir, "status", p.status, p, F_STATUS)) return;
    if (!Text(pdir, "cmdline", p.cmdline, p, F_CMDLINE)) return;
    if (opt.readMaps) {
      n = ReadAt(pdir, "maps", buf_);
      if (n >= 0) {
        KeepMapsLines(buf_.data(), static_cast<size_t>(n), p.maps);
        p.has |= F_MAPS;
      } else if (-n == ESRCH) {
        p.error = ESRCH;
        return;
      }
    }
    if (opt.readTimers && !Text(pdir, "timers", p.timers, p, F_TIMERS)) return;
    if (ReadLinkAt(pdir, "ns/net", link_, sizeof link_, p.netns)) p.has |= F_NETNS;
    if (opt.readLinks) {
      if (ReadLinkAt(pdir, "cwd", link_, sizeof link_, p.cwd)) p.has |= F_CWD;
      if (ReadLinkAt(pdir, "exe", link_, sizeof link_, p.exe)) p.has |= F_EXE;
    }
    WalkFds(p, pdir);
  }

  // Reads a text file; false when the process vanished (sets p.error). Other errors omit the field.
  bool Text(int pdir, const char* file, std::string& out, ProcOut& p, uint32_t flag) {
    ssize_t n = ReadAt(pdir, file, buf_);
    if (n >= 0) {
      out.assign(buf_.data(), static_cast<size_t>(n));
      p.has |= flag;
      return true;
    }
    if (-n == ESRCH) {
      p.error = ESRCH;
      return false;
    }
    return true;
  }

  // With the fast path, a dense fd table is cheaper to probe with pidfd_getfd (EBADF for holes)
  // than to list: readdir of /proc/PID/fd instantiates a dentry per fd. Dense = the table size
  // (status FDSize) is within 2x of the open count (st_size of /proc/PID/fd, Linux >= 6.2) and
  // the table is not small (small ones are cheaper to list).
  // Returns the number of fd slots to probe, 0 to list with getdents64.
  size_t ProbeCount(ProcOut& p, int fdDir) {
    if (!useGetfd_ || !(p.has & F_STATUS) || !OpenPidfd(p.pid)) return 0;
    struct stat st;
    if (fstat(fdDir, &st) != 0 || st.st_size <= 0) return 0;
    const char* f = static_cast<const char*>(memmem(p.status.data(), p.status.size(), "\nFDSize:", 8));
    if (!f) return 0;
    f += 8;
    const char* end = p.status.data() + p.status.size();
    while (f < end && (*f == ' ' || *f == '\t')) f++;
    uint64_t size = 0;
    while (f < end && *f >= '0' && *f <= '9') size = size * 10 + static_cast<uint64_t>(*f++ - '0');
    uint64_t count = static_cast<uint64_t>(st.st_size);
    if (count < 128 || size == 0 || size > (1u << 24) || size > 2 * count) return 0;
    return static_cast<size_t>(size);
  }

  void WalkFds(ProcOut& p, int pdir) {
    int fdDir = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fdDir < 0) {
      p.fdError = errno;
      return;
    }
    Fd closer(fdDir);
    names_.clear();
    size_t probe = ProbeCount(p, fdDir);
    for (size_t i = 0; i < probe; i++) names_.push_back(static_cast<int32_t>(i));
    for (; probe == 0;) {
      long nread = syscall(SYS_getdents64, fdDir, dents_.data(), dents_.size());
      if (nread < 0) {
        if (errno == EINTR) continue;
        if (names_.empty()) p.fdError = errno;
        break;
      }
      if (nread == 0) break;
      for (long off = 0; off < nread;) {
        auto* d = reinterpret_cast<linux_dirent64*>(dents_.data() + off);
        off += d->d_reclen;
        uint64_t fdnum;
        if (ParseUint(d->d_name, strlen(d->d_name), fdnum) && fdnum <= 0x7fffffff) names_.push_back(static_cast<int32_t>(fdnum));
      }
    }
    size_t inl = names_.size() < kChunk ? names_.size() : kChunk;
    char nm[16];
    for (size_t k = 0; k < inl; k++) {
      snprintf(nm, sizeof nm, "%d", names_[k]);
      OneFd(p, fdDir, nm, names_[k]);
    }
    if (names_.size() > inl) {
      p.deferred.assign(names_.begin() + inl, names_.end());
      p.pdir.reset(fcntl(pdir, F_DUPFD_CLOEXEC, 0));
    }
  }

  void OneFd(ProcOut& p, int fdDir, const char* nm, int32_t fdnum) {
    if (useGetfd_ && OpenPidfd(p.pid)) {
      int r = OneFdGetfd(p, fdDir, nm, fdnum);
      if (r >= 0) return;
      pidfd_.reset();  // no pidfd_getfd rights over this process: readlink path from now on
    }
    OneFdLink(p, fdDir, nm, fdnum);
  }

  // pidfd for the process being walked; verified against its /proc dir so a recycled pid is never used.
  bool OpenPidfd(int32_t pid) {
    if (pidfdPid_ == pid && pidfdDir_ == curPdir_) return pidfd_.ok();
    pidfdPid_ = pid;
    pidfdDir_ = curPdir_;
    pidfd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    if (pidfd_.ok() && faccessat(curPdir_, "fd", F_OK, 0) != 0) pidfd_.reset();
    return pidfd_.ok();
  }

  // Fast path (root / ptrace rights on the real /proc): pidfd_getfd a duplicate and fstat it — about
  // half the cost of readlink + lstat, and the pipe numbers come from the same duplicate (the pipe is
  // never opened, so reader/writer counts never change). readlink only for FIFOs and regular files.
  // Returns 0 when handled (row pushed or fd skipped), -1 when pidfd_getfd is not permitted.
  int OneFdGetfd(ProcOut& p, int fdDir, const char* nm, int32_t fdnum) {
    int d = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd_.get(), fdnum, 0));
    if (d < 0) return errno == EBADF ? 0 : -1;  // EBADF: closed meanwhile
    Fd dup(d);
    struct stat st;
    if (fstat(d, &st) != 0) return 0;
    int fl = fcntl(d, F_GETFL);
    if (fl < 0) return 0;
    int acc = fl & O_ACCMODE;
    uint8_t mode = (fl & O_PATH) ? 0 : static_cast<uint8_t>((acc == O_RDONLY || acc == O_RDWR ? 1 : 0) | (acc == O_WRONLY || acc == O_RDWR ? 2 : 0));
    const bool measure = sh_.opt->measurePipes;
    int32_t pathIndex = -1;
    uint8_t kind;
    uint64_t dev = 0;
    if (S_ISSOCK(st.st_mode)) {
      kind = kSocket;
      mode = 3;
    } else if (S_ISFIFO(st.st_mode) && st.st_dev == pipefsDev_) {
      kind = kPipe;
      if (measure && Claim(Key{0, st.st_ino})) MeasureFd(d, Key{0, st.st_ino});
    } else if (S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode)) {
      ssize_t n = readlinkat(fdDir, nm, link_, sizeof link_ - 1);
      if (n <= 0 || link_[0] != '/') return 0;
      link_[n] = '\0';
      if (S_ISFIFO(st.st_mode)) {
        kind = kFifo;
        if (measure && (mode & 1) && Claim(Key{st.st_dev, st.st_ino})) MeasureFd(d, Key{st.st_dev, st.st_ino});
      } else if (n > 9 && memcmp(link_, "/dev/shm/", 9) == 0) {
        kind = kDevShm;
      } else if (n > 1 && memchr(link_ + 1, '/', n - 1) == nullptr && IsMqueueFd(d)) {
        kind = kMqueue;
      } else {
        return 0;
      }
      dev = st.st_dev;
      pathIndex = static_cast<int32_t>(cols.paths.size());
      cols.paths.emplace_back(link_, static_cast<size_t>(n));
    } else {
      return 0;  // ttys, directories, anon inodes …
    }
    Push(p.pid, fdnum, kind, mode, st.st_ino, dev, pathIndex);
    return 0;
  }

  void Push(int32_t pid, int32_t fdnum, uint8_t kind, uint8_t mode, uint64_t ino, uint64_t dev, int32_t pathIndex) {
    cols.pid.push_back(pid);
    cols.fd.push_back(fdnum);
    cols.kind.push_back(kind);
    cols.mode.push_back(mode);
    cols.inode.push_back(static_cast<double>(ino));
    cols.dev.push_back(static_cast<double>(dev));
    cols.pathIndex.push_back(pathIndex);
  }

  static bool IsMqueueFd(int fd) {
    struct statfs sf;
    return fstatfs(fd, &sf) == 0 && static_cast<unsigned long>(sf.f_type) == MQUEUE_MAGIC;
  }

  void MeasureFd(int fd, const Key& key) {
    int avail = -1;
    if (ioctl(fd, FIONREAD, &avail) != 0) avail = -1;
    Store(key, avail, fcntl(fd, F_GETPIPE_SZ));
  }

  // Readlink path: any procRoot, any permissions.
  void OneFdLink(ProcOut& p, int fdDir, const char* nm, int32_t fdnum) {
    ssize_t n = readlinkat(fdDir, nm, link_, sizeof link_ - 1);
    if (n <= 0) return;  // closed meanwhile
    link_[n] = '\0';
    uint8_t kind;
    uint64_t ino = 0, dev = 0;
    int32_t pathIndex = -1;
    uint8_t mode = 3;
    const bool measure = sh_.opt->measurePipes;
    if (link_[0] == 'p' && n > 7 && memcmp(link_, "pipe:[", 6) == 0 && link_[n - 1] == ']') {
      if (!ParseUint(link_ + 6, n - 7, ino)) return;
      kind = kPipe;
      if (measure && Claim(Key{0, ino})) {
        // First fd of this pipe: one pidfd_getfd duplicate gives mode and numbers.
        if (!MeasureGetfd(p.pid, fdnum, Key{0, ino}, &mode)) {
          mode = LinkMode(fdDir, nm);
          MeasureOpen(fdDir, nm, Key{0, ino});
        }
      } else {
        mode = LinkMode(fdDir, nm);
      }
    } else if (link_[0] == 's' && n > 9 && memcmp(link_, "socket:[", 8) == 0 && link_[n - 1] == ']') {
      if (!ParseUint(link_ + 8, n - 9, ino)) return;
      kind = kSocket;
    } else if (link_[0] == '/') {
      struct stat st;
      if (fstatat(fdDir, nm, &st, 0) != 0) return;
      if (S_ISFIFO(st.st_mode)) {
        kind = kFifo;
      } else if (!S_ISREG(st.st_mode)) {
        return;  // directories, devices: same rule as the fast path
      } else if (n > 9 && memcmp(link_, "/dev/shm/", 9) == 0) {
        kind = kDevShm;
      } else if (n > 1 && memchr(link_ + 1, '/', n - 1) == nullptr && IsMqueue(p.pid, nm)) {
        kind = kMqueue;
      } else {
        return;
      }
      ino = st.st_ino;
      dev = st.st_dev;
      mode = LinkMode(fdDir, nm);
      // FIFOs only through a read-mode fd: opening one for read could wake a writer blocked in open().
      if (kind == kFifo && measure && (mode & 1) && Claim(Key{dev, ino})) {
        uint8_t ignored;
        if (!MeasureGetfd(p.pid, fdnum, Key{dev, ino}, &ignored)) MeasureOpen(fdDir, nm, Key{dev, ino});
      }
      pathIndex = static_cast<int32_t>(cols.paths.size());
      cols.paths.emplace_back(link_, static_cast<size_t>(n));
    } else {
      return;
    }
    Push(p.pid, fdnum, kind, mode, ino, dev, pathIndex);
  }

  static uint8_t LinkMode(int fdDir, const char* nm) {
    struct stat lst;
    if (fstatat(fdDir, nm, &lst, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    return static_cast<uint8_t>(((lst.st_mode & S_IRUSR) ? 1 : 0) | ((lst.st_mode & S_IWUSR) ? 2 : 0));
  }

  bool IsMqueue(int32_t pid, const char* nm) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%d/fd/%s", sh_.opt->procRoot.c_str(), pid, nm);
    struct statfs sf;
    if (statfs(path, &sf) != 0) return false;
    return static_cast<unsigned long>(sf.f_type) == MQUEUE_MAGIC;
  }

  // True when this thread should measure the pipe/FIFO (nobody else has or is measuring it).
  bool Claim(const Key& key) {
    Shared::Shard& shard = sh_.ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    return shard.meas.try_emplace(key).second;
  }

  void Store(const Key& key, int avail, int cap) {
    Shared::Shard& shard = sh_.ShardOf(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (avail < 0 && cap < 0) {
      shard.meas.erase(key);  // let another fd of the same pipe try
    } else {
      Meas& m = shard.meas[key];
      m.buffered = avail;
      m.capacity = cap;
    }
  }

  // pidfd_getfd duplicate (root or ptrace rights, real /proc only): FIONREAD + F_GETPIPE_SZ +
  // F_GETFL without opening the pipe, so reader/writer counts never change. Verifies the inode, so
  // a recycled pid cannot be measured by mistake. Stores the numbers under key.
  bool MeasureGetfd(int32_t pid, int32_t fdnum, const Key& key, uint8_t* mode) {
    if (!useGetfd_) return false;
    if (pidfdPid_ != pid) {
      pidfdPid_ = pid;
      pidfd_.reset(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
    }
    if (!pidfd_.ok()) return false;
    Fd d(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd_.get(), fdnum, 0)));
    if (!d.ok()) {
      if (errno == EPERM || errno == ENOSYS || errno == ESRCH) pidfd_.reset();  // fall back for this process
      return false;
    }
    struct stat st;
    if (fstat(d.get(), &st) != 0 || !S_ISFIFO(st.st_mode) || st.st_ino != key.ino) return false;
    int fl = fcntl(d.get(), F_GETFL);
    if (fl < 0) return false;
    int acc = fl & O_ACCMODE;
    *mode = static_cast<uint8_t>((acc == O_RDONLY || acc == O_RDWR ? 1 : 0) | (acc == O_WRONLY || acc == O_RDWR ? 2 : 0));
    int avail = -1;
    if (ioctl(d.get(), FIONREAD, &avail) != 0) avail = -1;
    int cap = fcntl(d.get(), F_GETPIPE_SZ);
    Store(key, avail, cap);
    return true;
  }

  // open(/proc/PID/fd/N, O_RDONLY|O_NONBLOCK) fallback.
  void MeasureOpen(int fdDir, const char* nm, const Key& key) {
    int fd = openat(fdDir, nm, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    int avail = -1;
    int cap = -1;
    if (fd >= 0) {
      if (ioctl(fd, FIONREAD, &avail) != 0) avail = -1;
      cap = fcntl(fd, F_GETPIPE_SZ);
      close(fd);
    }
    Store(key, avail, cap);
  }

  Shared& sh_;
  uint32_t index_;
  bool useGetfd_ = false;
  uint64_t pipefsDev_ = 0;
  int curPdir_ = -1;
  int32_t pidfdPid_ = 0;
  int pidfdDir_ = -1;
  Fd pidfd_;
  std::vector<char> buf_;
  std::vector<char> dents_;
  std::vector<int32_t> names_;
  char link_[4097];
};

class WalkWorker : public Napi::AsyncWorker {
 public:
  WalkWorker(Napi::Env env, Options opt) : Napi::AsyncWorker(env, "ipcInspectorWalkProc"), deferred_(env), opt_(std::move(opt)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    auto t0 = std::chrono::steady_clock::now();
    int rootFd = open(opt_.procRoot.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootFd < 0) {
      err_.set(errno, "open", opt_.procRoot);
      return;
    }
    Fd rootCloser(rootFd);
    // The pidfd_getfd fast path needs this /proc to be of our pid namespace (/proc/self == getpid()).
    if (opt_.fastPath) {
      char self[32], mine[32];
      ssize_t n = readlinkat(rootFd, "self", self, sizeof self - 1);
      int m = snprintf(mine, sizeof mine, "%d", static_cast<int>(getpid()));
      opt_.fastPath = n == m && memcmp(self, mine, static_cast<size_t>(m)) == 0;
    }
    if (opt_.pidsGiven && !opt_.pids.empty()) {
      for (int32_t pid : opt_.pids) procs_.emplace_back().pid = pid;
    } else if (!ListPids(rootFd)) {
      return;
    }
    unsigned n = opt_.threads ? opt_.threads : std::thread::hardware_concurrency();
    if (n == 0) n = 1;
    if (n > 64) n = 64;
    if (n > procs_.size()) n = procs_.empty() ? 1 : static_cast<unsigned>(procs_.size());
    threads_ = n;

    Shared sh;
    sh.opt = &opt_;
    sh.rootFd = rootFd;
    sh.procs = &procs_;
    std::vector<std::unique_ptr<Walker>> walkers;
    for (unsigned i = 0; i < n; i++) walkers.emplace_back(new Walker(sh, i));
    threads_ = RunPool(walkers, [](Walker& w) { w.Run(); });
    for (size_t i = 0; i < procs_.size(); i++) {
      const ProcOut& p = procs_[i];
      for (size_t b = 0; b < p.deferred.size(); b += kChunk) {
        Chunk c;
        c.proc = i;
        c.begin = b;
        c.end = b + kChunk < p.deferred.size() ? b + kChunk : p.deferred.size();
        sh.chunks.push_back(c);
      }
    }
    if (!sh.chunks.empty()) RunPool(walkers, [](Walker& w) { w.RunChunks(); });
    for (auto& p : procs_) p.pdir.reset();

    // Merge per-thread columns in pid-list order, so output order is deterministic.
    size_t total = 0;
    for (auto& w : walkers) total += w->cols.pid.size();
    out_.reserve(total);
    out_.buffered.reserve(total);
    out_.capacity.reserve(total);
    size_t ci = 0;
    for (size_t pi = 0; pi < procs_.size(); pi++) {
      const ProcOut& p = procs_[pi];
      Append(sh, walkers[p.thread]->cols, p.fdStart, p.fdCount);
      for (; ci < sh.chunks.size() && sh.chunks[ci].proc == pi; ci++) {
        const Chunk& ch = sh.chunks[ci];
        Append(sh, walkers[ch.thread]->cols, ch.rowStart, ch.rowCount);
      }
    }
    elapsedMs_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  template <typename Fn>
  static unsigned RunPool(std::vector<std::unique_ptr<Walker>>& walkers, Fn fn) {
    std::vector<std::thread> pool;
    try {
      for (size_t i = 1; i < walkers.size(); i++) pool.emplace_back([&walkers, i, fn] { fn(*walkers[i]); });
    } catch (const std::system_error&) {
      // fewer threads than asked: the running ones (and this one) share the work
    }
    fn(*walkers[0]);
    for (auto& t : pool) t.join();
    return static_cast<unsigned>(pool.size()) + 1;
  }

  void Append(Shared& sh, FdCols& c, size_t start, size_t count) {
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
          out_.pathIndex.push_back(static_cast<int32_t>(out_.paths.size()));
          out_.paths.push_back(std::move(c.paths[pi]));
        } else {
          out_.pathIndex.push_back(-1);
        }
        double b = -1, cap = -1;
        uint8_t k = c.kind[r];
        if (opt_.measurePipes && (k == kPipe || k == kFifo)) {
          const Meas* m = sh.Find(Key{k == kPipe ? 0 : static_cast<uint64_t>(c.dev[r]), static_cast<uint64_t>(c.inode[r])});
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

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (err_) {
      deferred_.Reject(SyscallError(env, err_.err, err_.syscall, err_.path).Value());
      return;
    }
    Napi::Array procs = Napi::Array::New(env, procs_.size());
    uint32_t i = 0;
    for (const ProcOut& p : procs_) {
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
      procs.Set(i++, o);
    }
    Napi::Object fds = Napi::Object::New(env);
    fds.Set("pid", Typed<Napi::Int32Array>(env, out_.pid));
    fds.Set("fd", Typed<Napi::Int32Array>(env, out_.fd));
    fds.Set("kind", Typed<Napi::Uint8Array>(env, out_.kind));
    fds.Set("mode", Typed<Napi::Uint8Array>(env, out_.mode));
    fds.Set("inode", Typed<Napi::Float64Array>(env, out_.inode));
    fds.Set("dev", Typed<Napi::Float64Array>(env, out_.dev));
    fds.Set("pathIndex", Typed<Napi::Int32Array>(env, out_.pathIndex));
    fds.Set("buffered", Typed<Napi::Float64Array>(env, out_.buffered));
    fds.Set("capacity", Typed<Napi::Float64Array>(env, out_.capacity));
    Napi::Array paths = Napi::Array::New(env, out_.paths.size());
    for (uint32_t j = 0; j < out_.paths.size(); j++) paths.Set(j, Napi::String::New(env, out_.paths[j]));
    Napi::Object res = Napi::Object::New(env);
    res.Set("processes", procs);
    res.Set("fds", fds);
    res.Set("paths", paths);
    res.Set("elapsedMs", Napi::Number::New(env, elapsedMs_));
    res.Set("threads", Napi::Number::New(env, threads_));
    deferred_.Resolve(res);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  template <typename TA, typename T>
  static TA Typed(Napi::Env env, const std::vector<T>& v) {
    TA a = TA::New(env, v.size());
    if (!v.empty()) memcpy(a.Data(), v.data(), v.size() * sizeof(T));
    return a;
  }

  bool ListPids(int rootFd) {
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
        if (ParseUint(d->d_name, strlen(d->d_name), pid) && pid <= 0x7fffffff) procs_.emplace_back().pid = static_cast<int32_t>(pid);
      }
    }
    return true;
  }

  Napi::Promise::Deferred deferred_;
  Options opt_;
  PendingError err_;
  std::vector<ProcOut> procs_;
  FdCols out_;
  double elapsedMs_ = 0;
  unsigned threads_ = 1;
};

bool GetBool(const Napi::Object& o, const char* k) {
  Napi::Value v = o.Get(k);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : false;
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
    opt.readMaps = GetBool(o, "readMaps");
    opt.readTimers = GetBool(o, "readTimers");
    opt.readLinks = GetBool(o, "readLinks");
    opt.measurePipes = GetBool(o, "measurePipes");
    opt.fastPath = !GetBool(o, "noGetfd");
  }
  auto* w = new WalkWorker(env, std::move(opt));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

}  // namespace ipci
