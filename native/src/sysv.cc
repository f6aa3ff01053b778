// SysV IPC: *_STAT_ANY walks (fallback *_STAT), semctl GETALL/GETNCNT/GETZCNT/GETPID,
// msgrcv(MSG_COPY) peeks that never consume, shmat(SHM_RDONLY) reads. The lists run on the libuv
// pool (PromiseWorker); the single-object calls a peek makes (msgPeek, shmRead, semStat) run on a
// thread of their own (ThreadWorker) so the extension host's JS thread never waits on them.
#include "napi_helpers.h"
#include "netns.h"
#include "semun.h"
#include "threadworker.h"

#include <cstring>
#include <string>
#include <vector>

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif
#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif
#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif
#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

namespace ipci {
namespace {

void Perm(Napi::Object& o, const struct ipc_perm& p) {
  Napi::Env env = o.Env();
  o.Set("key", Napi::Number::New(env, static_cast<int32_t>(p.__key)));
  o.Set("uid", Napi::Number::New(env, p.uid));
  o.Set("gid", Napi::Number::New(env, p.gid));
  o.Set("cuid", Napi::Number::New(env, p.cuid));
  o.Set("mode", Napi::Number::New(env, p.mode & 0777));
}

// Calls stat(index, anyCmd) and falls back to plainCmd on EINVAL (kernels < 4.17 have no *_STAT_ANY;
// EINVAL is also what an empty slot gives, so the fallback is tried per index).
template <typename F>
int StatIndex(F&& stat, int index, int anyCmd, int plainCmd, bool& anyOk) {
  if (anyOk) {
    int id = stat(index, anyCmd);
    if (id >= 0 || errno != EINVAL) return id;
  }
  int id = stat(index, plainCmd);
  if (id >= 0) anyOk = false;  // *_STAT worked where *_STAT_ANY said EINVAL: no *_STAT_ANY here
  return id;
}

Napi::Array Numbers(Napi::Env env, const std::vector<double>& v) {
  Napi::Array a = Napi::Array::New(env, v.size());
  for (uint32_t i = 0; i < v.size(); i++) a.Set(i, Napi::Number::New(env, v[i]));
  return a;
}

struct SemValues {
  std::vector<double> values, ncnt, zcnt, pids;
};

// GETALL + GETNCNT/GETZCNT/GETPID per semaphore of one set; 0 or the errno.
int ReadSemValues(int id, unsigned long nsems, SemValues& v) {
  std::vector<unsigned short> vals(nsems ? nsems : 1);
  semun ga;
  ga.array = vals.data();
  if (semctl(id, 0, GETALL, ga) < 0) return errno;
  for (unsigned long s = 0; s < nsems; s++) {
    int nc = semctl(id, static_cast<int>(s), GETNCNT);
    int zc = nc < 0 ? -1 : semctl(id, static_cast<int>(s), GETZCNT);
    int pid = zc < 0 ? -1 : semctl(id, static_cast<int>(s), GETPID);
    if (pid < 0) return errno;
    v.values.push_back(vals[s]);
    v.ncnt.push_back(nc);
    v.zcnt.push_back(zc);
    v.pids.push_back(pid);
  }
  return 0;
}

Napi::Object Counters(Napi::Env env, const struct msqid_ds& ds) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("messages", Napi::Number::New(env, static_cast<double>(ds.msg_qnum)));
  o.Set("bytes", Napi::Number::New(env, static_cast<double>(ds.__msg_cbytes)));
  return o;
}

struct Copied {
  long index;  // its position in the queue (those too long to copy are skipped)
  long type;
  size_t size;
  bool truncated;
  std::vector<char> data;
};

// The most one message's copy may take: a queue's limits are its owner's to raise (msgmax,
// msgmnb in the owner's IPC namespace), not a reason for the caller to allocate without bound.
static constexpr size_t kCopyMax = 16u << 20;

// MSG_COPY | IPC_NOWAIT from message `first` on (MSG_COPY's msgtyp is the message's position);
// the queue's counters before and after (equal ones show nothing was consumed).
class MsgPeekWorker : public ThreadWorker {
 public:
  MsgPeekWorker(Napi::Env env, int msqid, int maxMessages, int maxBytes, int first)
      : ThreadWorker(env, "ipcInspectorMsgPeek"), msqid_(msqid), maxMessages_(maxMessages), maxBytes_(maxBytes), first_(first) {}

