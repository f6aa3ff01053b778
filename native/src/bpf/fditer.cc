// Loading and reading the task_file iterator (see fditer.h). The skeleton (walk.skel.h, the
// program's object file embedded as bytes) is generated at build time by scripts/build-native.mjs;
// without it this file compiles to "not built".
#include "fditer.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/random.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <linux/types.h>
#include <map>
#include <memory>
#include <mutex>

#include "../../bpf/walk.h"
#include "programs.h"  // generated: IPCI_BPF_HAVE_<NAME> per program that compiled
#if IPCI_BPF_HAVE_WALK
#include "walk.skel.h"
#endif

namespace ipci {
namespace bpf {

const FdIterLoad& LoadFdIter(const std::string& btfPath) {
  // one load per BTF path (the default in practice; tests point others at a missing file)
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<Cached<FdIterLoad>>> caches;
  Cached<FdIterLoad>* cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = caches[btfPath];
    if (!slot) slot.reset(new Cached<FdIterLoad>());
    cache = slot.get();
  }
  return cache->Get([&btfPath] {
    FdIterLoad r;
#if !IPCI_BPF_HAVE_WALK
    r.verdict = {false, "ENOSYS", "the addon was built without the BPF walk (see native/build/bpf/report.json)"};
    return r;
#else
    r.verdict = CheckEnvironment(btfPath);
    if (!r.verdict.ok) return r;
    auto t0 = std::chrono::steady_clock::now();
    LogCapture log;
    LIBBPF_OPTS(bpf_object_open_opts, opts);
    if (btfPath != "/sys/kernel/btf/vmlinux") opts.btf_custom_path = btfPath.c_str();
    ipci_walk* skel = ipci_walk__open_opts(&opts);
    if (!skel) {
      int e = errno;
      r.verdict = {false, e ? strerrorname_np(e) : "EINVAL", "BPF open failed: " + log.Tail()};
      return r;
    }
    // a fd table's id in task records: its address, salted so that no kernel address is handed out
    __u64 salt = 0;
    if (getrandom(&salt, sizeof salt, 0) != static_cast<ssize_t>(sizeof salt)) salt = static_cast<__u64>(reinterpret_cast<uintptr_t>(&salt)) * 0x9e3779b97f4a7c15ull;
    auto rodata = [&](ipci_walk* s) {
      s->rodata->page_size = static_cast<__u32>(sysconf(_SC_PAGESIZE));
      struct stat st;
      if (stat("/dev/shm", &st) == 0) s->rodata->devshm_dev = KernelDev(st.st_dev);
      s->rodata->files_salt = salt;
    };
    rodata(skel);
    int err = ipci_walk__load(skel);
    bpf_program* maps = skel->progs.ipci_task_maps;
    // The maps pass needs the open-coded VMA iterator (kernel >= 6.7), and a verifier that lets
    // bpf_d_path take the vma's file (6.18.44 refuses it as an untrusted pointer): without the
    // latter, its variant with paths of its own (ipci_task_maps_own); without either, the rest
    // loads and /proc/PID/maps is read instead.
    auto refusal = [&log] {
      std::string why = log.VerifierRefusal();
      return why.empty() ? log.Tail(2) : "the kernel's verifier refused " + why;
    };
    // loads again with the maps pass as `own` says (true: its own paths; false: none); false when
    // the object cannot even be opened again (r.verdict says so)
    auto reload = [&](bool own) {
      ipci_walk__destroy(skel);
      skel = ipci_walk__open_opts(&opts);
      if (!skel) {
        int e = errno;
        r.verdict = {false, e ? strerrorname_np(e) : "EINVAL", "BPF open failed: " + log.Tail()};
        return false;
      }
      rodata(skel);
      bpf_program__set_autoload(skel->progs.ipci_task_maps, false);
      bpf_program__set_autoload(skel->progs.ipci_task_maps_own, own);
      maps = own ? skel->progs.ipci_task_maps_own : nullptr;
      err = ipci_walk__load(skel);
      return true;
    };
    std::string dpathWhy;
    if (err) {
      dpathWhy = refusal();
      if (!reload(true)) return r;
      if (!err) r.mapsOwnPaths = "bpf_d_path not used: " + dpathWhy;
    }
    if (err) {
      const std::string ownWhy = refusal();
      if (!reload(false)) return r;
      if (!err) r.mapsUnavailable = "maps pass not loaded: " + dpathWhy + "; with paths of its own: " + ownWhy;
    }
    bpf_link* link = bpf_program__attach_iter(skel->progs.ipci_task_file, nullptr);
    if (!link) {
      int e = errno;
      r.verdict = {false, strerrorname_np(e) ? strerrorname_np(e) : "EINVAL", std::string("BPF iterator attach failed (") + strerror(e) + "): " + log.Tail()};
      ipci_walk__destroy(skel);
      return r;
    }
    bpf_link* taskLink = bpf_program__attach_iter(skel->progs.ipci_task, nullptr);
    if (!taskLink) {
      int e = errno;
      r.verdict = {false, strerrorname_np(e) ? strerrorname_np(e) : "EINVAL", std::string("BPF task iterator attach failed (") + strerror(e) + "): " + log.Tail()};
      bpf_link__destroy(link);
      ipci_walk__destroy(skel);
      return r;
    }
    if (r.mapsUnavailable.empty() && maps) {
      bpf_link* mapsLink = bpf_program__attach_iter(maps, nullptr);
      if (mapsLink) r.mapsLinkFd = bpf_link__fd(mapsLink);
      else r.mapsUnavailable = std::string("maps pass attach failed: ") + strerror(errno);
    }
    // the loaded programs, for what the kernel says of them (ReadProgInfo: verifier steps, which a test bounds, and run statistics)
    bpf_program* p = nullptr;
    bpf_object__for_each_program(p, skel->obj) {
      const int fd = bpf_program__fd(p);
      if (fd >= 0) r.progFds.emplace_back(bpf_program__name(p), fd);
    }
    // The skeleton and the links stay loaded for the life of the process (the cache owns them).
    r.linkFd = bpf_link__fd(link);
    r.taskLinkFd = bpf_link__fd(taskLink);
    r.anonMapFd = bpf_map__fd(skel->maps.ipci_anon_names);
    r.scmMapFd = bpf_map__fd(skel->maps.ipci_want_scm);
    r.loadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
#endif
  });
}

std::vector<ProgInfo> ReadProgInfo(const FdIterLoad& load) {
  std::vector<ProgInfo> out;
  for (const auto& [name, fd] : load.progFds) {
    bpf_prog_info info{};
    __u32 len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) out.push_back({name, info.verified_insns, info.run_cnt, info.run_time_ns});
  }
  return out;
}

