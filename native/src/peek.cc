// Non-consuming peeks at one fd of another process, each on a thread of its own (ThreadWorker):
// tee() a pipe into a private pipe; recv(MSG_PEEK) on a pidfd_getfd duplicate of a socket; the
// queue counts of a pseudo-terminal end (TIOCINQ) on a duplicate of its fd — a terminal cannot be
// read without consuming, so only how much waits is told.
// The fd is whatever the holder has put there *now*, so neither peek trusts the number: the pipe
// is reached through an O_PATH handle whose type and dev:inode are checked before the one reopen
// (fdhandle.h), and only through a read-mode fd (opening a pipe that has no reader would make one
// appear: a FIFO writer blocked in open() would be released); the socket is duplicated only while
// its link still names that socket, and the duplicate must be a socket of that inode.
#include "napi_helpers.h"
#include "fdhandle.h"
#include "pipetask.h"
#include "threadworker.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace ipci {
namespace {

constexpr size_t kMaxPeek = 1u << 30;
// How long a peek waits for a pipe's lock (taken for microseconds, unless its holder keeps it)
// before it gives up: within the caller's deadline (PEEK_DEADLINE_MS, 5 s).
constexpr int kPipeLockMs = 3000;

size_t ArgMaxBytes(const Napi::CallbackInfo& info, size_t i) {
  double d = ArgNumber(info, i, "maxBytes");
  if (!(d >= 0)) ThrowType(info.Env(), "maxBytes must be >= 0");
  return d > static_cast<double>(kMaxPeek) ? kMaxPeek : static_cast<size_t>(d);
}

/** st_dev of anonymous pipes: every one lives on the single pipefs superblock. */
bool PipefsDev(unsigned& major, unsigned& minor) {
  int pp[2];
  if (pipe2(pp, O_CLOEXEC) != 0) return false;
  struct statx sx;
  bool ok = StatNoSync(pp[0], sx);
  close(pp[0]);
  close(pp[1]);
  major = sx.stx_dev_major;
  minor = sx.stx_dev_minor;
  return ok;
}

class PipePeekWorker : public ThreadWorker {
 public:
  PipePeekWorker(Napi::Env env, int pid, int fd, double inode, int devMajor, int devMinor, size_t maxBytes)
      : ThreadWorker(env, "ipcInspectorPipePeek"), pid_(pid), fd_(fd), inode_(static_cast<uint64_t>(inode)), devMajor_(devMajor), devMinor_(devMinor), maxBytes_(maxBytes) {}