 protected:
  void Execute() override {
    if (msgctl(msqid_, IPC_STAT, &before_) < 0) {
      // Say what MSG_COPY itself would: the kernel rejects it (ENOSYS, no CONFIG_CHECKPOINT_RESTORE)
      // before it looks the queue up, so a caller can tell "no MSG_COPY here" from "no such queue".
      int statErr = errno;
      long probe[2];
      if (msgrcv(msqid_, probe, sizeof(long), 0, MSG_COPY | IPC_NOWAIT | MSG_NOERROR) < 0 && errno == ENOSYS) return err_.set(ENOSYS, "msgrcv");
      return err_.set(statErr, "msgctl");
    }
    // Copy into a buffer as large as one message can be, so the real size is known even when the
    // caller wants fewer bytes: MSG_COPY refuses (EINVAL) a buffer shorter than the message, with
    // MSG_NOERROR or not. The queue's byte limit bounds a message only until its owner lowers it
    // under one already queued; the bytes queued bound every message. Capped.
    size_t bufBytes = static_cast<size_t>(maxBytes_);
    size_t most = before_.msg_qbytes > before_.__msg_cbytes ? before_.msg_qbytes : before_.__msg_cbytes;
    size_t qb = most < kCopyMax ? most : kCopyMax;
    if (qb > bufBytes) bufBytes = qb;
    std::vector<char> buf(sizeof(long) + bufBytes);
    for (long index = first_; index < static_cast<long>(first_) + maxMessages_; index++) {
      ssize_t n;
      do {
        n = msgrcv(msqid_, buf.data(), bufBytes, index, MSG_COPY | IPC_NOWAIT | MSG_NOERROR);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        if (errno == ENOMSG) break;
        // A message longer than the capped buffer: MSG_COPY refuses it (EINVAL) as it refuses a
        // removed queue. The queue still there tells them apart; the next position is read on.
        struct msqid_ds still {};
        if (errno == EINVAL && bufBytes < most && msgctl(msqid_, IPC_STAT, &still) == 0) {
          tooLarge_.push_back(index);
          continue;
        }
        return err_.set(errno, "msgrcv");
      }
      Copied c;
      c.index = index;
      memcpy(&c.type, buf.data(), sizeof c.type);
      c.size = static_cast<size_t>(n);
      size_t take = c.size < static_cast<size_t>(maxBytes_) ? c.size : static_cast<size_t>(maxBytes_);
      c.truncated = c.size > take || (c.size == bufBytes && bufBytes < most);
      c.data.assign(buf.data() + sizeof(long), buf.data() + sizeof(long) + take);
      out_.push_back(std::move(c));
    }
    haveAfter_ = msgctl(msqid_, IPC_STAT, &after_) == 0;
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Array msgs = Napi::Array::New(env, out_.size());
    for (uint32_t i = 0; i < out_.size(); i++) {
      const Copied& c = out_[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("index", Napi::Number::New(env, static_cast<double>(c.index)));
      // A type is a C long, set by the sender: past 2^53 a double would show another number, so
      // such a type goes out as its decimal text.
      constexpr long kSafe = (1L << 53) - 1;
      if (c.type >= -kSafe && c.type <= kSafe) o.Set("type", Napi::Number::New(env, static_cast<double>(c.type)));
      else o.Set("type", Napi::String::New(env, std::to_string(c.type)));
      o.Set("size", Napi::Number::New(env, static_cast<double>(c.size)));
      o.Set("data", Napi::Buffer<char>::Copy(env, c.data.data(), c.data.size()));
      o.Set("truncated", Napi::Boolean::New(env, c.truncated));
      msgs.Set(i, o);
    }
    Napi::Array large = Napi::Array::New(env, tooLarge_.size());
    for (uint32_t i = 0; i < tooLarge_.size(); i++) large.Set(i, Napi::Number::New(env, static_cast<double>(tooLarge_[i])));
    Napi::Object r = Napi::Object::New(env);
    r.Set("messages", msgs);
    r.Set("tooLarge", large);
    r.Set("copyMax", Napi::Number::New(env, static_cast<double>(kCopyMax)));
    r.Set("before", Counters(env, before_));
    r.Set("after", haveAfter_ ? Napi::Value(Counters(env, after_)) : env.Null());
    return r;
  }

 private:
  int msqid_, maxMessages_, maxBytes_, first_;
  struct msqid_ds before_ {}, after_ {};
  bool haveAfter_ = false;
  std::vector<Copied> out_;
  std::vector<long> tooLarge_;
};

class ShmReadWorker : public ThreadWorker {
 public:
  ShmReadWorker(Napi::Env env, int shmid, double offset, double length)
      : ThreadWorker(env, "ipcInspectorShmRead"), shmid_(shmid), offset_(offset), length_(length) {}

