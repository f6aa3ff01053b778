// Looking up a path other users control without entering a file system that could hang (FUSE,
// NFS, autofs: a server that never answers blocks any lookup in it, in the kernel, for good).
// Component by component from an O_PATH handle of the directory above, never by the path string:
// a check of the directories followed by a stat of the whole string let a user swap a directory
// on the way for a symlink into their FUSE mount between the two. Each directory is entered only
// after statx says (from the attribute cache: AT_STATX_DONT_SYNC, no request to a server; no
// automount) that it is on a mount the caller called local, and the handle opened is checked to
// be that directory. Symlinks are followed only when root owns them (/var/run → /run), at most 8.
// Synchronous: it cannot block, as it looks names up in local file systems only.
#include "napi_helpers.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <algorithm>
#include <vector>

#include <fcntl.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace ipci {

namespace {

constexpr int kMaxHops = 8;

struct Lookup {
  enum Kind { kFound, kMissing, kSkipped } kind = kSkipped;
  struct statx sx {};
  std::string why;      // kSkipped: errno name, or one of the reasons below
  uint64_t mountId = 0;  // why == "mount": the mount it would have entered
  uint32_t uid = 0;      // why == "symlink": the symlink's owner
  Fd dirFd;              // kFound with openDir, a directory: its O_PATH handle
};

std::vector<std::string> Split(const std::string& p, std::vector<std::string> rest = {}) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    if (j > i && !(j - i == 1 && p[i] == '.')) out.emplace_back(p, i, j - i);
    i = j + 1;
  }
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

bool StatAt(int dir, const char* name, struct statx& sx) {
  return statx(dir, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC | (name[0] ? 0 : AT_EMPTY_PATH),
               STATX_TYPE | STATX_UID | STATX_INO | STATX_MTIME | STATX_MNT_ID, &sx) == 0;
}

// Opens `name` in `dir` as an O_PATH directory handle and checks it is the one statx saw.
bool EnterChecked(Fd& dir, const std::string& name, const struct statx& sx, Lookup& r) {
  int next = openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (next < 0) {
    r.why = strerrorname_np(errno);
    return false;
  }
  Fd opened(next);
  // the directory looked at, not one swapped in since (then: not looked at)
  struct statx again;
  if (!StatAt(opened.get(), "", again) || again.stx_ino != sx.stx_ino || again.stx_dev_major != sx.stx_dev_major ||
      again.stx_dev_minor != sx.stx_dev_minor || again.stx_mnt_id != sx.stx_mnt_id) {
    r.why = "changed";
    return false;
  }
  dir = std::move(opened);
  return true;
}

// The mount ids the caller called local, ascending: a Float64Array is read in place (SafeLstat
// sorts its set once, not once a lookup), a plain array is copied and sorted.
struct LocalMounts {
  std::vector<double> owned;
  const double* ids = nullptr;
  size_t n = 0;
  bool Has(uint64_t id) const { return std::binary_search(ids, ids + n, static_cast<double>(id)); }
};

// `openDir`: a directory found is also opened (Lookup::dirFd, O_PATH), for reading it through
// /proc/self/fd/N — that very directory, never its path again.
Lookup Resolve(const std::string& path, const LocalMounts& local, size_t maxComponents, bool openDir) {
  Lookup r;
  Fd dir(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir.ok()) {
    r.why = strerrorname_np(errno);
    return r;
  }
  std::vector<std::string> parts = Split(path);
  const bool mustBeDir = path.size() > 1 && path.back() == '/';
  if (parts.size() > maxComponents) {
    r.why = "deep";
    return r;
  }
  int hops = 0;
  size_t walked = 0;
  while (!parts.empty()) {
    std::string name = parts.front();
    parts.erase(parts.begin());
    const bool last = parts.empty();
    if (++walked > maxComponents + kMaxHops * 8) {
      r.why = "deep";
      return r;
    }
    struct statx sx;
    if (!StatAt(dir.get(), name.c_str(), sx)) {
      if (errno == ENOENT || errno == ENOTDIR) r.kind = Lookup::kMissing;
      else r.why = strerrorname_np(errno);
      return r;
    }
    if (!(sx.stx_mask & STATX_MNT_ID) || !local.Has(sx.stx_mnt_id)) {
      // the name itself may sit on such a mount (its root): not even its attributes are trusted
      r.why = "mount";
      r.mountId = (sx.stx_mask & STATX_MNT_ID) ? sx.stx_mnt_id : 0;
      return r;
    }
    if (last && mustBeDir && !S_ISDIR(sx.stx_mode)) {
      r.kind = Lookup::kMissing;  // `name/` of a file: ENOTDIR (of a symlink: not followed here)
      return r;
    }
    if (S_ISLNK(sx.stx_mode)) {
      if (last) {
        r.kind = Lookup::kFound;
        r.sx = sx;
        return r;
      }
      if (sx.stx_uid != 0) {
        r.why = "symlink";
        r.uid = sx.stx_uid;
        return r;
      }
      if (++hops > kMaxHops) {
        r.why = "ELOOP";
        return r;
      }
      char target[4096];
      ssize_t n = readlinkat(dir.get(), name.c_str(), target, sizeof target);
      if (n <= 0 || n >= static_cast<ssize_t>(sizeof target)) {
        r.why = n < 0 ? strerrorname_np(errno) : "ENAMETOOLONG";
        return r;
      }
      std::string t(target, static_cast<size_t>(n));
      if (t[0] == '/') dir.reset(open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
      parts = Split(t, parts);
      if (!dir.ok()) {
        r.why = strerrorname_np(errno);
        return r;
      }
      continue;
    }
    if (last && !(openDir && S_ISDIR(sx.stx_mode))) {
      r.kind = Lookup::kFound;
      r.sx = sx;
      return r;
    }
    if (!S_ISDIR(sx.stx_mode)) {
      r.kind = Lookup::kMissing;  // ENOTDIR: the path names nothing
      return r;
    }
    if (!EnterChecked(dir, name, sx, r)) return r;
    if (last) {
      r.kind = Lookup::kFound;
      r.sx = sx;
      r.dirFd = std::move(dir);
      return r;
    }
  }
  // "/" itself
  struct statx sx;
  if (!StatAt(dir.get(), "", sx)) {
    r.why = strerrorname_np(errno);
    return r;
  }
  r.kind = Lookup::kFound;
  r.sx = sx;
  if (openDir) r.dirFd = std::move(dir);
  return r;
}

}  // namespace

