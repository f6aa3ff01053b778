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

namespace ipci {
namespace bpf {
namespace {

// The capture buffer of the current thread (null = libbpf's messages are dropped).
thread_local std::string* tlsLog = nullptr;

int Print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (!tlsLog || level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = vsnprintf(line, sizeof line, fmt, args);
  if (n > 0 && tlsLog->size() < 64 * 1024) tlsLog->append(line, static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1);
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