 protected:
  void Execute() override {
    struct shmid_ds ds;
    if (shmctl(shmid_, IPC_STAT, &ds) < 0) return err_.set(errno, "shmctl");
    size_t size = ds.shm_segsz;
    size_t off = offset_ > static_cast<double>(size) ? size : static_cast<size_t>(offset_);
    size_t len = static_cast<size_t>(length_ < static_cast<double>(size - off) ? length_ : static_cast<double>(size - off));
    void* addr = shmat(shmid_, nullptr, SHM_RDONLY);
    if (addr == reinterpret_cast<void*>(-1)) return err_.set(errno, "shmat");
    data_.assign(static_cast<const char*>(addr) + off, static_cast<const char*>(addr) + off + len);
    shmdt(addr);
  }

  Napi::Value Settle(Napi::Env env) override { return Napi::Buffer<char>::Copy(env, data_.data(), data_.size()); }

 private:
  int shmid_;
  double offset_, length_;
  std::vector<char> data_;
};

class SemStatWorker : public ThreadWorker {
 public:
  SemStatWorker(Napi::Env env, int semid) : ThreadWorker(env, "ipcInspectorSemStat"), semid_(semid) {}

 protected:
  void Execute() override {
    struct semid_ds ds;
    semun a;
    a.buf = &ds;
    if (semctl(semid_, 0, IPC_STAT, a) < 0) return err_.set(errno, "semctl");
    nsems_ = ds.sem_nsems;
    int e = ReadSemValues(semid_, nsems_, v_);
    if (e) err_.set(e, "semctl");
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("semid", Napi::Number::New(env, semid_));
    o.Set("nsems", Napi::Number::New(env, static_cast<double>(nsems_)));
    o.Set("values", Numbers(env, v_.values));
    o.Set("ncnt", Numbers(env, v_.ncnt));
    o.Set("zcnt", Numbers(env, v_.zcnt));
    o.Set("pids", Numbers(env, v_.pids));
    return o;
  }

 private:
  int semid_;
  unsigned long nsems_ = 0;
  SemValues v_;
};


// The lists read every object the caller may see on the libuv pool (PromiseWorker): the IPC
// calls take kernel locks only briefly, but a set of 32,000 semaphores costs 96,000 semctl calls,
// and the snapshot runs them beside the fd walk instead of before it.

// One kind's list: List() on the worker's thread (inside the namespace), Settle() on the main thread.
class MsgList {
 public:
  void List(PendingError& err) {
    struct msginfo mi;
    int maxIdx = msgctl(0, MSG_INFO, reinterpret_cast<struct msqid_ds*>(&mi));
    if (maxIdx < 0) return err.set(errno, "msgctl");
    bool anyOk = true;
    for (int i = 0; i <= maxIdx; i++) {
      Row r;
      r.id = StatIndex([&](int idx, int cmd) { return msgctl(idx, cmd, &r.ds); }, i, MSG_STAT_ANY, MSG_STAT, anyOk);
      if (r.id >= 0) rows_.push_back(r);
    }
  }

  Napi::Value Settle(Napi::Env env) const {
    Napi::Array out = Napi::Array::New(env, rows_.size());
    uint32_t n = 0;
    for (const Row& r : rows_) {
      const struct msqid_ds& ds = r.ds;
      Napi::Object o = Napi::Object::New(env);
      o.Set("msqid", Napi::Number::New(env, r.id));
      Perm(o, ds.msg_perm);
      o.Set("qnum", Napi::Number::New(env, static_cast<double>(ds.msg_qnum)));
      o.Set("cbytes", Napi::Number::New(env, static_cast<double>(ds.__msg_cbytes)));
      o.Set("qbytes", Napi::Number::New(env, static_cast<double>(ds.msg_qbytes)));
      o.Set("lspid", Napi::Number::New(env, ds.msg_lspid));
      o.Set("lrpid", Napi::Number::New(env, ds.msg_lrpid));
      o.Set("stime", Napi::Number::New(env, static_cast<double>(ds.msg_stime)));
      o.Set("rtime", Napi::Number::New(env, static_cast<double>(ds.msg_rtime)));
      o.Set("ctime", Napi::Number::New(env, static_cast<double>(ds.msg_ctime)));
      out.Set(n++, o);
    }
    return out;
  }

