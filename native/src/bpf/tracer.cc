// The tracer's JS entry points (see tracerload.h; the program: native/bpf/tracer.bpf.c):
//   tracerCheck({btfPath?})              sync: can it run here (privileges, BTF, pid ns, built)? no load
//   tracerStart({btfPath?, parts})       promise: load once, attach the parts' programs → status
//   tracerStop({parts})                  promise: release the parts (detached when nobody wants them)
//   tracerRead()                         promise: counters since the previous read, signals, lost totals
//   tracerStatus()                       sync: what is loaded and attached
// parts = {pipes, sockets, signals} booleans. Loading, attaching, swapping maps and stopping the
// reader thread all run on worker threads (PromiseWorker), never on the JS thread.
#include <napi.h>

#include <map>
#include <string>
#include <vector>

#include "../errors.h"
#include "../napi_helpers.h"
#include "../utf8.h"
#include "tracerload.h"

namespace ipci {
namespace bpf {
namespace {

void Parts(const Napi::Value& v, bool parts[kPartCount]) {
  for (int i = 0; i < kPartCount; i++) parts[i] = false;
  if (!v.IsObject()) return;
  Napi::Object o = v.As<Napi::Object>();
  static const char* kNames[kPartCount] = {"pipes", "sockets", "signals"};
  for (int i = 0; i < kPartCount; i++) {
    Napi::Value x = o.Get(kNames[i]);
    parts[i] = x.IsBoolean() && x.As<Napi::Boolean>().Value();
  }
}

Napi::Object ProgramsJs(Napi::Env env, const std::vector<TracerProgramState>& programs) {
  Napi::Object out = Napi::Object::New(env);
  static const char* kParts[kPartCount] = {"pipes", "sockets", "signals"};
  for (const TracerProgramState& p : programs) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("attachPoint", JsString(env, p.attachPoint));
    o.Set("part", JsString(env, kParts[p.part]));
    o.Set("loaded", Napi::Boolean::New(env, p.loaded));
    if (!p.loadError.empty()) o.Set("loadError", JsString(env, p.loadError));
    o.Set("attached", Napi::Boolean::New(env, p.attached));
    if (!p.attachError.empty()) o.Set("attachError", JsString(env, p.attachError));
    o.Set("runCount", Napi::Number::New(env, static_cast<double>(p.runCount)));
    o.Set("runTimeNs", Napi::Number::New(env, static_cast<double>(p.runTimeNs)));
    o.Set("recursionMisses", Napi::Number::New(env, static_cast<double>(p.recursionMisses)));
    out.Set(p.name, o);
  }
  return out;
}

Napi::Object StatusJs(Napi::Env env, const TracerStatus& st) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, st.tried && st.verdict.ok));
  o.Set("tried", Napi::Boolean::New(env, st.tried));
  if (!st.verdict.ok) {
    o.Set("code", JsString(env, st.verdict.code));
    o.Set("reason", JsString(env, st.verdict.reason));
  }
  o.Set("loadMs", Napi::Number::New(env, st.loadMs));
  o.Set("programs", ProgramsJs(env, st.programs));
  Napi::Object users = Napi::Object::New(env);
  users.Set("pipes", Napi::Number::New(env, st.users[kPartPipes]));
  users.Set("sockets", Napi::Number::New(env, st.users[kPartSockets]));
  users.Set("signals", Napi::Number::New(env, st.users[kPartSignals]));
  o.Set("users", users);
  return o;
}

class StartWorker : public PromiseWorker {
 public:
  StartWorker(Napi::Env env, std::string btf, const bool parts[kPartCount], bool stop)
      : PromiseWorker(env, "ipcInspectorTracerStart"), btf_(std::move(btf)), stop_(stop) {
    for (int i = 0; i < kPartCount; i++) parts_[i] = parts[i];
  }
  void Execute() override { st_ = stop_ ? TracerStop(parts_) : TracerStart(btf_, parts_); }

 protected:
  Napi::Value Settle(Napi::Env env) override { return StatusJs(env, st_); }

 private:
  std::string btf_;
  bool parts_[kPartCount];
  bool stop_;
  TracerStatus st_;
};

class ReadWorker : public PromiseWorker {
 public:
  explicit ReadWorker(Napi::Env env) : PromiseWorker(env, "ipcInspectorTracerRead") {}
  void Execute() override { r_ = TracerRead(); }

