// memRead: bytes of one shared mapping of another process, read through /proc/PID/mem (ptrace-read
// permission), on a thread of its own (ThreadWorker). Right before the read the maps line at that
// exact range must still show the same dev:inode: a holder that mapped a FUSE file over the range
// would otherwise make us fault in its pages (FUSE_READ to a daemon that may never answer). When the
// caller gives the object offset it expects there, the line's offset column must show it too: a
// holder that re-mapped another window of the same object at the same addresses would otherwise
// have us show one part of the object labelled as another. The pid directory is opened once, so a
// recycled pid fails (ESRCH) instead of reading another process.
#include "mapsread.h"
#include "napi_helpers.h"
#include "threadworker.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace ipci {
namespace {

// Reads a whole /proc file relative to dirfd. False with errno on failure.
bool ReadAll(int dirfd, const char* name, std::string& out) {
  Fd fd(openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd.ok()) return false;
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
  }
}

// Field 22 (starttime) of /proc/PID/stat; the comm field may hold spaces and parentheses.
bool StartTime(const std::string& stat, double& out) {
  size_t rp = stat.rfind(')');
  if (rp == std::string::npos) return false;
  const char* p = stat.c_str() + rp + 1;
  for (int field = 3; field <= 22; field++) {
    while (*p == ' ') p++;
    if (!*p) return false;
    if (field == 22) {
      out = strtod(p, nullptr);
      return true;
    }
    while (*p && *p != ' ') p++;
  }
  return false;
}

class MemReadWorker : public ThreadWorker {
 public:
  MemReadWorker(Napi::Env env, int pid, double startTime, std::string range, std::string dev, double inode, double offset, double length, double pgoff)
      : ThreadWorker(env, "ipcInspectorMemRead"), pid_(pid), startTime_(startTime), range_(std::move(range)), dev_(std::move(dev)),
        inode_(inode), offset_(offset), length_(length), pgoff_(pgoff) {}

 protected:
  void Execute() override {
    char dir[24];
    snprintf(dir, sizeof dir, "/proc/%d", pid_);
    Fd pdir(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!pdir.ok()) return err_.set(errno, "open", dir);
    if (startTime_ >= 0) {
      std::string stat;
      double st = -1;
      if (!ReadAll(pdir.get(), "stat", stat)) return err_.set(errno, "read", std::string(dir) + "/stat");
      if (!StartTime(stat, st) || st != startTime_) return err_.set(ESRCH, "read", std::string(dir) + "/stat");  // pid recycled
    }
    char* endp = nullptr;
    unsigned long long lo = strtoull(range_.c_str(), &endp, 16);
    unsigned long long hi = (endp && *endp == '-') ? strtoull(endp + 1, nullptr, 16) : 0;
    if (hi <= lo) return err_.set(EINVAL, "maps");
    // The maps line at exactly this range: "lo-hi perms offset dev inode [path]".
    // (read as the walks read maps: in pieces, bounded — mapsread.h — keeping that one line)
    std::string line;
    std::vector<char> buf;
    std::string prefix = range_ + " ";
    MapsRead mr = ReadMapsKept(pdir.get(), "maps", buf, line, nullptr, kMapsUnknownUser, [&prefix](const char* l, size_t len) {
      return len >= prefix.size() && memcmp(l, prefix.data(), prefix.size()) == 0;
    });
    if (mr.err) return err_.set(mr.err, "read", std::string(dir) + "/maps");
    bool same = false;
    if (!line.empty() && line.find('\n') == std::string::npos) {
      char perms[8], dev[32];
      unsigned long long off, ino;
      if (sscanf(line.c_str() + prefix.size(), "%7s %llx %31s %llu", perms, &off, dev, &ino) == 4) {
        // pgoff_ is exact up to 2^53 (a JS number); one past that cannot be asked for exactly
        bool offOk = pgoff_ < 0 || (pgoff_ <= 9007199254740992.0 && off == static_cast<unsigned long long>(pgoff_));
        same = dev_ == dev && static_cast<double>(ino) == inode_ && perms[3] == 's' && offOk;
      }
    }
    if (!same) return err_.set(ESTALE, "maps", std::string(dir) + "/maps");
    size_t size = static_cast<size_t>(hi - lo);
    size_t off = offset_ > static_cast<double>(size) ? size : static_cast<size_t>(offset_);
    size_t len = length_ < static_cast<double>(size - off) ? static_cast<size_t>(length_) : size - off;
    Fd mem(openat(pdir.get(), "mem", O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!mem.ok()) return err_.set(errno, "open", std::string(dir) + "/mem");
    data_.resize(len);
    size_t got = 0;
    while (got < len) {
      ssize_t n = pread(mem.get(), data_.data() + got, len - got, static_cast<off_t>(lo + off + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        if (got == 0) return err_.set(errno, "pread", std::string(dir) + "/mem");
        break;
      }
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    data_.resize(got);
  }

  Napi::Value Settle(Napi::Env env) override { return Napi::Buffer<char>::Copy(env, data_.data(), data_.size()); }

 private:
  int pid_;
  double startTime_;
  std::string range_, dev_;
  double inode_, offset_, length_, pgoff_;
  std::vector<char> data_;
};

}  // namespace

// memRead(pid, startTime (-1: unchecked), "lo-hi" (hex, as in maps), dev ("00:01"), inode, offset, length[, pgoff])
// offset is into the mapping; pgoff (bytes; absent: unchecked) is the maps line's offset column expected
Napi::Value MemRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = ArgInt(info, 0, "pid");
  double startTime = ArgNumber(info, 1, "startTime");
  std::string range = ArgString(info, 2, "range");
  std::string dev = ArgString(info, 3, "dev");
  double inode = ArgNumber(info, 4, "inode");
  double offset = ArgNumber(info, 5, "offset");
  double length = ArgNumber(info, 6, "length");
  double pgoff = info.Length() > 7 && !info[7].IsUndefined() ? ArgNumber(info, 7, "pgoff") : -1;
  if (pid <= 0) ThrowType(env, "pid must be > 0");
  if (range.size() > 40 || range.find_first_not_of("0123456789abcdef-") != std::string::npos) ThrowType(env, "range must be lo-hi in hex");
  if (dev.size() > 24 || dev.find_first_not_of("0123456789abcdef:") != std::string::npos) ThrowType(env, "dev must be major:minor in hex");
  if (!(offset >= 0) || !(length >= 0) || length > 1073741824.0) ThrowType(env, "offset and length must be >= 0 (length at most 1 GiB)");
  if (pgoff != -1 && !(pgoff >= 0 && pgoff < 18446744073709551616.0 && pgoff == std::floor(pgoff))) ThrowType(env, "pgoff must be an integer >= 0");
  return (new MemReadWorker(env, pid, startTime, std::move(range), std::move(dev), inode, offset, length, pgoff))->Start();
}

}  // namespace ipci
