// SysV removal by id: IPC_STAT of one object (sysvStat), and IPC_RMID of it only while the stat
// taken right before still shows what the caller expects (sysvRemoveIf). Which fields must match
// is the caller's policy (core/actions/sysvIdentity.ts), passed in as plain data; here is only
// stat, compare, remove — with no syscall between the compare and the remove, so the window in
// which the id could come to name another object is the few instructions of the compare (ipcrm
// from TypeScript left a fork+exec there). Both run on a thread of their own (ThreadWorker): the
// calls take the IPC ids' rwsem, and IPC_RMID of a large segment frees its pages in the call.
#include "semun.h"
#include "threadworker.h"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cstring>
#include <string>
#include <vector>

namespace ipci {
namespace {

enum class Family { Msg, Shm, Sem };

const char* SyscallOf(Family f) { return f == Family::Msg ? "msgctl" : f == Family::Shm ? "shmctl" : "semctl"; }

// What IPC_STAT says of an object: its ipc_perm, its last change time, and a segment's attach count
// and whether it is already marked for removal.
struct Seen {
  int32_t key = 0;
  uint32_t uid = 0, gid = 0, cuid = 0, cgid = 0, mode = 0;
  double ctime = 0;
  double nattch = -1;  // segments only
  bool dest = false;   // segments only: removed already, freed at the last detach
};

void FromPerm(Seen& s, const struct ipc_perm& p) {
  s.key = static_cast<int32_t>(p.__key);
  s.uid = p.uid;
  s.gid = p.gid;
  s.cuid = p.cuid;
  s.cgid = p.cgid;
  s.mode = p.mode & 0777;
}

// IPC_STAT of `id`: 0 or the errno.
int Stat(Family f, int id, Seen& s) {
  if (f == Family::Msg) {
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) < 0) return errno;
    FromPerm(s, ds.msg_perm);
    s.ctime = static_cast<double>(ds.msg_ctime);
  } else if (f == Family::Shm) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) return errno;
    FromPerm(s, ds.shm_perm);
    s.ctime = static_cast<double>(ds.shm_ctime);
    s.nattch = static_cast<double>(ds.shm_nattch);
    s.dest = (ds.shm_perm.mode & SHM_DEST) != 0;
  } else {
    struct semid_ds ds;
    semun a;
    a.buf = &ds;
    if (semctl(id, 0, IPC_STAT, a) < 0) return errno;
    FromPerm(s, ds.sem_perm);
    s.ctime = static_cast<double>(ds.sem_ctime);
  }
  return 0;
}

// IPC_RMID of `id`: 0 or the errno.
int Rmid(Family f, int id) {
  int r = f == Family::Msg ? msgctl(id, IPC_RMID, nullptr) : f == Family::Shm ? shmctl(id, IPC_RMID, nullptr) : semctl(id, 0, IPC_RMID);
  return r < 0 ? errno : 0;
}

// The fields a caller may ask to match, by name.
const char* const kFields[] = {"key", "uid", "gid", "cuid", "cgid", "ctime"};

double FieldOf(const Seen& s, size_t i) {
  switch (i) {
    case 0: return s.key;
    case 1: return s.uid;
    case 2: return s.gid;
    case 3: return s.cuid;
    case 4: return s.cgid;
    default: return s.ctime;
  }
}

Napi::Object SeenObject(Napi::Env env, const Seen& s) {
  Napi::Object o = Napi::Object::New(env);
  for (size_t i = 0; i < sizeof kFields / sizeof *kFields; i++) o.Set(kFields[i], Napi::Number::New(env, FieldOf(s, i)));
  o.Set("mode", Napi::Number::New(env, s.mode));
  if (s.nattch >= 0) {
    o.Set("nattch", Napi::Number::New(env, s.nattch));
    o.Set("dest", Napi::Boolean::New(env, s.dest));
  }
  return o;
}

