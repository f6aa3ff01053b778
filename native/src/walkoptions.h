// The options both fd walks take from the one ProcWalkOptions object of src/core/native.ts —
// walk.cc's /proc walk and bpf/bpfwalk.cc's BPF walk, which are modules of their own — parsed
// in one place, so a bound checked for one walk is checked for the other.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "errors.h"

namespace ipci {

struct WalkCommonOptions {
  unsigned threads = 0;  // 0: one per core
  bool pidsGiven = false;
  std::vector<int32_t> pids;
  double itemTimeoutMs = 5000;  // one process (or fd range) taking longer is given up
  double deadlineMs = 30000;    // the whole walk
  // fd rows kept per user (real uid) and in all (≤ 0: no bound): the snapshot's budget
  // (rowvalve.h), applied by the walk as it reads
  double rowsPerUser = 0, rowsTotal = 0;
  // pids the other walk (a module of its own) is still stuck in, with the file: skipped, reported
  // stuck, like those on this module's own stuck list
  std::vector<std::pair<int32_t, std::string>> skipStuck;
};

/** o[k] when it is a boolean, else false. */
inline bool GetBool(const Napi::Object& o, const char* k) {
  Napi::Value v = o.Get(k);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : false;
}

/** Fills the common options from the options object; throws a TypeError on a malformed one. */
inline void ParseWalkCommon(Napi::Env env, const Napi::Object& o, WalkCommonOptions& opt) {
  Napi::Value th = o.Get("threads");
  if (th.IsNumber()) {
    double d = th.As<Napi::Number>().DoubleValue();
    opt.threads = d > 0 && d < 1024 ? static_cast<unsigned>(d) : 0;
  }
  Napi::Value pids = o.Get("pids");
  if (pids.IsArray()) {
    Napi::Array a = pids.As<Napi::Array>();
    opt.pidsGiven = true;
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsNumber()) ThrowType(env, "options.pids must be numbers");
      opt.pids.push_back(v.As<Napi::Number>().Int32Value());
    }
  }
  // (NaN, negative or past an hour: the default stands)
  auto ms = [&](const char* key, double& out) {
    Napi::Value v = o.Get(key);
    if (!v.IsNumber()) return;
    double d = v.As<Napi::Number>().DoubleValue();
    if (d > 0 && d < 3600e3) out = d;
  };
  ms("itemTimeoutMs", opt.itemTimeoutMs);
  ms("deadlineMs", opt.deadlineMs);
  Napi::Value ru = o.Get("rowsPerUser");
  if (ru.IsNumber()) opt.rowsPerUser = ru.As<Napi::Number>().DoubleValue();
  Napi::Value rt = o.Get("rowsTotal");
  if (rt.IsNumber()) opt.rowsTotal = rt.As<Napi::Number>().DoubleValue();
  Napi::Value skip = o.Get("skipStuck");
  if (skip.IsArray()) {
    Napi::Array a = skip.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsObject()) ThrowType(env, "options.skipStuck must be [{ pid, what }]");
      Napi::Object e = v.As<Napi::Object>();
      Napi::Value pid = e.Get("pid");
      Napi::Value what = e.Get("what");
      if (!pid.IsNumber() || !what.IsString()) ThrowType(env, "options.skipStuck must be [{ pid, what }]");
      opt.skipStuck.emplace_back(pid.As<Napi::Number>().Int32Value(), what.As<Napi::String>().Utf8Value());
    }
  }
}

}  // namespace ipci