// lookupNoFollow(path, localMountIds (number[], or a Float64Array ascending), maxComponents, openDir?) → { found: { dev: 'MAJ:MIN', ino, mode, uid, mtimeMs }, fd? }
// | { missing: true } | { skipped: reason, mountId?, uid? }; reasons: an errno name, 'mount' (a
// mount not in localMountIds), 'symlink' (owned by uid), 'deep' (more than maxComponents names),
// 'changed' (a directory swapped while it was entered)
Napi::Value LookupNoFollow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "path");
  LocalMounts local;
  if (info.Length() >= 2 && info[1].IsTypedArray() && info[1].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    Napi::Float64Array ids = info[1].As<Napi::Float64Array>();
    local.ids = ids.Data();
    local.n = ids.ElementLength();
    if (!std::is_sorted(local.ids, local.ids + local.n)) ThrowSyscall(env, EINVAL, "lookupNoFollow");
  } else if (info.Length() >= 2 && info[1].IsArray()) {
    Napi::Array ids = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < ids.Length(); i++) local.owned.push_back(ids.Get(i).As<Napi::Number>().DoubleValue());
    std::sort(local.owned.begin(), local.owned.end());
    local.ids = local.owned.data();
    local.n = local.owned.size();
  } else {
    ThrowSyscall(env, EINVAL, "lookupNoFollow");
  }
  int32_t maxComponents = ArgInt(info, 2, "maxComponents");
  const bool openDir = info.Length() > 3 && info[3].ToBoolean().Value();
  Napi::Object o = Napi::Object::New(env);
  if (path.empty() || path[0] != '/' || path.find('\0') != std::string::npos || maxComponents <= 0) {
    o.Set("skipped", "not an absolute path");
    return o;
  }
  Lookup r = Resolve(path, local, static_cast<size_t>(maxComponents), openDir);
  if (r.kind == Lookup::kFound) {
    Napi::Object f = Napi::Object::New(env);
    f.Set("dev", std::to_string(r.sx.stx_dev_major) + ":" + std::to_string(r.sx.stx_dev_minor));
    f.Set("ino", Napi::Number::New(env, static_cast<double>(r.sx.stx_ino)));
    f.Set("mode", Napi::Number::New(env, r.sx.stx_mode));
    f.Set("uid", Napi::Number::New(env, r.sx.stx_uid));
    f.Set("mtimeMs", Napi::Number::New(env, static_cast<double>(r.sx.stx_mtime.tv_sec) * 1000 + r.sx.stx_mtime.tv_nsec / 1e6));
    o.Set("found", f);
    if (r.dirFd.ok()) o.Set("fd", Napi::Number::New(env, r.dirFd.release()));  // the caller closes it
  } else if (r.kind == Lookup::kMissing) {
    o.Set("missing", true);
  } else {
    o.Set("skipped", r.why);
    if (r.why == "mount") o.Set("mountId", Napi::Number::New(env, static_cast<double>(r.mountId)));
    if (r.why == "symlink") o.Set("uid", Napi::Number::New(env, r.uid));
  }
  return o;
}

}  // namespace ipci