Family ArgFamily(const Napi::CallbackInfo& info, size_t i) {
  std::string f = ArgString(info, i, "family");
  if (f == "msg") return Family::Msg;
  if (f == "shm") return Family::Shm;
  if (f == "sem") return Family::Sem;
  ThrowType(info.Env(), "family must be 'msg', 'shm' or 'sem'");
}

class StatWorker : public ThreadWorker {
 public:
  StatWorker(Napi::Env env, Family f, int id) : ThreadWorker(env, "ipcInspectorSysvStat"), f_(f), id_(id) {}

 protected:
  void Execute() override {
    if (int e = Stat(f_, id_, seen_)) err_.set(e, SyscallOf(f_));
  }
  Napi::Value Settle(Napi::Env env) override { return SeenObject(env, seen_); }

 private:
  Family f_;
  int id_;
  Seen seen_;
};

class RemoveIfWorker : public ThreadWorker {
 public:
  RemoveIfWorker(Napi::Env env, Family f, int id, std::vector<std::pair<size_t, double>> expect)
      : ThreadWorker(env, "ipcInspectorSysvRemoveIf"), f_(f), id_(id), expect_(std::move(expect)) {}

 protected:
  void Execute() override {
    if (int e = Stat(f_, id_, seen_)) return err_.set(e, SyscallOf(f_));
    for (const auto& [field, want] : expect_) {
      if (FieldOf(seen_, field) != want) differs_.push_back(field);
    }
    if (!differs_.empty()) return;
    if (int e = Rmid(f_, id_)) return err_.set(e, SyscallOf(f_));
    removed_ = true;
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("removed", Napi::Boolean::New(env, removed_));
    o.Set("seen", SeenObject(env, seen_));
    Napi::Array d = Napi::Array::New(env, differs_.size());
    for (uint32_t i = 0; i < differs_.size(); i++) d.Set(i, JsString(env, kFields[differs_[i]]));
    o.Set("differs", d);
    return o;
  }

 private:
  Family f_;
  int id_;
  std::vector<std::pair<size_t, double>> expect_;
  Seen seen_;
  std::vector<size_t> differs_;
  bool removed_ = false;
};

}  // namespace

// sysvStat(family, id) → Promise<{ key, uid, gid, cuid, cgid, ctime, mode, nattch?, dest? }>
Napi::Value SysvStat(const Napi::CallbackInfo& info) {
  Family f = ArgFamily(info, 0);
  return (new StatWorker(info.Env(), f, ArgInt(info, 1, "id")))->Start();
}

// sysvRemoveIf(family, id, expect) → Promise<{ removed, seen, differs }>: IPC_STAT, then IPC_RMID
// only when every field of `expect` ({ key?, uid?, gid?, cuid?, cgid?, ctime? }: numbers) equals
// the stat's; otherwise nothing is removed and `differs` names the fields that did not match.
// Rejects with the errno of either call (EINVAL/EIDRM: no such id; EPERM: not the caller's to remove).
Napi::Value SysvRemoveIf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Family f = ArgFamily(info, 0);
  int id = ArgInt(info, 1, "id");
  if (info.Length() < 3 || !info[2].IsObject()) ThrowType(env, "expect must be an object");
  Napi::Object e = info[2].As<Napi::Object>();
  std::vector<std::pair<size_t, double>> expect;
  for (size_t i = 0; i < sizeof kFields / sizeof *kFields; i++) {
    Napi::Value v = e.Get(kFields[i]);
    if (v.IsUndefined()) continue;
    if (!v.IsNumber()) ThrowType(env, "expect's fields must be numbers");
    expect.emplace_back(i, v.As<Napi::Number>().DoubleValue());
  }
  // an empty expectation would remove whatever the id names now: refused, not taken as "anything"
  if (expect.empty()) ThrowType(env, "expect must name at least one field");
  return (new RemoveIfWorker(env, f, id, std::move(expect)))->Start();
}

}  // namespace ipci
