// An allocator for the walks' large, short-lived buffers (iterator records, fd columns, sock_diag
// rows): blocks of 64 KiB and more are pages of their own (mmap/munmap), smaller ones come from
// the C heap as usual. Why not malloc for the big ones: they are filled on short-lived or pool
// threads, each of which has its own glibc arena, and once any large block is freed glibc raises
// its mmap threshold, so later large blocks stay in those arenas after they are freed — measured
// at 50k fds, ~7 MiB kept per walk thread (45 MiB of arenas with the BPF walk, 27 with /proc).
// Pages of their own go back to the kernel once the vector lets go of them, unless the block pool
// below keeps them for the next walk.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

namespace ipci {

/**
 * Freed large blocks, kept for the next walk's buffers of the same size class, while a caller
 * asked for it (SetKeep, with the bound: the snapshot worker, which walks again and again; a
 * one-shot CLI run does not, and keeps nothing). Why: a refresh makes the same buffers again
 * (columns, sock_diag rows), and fresh pages fault in one by one, at 2–14 µs a fault on the VMs
 * measured (bench: floor.c --fault-cost). The policy (when, how much) is core/native.ts's
 * keepWalkBuffers. Bounded: maxBytes of blocks, kMaxBlocks of them, none over kMaxBlock (the
 * iterator's 16 MiB of records, in 2 MiB pages, faults little); the longest-kept make room for
 * newer ones, and a block unused for kMaxAge goes back to the kernel at the next Take.
 * Process-wide like malloc's own caches: both addons' walks and dumps share it (one instance: a
 * GNU unique symbol). Locked: V8 may free an external buffer on its sweeper thread.
 */
class BlockPool {
 public:
  static constexpr size_t kMaxBlock = size_t(4) << 20;
  static constexpr size_t kMaxBlocks = 48;
  static constexpr std::chrono::seconds kMaxAge{30};

  static BlockPool& Get() {
    static BlockPool pool;
    return pool;
  }

  /**
   * The size a large request is given: page-rounded, then up to a quarter of its power of two
   * (at most 25 % more address space, not memory: pages never written stay unbacked), so that a
   * walk's buffers, which vary a little between refreshes, land in the same few classes.
   */
  static size_t ClassOf(size_t bytes) {
    static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t b = (bytes + page - 1) / page * page;
    size_t top = 1;
    while (top <= b / 2) top <<= 1;
    const size_t step = top >= 4 * page ? top / 4 : page;
    return (b + step - 1) / step * step;
  }

  /** A kept block of exactly `bytes` (a class size), or null. */
  void* Take(size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    void* found = nullptr;
    for (size_t i = 0; i < n_;) {
      if (!found && blocks_[i].bytes == bytes) {
        found = blocks_[i].p;
        Remove(i);
      } else if (now - blocks_[i].at > kMaxAge) {
        munmap(blocks_[i].p, blocks_[i].bytes);
        Remove(i);
      } else {
        i++;
      }
    }
    return found;
  }

  /**
   * Keeps the block if asked to keep, making room by giving back the longest-kept blocks: the
   * newest are the likeliest to be asked for again (a machine whose counts grew asks for larger
   * classes; callers that walk in turn, such as the bench's steps, free each other's sizes). False:
   * the caller unmaps it.
   */
  bool Keep(void* p, size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!keep_ || bytes > kMaxBlock || bytes > maxBytes_) return false;
    while (n_ > 0 && (n_ == kMaxBlocks || total_ + bytes > maxBytes_)) DropOldest();
    blocks_[n_++] = {p, bytes, Clock::now()};
    total_ += bytes;
    return true;
  }

  /**
   * Keep freed blocks from now on, up to maxBytes (the longest-kept beyond it go back now), or not:
   * then every kept block goes back to the kernel. Returns the bytes kept before.
   */
  size_t SetKeep(bool keep, size_t maxBytes) {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t bytes = total_;
    keep_ = keep && maxBytes > 0;
    maxBytes_ = keep_ ? maxBytes : 0;
    while (n_ > 0 && total_ > maxBytes_) DropOldest();
    return bytes;
  }

  size_t Bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return total_;
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Block {
    void* p;
    size_t bytes;
    Clock::time_point at;
  };
  void Remove(size_t i) {
    total_ -= blocks_[i].bytes;
    blocks_[i] = blocks_[--n_];
  }
  void DropOldest() {
    size_t oldest = 0;
    for (size_t i = 1; i < n_; i++)
      if (blocks_[i].at < blocks_[oldest].at) oldest = i;
    munmap(blocks_[oldest].p, blocks_[oldest].bytes);
    Remove(oldest);
  }
  std::mutex mu_;
  bool keep_ = false;
  size_t maxBytes_ = 0;
  Block blocks_[kMaxBlocks];
  size_t n_ = 0, total_ = 0;
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
    const size_t size = BlockPool::ClassOf(bytes);
    if (void* kept = BlockPool::Get().Take(size)) return static_cast<T*>(kept);
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    const size_t bytes = n * sizeof(T);
    if (bytes < kPagesFrom) {
      ::operator delete(p);
      return;
    }
    const size_t size = BlockPool::ClassOf(bytes);
    if (!BlockPool::Get().Keep(p, size)) munmap(p, size);
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
