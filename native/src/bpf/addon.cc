// Module init of the BPF addon (ipc_inspector_bpf.node), built beside the main addon only when
// the build found clang, bpftool and libbpf (scripts/build-native.mjs). A separate module because
// it links libbpf.so: on a machine without libbpf only this one fails to load, and the main addon
// and the /proc walk carry on. No mutable globals besides each program's cached load and the
// stuck list of walk threads given up (timedreads.cc).
#include <bpf/libbpf.h>
#include <linux/types.h>
#include <napi.h>

#include "../errors.h"
#include "../napi_helpers.h"
#include "fditer.h"
#include "timedreads.h"
#include "../../bpf/walk.h"
#include "programs.h"  // generated: which native/bpf/*.bpf.c were compiled in

namespace ipci {
namespace bpf {

Napi::Value BpfWalk(const Napi::CallbackInfo& info);
// the live-activity tracer (tracer.cc)
Napi::Value TracerCheckJs(const Napi::CallbackInfo& info);
Napi::Value TracerStartJs(const Napi::CallbackInfo& info);
Napi::Value TracerStopJs(const Napi::CallbackInfo& info);
Napi::Value TracerReadJs(const Napi::CallbackInfo& info);
Napi::Value TracerStatusJs(const Napi::CallbackInfo& info);

namespace {

// Loads the walk program (cached) without walking: the verdict capabilities report.
class ProbeWorker : public PromiseWorker {
 public:
  ProbeWorker(Napi::Env env, std::string btf) : PromiseWorker(env, "ipcInspectorBpfProbe"), btf_(std::move(btf)) {}
  void Execute() override { load_ = LoadFdIter(btf_); }

 protected:
  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ok", Napi::Boolean::New(env, load_.verdict.ok));
    if (!load_.verdict.ok) {
      o.Set("code", JsString(env, load_.verdict.code));
      o.Set("reason", JsString(env, load_.verdict.reason));
    }
    o.Set("loadMs", Napi::Number::New(env, load_.loadMs));
    return o;
  }

 private:
  std::string btf_;
  FdIterLoad load_;
};

Napi::Value BpfProbe(const Napi::CallbackInfo& info) {
  std::string btf = "/sys/kernel/btf/vmlinux";
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value v = info[0].As<Napi::Object>().Get("btfPath");
    if (v.IsString()) btf = v.As<Napi::String>().Utf8Value();
  }
  auto* w = new ProbeWorker(info.Env(), btf);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// What this build embeds (compile-time facts; no syscall).
Napi::Value BpfStatus(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("libbpf", JsString(env, libbpf_version_string()));
  Napi::Object progs = Napi::Object::New(env);
  struct Program {
    const char* name;
    bool built;
  };
  static const Program kPrograms[] = {IPCI_BPF_PROGRAM_LIST};
  for (const Program& p : kPrograms) progs.Set(p.name, Napi::Boolean::New(env, p.built));
  o.Set("programs", progs);
#if IPCI_BPF_HAVE_WALK
  // bpfWalk takes anonRules (anon inode names up to this many bytes) and classCodes
  o.Set("anonNameMax", Napi::Number::New(env, IPCI_ANON_NAME_MAX));
  // and reports memfds (class IPCI_FD_MEMFD, its code at classCodes[7])
  o.Set("memfd", Napi::Boolean::New(env, true));
  // and pty masters and slaves (classes IPCI_FD_PTM / IPCI_FD_PTS, their codes at classCodes[8], [9])
  o.Set("pty", Napi::Boolean::New(env, true));
#endif
  return o;
}

// stuckWalks() → [{ pid, what, ms }]: this module's walk threads given up while blocked in a /proc
// read that have not returned yet (their pids are skipped by every BPF walk until they do).
Napi::Value StuckWalks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<StuckRead> list = StuckReads();
  const auto now = std::chrono::steady_clock::now();
  Napi::Array out = Napi::Array::New(env, list.size());
  for (uint32_t i = 0; i < list.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("pid", Napi::Number::New(env, list[i].pid));
    o.Set("what", JsString(env, list[i].what));
    o.Set("ms", Napi::Number::New(env, std::chrono::duration<double, std::milli>(now - list[i].since).count()));
    out.Set(i, o);
  }
  return out;
}

}  // namespace
}  // namespace bpf
}  // namespace ipci

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  using namespace ipci::bpf;
  exports.Set("bpfStatus", Napi::Function::New(env, BpfStatus, "bpfStatus"));
  exports.Set("bpfProbe", Napi::Function::New(env, BpfProbe, "bpfProbe"));
  exports.Set("bpfWalk", Napi::Function::New(env, BpfWalk, "bpfWalk"));
  exports.Set("stuckWalks", Napi::Function::New(env, StuckWalks, "stuckWalks"));
  exports.Set("tracerCheck", Napi::Function::New(env, TracerCheckJs, "tracerCheck"));
  exports.Set("tracerStart", Napi::Function::New(env, TracerStartJs, "tracerStart"));
  exports.Set("tracerStop", Napi::Function::New(env, TracerStopJs, "tracerStop"));
  exports.Set("tracerRead", Napi::Function::New(env, TracerReadJs, "tracerRead"));
  exports.Set("tracerStatus", Napi::Function::New(env, TracerStatusJs, "tracerStatus"));
  return exports;
}

NODE_API_MODULE(ipc_inspector_bpf, Init)
