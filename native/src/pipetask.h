// Pipe operations that wait for the pipe's lock, run in a task outside our thread group.
//
// Opening a pipe (fifo_open), FIONREAD, F_GETPIPE_SZ and tee() all take the pipe's mutex, in an
// uninterruptible sleep. Its holder can keep that mutex for as long as it likes: splice() from the
// pipe into a full blocking socket holds it while it waits for the socket to drain, and any user
// can set that up. A thread of ours that waits there is in D state: no deadline gets it back, and a
// process with such a thread cannot finish exiting (the CLI printed its table and never returned to
// the shell; even SIGKILL left it a zombie). So these calls run in a task cloned with CLONE_VM and
// CLONE_FILES but not CLONE_THREAD: it shares our memory, and it is a process of its own, so a
// process of ours that gives up on it can still exit. It unshares its fd table at once and closes
// all but the few fds it needs (copies of dups we keep until it is reaped): one stuck for good
// holds none of our fds open after we exit. The task makes raw system calls
// only (it shares the caller's thread pointer, so no errno, no libc), blocks every signal, does one
// list of pipes or one tee and exits. A task given up while stuck is kept in a list
// until it returns: the pipe it is stuck on is not tried again meanwhile (one task per wedged pipe,
// not one per scan), and the list is bounded. Where the task cannot be made (another architecture,
// clone refused), the calls are made here, as before.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ipci {

/** One pipe or FIFO to measure through the fd `fd` of `pid` (read-mode, of inode ino on device dev). */
struct PipeMeasureItem {
  int32_t pid;
  int32_t fd;
  uint64_t ino;
  uint64_t dev;
  void* tag;     // the caller's (where the result goes)
  int avail = -1;  // FIONREAD, -1 when not measured
  int cap = -1;    // F_GETPIPE_SZ, -1 when not measured
  uint32_t devMajor = 0, devMinor = 0;  // of dev, filled by MeasurePipes for the task
};

/**
 * Measures each item through rootFd's "PID/fd/N" (an O_PATH handle of the target, checked to be a
 * FIFO of that dev:inode behind a read-mode fd, reopened read-only and non-blocking through
 * /proc/self/fd), in order, until `deadline`. A task that does not move on for `stallMs` is given
 * up, its item left unmeasured, and a new one goes on with the next. Returns how many items were
 * given up that way.
 */
size_t MeasurePipes(int rootFd, std::vector<PipeMeasureItem>& items, std::chrono::steady_clock::time_point deadline, int stallMs);

struct PipeTeeResult {
  int err = 0;               // errno of the failing step, ETIMEDOUT when the task was given up
  const char* step = "";     // "open", "ioctl", "fcntl", "tee", or "pipe lock"
  int avail = 0;
  int cap = 0;
  long teed = 0;
};

/**
 * Reopens the FIFO behind the O_PATH handle `handle` read-only and non-blocking, reads its fill
 * and size, and tee()s up to maxBytes into our pipe `pw` (sized for them), within timeoutMs.
 * Returns false when the task was given up (ETIMEDOUT at step "pipe lock"; it works on copies of
 * `handle` and `pw`, so the caller closes its own as ever). EDEADLK: a task is still stuck on this
 * pipe, or too many on others; nothing was tried.
 */
bool TeePipe(int handle, int pw, size_t maxBytes, uint64_t dev, uint64_t ino, int timeoutMs, PipeTeeResult& r);

/** Whether a task given up earlier is still stuck on this pipe (dev:ino). */
bool PipeStuck(uint64_t dev, uint64_t ino);

}  // namespace ipci
