// heldFileStat: the size of a file another process holds, reached through that process's own
// reference to it — /proc/PID/fd/N (an fd) or /proc/PID/map_files/LO-HI (a mapping: the kernel
// lets only CAP_SYS_ADMIN / CAP_CHECKPOINT_RESTORE follow these) — for objects no name of ours
// reaches: a /dev/shm object unlinked while mapped, a file under a subdirectory of /dev/shm whose
// directories are another user's, another mount's /dev/shm. Its mappings do not tell its size: a
// mapping may be longer than the file (Berkeley DB maps 1 MiB over a 280 KiB file), and the bytes
// past the file's last page fault with SIGBUS.
//
// The link is followed with O_PATH (no ->open of whatever the holder put there runs; fdhandle.h)
// and the handle is statx-ed from the attribute cache (AT_STATX_DONT_SYNC: never a FUSE/NFS round
// trip); the answer counts only when it is a regular file of the dev:inode the caller saw (ESTALE
// otherwise: the holder closed or remapped it since). Following map_files takes the holder's mmap
// lock, which a process stuck in a page fault may hold for good: on a thread of its own
// (ThreadWorker), the caller races it against a deadline.
#include "fdhandle.h"
#include "napi_helpers.h"
#include "threadworker.h"

#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>

namespace ipci {
namespace {

class HeldFileStatWorker : public ThreadWorker {
 public:
  HeldFileStatWorker(Napi::Env env, int pid, std::string link, double inode, int devMajor, int devMinor)
      : ThreadWorker(env, "ipcInspectorHeldFileStat"), pid_(pid), link_(std::move(link)), inode_(static_cast<uint64_t>(inode)), major_(devMajor), minor_(devMinor) {}

 protected:
  void Execute() override {
    char dir[24];
    snprintf(dir, sizeof dir, "/proc/%d", pid_);
    std::string path = std::string(dir) + "/" + link_;
    Fd pdir(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!pdir.ok()) return err_.set(errno, "open", dir);
    Fd handle(OpenTargetHandle(pdir.get(), link_.c_str()));
    if (!handle.ok()) return err_.set(errno, "open", path);
    struct statx sx;
    if (statx(handle.get(), "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO | STATX_SIZE, &sx) != 0) return err_.set(errno, "statx", path);
    if (!S_ISREG(sx.stx_mode) || sx.stx_ino != inode_ || sx.stx_dev_major != static_cast<unsigned>(major_) || sx.stx_dev_minor != static_cast<unsigned>(minor_))
      return err_.set(ESTALE, "statx", path);
    size_ = static_cast<double>(sx.stx_size);
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("size", Napi::Number::New(env, size_));
    return o;
  }

 private:
  int pid_;
  std::string link_;
  uint64_t inode_;
  int major_, minor_;
  double size_ = 0;
};

/** `fd/N` or `map_files/LO-HI` (hex, as maps prints a range): nothing else under /proc/PID is followed. */
bool HeldLink(const std::string& s) {
  auto digits = [](const std::string& t, const char* set) { return !t.empty() && t.size() <= 40 && t.find_first_not_of(set) == std::string::npos; };
  if (s.compare(0, 3, "fd/") == 0) return digits(s.substr(3), "0123456789");
  if (s.compare(0, 10, "map_files/") != 0) return false;
  std::string r = s.substr(10);
  size_t dash = r.find('-');
  return dash != std::string::npos && digits(r.substr(0, dash), "0123456789abcdef") && digits(r.substr(dash + 1), "0123456789abcdef");
}

}  // namespace

// heldFileStat(pid, "fd/N" | "map_files/LO-HI", inode, devMajor, devMinor) → Promise<{ size }>
Napi::Value HeldFileStat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = ArgInt(info, 0, "pid");
  std::string link = ArgString(info, 1, "link");
  double inode = ArgInode(info, 2);
  int devMajor = ArgInt(info, 3, "devMajor"), devMinor = ArgInt(info, 4, "devMinor");
  if (pid <= 0 || devMajor < 0 || devMinor < 0) ThrowType(env, "pid must be > 0, devMajor and devMinor >= 0");
  if (!HeldLink(link)) ThrowType(env, "link must be fd/N or map_files/LO-HI");
  return (new HeldFileStatWorker(env, pid, std::move(link), inode, devMajor, devMinor))->Start();
}

}  // namespace ipci