 private:
  struct Row {
    int id = -1;
    struct msqid_ds ds;
  };
  std::vector<Row> rows_;
};

class ShmList {
 public:
  void List(PendingError& err) {
    struct shm_info si;
    int maxIdx = shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&si));
    if (maxIdx < 0) return err.set(errno, "shmctl");
    bool anyOk = true;
    for (int i = 0; i <= maxIdx; i++) {
      Row r;
      r.id = StatIndex([&](int idx, int cmd) { return shmctl(idx, cmd, &r.ds); }, i, SHM_STAT_ANY, SHM_STAT, anyOk);
      if (r.id >= 0) rows_.push_back(r);
    }
  }

  Napi::Value Settle(Napi::Env env) const {
    Napi::Array out = Napi::Array::New(env, rows_.size());
    uint32_t n = 0;
    for (const Row& r : rows_) {
      const struct shmid_ds& ds = r.ds;
      Napi::Object o = Napi::Object::New(env);
      o.Set("shmid", Napi::Number::New(env, r.id));
      Perm(o, ds.shm_perm);
      o.Set("size", Napi::Number::New(env, static_cast<double>(ds.shm_segsz)));
      o.Set("nattch", Napi::Number::New(env, static_cast<double>(ds.shm_nattch)));
      o.Set("cpid", Napi::Number::New(env, ds.shm_cpid));
      o.Set("lpid", Napi::Number::New(env, ds.shm_lpid));
      o.Set("atime", Napi::Number::New(env, static_cast<double>(ds.shm_atime)));
      o.Set("dtime", Napi::Number::New(env, static_cast<double>(ds.shm_dtime)));
      o.Set("ctime", Napi::Number::New(env, static_cast<double>(ds.shm_ctime)));
      o.Set("dest", Napi::Boolean::New(env, (ds.shm_perm.mode & SHM_DEST) != 0));
      out.Set(n++, o);
    }
    return out;
  }

 private:
  struct Row {
    int id = -1;
    struct shmid_ds ds;
  };
  std::vector<Row> rows_;
};

class SemList {
 public:
  void List(PendingError& err) {
    struct seminfo si;
    semun arg;
    arg.__buf = &si;
    int maxIdx = semctl(0, 0, SEM_INFO, arg);
    if (maxIdx < 0) return err.set(errno, "semctl");
    bool anyOk = true;
    for (int i = 0; i <= maxIdx; i++) {
      Row r;
      r.id = StatIndex(
          [&](int idx, int cmd) {
            semun a;
            a.buf = &r.ds;
            return semctl(idx, 0, cmd, a);
          },
          i, SEM_STAT_ANY, SEM_STAT, anyOk);
      if (r.id < 0) continue;
      r.err = ReadSemValues(r.id, r.ds.sem_nsems, r.v);
      rows_.push_back(std::move(r));
    }
  }

  Napi::Value Settle(Napi::Env env) const {
    Napi::Array out = Napi::Array::New(env, rows_.size());
    uint32_t n = 0;
    for (const Row& r : rows_) {
      const struct semid_ds& ds = r.ds;
      Napi::Object o = Napi::Object::New(env);
      o.Set("semid", Napi::Number::New(env, r.id));
      Perm(o, ds.sem_perm);
      o.Set("nsems", Napi::Number::New(env, static_cast<double>(ds.sem_nsems)));
      o.Set("otime", Napi::Number::New(env, static_cast<double>(ds.sem_otime)));
      o.Set("ctime", Napi::Number::New(env, static_cast<double>(ds.sem_ctime)));
      if (r.err) {
        o.Set("error", JsString(env, ErrnoName(r.err)));
      } else {
        o.Set("values", Numbers(env, r.v.values));
        o.Set("ncnt", Numbers(env, r.v.ncnt));
        o.Set("zcnt", Numbers(env, r.v.zcnt));
        o.Set("pids", Numbers(env, r.v.pids));
      }
      out.Set(n++, o);
    }
    return out;
  }

 private:
  struct Row {
    int id = -1;
    struct semid_ds ds;
    int err = 0;
    SemValues v;
  };
  std::vector<Row> rows_;
};