 protected:
  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ok", Napi::Boolean::New(env, r_.verdict.ok));
    if (!r_.verdict.ok) {
      o.Set("code", JsString(env, r_.verdict.code));
      o.Set("reason", JsString(env, r_.verdict.reason));
    }
    o.Set("attached", Napi::Boolean::New(env, r_.attached));
    size_t n = r_.counters.size();
    Napi::Object c = Napi::Object::New(env);
    auto u8 = [&](const char* name, auto get) {
      Napi::Uint8Array a = Napi::Uint8Array::New(env, n);
      for (size_t i = 0; i < n; i++) a[i] = get(r_.counters[i]);
      c.Set(name, a);
    };
    auto f64 = [&](const char* name, auto get) {
      Napi::Float64Array a = Napi::Float64Array::New(env, n);
      for (size_t i = 0; i < n; i++) a[i] = static_cast<double>(get(r_.counters[i]));
      c.Set(name, a);
    };
    u8("kind", [](const TracerCounter& x) { return x.kind; });
    u8("dir", [](const TracerCounter& x) { return x.dir; });
    f64("pid", [](const TracerCounter& x) { return x.tgid; });
    f64("ino", [](const TracerCounter& x) { return x.ino; });
    f64("dev", [](const TracerCounter& x) { return x.dev; });
    f64("bytes", [](const TracerCounter& x) { return x.bytes; });
    f64("ops", [](const TracerCounter& x) { return x.ops; });
    f64("peer", [](const TracerCounter& x) { return x.peer; });
    o.Set("counters", c);
    Napi::Array mqNames = Napi::Array::New(env, r_.mqNames.size());
    for (size_t i = 0; i < r_.mqNames.size(); i++) {
      Napi::Object m = Napi::Object::New(env);
      m.Set("ino", Napi::Number::New(env, static_cast<double>(r_.mqNames[i].ino)));
      m.Set("dev", Napi::Number::New(env, static_cast<double>(r_.mqNames[i].dev)));
      // the dentry's bytes: a name that is not UTF-8 would decode lossily, and two such names alike
      const std::string& nm = r_.mqNames[i].name;
      m.Set("name", Napi::Buffer<char>::Copy(env, nm.data(), nm.size()));
      mqNames[i] = m;
    }
    o.Set("mqNames", mqNames);
    // signals in columns (a storm is 100k records a second: one JS object each from here would
    // cost microseconds apiece); process names once each, referenced by index
    const size_t m = r_.signals.size();
    Napi::Object sg = Napi::Object::New(env);
    auto f64s = [&](const char* name, auto get) {
      Napi::Float64Array a = Napi::Float64Array::New(env, m);
      for (size_t i = 0; i < m; i++) a[i] = static_cast<double>(get(r_.signals[i]));
      sg.Set(name, a);
    };
    auto i32s = [&](const char* name, auto get) {
      Napi::Int32Array a = Napi::Int32Array::New(env, m);
      for (size_t i = 0; i < m; i++) a[i] = static_cast<int32_t>(get(r_.signals[i]));
      sg.Set(name, a);
    };
    std::map<std::string, int32_t> commIndex;
    std::vector<const std::string*> comms;
    auto idx = [&](const std::string& c) {
      auto it = commIndex.find(c);
      if (it != commIndex.end()) return it->second;
      int32_t n = static_cast<int32_t>(comms.size());
      commIndex.emplace(c, n);
      comms.push_back(&commIndex.find(c)->first);
      return n;
    };
    std::vector<int32_t> senderComm(m), targetComm(m);
    for (size_t i = 0; i < m; i++) {
      senderComm[i] = idx(r_.signals[i].senderComm);
      targetComm[i] = idx(r_.signals[i].targetComm);
    }
    f64s("timeMs", [](const TracerSignal& g) { return g.timeMs; });
    f64s("senderPid", [](const TracerSignal& g) { return g.senderPid; });
    f64s("senderTid", [](const TracerSignal& g) { return g.senderTid; });
    f64s("senderUid", [](const TracerSignal& g) { return g.senderUid; });
    f64s("senderStart", [](const TracerSignal& g) { return g.senderStart; });
    f64s("targetPid", [](const TracerSignal& g) { return g.targetPid; });
    f64s("targetTid", [](const TracerSignal& g) { return g.targetTid; });
    f64s("targetStart", [](const TracerSignal& g) { return g.targetStart; });
    i32s("signal", [](const TracerSignal& g) { return g.sig; });
    i32s("code", [](const TracerSignal& g) { return g.code; });
    i32s("group", [](const TracerSignal& g) { return g.group; });
    i32s("result", [](const TracerSignal& g) { return g.result; });
    i32s("siErrno", [](const TracerSignal& g) { return g.siErrno; });
    f64s("siPid", [](const TracerSignal& g) { return g.siPid; });
    f64s("siUid", [](const TracerSignal& g) { return g.siUid; });
    i32s("siValue", [](const TracerSignal& g) { return g.siValue; });
    i32s("flags", [](const TracerSignal& g) { return g.flags; });
    Napi::Int32Array sc = Napi::Int32Array::New(env, m);
    Napi::Int32Array tc = Napi::Int32Array::New(env, m);
    for (size_t i = 0; i < m; i++) {
      sc[i] = senderComm[i];
      tc[i] = targetComm[i];
    }
    sg.Set("senderComm", sc);
    sg.Set("targetComm", tc);
    Napi::Array names = Napi::Array::New(env, comms.size());
    // a name that is not UTF-8 as its bytes (a Buffer): as text it would decode lossily, and two
    // names that differ only in those bytes would read alike (core/activity/tracer.ts shows them)
    for (size_t i = 0; i < comms.size(); i++) {
      const std::string& c = *comms[i];
      names[i] = Utf8(c) ? Napi::Value(env, JsString(env, c)) : Napi::Value(Napi::Buffer<char>::Copy(env, c.data(), c.size()));
    }
    sg.Set("comms", names);
    o.Set("signals", sg);
    Napi::Object lost = Napi::Object::New(env);
    lost.Set("counterMapFull", Napi::Number::New(env, static_cast<double>(r_.lost.counterFull)));
    lost.Set("signalRingFull", Napi::Number::New(env, static_cast<double>(r_.lost.signalRing)));
    lost.Set("mqNameMapFull", Napi::Number::New(env, static_cast<double>(r_.lost.mqName)));
    lost.Set("signalQueueFull", Napi::Number::New(env, static_cast<double>(r_.lost.signalQueue)));
    lost.Set("recursion", Napi::Number::New(env, static_cast<double>(r_.lost.recursion)));
    o.Set("lost", lost);
    o.Set("programs", ProgramsJs(env, r_.programs));
    o.Set("swapMs", Napi::Number::New(env, r_.swapMs));
    o.Set("drainMs", Napi::Number::New(env, r_.drainMs));
    return o;
  }

 private:
  TracerReadResult r_;
};

