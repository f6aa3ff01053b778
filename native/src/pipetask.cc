// Pipe operations that wait for the pipe's lock, run in a task outside our thread group (see
// pipetask.h for why).
#include "pipetask.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace ipci {
namespace {

// The task shares the caller's thread pointer: libc's wrappers would write errno into the caller's
// thread. Raw system calls return -errno instead and touch nothing else.
#if defined(__x86_64__)
constexpr bool kRaw = true;
__attribute__((always_inline)) inline long Raw(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
constexpr bool kRaw = true;
__attribute__((always_inline)) inline long Raw(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory", "cc");
  return x0;
}
#else
// No task here (Spawn needs the raw calls): the same code runs on the caller's thread, where
// libc's wrapper and its errno are fine.
constexpr bool kRaw = false;
inline long Raw(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) {
  long r = syscall(n, a, b, c, d, e);
  return r < 0 ? -errno : r;
}
#endif

constexpr size_t kStack = 64 * 1024;
// Tasks given up while stuck, at most: past it no pipe is measured or peeked until one returns.
constexpr size_t kMaxStuck = 32;

struct Task {
  int op = 0;  // 1 measure the items, 2 tee
  // dups in our table, made for the task and closed when it is reaped: the task unshares its fd
  // table first thing and works on its copies of these (so it can be given up at any point)
  int rootFd = -1, handle = -1, pw = -1;
  int selfFd = -1;  // the task's own /proc/self/fd, in its own table
  PipeMeasureItem* items = nullptr;
  size_t count = 0;
  size_t at = 0;     // the item being measured (atomic); count once the list is done
  int stop = 0;      // set when given up: no next item (atomic)
  size_t maxBytes = 0;
  PipeTeeResult tee;
  // the caller's
  void* stack = nullptr;
  int pidfd = -1;
  int pid = -1;
  uint64_t dev = 0, ino = 0;  // what it was given up on
};

__attribute__((always_inline)) inline size_t PutNum(char* s, size_t n, long v) {
  char d[24];
  size_t k = 0;
  unsigned long u = v < 0 ? 0 : static_cast<unsigned long>(v);
  do {
    d[k++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u && k < sizeof d);
  while (k) s[n++] = d[--k];
  return n;
}

__attribute__((no_stack_protector, noinline)) void MeasureLoop(Task* t) {
  for (size_t i = 0; i < t->count; i++) {
    if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) break;
    __atomic_store_n(&t->at, i, __ATOMIC_RELEASE);
    PipeMeasureItem& it = t->items[i];
    char path[64];
    size_t n = PutNum(path, 0, it.pid);
    path[n++] = '/';
    path[n++] = 'f';
    path[n++] = 'd';
    path[n++] = '/';
    n = PutNum(path, n, it.fd);
    path[n] = 0;
    // what the fd is now, without opening it (no ->open runs)
    long h = Raw(SYS_openat, t->rootFd, reinterpret_cast<long>(path), O_PATH | O_CLOEXEC);
    if (h < 0) continue;
    struct statx sx;
    struct statx lx;
    if (Raw(SYS_statx, h, reinterpret_cast<long>(""), AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO | STATX_MODE, reinterpret_cast<long>(&sx)) == 0 &&
        S_ISFIFO(sx.stx_mode) && sx.stx_ino == it.ino && sx.stx_dev_major == it.devMajor && sx.stx_dev_minor == it.devMinor &&
        // still a read end after the handle was taken: our open adds a reader beside one
        Raw(SYS_statx, t->rootFd, reinterpret_cast<long>(path), AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_MODE, reinterpret_cast<long>(&lx)) == 0 &&
        (lx.stx_mode & S_IRUSR)) {
      char hn[24];
      size_t k = PutNum(hn, 0, h);
      hn[k] = 0;
      long r = Raw(SYS_openat, t->selfFd, reinterpret_cast<long>(hn), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      if (r >= 0) {
        int v = -1;
        if (Raw(SYS_ioctl, r, FIONREAD, reinterpret_cast<long>(&v)) != 0) v = -1;
        long c = Raw(SYS_fcntl, r, F_GETPIPE_SZ);
        it.avail = v;
        it.cap = c < 0 ? -1 : static_cast<int>(c);
        Raw(SYS_close, r);
      }
    }
    Raw(SYS_close, h);
  }
  __atomic_store_n(&t->at, t->count, __ATOMIC_RELEASE);
}

__attribute__((no_stack_protector, noinline)) void TeeOnce(Task* t) {
  PipeTeeResult& r = t->tee;
  char hn[24];
  size_t k = PutNum(hn, 0, t->handle);
  hn[k] = 0;
  long fd = Raw(SYS_openat, t->selfFd, reinterpret_cast<long>(hn), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    r.err = static_cast<int>(-fd);
    r.step = "open";
    return;
  }
  int v = 0;
  long e = Raw(SYS_ioctl, fd, FIONREAD, reinterpret_cast<long>(&v));
  long cap = e == 0 ? Raw(SYS_fcntl, fd, F_GETPIPE_SZ) : 0;
  if (e != 0 || cap < 0) {
    r.err = static_cast<int>(e != 0 ? -e : -cap);
    r.step = e != 0 ? "ioctl" : "fcntl";
    Raw(SYS_close, fd);
    return;
  }
  r.avail = v;
  r.cap = static_cast<int>(cap);
  size_t want = static_cast<size_t>(v) < t->maxBytes ? static_cast<size_t>(v) : t->maxBytes;
  if (want > 0) {
    // tee() copies whole buffers, as many as our pipe has free slots: as many slots as the
    // source has, and room for the bytes (best effort: pipe-max-size bounds the unprivileged)
    const size_t slots = want > static_cast<size_t>(cap) ? want : static_cast<size_t>(cap);
    long pcap = Raw(SYS_fcntl, t->pw, F_GETPIPE_SZ);
    if (pcap >= 0 && static_cast<size_t>(pcap) < slots) {
      if (Raw(SYS_fcntl, t->pw, F_SETPIPE_SZ, static_cast<long>(slots)) < 0 && static_cast<size_t>(cap) < slots) Raw(SYS_fcntl, t->pw, F_SETPIPE_SZ, cap);
    }
    long n;
    do {
      n = Raw(SYS_tee, fd, t->pw, static_cast<long>(want), SPLICE_F_NONBLOCK);
    } while (n == -EINTR);
    if (n < 0 && n != -EAGAIN) {
      r.err = static_cast<int>(-n);
      r.step = "tee";
    } else {
      r.teed = n > 0 ? n : 0;
    }
  }
  Raw(SYS_close, fd);
}

__attribute__((no_stack_protector, noinline)) int TaskMain(void* arg) {
  // One list or one tee, then it exits, closing its own fds: no parent-death signal, which would
  // come when the thread that made it ends and kill a task stuck in a lock the moment it wakes,
  // before it closed them. A task given up stops after the item it is on (stop).
  Task* t = static_cast<Task*>(arg);
  // named for what it is (ownHandles.ts: a scan that lists it drops its rows)
  static const char kName[] = "ipci-pipe";
  Raw(SYS_prctl, PR_SET_NAME, reinterpret_cast<long>(kName));
  // A table of its own, holding only what it needs: one stuck for good must not keep our fds
  // open after we exit (a shell would wait for the EOF of our stdout), nor show them as its own.
  if (Raw(SYS_unshare, CLONE_FILES) != 0) return 1;
  int keep[3] = {t->rootFd, t->handle, t->pw};
  for (int a = 0; a < 3; a++)
    for (int b = a + 1; b < 3; b++)
      if (keep[b] < keep[a]) {
        int x = keep[a];
        keep[a] = keep[b];
        keep[b] = x;
      }
  long lo = 0;
  for (int k : keep) {
    if (k < 0) continue;
    if (k > lo) Raw(SYS_close_range, lo, k - 1, 0);  // ENOSYS before Linux 5.9: the copies stay
    lo = k + 1;
  }
  Raw(SYS_close_range, lo, static_cast<long>(~0U), 0);
  static const char kSelf[] = "/proc/self/fd";  // the task's own table
  t->selfFd = static_cast<int>(Raw(SYS_openat, AT_FDCWD, reinterpret_cast<long>(kSelf), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (t->selfFd < 0) return 1;
  if (t->op == 1) MeasureLoop(t);
  else TeeOnce(t);
  return 0;  // its table, with whatever it still held, goes with it
}

std::mutex gMu;
std::vector<Task*> gStuck;  // under gMu

void Free(Task* t) {
  for (int fd : {t->rootFd, t->handle, t->pw})
    if (fd >= 0) close(fd);
  if (t->pidfd >= 0) close(t->pidfd);
  if (t->stack) munmap(t->stack, kStack);
  delete[] t->items;
  delete t;
}

// Waits for the task's exit (its pidfd reads), then reaps it. Only for a task known to have exited.
void Reap(Task* t) {
  siginfo_t si;
  int r;
  while ((r = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(t->pidfd), &si, WEXITED | __WALL)) != 0 && errno == EINTR) {
  }
  if (r != 0 && errno == EINVAL) {
    int st;  // waitid(P_PIDFD) came in Linux 5.4, CLONE_PIDFD in 5.2
    while (waitpid(t->pid, &st, __WALL) < 0 && errno == EINTR) {
    }
  }
  Free(t);
}

bool Exited(const Task* t, int ms) {
  struct pollfd p{t->pidfd, POLLIN, 0};
  int r;
  do {
    r = poll(&p, 1, ms);
  } while (r < 0 && errno == EINTR);
  return r > 0;
}

// Tasks given up earlier that have returned since: reaped.
void Sweep() {
  std::lock_guard<std::mutex> lock(gMu);
  for (size_t i = 0; i < gStuck.size();) {
    if (Exited(gStuck[i], 0)) {
      Reap(gStuck[i]);
      gStuck.erase(gStuck.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      i++;
    }
  }
}

void GiveUp(Task* t, uint64_t dev, uint64_t ino) {
  t->dev = dev;
  t->ino = ino;
  __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
  std::lock_guard<std::mutex> lock(gMu);
  gStuck.push_back(t);
}

// A task given up is still stuck on this pipe (under gMu).
bool StuckOnLocked(uint64_t dev, uint64_t ino) {
  return std::any_of(gStuck.begin(), gStuck.end(), [&](const Task* t) { return t->dev == dev && t->ino == ino; });
}

size_t StuckCount() {
  std::lock_guard<std::mutex> lock(gMu);
  return gStuck.size();
}

// Clones the task: our memory and fd table, not our thread group, every signal blocked (the
// mask is inherited: blocked here around the clone, so none arrives before it runs).
bool Spawn(Task* t) {
  if (!kRaw) return false;
  void* st = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (st == MAP_FAILED) return false;
  t->stack = st;
  // every signal, glibc's own included (pthread_sigmask leaves those two open), for a moment
  unsigned long all = ~0UL, old = 0;
  Raw(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&all), reinterpret_cast<long>(&old), sizeof all);
  int pidfd = -1;
  int pid = clone(TaskMain, static_cast<char*>(st) + kStack, CLONE_VM | CLONE_FILES | CLONE_PIDFD, t, &pidfd);
  Raw(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&old), 0, sizeof old);
  if (pid < 0 || pidfd < 0) {
    munmap(st, kStack);
    t->stack = nullptr;
    return false;
  }
  t->pidfd = pidfd;
  t->pid = pid;
  return true;
}

}  // namespace

bool PipeStuck(uint64_t dev, uint64_t ino) {
  Sweep();
  std::lock_guard<std::mutex> lock(gMu);
  return StuckOnLocked(dev, ino);
}

// One lane of MeasurePipes: items[todo[lo..hi)], task after task until they are done or the deadline.
size_t MeasureLane(int rootFd, std::vector<PipeMeasureItem>& items, const std::vector<size_t>& todo, size_t lo, size_t hi, std::chrono::steady_clock::time_point deadline, int stallMs) {
  size_t given = 0;
  size_t i = lo;
  const auto stall = std::chrono::milliseconds(stallMs);
  while (i < hi && std::chrono::steady_clock::now() < deadline) {
    if (StuckCount() >= kMaxStuck) break;  // bounded: no more tasks until some return
    auto t = std::make_unique<Task>();
    t->op = 1;
    t->count = hi - i;
    t->items = new PipeMeasureItem[t->count];
    for (size_t k = 0; k < t->count; k++) {
      t->items[k] = items[todo[i + k]];
      t->items[k].devMajor = major(t->items[k].dev);
      t->items[k].devMinor = minor(t->items[k].dev);
    }
    // what the task measured goes back to its place
    auto back = [&](size_t n) {
      for (size_t k = 0; k < n; k++) items[todo[i + k]] = t->items[k];
    };
    t->rootFd = fcntl(rootFd, F_DUPFD_CLOEXEC, 0);
    if (t->rootFd < 0 || !Spawn(t.get())) {
      // the old way, on this thread: the task's code, in place
      const int dup = t->rootFd;
      t->rootFd = dup >= 0 ? dup : rootFd;
      t->selfFd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (t->selfFd >= 0) {
        MeasureLoop(t.get());
        back(t->count);
        close(t->selfFd);
      }
      t->rootFd = dup;
      Free(t.release());
      break;
    }
    size_t lastAt = 0;
    auto lastMove = std::chrono::steady_clock::now();
    for (;;) {
      const bool exited = Exited(t.get(), 5);
      const size_t at = __atomic_load_n(&t->at, __ATOMIC_ACQUIRE);
      const auto now = std::chrono::steady_clock::now();
      if (exited) {
        back(t->count);
        Reap(t.release());
        i = hi;
        break;
      }
      if (at != lastAt) {
        lastAt = at;
        lastMove = now;
      }
      const bool stalled = now - lastMove >= stall;
      if (stalled || now >= deadline) {
        // stopped first, then where it is: it may have moved on meanwhile
        __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
        const size_t cur = __atomic_load_n(&t->at, __ATOMIC_ACQUIRE);
        if (cur >= t->count) {
          // its list is done and it is on its way out
          while (!Exited(t.get(), 100)) {
          }
          back(t->count);
          Reap(t.release());
          i = hi;
          break;
        }
        // what it measured before its current item is read; that item is left, and the task with
        // it (at the deadline too: a later scan does not wait on that pipe while the task is there)
        back(cur);
        if (stalled) given++;
        const uint64_t dev = t->items[cur].dev, ino = t->items[cur].ino;
        GiveUp(t.release(), dev, ino);
        i += cur + 1;
        break;
      }
    }
  }
  return given;
}


size_t MeasurePipes(int rootFd, std::vector<PipeMeasureItem>& items, std::chrono::steady_clock::time_point deadline, int stallMs) {
  Sweep();
  // the pipes a task is still stuck on are not tried again: the others, in order
  std::vector<size_t> todo;
  {
    std::lock_guard<std::mutex> lock(gMu);
    todo.reserve(items.size());
    for (size_t k = 0; k < items.size(); k++) {
      const PipeMeasureItem& it = items[k];
      if (!StuckOnLocked(it.dev, it.ino)) todo.push_back(k);
    }
  }
  // lanes side by side, as the walk's threads measured them: a task per lane
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const size_t lanes = std::min<size_t>({cores, 4, (todo.size() + 255) / 256});
  if (lanes <= 1) return MeasureLane(rootFd, items, todo, 0, todo.size(), deadline, stallMs);
  std::vector<size_t> given(lanes, 0);
  std::vector<std::thread> threads;
  threads.reserve(lanes);
  const size_t per = (todo.size() + lanes - 1) / lanes;
  for (size_t l = 1; l < lanes; l++) {
    const size_t lo = l * per, hi = std::min(todo.size(), lo + per);
    try {
      threads.emplace_back([&, l, lo, hi] {
        try {
          given[l] = MeasureLane(rootFd, items, todo, lo, hi, deadline, stallMs);
        } catch (...) {
          // out of memory: this lane's pipes stay unmeasured
        }
      });
    } catch (const std::system_error&) {
      given[l] = MeasureLane(rootFd, items, todo, lo, hi, deadline, stallMs);
    }
  }
  try {
    given[0] = MeasureLane(rootFd, items, todo, 0, std::min(todo.size(), per), deadline, stallMs);
  } catch (...) {
    // out of memory: this lane's pipes stay unmeasured (the others are joined below)
  }
  for (auto& th : threads) th.join();
  size_t all = 0;
  for (size_t g : given) all += g;
  return all;
}

bool TeePipe(int handle, int pw, size_t maxBytes, uint64_t dev, uint64_t ino, int timeoutMs, PipeTeeResult& r) {
  if (PipeStuck(dev, ino) || StuckCount() >= kMaxStuck) {
    r.err = EDEADLK;
    r.step = "pipe lock";
    return true;
  }
  auto t = std::make_unique<Task>();
  t->op = 2;
  t->maxBytes = maxBytes;
  // the task's copies of these outlive a give-up: dups of ours, closed when it is reaped
  t->handle = fcntl(handle, F_DUPFD_CLOEXEC, 0);
  t->pw = t->handle >= 0 ? fcntl(pw, F_DUPFD_CLOEXEC, 0) : -1;
  if (t->pw < 0 || !Spawn(t.get())) {
    // the old way, on this thread: the task's code, in place, on the caller's fds
    Task here;
    here.handle = handle;
    here.pw = pw;
    here.maxBytes = maxBytes;
    here.selfFd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (here.selfFd < 0) {
      r.err = errno;
      r.step = "open";
    } else {
      TeeOnce(&here);
      close(here.selfFd);
      r = here.tee;
    }
    Free(t.release());
    return true;
  }
  if (Exited(t.get(), timeoutMs)) {
    r = t->tee;
    Reap(t.release());
    return true;
  }
  // given up: it keeps its copies, and the pipe it is on is not tried again while it is there
  r = PipeTeeResult{};
  r.err = ETIMEDOUT;
  r.step = "pipe lock";
  GiveUp(t.release(), dev, ino);
  return false;
}

}  // namespace ipci
