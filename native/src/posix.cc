// POSIX message queues by name: mq_getattr counts, and the one consuming mq_receive (only ever
// called after the user confirmed); the counts of a queue no name of ours reaches (unlinked, or
// another IPC namespace's) through a duplicate of a holder's fd. Each runs on a thread of its own (ThreadWorker). mq_open on
// another user's queue is safe to call: the name resolves only inside the IPC namespace's mqueue
// filesystem (it can hold queues and nothing else: no FIFOs, devices or symlinks), O_NONBLOCK
// keeps the receive from waiting, and neither call registers a notification.
// Named semaphores are not here: sem_open maps the file (an empty or short one, which any user
// can create in /dev/shm, faults with SIGBUS); core/probes/posix.ts preads it instead.
#include "fdhandle.h"
#include "napi_helpers.h"
#include "threadworker.h"

#include <vector>

#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <mqueue.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace ipci {
namespace {

struct Mq {
  mqd_t q;
  ~Mq() {
    if (q != static_cast<mqd_t>(-1)) mq_close(q);
  }
};

class MqGetattrWorker : public ThreadWorker {
 public:
  MqGetattrWorker(Napi::Env env, std::string name) : ThreadWorker(env, "ipcInspectorMqGetattr"), name_(std::move(name)) {}

 protected:
  void Execute() override {
    Mq q{mq_open(name_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    if (q.q == static_cast<mqd_t>(-1)) return err_.set(errno, "mq_open", name_);
    if (mq_getattr(q.q, &a_) != 0) return err_.set(errno, "mq_getattr", name_);
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("maxmsg", Napi::Number::New(env, static_cast<double>(a_.mq_maxmsg)));
    o.Set("msgsize", Napi::Number::New(env, static_cast<double>(a_.mq_msgsize)));
    o.Set("curmsgs", Napi::Number::New(env, static_cast<double>(a_.mq_curmsgs)));
    o.Set("flags", Napi::Number::New(env, static_cast<double>(a_.mq_flags & ~O_NONBLOCK)));  // our open's flag, not the queue's
    return o;
  }

 private:
  std::string name_;
  struct mq_attr a_ {};
};

constexpr long kMqueueMagic = 0x19800202;

class MqGetattrFdWorker : public ThreadWorker {
 public:
  MqGetattrFdWorker(Napi::Env env, int pid, int fd, double inode, int devMajor, int devMinor)
      : ThreadWorker(env, "ipcInspectorMqGetattrFd"), pid_(pid), fd_(fd), inode_(static_cast<uint64_t>(inode)), major_(devMajor), minor_(devMinor) {}

 protected:
  void Execute() override {
    // Passive check first (fdinfo's `ino:` touches nothing): duplicate only while the fd is still
    // that queue's, so a FUSE file swapped in is not duplicated (closing a copy runs its flush).
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", pid_, fd_);
    Fd info(open(path, O_RDONLY | O_CLOEXEC));
    if (!info.ok()) return err_.set(errno, "open", path);
    char buf[512];
    ssize_t n = read(info.get(), buf, sizeof buf - 1);
    if (n < 0) return err_.set(errno, "read", path);
    buf[n] = '\0';
    const char* ino = strstr(buf, "\nino:");
    if (!ino || strtoull(ino + 5, nullptr, 10) != inode_) return err_.set(ESTALE, "read", path);
    Fd pidfd(OpenPidfd(pid_));
    if (!pidfd.ok()) return err_.set(errno, "pidfd_open");
    Fd dup(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd_, 0)));
    if (!dup.ok()) return err_.set(errno, "pidfd_getfd");
    // swapped between the two: the copy itself decides
    struct stat st;
    struct statfs sf;
    if (fstat(dup.get(), &st) != 0) return err_.set(errno, "fstat");
    if (fstatfs(dup.get(), &sf) != 0) return err_.set(errno, "fstatfs");
    if (sf.f_type != kMqueueMagic || st.st_ino != inode_ || static_cast<int>(major(st.st_dev)) != major_ || static_cast<int>(minor(st.st_dev)) != minor_)
      return err_.set(ESTALE, "fstat", path);
    if (mq_getattr(static_cast<mqd_t>(dup.get()), &a_) != 0) return err_.set(errno, "mq_getattr");
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("maxmsg", Napi::Number::New(env, static_cast<double>(a_.mq_maxmsg)));
    o.Set("msgsize", Napi::Number::New(env, static_cast<double>(a_.mq_msgsize)));
    o.Set("curmsgs", Napi::Number::New(env, static_cast<double>(a_.mq_curmsgs)));
    o.Set("flags", Napi::Number::New(env, static_cast<double>(a_.mq_flags)));
    return o;
  }

 private:
  int pid_, fd_;
  uint64_t inode_;
  int major_, minor_;
  struct mq_attr a_ {};
};

class MqReceiveWorker : public ThreadWorker {
 public:
  MqReceiveWorker(Napi::Env env, std::string name) : ThreadWorker(env, "ipcInspectorMqReceive"), name_(std::move(name)) {}

 protected:
  void Execute() override {
    Mq q{mq_open(name_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
    if (q.q == static_cast<mqd_t>(-1)) return err_.set(errno, "mq_open", name_);
    struct mq_attr a;
    if (mq_getattr(q.q, &a) != 0) return err_.set(errno, "mq_getattr", name_);
    data_.resize(static_cast<size_t>(a.mq_msgsize > 0 ? a.mq_msgsize : 1));
    ssize_t n = mq_receive(q.q, data_.data(), data_.size(), &prio_);
    if (n < 0) return err_.set(errno, "mq_receive", name_);
    data_.resize(static_cast<size_t>(n));
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("priority", Napi::Number::New(env, prio_));
    o.Set("data", Napi::Buffer<char>::Copy(env, data_.data(), data_.size()));
    return o;
  }

 private:
  std::string name_;
  unsigned prio_ = 0;
  std::vector<char> data_;
};

}  // namespace

// mqGetattr("/NAME" | Buffer) → Promise<{ maxmsg, msgsize, curmsgs, flags }>. A Buffer is the
// name's exact bytes: a name that is not UTF-8 has no string that reaches it.
Napi::Value MqGetattr(const Napi::CallbackInfo& info) {
  return (new MqGetattrWorker(info.Env(), ArgBytes(info, 0, "name")))->Start();
}

// mqGetattrFd(pid, fd, inode, devMajor, devMinor) → Promise<{ maxmsg, msgsize, curmsgs, flags }>:
// the counts of the queue (that dev:inode) fd `fd` of `pid` holds, through a duplicate of it.
Napi::Value MqGetattrFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pid = ArgInt(info, 0, "pid"), fd = ArgInt(info, 1, "fd");
  if (info.Length() < 3 || !info[2].IsNumber()) ThrowType(env, "inode must be a number");
  double inode = info[2].As<Napi::Number>().DoubleValue();
  int devMajor = ArgInt(info, 3, "devMajor"), devMinor = ArgInt(info, 4, "devMinor");
  if (pid <= 0 || fd < 0 || !(inode > 0) || devMajor < 0 || devMinor < 0) ThrowType(env, "pid, fd, inode, devMajor, devMinor out of range");
  return (new MqGetattrFdWorker(env, pid, fd, inode, devMajor, devMinor))->Start();
}

// mqReceive("/NAME" | Buffer) → Promise<{ priority, data }>: CONSUMES one message.
Napi::Value MqReceive(const Napi::CallbackInfo& info) {
  return (new MqReceiveWorker(info.Env(), ArgBytes(info, 0, "name")))->Start();
}

}  // namespace ipci
