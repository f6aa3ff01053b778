#include "errors.h"

#include <cstdio>
#include <cstring>

namespace ipci {

const char* ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

Napi::Error SyscallError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  const char* code = ErrnoName(err);
  char desc[256];
  const char* text = strerror_r(err, desc, sizeof desc);  // GNU variant returns the string
  std::string msg = std::string(code) + ": " + text + ", " + (syscall ? syscall : "?");
  if (!path.empty()) msg += " '" + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall ? syscall : "?"));
  if (!path.empty()) e.Set("path", Napi::String::New(env, path));
  return e;
}

void ThrowSyscall(Napi::Env env, int err, const char* syscall, const std::string& path) {
  throw SyscallError(env, err, syscall, path);
}

void ThrowType(Napi::Env env, const char* message) { throw Napi::TypeError::New(env, message); }

static std::string Msg(const char* name, const char* what) { return std::string(name) + " must be " + what; }

int32_t ArgInt(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), Msg(name, "an integer"));
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int32_t>(d))) throw Napi::TypeError::New(info.Env(), Msg(name, "a 32-bit integer"));
  return static_cast<int32_t>(d);
}

double ArgNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), Msg(name, "a number"));
  return info[i].As<Napi::Number>().DoubleValue();
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString()) throw Napi::TypeError::New(info.Env(), Msg(name, "a string"));
  return info[i].As<Napi::String>().Utf8Value();
}

std::string ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
  std::string out;
  if (info.Length() > i && info[i].IsBuffer()) {
    Napi::Buffer<char> b = info[i].As<Napi::Buffer<char>>();
    out.assign(b.Data(), b.Length());
  } else if (info.Length() > i && info[i].IsString()) {
    out = info[i].As<Napi::String>().Utf8Value();
  } else {
    throw Napi::TypeError::New(info.Env(), Msg(name, "a string or a Buffer"));
  }
  // a C string ends at the first NUL: a name holding one would reach another object
  if (out.find('\0') != std::string::npos) throw Napi::TypeError::New(info.Env(), Msg(name, "free of NUL bytes"));
  return out;
}

}  // namespace ipci