namespace {
// The walks' requests of the program's maps, counted under one lock: per anon-names map, how many
// running walks asked for each name (the map's entries are the names counted here).
std::mutex gRefsMu;
std::map<int, std::map<std::string, unsigned>> gAnonRefs;
// Per scm map: how many running walks asked for scm_fds (the entry is 1 while any does).
std::map<int, unsigned> gScmRefs;

void AnonKey(const std::string& name, char (&key)[IPCI_ANON_KEY]) {
  memset(key, 0, sizeof key);
  memcpy(key, name.data(), std::min(name.size(), sizeof key - 1));
}
}  // namespace

int AcquireAnonNames(const FdIterLoad& load, const std::vector<std::string>& names) {
  if (names.empty()) return 0;
  if (load.anonMapFd < 0) return ENOSYS;
  for (const std::string& n : names)
    if (n.empty() || n.size() > IPCI_ANON_NAME_MAX || memchr(n.data(), 0, n.size())) return EINVAL;
  std::lock_guard<std::mutex> lock(gRefsMu);
  auto& refs = gAnonRefs[load.anonMapFd];
  std::vector<std::string> added;
  for (const std::string& n : names) {
    unsigned& c = refs[n];
    if (c == 0) {
      char key[IPCI_ANON_KEY];
      AnonKey(n, key);
      __u32 one = 1;
      if (bpf_map_update_elem(load.anonMapFd, key, &one, BPF_ANY) != 0) {
        int e = errno ? errno : EINVAL;
        refs.erase(n);
        // undo this call's counts (a name given twice counts twice)
        for (const std::string& a : added) {
          unsigned& ca = refs[a];
          if (--ca == 0) {
            AnonKey(a, key);
            bpf_map_delete_elem(load.anonMapFd, key);
            refs.erase(a);
          }
        }
        return e;
      }
    }
    c++;
    added.push_back(n);
  }
  return 0;
}

