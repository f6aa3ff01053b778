// Bounded reads of /proc texts another user chooses the length of, for both fd walks:
// - cmdline: up to 6 MiB of arguments (a quarter of the stack limit, at most 3/4 of 8 MiB), and
//   processes forked after the exec share those pages, so they cost their user one copy. Fifty
//   such processes of nobody's made one unbounded `snapshot --json` read 290 MB of command lines
//   (683 MiB peak); five hundred would take the extension host down.
// - timers: one POSIX timer is four lines (~74 bytes), and a user may have as many as
//   RLIMIT_SIGPENDING allows (96,362 here: 7.1 MB of text in one process).
// What is read is bounded per process, and what is kept per walk and per user (TextBudget, as
// maps text is): once a user's processes have spent their share, each of their processes keeps
// the first page. A text cut short says so (BoundedRead::truncated → read error EFBIG).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "userbudget.h"

namespace ipci {

/** Command line read per process: MAX_ARG_STRLEN, the longest one argument may be. */
constexpr size_t kCmdlineMax = 128u << 10;
/** What every process keeps, budget or not: one page (what the kernel gave of any command line before Linux 4.2). */
constexpr size_t kCmdlineHead = 4096;
/** Kept command lines per walk, over every process. */
constexpr int64_t kCmdlineWalkBudget = 16ll << 20;
/** Kept command lines per walk for the processes of one user (real uid): a quarter of the walk's. */
constexpr int64_t kCmdlineUserBudget = 4ll << 20;

/** Timers text read per process: ~880 timers. */
constexpr size_t kTimersMax = 64u << 10;
/** What every process keeps: one page, ~55 timers. */
constexpr size_t kTimersHead = 4096;
constexpr int64_t kTimersWalkBudget = 4ll << 20;
constexpr int64_t kTimersUserBudget = 1ll << 20;

/** A walk's budget for one text: UserBudget, and how much one process may keep before and after it is spent. */
class TextBudget : public UserBudget {
 public:
  TextBudget(int64_t walk, int64_t user, size_t max, size_t head) : UserBudget(walk, user), max_(max), head_(head) {}
  size_t Max(uint32_t uid) { return Spent(uid) ? head_ : max_; }

 private:
  const size_t max_, head_;
};

class CmdlineBudget : public TextBudget {
 public:
  CmdlineBudget() : TextBudget(kCmdlineWalkBudget, kCmdlineUserBudget, kCmdlineMax, kCmdlineHead) {}
};

class TimersBudget : public TextBudget {
 public:
  TimersBudget() : TextBudget(kTimersWalkBudget, kTimersUserBudget, kTimersMax, kTimersHead) {}
};

struct BoundedRead {
  int err = 0;             // errno of the open or a read (ESRCH: the process is gone)
  bool truncated = false;  // a bound stopped the read: `out` is the first bytes
};

/**
 * Reads `name` (relative to dirfd) through `buf` into `out`: at most what `budget` (shared by a
 * walk's threads) allows a process of `uid` now. A text cut short ends before the last line that
 * starts with `record` (a timer's `ID: `), when given: whole records only.
 */
template <typename Buf>
BoundedRead ReadBounded(int dirfd, const char* name, Buf& buf, std::string& out, TextBudget& budget, uint32_t uid, const char* record = nullptr) {
  BoundedRead res;
  const size_t max = budget.Max(uid);
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    res.err = errno;
    return res;
  }
  if (buf.size() < max + 1) buf.resize(max + 1);
  size_t len = 0;
  // one byte past the bound tells a text cut short from one that ends there
  while (len <= max) {
    ssize_t r = read(fd, buf.data() + len, max + 1 - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      res.err = errno;
      break;
    }
    if (r == 0) break;
    len += static_cast<size_t>(r);
  }
  close(fd);
  if (res.err != 0) return res;
  if (len > max) {
    len = max;
    res.truncated = true;
    if (record) {
      // the last record that starts a line is the one cut short: it goes
      const size_t rl = strlen(record);
      size_t keep = 0;
      for (size_t at = 0; at + rl <= len; at++)
        if ((at == 0 || buf[at - 1] == '\n') && memcmp(buf.data() + at, record, rl) == 0) keep = at;
      len = keep;
    }
  }
  out.assign(buf.data(), len);
  budget.Spend(uid, static_cast<int64_t>(len));
  return res;
}

}  // namespace ipci
