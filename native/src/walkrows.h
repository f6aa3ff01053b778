// What both fd walks hand to JavaScript — the /proc walk (walk.cc) and the BPF iterator walk
// (bpf/bpfwalk.cc): each process's /proc text and errors, and the fd rows as typed-array columns
// with their path and fdinfo string tables. One shape, built in one place, so src/core/procWalk.ts
// reads either walk's result the same way and the two cannot drift apart.
#pragma once

#include <fcntl.h>
#include <napi.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "boundedtext.h"
#include "errors.h"
#include "mapsread.h"
#include "napi_helpers.h"
#include "pagealloc.h"
#include "utf8.h"

namespace ipci {

// The value of a "Key:\t123" line of /proc/PID/status (key with its leading newline), `absent`
// when the text has no such line.
inline uint64_t StatusField(const std::string& status, const char* key, size_t keyLen, uint64_t absent = 0) {
  const char* s = status.data();
  const char* end = s + status.size();
  const char* f = static_cast<const char*>(memmem(s, status.size(), key, keyLen));
  if (!f) return absent;
  f += keyLen;
  while (f < end && (*f == ' ' || *f == '\t')) f++;
  uint64_t v = 0;
  while (f < end && *f >= '0' && *f <= '9' && v < (1ull << 40)) v = v * 10 + static_cast<uint64_t>(*f++ - '0');
  return v;
}

// The real uid of a /proc/PID/status text (its `Uid:` line's first field); kMapsUnknownUser without one.
inline uint32_t StatusUid(const std::string& status) {
  const uint64_t v = StatusField(status, "\nUid:", 5, kMapsUnknownUser);
  return v < kMapsUnknownUser ? static_cast<uint32_t>(v) : kMapsUnknownUser;
}

/** Which of a process's /proc texts were read (ProcText::has). */
enum : uint32_t { F_STAT = 1, F_STATUS = 2, F_CMDLINE = 4, F_MAPS = 8, F_TIMERS = 16, F_NETNS = 32, F_CWD = 64, F_EXE = 128, F_CGROUP = 256, F_IPCNS = 512, F_MNTNS = 1024 };

/** A process as both walks report it. */
struct ProcText {
  int32_t pid = 0;
  // A thread with an fd table of its own (unshare(CLONE_FILES)), walked as a process under its
  // tid: its process's pid. 0 for a process.
  int32_t leader = 0;
  int error = 0;      // the process vanished (ENOENT/ESRCH), could not be read, or ETIMEDOUT (given up)
  std::string stuck;  // with ETIMEDOUT: the /proc file a read did not return from in time
  int fdError = 0;    // /proc/PID/fd could not be opened, or its links could not be read (EACCES/EPERM)
  bool fdLinksRefused = false;  // fdError came from the fd links (readlink), not from opening the directory
  // Threads with an fd table of their own past kMaxThreadTables that were not walked (on the
  // process's entry): an attacker's thread count must not scale the walk's work
  uint32_t threadTablesSkipped = 0;
  uint32_t has = 0;   // F_* texts present
  std::string stat, status, cmdline, maps, timers, netns, cwd, exe, cgroup, ipcns, mntns;
  // /proc files that could not be read (besides the process vanishing), or were cut short
  // (maps past a bound of mapsread.h: EFBIG): file and errno
  std::vector<std::pair<const char*, int>> errors;
};

/**
 * Reads a whole file relative to `dirfd` into `buf` (grown as needed, never below one byte):
 * its length or -errno. For the /proc texts both walks read unbounded (stat, status, cgroup).
 */
template <class Buf>
ssize_t ReadWholeAt(int dirfd, const char* name, Buf& buf) {
  int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -errno;
  if (buf.empty()) buf.resize(4096);
  size_t len = 0;
  ssize_t out = 0;
  for (;;) {
    if (len == buf.size()) buf.resize(buf.size() * 2);
    ssize_t r = read(fd, buf.data() + len, buf.size() - len);
    if (r < 0) {
      if (errno == EINTR) continue;
      out = -errno;
      break;
    }
    if (r == 0) {
      out = static_cast<ssize_t>(len);
      break;
    }
    len += static_cast<size_t>(r);
  }
  close(fd);
  return out;
}

/**
 * A whole-file read (ReadWholeAt) into `p`, as both walks keep it: false when the process vanished
 * (error ESRCH); another error omits the field and is noted, so both walks give the same row.
 */
template <class Buf>
bool KeepText(ProcText& p, int pdir, const char* file, std::string& out, uint32_t flag, Buf& buf) {
  ssize_t n = ReadWholeAt(pdir, file, buf);
  if (n >= 0) {
    out.assign(buf.data(), static_cast<size_t>(n));
    p.has |= flag;
    return true;
  }
  if (-n == ESRCH) {
    p.error = ESRCH;
    return false;
  }
  p.errors.emplace_back(file, static_cast<int>(-n));
  return true;
}

/**
 * A bounded read (boundedtext.h) into `p`, as both walks keep it: false when the process vanished
 * (error ESRCH); a text cut short is kept, with the read error EFBIG; `noteErrors`: another error
 * is noted too (the /proc walk), else the field is just absent (the BPF walk).
 */
inline bool KeepBounded(ProcText& p, const char* file, uint32_t flag, const BoundedRead& r, bool noteErrors) {
  if (r.err == ESRCH) {
    p.error = ESRCH;
    return false;
  }
  if (r.err != 0) {
    if (noteErrors) p.errors.emplace_back(file, r.err);
    return true;
  }
  p.has |= flag;
  if (r.truncated) p.errors.emplace_back(file, EFBIG);
  return true;
}

/**
 * Threads with an fd table of their own (unshare(CLONE_FILES)) walked per process, at most (both
 * walks; src/core/native.ts MAX_THREAD_TABLES says the same in the snapshot's warning). Each
 * such thread's table starts as a copy of its process's: what it still shares with it is listed
 * under the process only, but a thread can open fresh fds, and any user can start thousands.
 */
constexpr uint32_t kMaxThreadTables = 64;

/**
 * Bit of the mode column (beside read 1 / write 2): a path row's file has no name left (nlink 0,
 * what lsof's " (deleted)" means) — told by the inode, not by the link text, whose " (deleted)"
 * suffix can be the file's own name.
 */
constexpr uint8_t kModeUnlinked = 4;

/**
 * Bits of the mode column of a pipe's or FIFO's row where the BPF walk read the kernel's pipe state
 * (the /proc walk never sets them): kModeKernelEnds says it did; then kModeNoReader / kModeNoWriter
 * say the kernel counts no open read / write file of it anywhere (fd tables, files in flight).
 */
constexpr uint8_t kModeKernelEnds = 8;
constexpr uint8_t kModeNoReader = 16;
constexpr uint8_t kModeNoWriter = 32;

/** The fd rows, one column per fact (row i of every column is one fd). */
struct FdCols {
  BigVec<int32_t> pid, fd;
  BigVec<uint8_t> kind, mode;
  BigVec<double> inode, dev;
  BigVec<int32_t> pathIndex;
  BigVec<int32_t> infoIndex;
  BigVec<double> buffered, capacity;
  std::vector<std::string> paths, infos;
  void reserve(size_t n) {
    pid.reserve(n); fd.reserve(n); kind.reserve(n); mode.reserve(n);
    inode.reserve(n); dev.reserve(n); pathIndex.reserve(n); infoIndex.reserve(n);
  }
};

/** {pid, error?, stuck?, fdError?, stat?, status?, …}: the fields both walks share (`k`: the result's keys). */
inline Napi::Object ProcTextToJs(Napi::Env env, const ProcText& p, Keys& k) {
  Napi::Object o = Napi::Object::New(env);
  o.Set(k("pid"), Napi::Number::New(env, p.pid));
  if (p.leader) o.Set(k("leader"), Napi::Number::New(env, p.leader));
  if (p.error) o.Set(k("error"), JsString(env, ErrnoName(p.error)));
  if (p.error == ETIMEDOUT && !p.stuck.empty()) o.Set(k("stuck"), JsString(env, p.stuck));
  if (p.fdError) o.Set(k("fdError"), JsString(env, ErrnoName(p.fdError)));
  if (p.fdError && p.fdLinksRefused) o.Set(k("fdErrorSyscall"), JsString(env, "readlink"));
  if (p.threadTablesSkipped) o.Set(k("threadTablesSkipped"), Napi::Number::New(env, p.threadTablesSkipped));
  auto str = [&](uint32_t flag, const char* key, const std::string& s) {
    if (p.has & flag) o.Set(k(key), JsString(env, s.data(), s.size()));
  };
  str(F_STAT, "stat", p.stat);
  str(F_STATUS, "status", p.status);
  str(F_CMDLINE, "cmdline", p.cmdline);
  // what reaches JS lossily, also as its bytes: comm (stat's text between the first `(` and the
  // last `)`, as parseStat takes it) and the command line, when they are not UTF-8
  if ((p.has & F_STAT) && !Utf8(p.stat)) {
    size_t open = p.stat.find('('), close = p.stat.rfind(')');
    if (open != std::string::npos && close != std::string::npos && close > open) o.Set(k("commHex"), JsString(env, Hex(p.stat.data() + open + 1, close - open - 1)));
  }
  if ((p.has & F_CMDLINE) && !Utf8(p.cmdline)) o.Set(k("cmdlineHex"), JsString(env, Hex(p.cmdline)));
  if ((p.has & F_CWD) && !Utf8(p.cwd)) o.Set(k("cwdHex"), JsString(env, Hex(p.cwd)));
  if ((p.has & F_EXE) && !Utf8(p.exe)) o.Set(k("exeHex"), JsString(env, Hex(p.exe)));
  // kept maps lines whose paths are not UTF-8 (a /dev/shm name of any bytes): the kept text's bytes
  if ((p.has & F_MAPS) && !Utf8(p.maps)) o.Set(k("mapsHex"), JsString(env, Hex(p.maps)));
  str(F_MAPS, "maps", p.maps);
  str(F_TIMERS, "timers", p.timers);
  str(F_NETNS, "netns", p.netns);
  str(F_IPCNS, "ipcns", p.ipcns);
  str(F_MNTNS, "mntns", p.mntns);
  str(F_CWD, "cwd", p.cwd);
  str(F_EXE, "exe", p.exe);
  str(F_CGROUP, "cgroup", p.cgroup);
  if (!p.errors.empty()) {
    Napi::Array errs = Napi::Array::New(env, p.errors.size());
    for (uint32_t e = 0; e < p.errors.size(); e++) {
      Napi::Object eo = Napi::Object::New(env);
      eo.Set(k("file"), JsString(env, p.errors[e].first));
      eo.Set(k("code"), JsString(env, ErrnoName(p.errors[e].second)));
      errs.Set(e, eo);
    }
    o.Set(k("errors"), errs);
  }
  return o;
}

/** Sets res.fds (the columns as typed arrays, which take the columns' memory), res.paths and res.infos. */
inline void SetFdRows(Napi::Env env, Napi::Object res, FdCols&& c) {
  Napi::Object fds = Napi::Object::New(env);
  fds.Set("pid", Adopt<Napi::Int32Array>(env, std::move(c.pid)));
  fds.Set("fd", Adopt<Napi::Int32Array>(env, std::move(c.fd)));
  fds.Set("kind", Adopt<Napi::Uint8Array>(env, std::move(c.kind)));
  fds.Set("mode", Adopt<Napi::Uint8Array>(env, std::move(c.mode)));
  fds.Set("inode", Adopt<Napi::Float64Array>(env, std::move(c.inode)));
  fds.Set("dev", Adopt<Napi::Float64Array>(env, std::move(c.dev)));
  fds.Set("pathIndex", Adopt<Napi::Int32Array>(env, std::move(c.pathIndex)));
  fds.Set("infoIndex", Adopt<Napi::Int32Array>(env, std::move(c.infoIndex)));
  fds.Set("buffered", Adopt<Napi::Float64Array>(env, std::move(c.buffered)));
  fds.Set("capacity", Adopt<Napi::Float64Array>(env, std::move(c.capacity)));
  res.Set("fds", fds);
  auto strings = [&](const std::vector<std::string>& v) {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (uint32_t j = 0; j < v.size(); j++) a.Set(j, JsString(env, v[j]));
    return a;
  };
  res.Set("paths", strings(c.paths));
  // the link paths that are not UTF-8, by their bytes: pathHexAt (indices into paths) and pathHex
  std::vector<uint32_t> at;
  for (uint32_t j = 0; j < c.paths.size(); j++)
    if (!Utf8(c.paths[j])) at.push_back(j);
  if (!at.empty()) {
    Napi::Array a = Napi::Array::New(env, at.size());
    Napi::Array h = Napi::Array::New(env, at.size());
    for (uint32_t k = 0; k < at.size(); k++) {
      a.Set(k, Napi::Number::New(env, at[k]));
      h.Set(k, JsString(env, Hex(c.paths[at[k]])));
    }
    res.Set("pathHexAt", a);
    res.Set("pathHex", h);
  }
  res.Set("infos", strings(c.infos));
}

}  // namespace ipci
