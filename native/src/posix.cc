// POSIX message queues by name: mq_getattr counts, and the one consuming mq_receive (only ever
// called after the user confirmed). Each runs on a thread of its own (ThreadWorker). mq_open on
// another user's queue is safe to call: the name resolves only inside the IPC namespace's mqueue
// filesystem (it can hold queues and nothing else: no FIFOs, devices or symlinks), O_NONBLOCK
// keeps the receive from waiting, and neither call registers a notification.
// Named semaphores are not here: sem_open maps the file (an empty or short one, which any user
// can create in /dev/shm, faults with SIGBUS); core/probes/posix.ts preads it instead.
#include "napi_helpers.h"
#include "threadworker.h"

#include <vector>

#include <fcntl.h>
#include <mqueue.h>

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

// mqReceive("/NAME" | Buffer) → Promise<{ priority, data }>: CONSUMES one message.
Napi::Value MqReceive(const Napi::CallbackInfo& info) {
  return (new MqReceiveWorker(info.Env(), ArgBytes(info, 0, "name")))->Start();
}

}  // namespace ipci
