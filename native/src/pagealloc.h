// An allocator for the walks' large, short-lived buffers (iterator records, fd columns, sock_diag
// rows): blocks of 64 KiB and more are pages of their own (mmap/munmap), smaller ones come from
// the C heap as usual. Why not malloc for the big ones: they are filled on short-lived or pool
// threads, each of which has its own glibc arena, and once any large block is freed glibc raises
// its mmap threshold, so later large blocks stay in those arenas after they are freed — measured
// at 50k fds, ~7 MiB kept per walk thread (45 MiB of arenas with the BPF walk, 27 with /proc).
// Pages of their own go back to the kernel the moment the vector lets go of them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

namespace ipci {

/**
 * Blocks of pages a walk let go of, kept for the next walk's buffers instead of going back to the
 * kernel at once. A fresh page costs a fault, and on these VMs a fault is 13–15 µs: a snapshot of
 * 50k fds took ~6,900 of them, ~40 % of its CPU, and a fifth of those were the walks' own columns
 * and buffers, the same sizes every refresh. Sizes are rounded up to a quarter octave so that a
 * refresh whose counts moved a little finds the blocks of the last one. What is kept is bounded
 * (keep_, oldest given back first), so a process that stopped walking holds at most that.
 */
class PagePool {
 public:

  static PagePool& Get() {
    static PagePool pool;
    return pool;
  }

  /** The block size a request of `bytes` (≥ 64 KiB) is served with: a quarter-octave step. */
  static size_t BlockSize(size_t bytes) {
    const int top = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes));
    const size_t step = size_t{1} << (top - 2);
    return (bytes + step - 1) / step * step;
  }

  void* Take(size_t bytes) {
    const size_t size = BlockSize(bytes);
    {
      std::lock_guard<std::mutex> lock(mu_);
      taken_++;
      for (size_t i = n_; i-- > 0;) {  // the newest first: its pages were touched last
        if (free_[i].size != size) continue;
        void* p = free_[i].p;
        kept_ -= free_[i].resident;
        std::move(free_ + i + 1, free_ + n_, free_ + i);
        n_--;
        reused_++;
        return p;
      }
    }
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }

  void Give(void* p, size_t bytes) noexcept {
    const size_t size = BlockSize(bytes);
    const size_t resident = Resident(p, size);
    std::unique_lock<std::mutex> lock(mu_);
    if (resident > keep_) {
      lock.unlock();
      munmap(p, size);
      return;
    }
    while (n_ == kMaxBlocks) UnmapOldest(lock);
    free_[n_++] = Block{p, size, resident};
    kept_ += resident;
    while (kept_ > keep_) UnmapOldest(lock);
  }

  /** Sets how many resident bytes the pool may keep (0: none, every block goes back at once). */
  void Limit(size_t bytes) noexcept {
    std::unique_lock<std::mutex> lock(mu_);
    keep_ = bytes;
    while (n_ > 0 && kept_ > keep_) UnmapOldest(lock);
    if (keep_ == 0) while (n_ > 0) UnmapOldest(lock);  // untouched blocks count 0 bytes
  }

  struct Stats {
    size_t limit, kept, blocks, taken, reused;
  };
  Stats Read() {
    std::lock_guard<std::mutex> lock(mu_);
    return {keep_, kept_, n_, taken_, reused_};
  }

 private:
  struct Block {
    void* p;
    size_t size;
    size_t resident;  // bytes of it in memory when it was given back
  };
  static constexpr size_t kMaxBlocks = 128;

  // What of a block is in memory: the walks reserve address space generously (a record buffer is
  // 16 MiB of which a walk of 50k fds touches 2), and only what is resident is worth keeping or
  // counts against the bound. Unknown (mincore failed): all of it.
  static size_t Resident(void* p, size_t size) noexcept {
    static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    unsigned char vec[4096];
    size_t resident = 0;
    for (size_t off = 0; off < size; off += sizeof vec * page) {
      const size_t len = std::min(size - off, sizeof vec * page);
      if (mincore(static_cast<char*>(p) + off, len, vec) != 0) return size;
      for (size_t i = 0; i < (len + page - 1) / page; i++) resident += (vec[i] & 1) * page;
    }
    return resident;
  }

  // The munmap runs outside the lock: it flushes TLBs on every core.
  void UnmapOldest(std::unique_lock<std::mutex>& lock) noexcept {
    const Block b = free_[0];
    std::move(free_ + 1, free_ + n_, free_);
    n_--;
    kept_ -= b.resident;
    lock.unlock();
    munmap(b.p, b.size);
    lock.lock();
  }
  std::mutex mu_;
  Block free_[kMaxBlocks];  // oldest first
  size_t n_ = 0;
  size_t keep_ = 0;
  size_t kept_ = 0;
  size_t taken_ = 0, reused_ = 0;
};

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
    void* p = PagePool::Get().Take(bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kPagesFrom) ::operator delete(p);
    else PagePool::Get().Give(p, bytes);
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
