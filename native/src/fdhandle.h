// Opening what another process's fd refers to without letting that process choose what we open.
//
// /proc/PID/fd/N is a magic link to whatever the fd is *now*: the holder can dup2 a device, a FUSE
// file or another user's FIFO over it between our readlink and our open, and a plain open() would
// then run that driver's ->open as us (root). So: openat(O_PATH) follows the link to the target and
// gives a handle without calling any ->open (checked here: type and inode through the handle match
// the target's; O_PATH|O_NOFOLLOW would give a handle to the magic link itself, which cannot be
// reopened); statx the handle with AT_STATX_DONT_SYNC (no FUSE/NFS round trip); only when type and
// dev:inode are the ones the caller saw, reopen that same inode through /proc/self/fd/H.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ipci {

/**
 * pidfd_open of a process, or of a thread that the walks list as one (a thread with an fd table
 * of its own, under its tid): a tid is refused without PIDFD_THREAD (EINVAL, ENOENT on newer
 * kernels; Linux >= 6.9 takes the flag). A thread's pidfd reaches that thread's fd table (pidfd_getfd) and signals the thread.
 */
inline int OpenPidfd(int pid) {
  constexpr unsigned kPidfdThread = O_EXCL;  // PIDFD_THREAD
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0 && (errno == EINVAL || errno == ENOENT) && pid > 0) {
    int saved = errno;
    fd = syscall(SYS_pidfd_open, pid, kPidfdThread);
    if (fd < 0) errno = saved;
  }
  return static_cast<int>(fd);
}

/**
 * A copy of another process's socket fd (pidfd_getfd), only while /proc/PID/fd/N still names
 * socket:[inode]: the readlink first (it touches nothing), so a FUSE file or a device swapped in
 * is never duplicated (closing such a copy runs its ->flush); then the copy itself is checked, as
 * the fd may have been swapped between the two. -1 with errno (ESTALE: not that socket any more)
 * and `what` the failing step.
 */
inline int DupHeldSocket(int pid, int fd, unsigned long long inode, const char*& what) {
  char path[48], want[40], link[64];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
  int wl = snprintf(want, sizeof want, "socket:[%llu]", inode);
  what = "readlink";
  ssize_t n = readlink(path, link, sizeof link);
  if (n < 0) return -1;
  if (n != wl || memcmp(link, want, static_cast<size_t>(wl)) != 0) {
    errno = ESTALE;
    return -1;
  }
  what = "pidfd_open";
  int pidfd = OpenPidfd(pid);
  if (pidfd < 0) return -1;
  what = "pidfd_getfd";
  int dup = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
  int saved = errno;
  close(pidfd);
  if (dup < 0) {
    errno = saved;
    return -1;
  }
  what = "fstat";
  struct stat st;
  if (fstat(dup, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_ino != inode) {
    close(dup);
    errno = ESTALE;
    return -1;
  }
  return dup;
}

/** O_PATH handle to the file a /proc/PID/fd/N link points at (no ->open runs), or -1 with errno. */
inline int OpenTargetHandle(int dirfd, const char* name) { return openat(dirfd, name, O_PATH | O_CLOEXEC); }

/** statx of an fd from the attribute cache (AT_STATX_DONT_SYNC): never a FUSE/NFS round trip. */
inline bool StatNoSync(int fd, struct statx& sx) {
  return statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO | STATX_MODE, &sx) == 0;
}

/** Re-opens the inode an O_PATH handle refers to: read-only, non-blocking, never a controlling tty. */
inline int ReopenReadOnly(int handle) {
  char path[40];
  snprintf(path, sizeof path, "/proc/self/fd/%d", handle);
  return open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/** ReopenReadOnly relative to an open /proc/self/fd directory (one path component to look up, for the walk's hot path). */
inline int ReopenReadOnlyAt(int selfFdDir, int handle) {
  char name[16];
  snprintf(name, sizeof name, "%d", handle);
  return openat(selfFdDir, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/** Read/write mode of the fd behind a /proc/PID/fd/N link (the link's S_IRUSR / S_IWUSR bits are
 *  the open file's f_mode): 1 read, 2 write, 3 both, 0 when the link is gone. */
inline unsigned LinkMode(int dirfd, const char* name) {
  struct stat lst;
  if (fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0) return 0;
  return ((lst.st_mode & S_IRUSR) ? 1u : 0u) | ((lst.st_mode & S_IWUSR) ? 2u : 0u);
}

}  // namespace ipci
