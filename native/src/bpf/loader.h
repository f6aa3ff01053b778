// What every BPF program of the addon needs before and while it loads: the environment check
// (privileges, kernel BTF, pid namespace), libbpf's log captured per thread so a failed load can
// say why, and one cached load per program per process (loading verifies the program, ~50–150 ms,
// so it happens once, on a worker thread). Programs: native/bpf/<name>.bpf.c, skeletons generated
// by scripts/build-native.mjs into native/build/bpf/<name>.skel.h.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace ipci {
namespace bpf {

/** Why a program cannot run here (empty reason = it can). `code` is an errno name for JS. */
struct Verdict {
  bool ok = true;
  std::string code;    // e.g. "EPERM", "ENOENT", "EINVAL", or the errno name of a failed load
  std::string reason;  // one line for capabilities.walk.reason
};

/**
 * Checks shared by every program: effective CAP_BPF+CAP_PERFMON (or CAP_SYS_ADMIN), readable
 * kernel BTF at `btfPath` (CO-RE relocates against it), and — because the kernel reports pids of
 * the initial pid namespace — that this process lives in that namespace.
 */
Verdict CheckEnvironment(const std::string& btfPath);

/** Captures libbpf's messages on this thread while alive; `Tail()` gives the last lines. */
class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  /** The last `maxLines` non-empty lines, joined with " | ". */
  std::string Tail(size_t maxLines = 3) const;
  /** Why the kernel's verifier refused the last program it refused: the program's name and the
   *  log's last line before its statistics; empty when no verifier log was printed. */
  std::string VerifierRefusal() const;

 private:
  std::string* prev_;
  std::string text_;
};

/** The kernel's dev_t encoding (MAJOR << 20 | MINOR) of a user-space dev_t, as i_sb->s_dev holds it. */
uint32_t KernelDev(uint64_t userDev);
/** The user-space dev_t (glibc makedev) of a kernel-encoded s_dev. */
uint64_t UserDev(uint32_t kernelDev);

/**
 * One program's load, done once per process: `Get()` runs `load` the first time (under a lock)
 * and caches its result, success or failure, for every later caller on any thread.
 */
template <typename Loaded>
class Cached {
 public:
  template <typename Fn>
  const Loaded& Get(Fn load) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!done_) {
      value_ = load();
      done_ = true;
    }
    return value_;
  }

 private:
  std::mutex mu_;
  bool done_ = false;
  Loaded value_;
};

}  // namespace bpf
}  // namespace ipci