// The lists of one IPC namespace: the caller's, or nsPath's, entered once for all the kinds asked
// (a thread that enters a namespace is made for it: one per namespace, not one per kind).
class SysvListsWorker : public PromiseWorker {
 public:
  // `one`: resolve with that kind's array (sysvMsgList …); otherwise with {msg?, shm?, sem?}
  SysvListsWorker(Napi::Env env, std::string nsPath, bool msg, bool shm, bool sem, bool one)
      : PromiseWorker(env, "ipcInspectorSysvLists"), ns_(std::move(nsPath)), msg_(msg), shm_(shm), sem_(sem), one_(one) {}

  void Execute() override {
    InNamespace(ns_, CLONE_NEWIPC, err_, [this] {
      if (msg_) msg.List(err_);
      if (shm_ && !err_) shm.List(err_);
      if (sem_ && !err_) sem.List(err_);
    });
  }

  Napi::Value Settle(Napi::Env env) override {
    if (one_) return msg_ ? msg.Settle(env) : shm_ ? shm.Settle(env) : sem.Settle(env);
    Napi::Object o = Napi::Object::New(env);
    if (msg_) o.Set("msg", msg.Settle(env));
    if (shm_) o.Set("shm", shm.Settle(env));
    if (sem_) o.Set("sem", sem.Settle(env));
    return o;
  }

 private:
  std::string ns_;
  bool msg_, shm_, sem_, one_;
  MsgList msg;
  ShmList shm;
  SemList sem;
};

}  // namespace

// sysvMsgList(nsPath?) / sysvShmList(nsPath?) / sysvSemList(nsPath?) → Promise<[…]>: every object
// of the caller's IPC namespace, or of nsPath's (e.g. /proc/PID/ns/ipc; needs CAP_SYS_ADMIN over it)
static Napi::Value ListOne(const Napi::CallbackInfo& info, bool msg, bool shm, bool sem) {
  auto* w = new SysvListsWorker(info.Env(), NsPathArg(info, 0), msg, shm, sem, true);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value SysvMsgList(const Napi::CallbackInfo& info) { return ListOne(info, true, false, false); }
Napi::Value SysvShmList(const Napi::CallbackInfo& info) { return ListOne(info, false, true, false); }
Napi::Value SysvSemList(const Napi::CallbackInfo& info) { return ListOne(info, false, false, true); }

// sysvLists(nsPath, {msg, shm, sem}) → Promise<{msg?, shm?, sem?}>: the kinds asked, read on one
// thread that entered the namespace once; rejects on the first list that fails, as the three
// calls together would.
Napi::Value SysvLists(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsObject()) ThrowType(env, "kinds must be an object {msg, shm, sem}");
  Napi::Object k = info[1].As<Napi::Object>();
  auto want = [&](const char* name) { Napi::Value v = k.Get(name); return v.IsBoolean() && v.As<Napi::Boolean>().Value(); };
  auto* w = new SysvListsWorker(env, NsPathArg(info, 0), want("msg"), want("shm"), want("sem"), false);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// msgPeek(msqid, maxMessages, maxBytesPerMessage) → Promise<{ messages, before, after }>
Napi::Value MsgPeek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int msqid = ArgInt(info, 0, "msqid");
  int maxMessages = ArgInt(info, 1, "maxMessages");
  int maxBytes = ArgInt(info, 2, "maxBytesPerMessage");
  int first = info.Length() > 3 && !info[3].IsUndefined() ? ArgInt(info, 3, "first") : 0;
  if (maxMessages < 0 || maxBytes < 0 || first < 0) ThrowType(env, "maxMessages, maxBytesPerMessage and first must be >= 0");
  return (new MsgPeekWorker(env, msqid, maxMessages, maxBytes, first))->Start();
}

// shmRead(shmid, offset, length) → Promise<Buffer>
Napi::Value ShmRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int shmid = ArgInt(info, 0, "shmid");
  double offD = ArgNumber(info, 1, "offset");
  double lenD = ArgNumber(info, 2, "length");
  if (!(offD >= 0) || !(lenD >= 0)) ThrowType(env, "offset and length must be >= 0");
  return (new ShmReadWorker(env, shmid, offD, lenD))->Start();
}

// semStat(semid) → Promise<{ semid, nsems, values, ncnt, zcnt, pids }>
Napi::Value SemStat(const Napi::CallbackInfo& info) {
  return (new SemStatWorker(info.Env(), ArgInt(info, 0, "semid")))->Start();
}

}  // namespace ipci
