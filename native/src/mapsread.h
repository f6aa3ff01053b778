// Bounded reads of /proc/PID/maps, for both fd walks. Another user decides how many mappings a
// process has (up to vm.max_map_count, 65,530 by default) and how long their paths are (up to
// PATH_MAX), and every line can be a real /dev/shm mapping: one maps file can be hundreds of MB,
// and a thousand such processes cost nothing but kernel memory. So the file is read in pieces
// and filtered as it comes, what is read and what is kept are bounded per process, and what is
// kept is bounded per walk and per user (MapsBudget: one user's processes cannot spend what the
// others' need). A process cut short says so (MapsRead::truncated → read error EFBIG).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "userbudget.h"

namespace ipci {

/** Maps text read per process: 16 MiB is ~160k lines of ordinary paths, 2.5× max_map_count's default. */
constexpr size_t kMapsReadMax = 16u << 20;
/** Kept lines per process: a PostgreSQL backend keeps a handful, a process at the bound is another user's. */
constexpr size_t kMapsKeepMax = 256u << 10;
constexpr size_t kMapsKeepLines = 4096;
/** Kept maps text per walk, over every process. */
constexpr int64_t kMapsWalkBudget = 64ll << 20;
/** Kept maps text per walk for the processes of one user (real uid): a quarter of the walk's. */
constexpr int64_t kMapsUserBudget = 16ll << 20;
/** The user of a process whose uid is not known (its status unread): one budget for all of them. */
constexpr uint32_t kMapsUnknownUser = kUnknownUser;

/**
 * What a walk may still keep of maps text: kMapsWalkBudget in all, kMapsUserBudget of it for the
 * processes of one user. Without the second, another user's processes — each at the per-process
 * bound, 256 such fill the walk's — spent it before root's were read, whose shared memory then
 * had no mappers.
 */
class MapsBudget : public UserBudget {
 public:
  MapsBudget() : UserBudget(kMapsWalkBudget, kMapsUserBudget) {}
};

struct MapsRead {
  int err = 0;             // errno of the open or a read (ESRCH: the process is gone)
  bool truncated = false;  // a bound stopped the read: the lines kept are the first ones
};

/**
 * Reads `name` (relative to dirfd) in pieces of `buf`'s size (≥ 64 KiB, more than any maps line)
 * and appends the lines `keep(line, len)` accepts to `out`, joined by '\n'. `budget` (shared by
 * a walk's threads) is what may still be kept for the process's user `uid`; nothing is read once
 * it is spent.
 */
template <typename Buf, typename Keep>
MapsRead ReadMapsKept(int dirfd, const char* name, Buf& buf, std::string& out, MapsBudget* budget, uint32_t uid, Keep&& keep) {
  MapsRead res;
  if (budget && budget->Spent(uid)) {
    res.truncated = true;
    return res;
  }
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    res.err = errno;
    return res;
  }
  if (buf.size() < 65536) buf.resize(65536);
  size_t have = 0, total = 0, lines = 0;
  const size_t before = out.size();
  bool stop = false;
  auto take = [&](const char* line, size_t len) {
    if (!keep(line, len)) return;
    if (lines >= kMapsKeepLines || out.size() - before + len + 1 > kMapsKeepMax) {
      res.truncated = stop = true;
      return;
    }
    if (!out.empty()) out.push_back('\n');
    out.append(line, len);
    lines++;
  };
  while (!stop) {
    if (have == buf.size()) {  // no newline in a whole buffer: not a maps line
      res.truncated = true;
      break;
    }
    ssize_t r = read(fd, buf.data() + have, buf.size() - have);
    if (r < 0) {
      if (errno == EINTR) continue;
      res.err = errno;
      break;
    }
    const bool eof = r == 0;
    have += static_cast<size_t>(r);
    total += static_cast<size_t>(r);
    char* p = buf.data();
    char* end = p + have;
    while (p < end && !stop) {
      char* nl = static_cast<char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
      if (!nl) {
        if (eof) {
          take(p, static_cast<size_t>(end - p));
          p = end;
        }
        break;
      }
      take(p, static_cast<size_t>(nl - p));
      p = nl + 1;
    }
    have = static_cast<size_t>(end - p);
    if (have > 0 && p != buf.data()) memmove(buf.data(), p, have);
    if (eof) break;
    if (total >= kMapsReadMax) {
      res.truncated = true;
      break;
    }
  }
  close(fd);
  if (budget) budget->Spend(uid, static_cast<int64_t>(out.size() - before));
  return res;
}

/**
 * Where a maps line's path field starts (after start-end, perms, offset, dev, inode and the
 * padding); `len` when the line has none. The rules match the path, not any part of the line (a
 * path may hold the text of another path).
 */
inline size_t MapsPathAt(const char* line, size_t len) {
  size_t i = 0;
  for (int f = 0; f < 5; f++) {
    while (i < len && line[i] == ' ') i++;
    if (i == len) return len;
    while (i < len && line[i] != ' ') i++;
  }
  while (i < len && line[i] == ' ') i++;
  return i;
}

/** Whether the path at `at` (MapsPathAt) of a line of `len` bytes starts with `prefix`. */
inline bool MapsPathStarts(const char* line, size_t len, size_t at, const char* prefix, size_t plen) {
  return len - at >= plen && memcmp(line + at, prefix, plen) == 0;
}

}  // namespace ipci
