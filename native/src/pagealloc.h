// An allocator for the walks' large, short-lived buffers (iterator records, fd columns, sock_diag
// rows): blocks of 64 KiB and more are pages of their own (mmap/munmap), smaller ones come from
// the C heap as usual. Why not malloc for the big ones: they are filled on short-lived or pool
// threads, each of which has its own glibc arena, and once any large block is freed glibc raises
// its mmap threshold, so later large blocks stay in those arenas after they are freed — measured
// at 50k fds, ~7 MiB kept per walk thread (45 MiB of arenas with the BPF walk, 27 with /proc).
// Pages of their own go back to the kernel the moment the vector lets go of them.
#pragma once

#include <cstddef>
#include <new>
#include <utility>
#include <vector>

#include <sys/mman.h>

namespace ipci {

template <typename T>
struct PageAllocator {
  using value_type = T;
  static constexpr size_t kPagesFrom = 64 * 1024;

  PageAllocator() noexcept = default;
  template <typename U>
  PageAllocator(const PageAllocator<U>&) noexcept {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kPagesFrom) return static_cast<T*>(::operator new(bytes));
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kPagesFrom) ::operator delete(p);
    else munmap(p, bytes);
  }
  // resize() leaves new elements default-initialized, not zeroed: every BigVec is written
  // (read, recv, push_back) before it is read, and new pages are zero already — zero-filling a
  // record buffer first was a memset plus its page faults ahead of the read (perf at 50k fds:
  // ~2 % of a snapshot's CPU in ReadFdIter alone).
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
  template <typename U>
  bool operator==(const PageAllocator<U>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const PageAllocator<U>&) const noexcept { return false; }
};

/** A std::vector whose large buffers are pages of their own (PageAllocator). */
template <typename T>
using BigVec = std::vector<T, PageAllocator<T>>;

}  // namespace ipci
