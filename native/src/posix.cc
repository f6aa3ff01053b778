// POSIX message queues and named semaphores by name.
#include "errors.h"

#include <vector>

#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>

namespace ipci {
namespace {

struct Mq {
  mqd_t q;
  ~Mq() {
    if (q != static_cast<mqd_t>(-1)) mq_close(q);
  }
};

}  // namespace

Napi::Value MqGetattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  Mq q{mq_open(name.c_str(), O_RDONLY | O_CLOEXEC)};
  if (q.q == static_cast<mqd_t>(-1)) ThrowSyscall(env, errno, "mq_open", name);
  struct mq_attr a;
  if (mq_getattr(q.q, &a) != 0) ThrowSyscall(env, errno, "mq_getattr", name);
  Napi::Object o = Napi::Object::New(env);
  o.Set("maxmsg", Napi::Number::New(env, static_cast<double>(a.mq_maxmsg)));
  o.Set("msgsize", Napi::Number::New(env, static_cast<double>(a.mq_msgsize)));
  o.Set("curmsgs", Napi::Number::New(env, static_cast<double>(a.mq_curmsgs)));
  o.Set("flags", Napi::Number::New(env, static_cast<double>(a.mq_flags)));
  return o;
}

Napi::Value MqReceive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  Mq q{mq_open(name.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)};
  if (q.q == static_cast<mqd_t>(-1)) ThrowSyscall(env, errno, "mq_open", name);
  struct mq_attr a;
  if (mq_getattr(q.q, &a) != 0) ThrowSyscall(env, errno, "mq_getattr", name);
  std::vector<char> buf(static_cast<size_t>(a.mq_msgsize > 0 ? a.mq_msgsize : 1));
  unsigned prio = 0;
  ssize_t n = mq_receive(q.q, buf.data(), buf.size(), &prio);
  if (n < 0) ThrowSyscall(env, errno, "mq_receive", name);
  Napi::Object o = Napi::Object::New(env);
  o.Set("priority", Napi::Number::New(env, prio));
  o.Set("data", Napi::Buffer<char>::Copy(env, buf.data(), static_cast<size_t>(n)));
  return o;
}

Napi::Value SemGetValue(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ArgString(info, 0, "name");
  sem_t* s = sem_open(name.c_str(), 0);
  if (s == SEM_FAILED) ThrowSyscall(env, errno, "sem_open", name);
  int v = 0;
  int r = sem_getvalue(s, &v);
  int e = errno;
  sem_close(s);
  if (r != 0) ThrowSyscall(env, e, "sem_getvalue", name);
  return Napi::Number::New(env, v);
}

}  // namespace ipci
