// Environment checks and libbpf log capture shared by the addon's BPF programs (see loader.h).
#include "loader.h"

#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>

namespace ipci {
namespace bpf {
namespace {

// The capture buffer of the current thread (null = libbpf's messages are dropped).
thread_local std::string* tlsLog = nullptr;

int Print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (!tlsLog || level == LIBBPF_DEBUG || tlsLog->size() >= 64 * 1024) return 0;
  va_list copy;
  va_copy(copy, args);
  const int n = vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return 0;
  std::string msg(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(&msg[0], msg.size(), fmt, args);
  msg.resize(static_cast<size_t>(n));
  // A refused program's message carries the verifier's whole log: keep its first line (which
  // program) and its end (the verdict, then the statistics and END marker VerifierRefusal reads).
  if (msg.size() > 8192) msg = msg.substr(0, msg.find('\n') + 1) + "...\n" + msg.substr(msg.size() - 4096);
  tlsLog->append(msg);
  return 0;
}

std::once_flag printOnce;

// PROC_PID_INIT_INO (include/linux/proc_ns.h): the inode of the initial pid namespace.
constexpr uint64_t kInitPidNs = 0xEFFFFFFCu;

bool HasCap(const __user_cap_data_struct* d, int cap) { return (d[cap / 32].effective >> (cap % 32)) & 1u; }

}  // namespace

LogCapture::LogCapture() {
  std::call_once(printOnce, [] { libbpf_set_print(Print); });
  prev_ = tlsLog;
  tlsLog = &text_;
}

LogCapture::~LogCapture() { tlsLog = prev_; }

std::string LogCapture::Tail(size_t maxLines) const {
  std::string out;
  size_t end = text_.size();
  size_t taken = 0;
  while (end > 0 && taken < maxLines) {
    size_t start = text_.rfind('\n', end - 1);
    size_t from = start == std::string::npos ? 0 : start + 1;
    std::string line = text_.substr(from, end - from);
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) {
      out = out.empty() ? line : line + " | " + out;
      taken++;
    }
    if (start == std::string::npos) break;
    end = start;
  }
  return out;
}

std::string LogCapture::VerifierRefusal() const {
  const size_t end = text_.rfind("-- END PROG LOAD LOG --");
  if (end == std::string::npos) return "";
  const size_t begin = text_.rfind("-- BEGIN PROG LOAD LOG --", end);
  if (begin == std::string::npos) return "";
  // libbpf names the program on the line that opens the log: "prog 'NAME': BPF program load failed"
  std::string prog;
  const size_t named = text_.rfind("prog '", begin);
  if (named != std::string::npos) {
    const size_t close = text_.find('\'', named + 6);
    if (close != std::string::npos && close < begin) prog = text_.substr(named + 6, close - named - 6);
  }
  // the verdict is the last line before the statistics (verification time, stack depth, processed)
  std::string verdict;
  size_t pos = end;
  while (pos > begin) {
    const size_t start = text_.rfind('\n', pos - 1);
    const size_t from = start == std::string::npos || start < begin ? begin : start + 1;
    std::string line = text_.substr(from, pos - from);
    while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
    pos = from > begin ? from - 1 : begin;
    if (line.empty() || line.rfind("verification time", 0) == 0 || line.rfind("stack depth", 0) == 0 || line.rfind("processed ", 0) == 0 || line.rfind("-- ", 0) == 0) continue;
    verdict = line;
    break;
  }
  if (verdict.empty()) return "";
  return (prog.empty() ? "" : prog + ": ") + verdict;
}

Verdict CheckEnvironment(const std::string& btfPath) {
  Verdict v;
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) {
    v = {false, "EPERM", std::string("capget failed: ") + strerror(errno)};
    return v;
  }
  const int kSysAdmin = 21, kPerfmon = 38, kBpf = 39;
  bool admin = HasCap(data, kSysAdmin);
  if (!((HasCap(data, kBpf) || admin) && (HasCap(data, kPerfmon) || admin))) {
    v = {false, "EPERM", "not privileged: loading the iterator needs root or CAP_BPF+CAP_PERFMON"};
    return v;
  }
  if (access(btfPath.c_str(), R_OK) != 0) {
    v = {false, "ENOENT", "no kernel BTF at " + btfPath + " (CONFIG_DEBUG_INFO_BTF): CO-RE cannot relocate the program"};
    return v;
  }
  struct stat st;
  if (stat("/proc/self/ns/pid", &st) == 0 && st.st_ino != kInitPidNs) {
    v = {false, "EINVAL", "not in the initial pid namespace: the kernel's pids would not match /proc"};
    return v;
  }
  return v;
}

uint32_t KernelDev(uint64_t userDev) {
  return static_cast<uint32_t>((major(userDev) << 20) | (minor(userDev) & 0xfffff));
}

uint64_t UserDev(uint32_t kernelDev) { return makedev(kernelDev >> 20, kernelDev & 0xfffff); }

}  // namespace bpf
}  // namespace ipci
