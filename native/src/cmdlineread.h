// Bounded reads of /proc/PID/cmdline, for both fd walks. A command line is chosen by whoever
// starts the process: up to 6 MiB of arguments (a quarter of the stack limit, at most 3/4 of
// 8 MiB), and processes forked after the exec share those pages, so they cost their user one copy.
// Fifty such processes of nobody's made one unbounded `snapshot --json` read 290 MB of command
// lines (683 MiB peak); five hundred would take the extension host down. So what is read is
// bounded per process, and what is kept per walk and per user (CmdlineBudget, as maps text is):
// once a user's processes have spent theirs, each of their processes keeps the first page, which
// is what the kernel gave of any command line before Linux 4.2. A process cut short says so
// (CmdlineRead::truncated → read error EFBIG).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "userbudget.h"

namespace ipci {

/** Command line read per process: MAX_ARG_STRLEN, the longest one argument may be. */
constexpr size_t kCmdlineMax = 128u << 10;
/** What every process keeps, budget or not: one page. */
constexpr size_t kCmdlineHead = 4096;
/** Kept command lines per walk, over every process. */
constexpr int64_t kCmdlineWalkBudget = 16ll << 20;
/** Kept command lines per walk for the processes of one user (real uid): a quarter of the walk's. */
constexpr int64_t kCmdlineUserBudget = 4ll << 20;

class CmdlineBudget : public UserBudget {
 public:
  CmdlineBudget() : UserBudget(kCmdlineWalkBudget, kCmdlineUserBudget) {}
};

struct CmdlineRead {
  int err = 0;             // errno of the open or a read (ESRCH: the process is gone)
  bool truncated = false;  // a bound stopped the read: `out` is the first bytes
};

/**
 * Reads `name` (a cmdline, relative to dirfd) through `buf` into `out`: at most kCmdlineMax bytes,
 * or kCmdlineHead once `budget` (shared by a walk's threads; null: none) is spent for `uid`.
 */
template <typename Buf>
CmdlineRead ReadCmdline(int dirfd, const char* name, Buf& buf, std::string& out, CmdlineBudget* budget, uint32_t uid) {
  CmdlineRead res;
  const size_t max = budget && budget->Spent(uid) ? kCmdlineHead : kCmdlineMax;
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    res.err = errno;
    return res;
  }
  if (buf.size() < max + 1) buf.resize(max + 1);
  size_t len = 0;
  // one byte past the bound tells a line cut short from one that ends there
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
  }
  out.assign(buf.data(), len);
  if (budget) budget->Spend(uid, static_cast<int64_t>(len));
  return res;
}

}  // namespace ipci
