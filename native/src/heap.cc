// The C library's heap: as glibc counts it over every arena (mallinfo2), for the benchmark's memory
// figures — what the process holds in malloc'd blocks, and what it holds free in the arenas (each
// thread that mallocs gets an arena of its own, and glibc keeps freed blocks there; see
// pagealloc.h for the walks' large buffers, which stay out of them) — and the thresholds that
// decide when glibc gives freed memory back (mallopt; the policy is in core/native.ts).
#include "napi_helpers.h"
#include "pagealloc.h"

#include <dlfcn.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ipci {

// mallocInfo() → { arena, mmap, inUse, free } bytes over every arena (mallinfo2), or null without glibc ≥ 2.33.
Napi::Value MallocInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 m = mallinfo2();
  try {
    Napi::Object o = Napi::Object::New(env);
    o.Set("arena", Napi::Number::New(env, static_cast<double>(m.arena)));
    o.Set("mmap", Napi::Number::New(env, static_cast<double>(m.hblkhd)));
    o.Set("inUse", Napi::Number::New(env, static_cast<double>(m.uordblks)));
    o.Set("free", Napi::Number::New(env, static_cast<double>(m.fordblks)));
    return o;
  } catch (const Napi::Error&) {
    return Napi::Value();  // the worker is being terminated: nobody reads the answer
  }
#else
  return env.Null();
#endif
}

// mallocThresholds(bytes) → true when glibc took both M_MMAP_THRESHOLD and M_TRIM_THRESHOLD;
// false without glibc. Fixing either also stops glibc's dynamic raising of them.
Napi::Value MallocThresholds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const int32_t b = ArgInt(info, 0, "bytes");
  if (b < 4096 || b > 32 * 1024 * 1024) throw Napi::RangeError::New(env, "bytes must be 4 KiB to 32 MiB");
#if defined(__GLIBC__)
  return Napi::Boolean::New(env, mallopt(M_MMAP_THRESHOLD, b) == 1 && mallopt(M_TRIM_THRESHOLD, b) == 1);
#else
  return Napi::Boolean::New(env, false);
#endif
}

// memoryPressure() → true when this thread's V8 isolate was told memory is wanted back (moderate
// pressure: incremental marking that reduces the footprint and shrinks the young generation at
// its end, on V8's own schedule; nothing runs to completion here). N-API has no such call. The two
// V8 functions are looked up at run time, not linked: the addon is N-API only, and a runtime
// without them (an Electron or Node whose V8 differs) must still load it — then this is a no-op.
Napi::Value MemoryPressure(const Napi::CallbackInfo& info) {
  using GetCurrent = void* (*)();
  using Notify = void (*)(void* isolate, int level);  // v8::Isolate::MemoryPressureNotification(MemoryPressureLevel)
  static const auto get = reinterpret_cast<GetCurrent>(dlsym(RTLD_DEFAULT, "_ZN2v87Isolate10GetCurrentEv"));
  static const auto notify = reinterpret_cast<Notify>(dlsym(RTLD_DEFAULT, "_ZN2v87Isolate26MemoryPressureNotificationENS_19MemoryPressureLevelE"));
  void* isolate = get && notify ? get() : nullptr;
  if (isolate) notify(isolate, 1 /* v8::MemoryPressureLevel::kModerate */);
  return Napi::Boolean::New(info.Env(), isolate != nullptr);
}

// blockPool(keep?, maxBytes?) → the bytes of freed large blocks kept for the next walk
// (pagealloc.h). With keep true, freed blocks are kept from now on, up to maxBytes (0–256 MiB);
// false, no longer, and the kept ones go back to the kernel (the bytes returned are those before).
Napi::Value BlockPoolBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BlockPool& pool = BlockPool::Get();
  if (info.Length() == 0 || info[0].IsUndefined()) return Napi::Number::New(env, static_cast<double>(pool.Bytes()));
  if (!info[0].IsBoolean()) ThrowType(env, "keep must be a boolean");
  const bool keep = info[0].As<Napi::Boolean>().Value();
  double maxBytes = 0;
  if (keep) {
    maxBytes = ArgNumber(info, 1, "maxBytes");
    if (!(maxBytes >= 0 && maxBytes <= 256.0 * 1024 * 1024)) throw Napi::RangeError::New(env, "maxBytes must be 0 to 256 MiB");
  }
  return Napi::Number::New(env, static_cast<double>(pool.SetKeep(keep, static_cast<size_t>(maxBytes))));
}

}  // namespace ipci