std::string BtfArg(const Napi::CallbackInfo& info) {
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value v = info[0].As<Napi::Object>().Get("btfPath");
    if (v.IsString()) return v.As<Napi::String>().Utf8Value();
  }
  return "/sys/kernel/btf/vmlinux";
}

}  // namespace

Napi::Value TracerCheckJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Verdict v = TracerCheck(BtfArg(info));
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", Napi::Boolean::New(env, v.ok));
  if (!v.ok) {
    o.Set("code", JsString(env, v.code));
    o.Set("reason", JsString(env, v.reason));
  }
  return o;
}

Napi::Value TracerStartJs(const Napi::CallbackInfo& info) {
  bool parts[kPartCount];
  Parts(info.Length() > 0 && info[0].IsObject() ? info[0].As<Napi::Object>().Get("parts") : info.Env().Undefined(), parts);
  auto* w = new StartWorker(info.Env(), BtfArg(info), parts, false);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value TracerStopJs(const Napi::CallbackInfo& info) {
  bool parts[kPartCount];
  Parts(info.Length() > 0 && info[0].IsObject() ? info[0].As<Napi::Object>().Get("parts") : info.Env().Undefined(), parts);
  auto* w = new StartWorker(info.Env(), "", parts, true);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value TracerReadJs(const Napi::CallbackInfo& info) {
  auto* w = new ReadWorker(info.Env());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value TracerStatusJs(const Napi::CallbackInfo& info) { return StatusJs(info.Env(), TracerGetStatus()); }

}  // namespace bpf
}  // namespace ipci