 protected:
  void Execute() override {
    char dir[40], name[16];
    snprintf(dir, sizeof dir, "/proc/%d/fd", pid_);
    snprintf(name, sizeof name, "%d", fd_);
    std::string path = std::string(dir) + "/" + name;
    Fd fdDir(open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fdDir.ok()) return err_.set(errno, "open", dir);
    unsigned major, minor;
    if (devMajor_ >= 0) {
      major = static_cast<unsigned>(devMajor_);
      minor = static_cast<unsigned>(devMinor_);
    } else if (!PipefsDev(major, minor)) {
      return err_.set(errno, "pipe2");
    }
    // 1. A handle to what the fd is now, without opening it.
    Fd handle(OpenTargetHandle(fdDir.get(), name));
    if (!handle.ok()) return err_.set(errno, "open", path);
    struct statx sx;
    if (!StatNoSync(handle.get(), sx)) return err_.set(errno, "statx", path);
    if (!S_ISFIFO(sx.stx_mode) || sx.stx_ino != inode_ || sx.stx_dev_major != major || sx.stx_dev_minor != minor) {
      return err_.set(ESTALE, "statx", path);  // the holder put something else behind this fd number
    }
    // 2. Still a read end of that pipe after the handle was taken: then the pipe had a reader, and
    //    our reopen adds one beside it instead of creating the first.
    if (!(LinkMode(fdDir.get(), name) & 1)) return err_.set(EBADF, "lstat", path);
    struct statx again;
    if (statx(fdDir.get(), name, AT_STATX_DONT_SYNC, STATX_TYPE | STATX_INO, &again) != 0) return err_.set(errno, "statx", path);
    if (again.stx_ino != sx.stx_ino || again.stx_dev_major != major || again.stx_dev_minor != minor) return err_.set(ESTALE, "statx", path);
    // 3. The same inode, opened read-only and non-blocking, its fill read and its bytes tee()d
    //    into a pipe of ours: in a task of their own (pipetask.h), since each waits for the pipe's
    //    lock, which its holder can keep for good.
    int pp[2];
    if (pipe2(pp, O_NONBLOCK | O_CLOEXEC) != 0) return err_.set(errno, "pipe2");
    Fd pr(pp[0]), pw(pp[1]);
    PipeTeeResult tr;
    if (!TeePipe(handle.get(), pw.get(), maxBytes_, makedev(major, minor), inode_, kPipeLockMs, tr)) return err_.set(ETIMEDOUT, "pipe lock", path);
    if (tr.err) return err_.set(tr.err, tr.step, path);
    buffered_ = tr.avail;
    capacity_ = tr.cap;
    if (tr.teed <= 0) return;
    const ssize_t t = tr.teed;
    data_.resize(static_cast<size_t>(t));
    size_t got = 0;
    while (got < data_.size()) {
      ssize_t r = read(pr.get(), data_.data() + got, data_.size() - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    data_.resize(got);
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("buffered", Napi::Number::New(env, buffered_));
    o.Set("capacity", Napi::Number::New(env, capacity_));
    o.Set("data", Napi::Buffer<char>::Copy(env, data_.data(), data_.size()));
    return o;
  }

 private:
  int pid_, fd_;
  uint64_t inode_;
  int devMajor_, devMinor_;
  size_t maxBytes_;
  int buffered_ = 0, capacity_ = 0;
  std::vector<char> data_;
};

class SocketPeekWorker : public ThreadWorker {
 public:
  SocketPeekWorker(Napi::Env env, int pid, int fd, double inode, size_t maxBytes)
      : ThreadWorker(env, "ipcInspectorSocketPeek"), pid_(pid), fd_(fd), inode_(static_cast<uint64_t>(inode)), maxBytes_(maxBytes) {}

 protected:
  void Execute() override {
    const char* what = "";
    Fd dup(DupHeldSocket(pid_, fd_, inode_, what));
    if (!dup.ok()) return err_.set(errno, what);
    // The owner must find its socket as it was. recv() takes a pending error (sock_error clears
    // sk_err) even under MSG_PEEK, and once the owner has set SO_PEEK_OFF every MSG_PEEK moves its
    // peek offset. getsockopt(SO_PEEK_OFF) and poll() tell both without changing anything (unlike
    // SO_ERROR, which clears the error it reports); either one and nothing is received.
    int off = -1;
    socklen_t ol = sizeof off;
    if (getsockopt(dup.get(), SOL_SOCKET, SO_PEEK_OFF, &off, &ol) == 0 && off >= 0) return err_.set(EBUSY, "SO_PEEK_OFF");
    struct pollfd pfd = {dup.get(), POLLIN, 0};
    int ready = poll(&pfd, 1, 0);
    if (ready > 0 && (pfd.revents & POLLERR)) return err_.set(EBUSY, "POLLERR");
    const bool readable = ready > 0 && (pfd.revents & POLLIN);
    // Datagrams and packets (raw IP and AF_PACKET sockets, SOCK_RAW, too): FIONREAD is the first one's length, 0 for an empty one as for an
    // empty queue, and a buffer shorter than it cuts it without a word. poll() tells whether one
    // is queued, MSG_TRUNC (with MSG_PEEK; on these types only: on a TCP socket it discards)
    // its whole length.
    int type = 0;
    socklen_t tl = sizeof type;
    const bool messages = getsockopt(dup.get(), SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && (type == SOCK_DGRAM || type == SOCK_SEQPACKET || type == SOCK_RAW);
    if (messages && !readable) return;
    // Size the buffer by what is queued (SIOCINQ), not by the caller's upper bound. Nothing queued:
    // no recv at all.
    int inq = 0;
    const bool counted = ioctl(dup.get(), FIONREAD, &inq) == 0;
    if (counted && inq == 0 && !messages) return;
    // Protocols with no FIONREAD: netlink (its length from a zero-length MSG_TRUNC peek, below) and
    // ICMP ping sockets (ENOTTY; ping_recvmsg returns what it copied, even under MSG_TRUNC).
    int domain = 0;
    socklen_t dl = sizeof domain;
    const bool netlink = getsockopt(dup.get(), SOL_SOCKET, SO_DOMAIN, &domain, &dl) == 0 && domain == AF_NETLINK;
    if (!counted && messages && netlink) {
      // A netlink socket has no FIONREAD: the first message's length from a zero-length peek
      // (MSG_TRUNC gives it whole). The buffer is then that long and no longer, because
      // netlink_recvmsg remembers the longest recv as the size of the holder's later dump buffers
      // (max_recvmsg_len): a longer one than the holder's own would change what its dumps bring.
      ssize_t l;
      do {
        l = recv(dup.get(), nullptr, 0, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
      } while (l < 0 && errno == EINTR);
      if (l < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) return err_.set(errno, "recv");
        return;
      }
      if (l == 0) {
        first_ = 0;
        return;
      }
      inq = l > INT32_MAX ? INT32_MAX : static_cast<int>(l);
    }
    if (inq < 0 || (inq == 0 && !messages)) inq = 64 * 1024;
    size_t want2 = static_cast<size_t>(inq) < maxBytes_ ? static_cast<size_t>(inq) : maxBytes_;
    // A ping socket says neither the length nor, under MSG_TRUNC, the whole length: the datagram is
    // peeked whole into a buffer of the largest one, and cut to the caller's bound here.
    const bool whole = messages && !counted && !netlink;
    if (whole) want2 = 64 * 1024;
    data_.resize(want2 ? want2 : 1);
    ssize_t r;
    do {
      r = recv(dup.get(), data_.data(), want2, MSG_PEEK | MSG_DONTWAIT | (messages ? MSG_TRUNC : 0));
    } while (r < 0 && errno == EINTR);
    if (messages && r >= 0) {
      first_ = static_cast<double>(r);
      if (whole && static_cast<size_t>(r) > maxBytes_) r = static_cast<ssize_t>(maxBytes_);
      if (static_cast<size_t>(r) > want2) r = static_cast<ssize_t>(want2);
    }
    if (r < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) return err_.set(errno, "recv");
      r = 0;
    }
    data_.resize(static_cast<size_t>(r));
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Buffer<char> b = Napi::Buffer<char>::Copy(env, data_.data(), data_.size());
    if (first_ >= 0) b.Set("firstMessageBytes", Napi::Number::New(env, first_));
    return b;
  }

 private:
  int pid_, fd_;
  uint64_t inode_;
  size_t maxBytes_;
  std::vector<char> data_;
  double first_ = -1;  // the first datagram's or packet's whole length (-1: a stream, or none queued)
};

// A pty end's input queue: what a read of it would return now (TIOCINQ; on a slave in canonical
// mode, the complete lines). The duplicate is checked to be that end before the ioctl: a master is
// a ptmx (char 5:2) whose pty number (TIOCGPTN, read-only) is `index`; a slave is the char device
// of `index` on the devpts `devMajor:devMinor`. A duplicate's close is not the file's last (the
// holder keeps it), so it hangs nothing up.
class TtyQueueWorker : public ThreadWorker {
 public:
  TtyQueueWorker(Napi::Env env, int pid, int fd, bool master, int index, int devMajor, int devMinor)
      : ThreadWorker(env, "ipcInspectorTtyQueue"), pid_(pid), fd_(fd), master_(master), index_(index), devMajor_(devMajor), devMinor_(devMinor) {}

 protected:
  void Execute() override {
    int pidfd = OpenPidfd(pid_);
    if (pidfd < 0) return err_.set(errno, "pidfd_open");
    Fd dup(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd_, 0)));
    int saved = errno;
    close(pidfd);
    if (!dup.ok()) return err_.set(saved, "pidfd_getfd");
    struct stat st;
    if (fstat(dup.get(), &st) != 0) return err_.set(errno, "fstat");
    if (!S_ISCHR(st.st_mode)) return err_.set(ESTALE, "fstat");
    unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
    if (master_) {
      unsigned n = 0;
      if (maj != 5 || min != 2) return err_.set(ESTALE, "fstat");
      if (ioctl(dup.get(), TIOCGPTN, &n) != 0) return err_.set(errno, "ioctl TIOCGPTN");
      if (static_cast<int>(n) != index_) return err_.set(ESTALE, "ioctl TIOCGPTN");
    } else {
      long idx = maj >= 136 && maj <= 143 ? static_cast<long>(maj - 136) * 0x100000 + min : -1;
      if (idx != index_) return err_.set(ESTALE, "fstat");
      // (devMajor -1: the snapshot did not know the instance)
      if (devMajor_ >= 0 && (static_cast<int>(major(st.st_dev)) != devMajor_ || static_cast<int>(minor(st.st_dev)) != devMinor_)) return err_.set(ESTALE, "fstat");
    }
    if (ioctl(dup.get(), TIOCINQ, &inq_) != 0) return err_.set(errno, "ioctl TIOCINQ");
  }