void ReleaseAnonNames(const FdIterLoad& load, const std::vector<std::string>& names) {
  if (names.empty() || load.anonMapFd < 0) return;
  std::lock_guard<std::mutex> lock(gRefsMu);
  auto& refs = gAnonRefs[load.anonMapFd];
  for (const std::string& n : names) {
    auto it = refs.find(n);
    if (it == refs.end()) continue;
    if (--it->second == 0) {
      char key[IPCI_ANON_KEY];
      AnonKey(n, key);
      bpf_map_delete_elem(load.anonMapFd, key);
      refs.erase(it);
    }
  }
}

int AcquireScmFds(const FdIterLoad& load) {
  if (load.scmMapFd < 0) return ENOSYS;
  std::lock_guard<std::mutex> lock(gRefsMu);
  unsigned& refs = gScmRefs[load.scmMapFd];
  if (refs == 0) {
    __u32 zero = 0, one = 1;
    if (bpf_map_update_elem(load.scmMapFd, &zero, &one, BPF_ANY) != 0) return errno ? errno : EINVAL;
  }
  refs++;
  return 0;
}

void ReleaseScmFds(const FdIterLoad& load) {
  if (load.scmMapFd < 0) return;
  std::lock_guard<std::mutex> lock(gRefsMu);
  unsigned& refs = gScmRefs[load.scmMapFd];
  if (refs == 0 || --refs > 0) return;
  __u32 zero = 0, off = 0;
  bpf_map_update_elem(load.scmMapFd, &zero, &off, BPF_ANY);
}

int ReadFdIter(int linkFd, std::chrono::steady_clock::time_point deadline, BigVec<char>& out, const std::atomic<bool>* cancel,
               const std::function<size_t(char* data, size_t len)>& filter) {
  out.clear();
  int fd = bpf_iter_create(linkFd);
  if (fd < 0) return errno ? errno : EINVAL;
  size_t len = 0;
  // Address space, not memory: the block is pages of its own (PageAllocator), and only the pages
  // the reads write become resident. Reserved large so that the buffer is not copied as it grows
  // (16 MiB is ~350k fds of records; beyond that it doubles as before).
  if (out.capacity() < (16u << 20)) {
    out.reserve(16u << 20);
    // In 2 MiB pages where the kernel has them (THP "madvise" or "always"): the read pass faulted
    // in its buffer 4 KiB at a time, ~520 faults at 50k fds, and a fault costs 2–14 µs on the VMs
    // measured (bench: floor.c --fault-cost); 2 MiB pages make that a handful. Resident memory
    // grows in 2 MiB steps instead, for a buffer that lives only as long as one walk.
    madvise(out.data(), out.capacity(), MADV_HUGEPAGE);
  }
  int err = 0;
  for (;;) {
    if (out.size() - len < (256u << 10)) out.resize(out.size() < (1u << 20) ? (1u << 20) : out.size() * 2);
    ssize_t n = read(fd, out.data() + len, out.size() - len);
    // the caller gave the pass up (bpfwalk.cc: a machine the /proc walk takes faster)
    if (cancel && cancel->load()) {
      err = ECANCELED;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: a million objects in a row emitted nothing (bpf_seq_read's MAX_ITER_OBJECTS) —
      // the fds a thread shares with its process, which the program skips, can be that many. The
      // iterator keeps its place (task_file resumes at the next tid and fd): read on, under the deadline.
      if (errno == EAGAIN && std::chrono::steady_clock::now() <= deadline) continue;
      err = errno == EAGAIN ? ETIMEDOUT : errno;
      break;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
    if (filter) len = filter(out.data(), len);
    if (std::chrono::steady_clock::now() > deadline) {
      err = ETIMEDOUT;
      break;
    }
  }
  close(fd);
  out.resize(len);
  return err;
}

}  // namespace bpf
}  // namespace ipci
