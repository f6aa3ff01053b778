// The C library's heap as glibc counts it over every arena (mallinfo2), for the benchmark's memory
// figures: what the process holds in malloc'd blocks, and what it holds free in the arenas (each
// thread that mallocs gets an arena of its own, and glibc keeps freed blocks there; see
// pagealloc.h for the walks' large buffers, which stay out of them).
#include "napi_helpers.h"

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

}  // namespace ipci