  Napi::Value Settle(Napi::Env env) override {
    Napi::Object o = Napi::Object::New(env);
    o.Set("inq", Napi::Number::New(env, inq_));
    return o;
  }

 private:
  int pid_, fd_;
  bool master_;
  int index_, devMajor_, devMinor_;
  int inq_ = 0;
};

}  // namespace

// ttyQueue(pid, fd, master, index, devMajor, devMinor) → Promise<{ inq }>; a master's devpts is not checked (its fd is ptmx's).
Napi::Value TtyQueue(const Napi::CallbackInfo& info) {
  int pid = ArgInt(info, 0, "pid");
  int fd = ArgInt(info, 1, "fd");
  if (pid <= 0 || fd < 0) ThrowType(info.Env(), "pid must be > 0 and fd >= 0");
  if (!info[2].IsBoolean()) ThrowType(info.Env(), "master must be a boolean");
  bool master = info[2].As<Napi::Boolean>().Value();
  int index = ArgInt(info, 3, "index");
  int devMajor = ArgInt(info, 4, "devMajor");
  int devMinor = ArgInt(info, 5, "devMinor");
  return (new TtyQueueWorker(info.Env(), pid, fd, master, index, devMajor, devMinor))->Start();
}

// pipePeek(pid, fd, inode, devMajor, devMinor, maxBytes): devMajor -1 = an anonymous pipe (pipefs).
Napi::Value PipePeek(const Napi::CallbackInfo& info) {
  HeldFdArgs h = ArgHeldFd(info, 0);
  int devMajor = ArgInt(info, 3, "devMajor");
  int devMinor = ArgInt(info, 4, "devMinor");
  size_t maxBytes = ArgMaxBytes(info, 5);
  return (new PipePeekWorker(info.Env(), h.pid, h.fd, h.inode, devMajor, devMinor, maxBytes))->Start();
}

// socketPeek(pid, fd, inode, maxBytes) → Promise<Buffer>, with `firstMessageBytes` for datagrams and packets
Napi::Value SocketPeek(const Napi::CallbackInfo& info) {
  HeldFdArgs h = ArgHeldFd(info, 0);
  size_t maxBytes = ArgMaxBytes(info, 3);
  return (new SocketPeekWorker(info.Env(), h.pid, h.fd, h.inode, maxBytes))->Start();
}

}  // namespace ipci
