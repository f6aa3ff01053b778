// See anonfacts.h. The formats are eventfd_show_fdinfo's and signalfd_show_fdinfo's (fs/eventfd.c,
// fs/signalfd.c; render_sigset_t prints the 64 signals as 16 hex digits).
#include "anonfacts.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../fdinfolines.h"

namespace ipci {
namespace bpf {
namespace {

const std::vector<std::string> kEventfdKeys = {"eventfd-count", "eventfd-id", "eventfd-semaphore"};
const std::vector<std::string> kSignalfdKeys = {"sigmask"};

bool IsName(const char* name, size_t n, const char* want) { return n == strlen(want) && memcmp(name, want, n) == 0; }

// Every line the kernel prints for the file after its generic ones (pos, flags, mnt_id, ino).
std::string KernelText(const ipci_fd_rec& r, bool eventfd) {
  char b[160];
  if (eventfd)
    snprintf(b, sizeof b, "eventfd-count: %16llx\neventfd-id: %d\neventfd-semaphore: %d\n", static_cast<unsigned long long>(r.ino),
             static_cast<int>(r.buffered), (r.flags & IPCI_F_EFD_SEMAPHORE) ? 1 : 0);
  else  // the context keeps the complement of the mask (signalfd's signotset); fdinfo undoes it
    snprintf(b, sizeof b, "sigmask:\t%016llx\n", static_cast<unsigned long long>(~r.ino));
  return b;
}

// This process's /proc/self/fdinfo/FD, filtered to `keys`; false when unreadable.
bool OwnFdinfo(int fd, const std::vector<std::string>& keys, std::string& out) {
  char name[64], buf[4096];
  snprintf(name, sizeof name, "/proc/self/fdinfo/%d", fd);
  int f = open(name, O_RDONLY | O_CLOEXEC);
  if (f < 0) return false;
  ssize_t n = read(f, buf, sizeof buf);
  close(f);
  if (n <= 0) return false;
  KeepFdinfoLines(buf, static_cast<size_t>(n), keys, out);
  return true;
}

// An eventfd (semaphore, a count above 32 bits) and a signalfd (a low and a real-time signal) of
// our own: their lines as the kernel prints them against the ones written from the same values.
bool Check() {
  bool ok = false;
  int e = eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK);
  if (e >= 0) {
    const uint64_t count = 0x1234567890ull;
    std::string real, mine;
    if (write(e, &count, sizeof count) == sizeof count && OwnFdinfo(e, kEventfdKeys, real)) {
      const char* id = strstr(real.c_str(), "eventfd-id: ");
      if (id) {
        ipci_fd_rec r{};
        r.ino = count;
        r.buffered = static_cast<__u32>(atoi(id + 12));
        r.flags = IPCI_F_ANON_FACTS | IPCI_F_EFD_SEMAPHORE;
        const std::string text = KernelText(r, true);
        KeepFdinfoLines(text.data(), text.size(), kEventfdKeys, mine);
        ok = !real.empty() && real == mine;
      }
    }
    close(e);
  }
  if (!ok) return false;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGRTMIN + 2);
  int s = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s < 0) return false;
  std::string real, mine;
  if (OwnFdinfo(s, kSignalfdKeys, real)) {
    ipci_fd_rec r{};
    r.ino = ~((1ull << (SIGUSR1 - 1)) | (1ull << (SIGRTMIN + 2 - 1)));
    r.flags = IPCI_F_ANON_FACTS;
    const std::string text = KernelText(r, false);
    KeepFdinfoLines(text.data(), text.size(), kSignalfdKeys, mine);
    ok = !real.empty() && real == mine;
  } else {
    ok = false;
  }
  close(s);
  return ok;
}

}  // namespace

bool AnonFactsMatchKernel() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] { ok = Check(); });
  return ok;
}

bool AnonFactsLines(const ipci_fd_rec& r, const char* name, size_t n, const std::vector<std::string>& keys, std::string& out) {
  if (!(r.flags & IPCI_F_ANON_FACTS)) return false;
  const bool eventfd = IsName(name, n, "[eventfd]");
  if (!eventfd && !IsName(name, n, "[signalfd]")) return false;
  const std::string text = KernelText(r, eventfd);
  KeepFdinfoLines(text.data(), text.size(), keys, out);
  return true;
}

}  // namespace bpf
}  // namespace ipci
