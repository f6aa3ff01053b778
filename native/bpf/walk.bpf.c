// The fd walk as BPF iterators. iter/task_file: one read() of the iterator fd visits every open
// file of every process and emits a record (walk.h) for the IPC-relevant ones only — pipes, FIFOs,
// sockets, POSIX mqueue files, files under /dev/shm and the anon inodes userspace names (eventfd,
// signalfd: the names come from the TypeScript fd rules through the ipci_anon_names map), and
// terminals (pty masters and slaves, by device number) — with what /proc needs more syscalls for:
// the fd's open mode, a pipe's bytes in use and capacity from its pipe_inode_info (no open of a
// read end), and the d_path of path-bearing files (the text a readlink of /proc/PID/fd/N gives,
// " (deleted)" included), a pty master's index and its pair's devpts from its tty. It only reads kernel memory: nothing is opened, locked or changed, and
// nothing in it can block. iter/task: one record per process with what /proc/PID/stat, status
// and ns/net would say (comm, ppid, uid, tracer, start time, signal masks, SigQ, threads, netns),
// so the walk reads fewer /proc files per process.
//
// Kept lean on purpose (measured at 51k fds: every extra cache line costs): a socket row needs only
// its inode here, because sock_diag is read anyway for the sockets no process holds and for names
// (see native/bpf/README.md for the measurements) — and a Unix socket's scm_fds, only while a walk
// asks for it (unix_scm: ~150 ns more per fd).
//
// CO-RE: compiled once against the build machine's vmlinux.h, relocated by libbpf at load time.
// Fields are read by direct (BTF-typed) access, which the verifier turns into inline loads. No
// kprobes, no fentry, no __ksym data symbols (none of them work on the target kernels): pipes and
// FIFOs are told apart by i_mode and the superblock magic.
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "walk.h"

// GPL-compatible: bpf_seq_write and bpf_d_path are GPL-only helpers.
char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define S_IFREG 0100000
#define S_IFIFO 0010000
#define S_IFCHR 0020000

#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define MQUEUE_MAGIC 0x19800202
#define TMPFS_MAGIC 0x01021994
#define ANON_INODE_FS_MAGIC 0x09041934
#define DEVPTS_SUPER_MAGIC 0x1cd1
// The superblock of a kern_mount (include/linux/fs.h SB_KERNMOUNT): a tmpfs one is the kernel's
// internal shmem mount, where memfd_create puts every memfd; no tmpfs anyone mounts has it.
#define IPCI_SB_KERNMOUNT (1UL << 22)

// Set by the loader before load. page_size: F_GETPIPE_SZ is max_usage pages. devshm_dev: s_dev of
// the filesystem holding /dev/shm (kernel encoding), so its files are d_path-ed even when it is
// not a tmpfs; 0 = tmpfs files only.
const volatile __u32 page_size = 4096;
const volatile __u32 devshm_dev = 0;
// XORed into a fd table's address to make ipci_task_rec.files_id (no kernel address leaves the kernel).
const volatile __u64 files_salt = 0;

// The anon inode names (dentry names, `[eventfd]`) to report, set by userspace before each pass
// from the fd rules (native/src/bpf/fditer.cc AnonNames): the union of what every running walk
// asked for; a walk drops the rows of names it did not ask for itself. epoll, timerfd, inotify …
// fds are not emitted at all unless a rule names them.
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, IPCI_ANON_NAMES_MAX);
  __type(key, char[IPCI_ANON_KEY]);
  __type(value, __u32);
} ipci_anon_names SEC(".maps");

// Whether the pass reads Unix sockets' scm_fds (unix_scm): non-zero while a walk that asked for it
// runs (fditer.cc AcquireScmFds). Asked only while the diagnosis wants it: ~150 ns more per fd
// of the pass at 51k fds (bpf_stats), for a fact most refreshes do not need.
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} ipci_want_scm SEC(".maps");

// The open files (struct file) whose path a pass emitted, per pass (its session) and task: a later
// fd of the same task to the same file says which fd carries it (IPCI_F_PATH_SHARED) instead of
// repeating up to a page per fd. LRU: full, it forgets the oldest, and a forgotten file's path is
// emitted again (never a wrong one); old passes' entries age out the same way.
struct path_key {
  __u64 session;  // bpf_iter_meta's session_id: one per iterator read, so walks at once never mix
  __u64 file;
  __u32 owner;
  __u32 pad;
};

/** Paths shorter than this are emitted with every fd (walk.h IPCI_F_PATH_SHARED). */
#define IPCI_PATH_SHARE_MIN 128

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 16384);
  __type(key, struct path_key);
  __type(value, __u32);  // the fd whose record carries the path
} ipci_paths SEC(".maps");

struct scratch {
  struct ipci_fd_rec rec;
  // a path of up to IPCI_PATH_MAX - 1 bytes (what readlink of /proc/PID/fd/N gives at most), then
  // room for its zero pad
  char path[IPCI_PATH_MAX + 8];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct scratch);
} scratch_map SEC(".maps");

// One slot of the ring per bpf_loop call: the callback is verified once, where a loop of up to
// IPCI_PIPE_SLOTS iterations is verified iteration by iteration (measured: 247 ms of the program's
// load, every time a process loads it — a CLI run pays it whole).
struct pipe_sum {
  __u64 bufs;  // address of the ring's first pipe_buffer
  __u64 size, len_off;
  __u32 tail, mask, sum, partial;
};

static long pipe_slot(__u32 i, void *data) {
  struct pipe_sum *c = data;
  __u32 len = 0;
  if (bpf_probe_read_kernel(&len, sizeof len, (void *)(c->bufs + ((c->tail + i) & c->mask) * c->size + c->len_off)) != 0) {
    c->partial = 1;
    return 1;
  }
  c->sum += len;
  return 0;
}

// FIONREAD's sum over the occupied slots [tail, head) of the pipe ring (fs/pipe.c), read without
// the pipe mutex: a racing writer or reader makes it one moment's count, as FIONREAD's would be.
static __always_inline void pipe_state(struct pipe_inode_info *pipe, struct ipci_fd_rec *r) {
  if (!pipe) return;
  unsigned int head = pipe->head;
  unsigned int tail = pipe->tail;
  unsigned int ring = pipe->ring_size;
  struct pipe_buffer *bufs = pipe->bufs;
  r->capacity = pipe->max_usage * page_size;
  r->flags |= IPCI_F_PIPE_STATE;
  // the open files of either end the kernel counts, wherever they are: an end sent over a Unix
  // socket and not received yet is in no fd table, and still counted here
  if (pipe->readers == 0) r->flags |= IPCI_F_PIPE_NO_READER;
  if (pipe->writers == 0) r->flags |= IPCI_F_PIPE_NO_WRITER;
  unsigned int used = head - tail;
  if (used == 0) return;
  if (ring == 0 || (ring & (ring - 1)) != 0 || !bufs || used > IPCI_PIPE_SLOTS) {
    r->flags |= IPCI_F_PIPE_PARTIAL;
    return;
  }
  __u64 size = bpf_core_type_size(struct pipe_buffer);
  __u64 len_off = bpf_core_field_offset(struct pipe_buffer, len);
  // bpf_loop where the kernel has it (5.17); the constant is libbpf's, so the verifier sees only
  // one of the two ways
  if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
    struct pipe_sum c = {.bufs = (__u64)bufs, .size = size, .len_off = len_off, .tail = tail, .mask = ring - 1};
    bpf_loop(used, pipe_slot, &c, 0);
    if (c.partial) r->flags |= IPCI_F_PIPE_PARTIAL;
    else r->buffered = c.sum;
    return;
  }
  __u32 sum = 0;
  for (unsigned int i = 0; i < IPCI_PIPE_SLOTS && i < used; i++) {
    __u32 len = 0;
    // a variable index into the ring: the verifier allows that only through a helper read
    if (bpf_probe_read_kernel(&len, sizeof len, (void *)bufs + ((tail + i) & (ring - 1)) * size + len_off) != 0) {
      r->flags |= IPCI_F_PIPE_PARTIAL;
      return;
    }
    sum += len;
  }
  r->buffered = sum;
}

#define IPCI_AF_UNIX 1
#define IPCI_SOCK_DGRAM 2
#define IPCI_TCP_ESTABLISHED 1
#define IPCI_TCP_LISTEN 10

// A Unix socket's scm_fds as its fdinfo prints it (net/unix/af_unix.c unix_show_fdinfo): a
// datagram socket's or a connected one's count of files sent to it (SCM_RIGHTS) and not received
// yet, 0 for other states; a listener's is left unread (the kernel sums its pending connections'
// queues under their locks). The diagnosis asks this of every socket that could hold one: read
// here, it is one pass's answer for all of them, where fdinfo was a read per socket.
static __always_inline void unix_scm(struct file *file, struct ipci_fd_rec *r) {
  if (!bpf_core_field_exists(struct unix_sock, scm_stat)) return;
  struct socket *sock = (struct socket *)file->private_data;
  if (!sock) return;
  struct sock *sk = BPF_CORE_READ(sock, sk);
  if (!sk || BPF_CORE_READ(sk, __sk_common.skc_family) != IPCI_AF_UNIX) return;
  unsigned char state = BPF_CORE_READ(sk, __sk_common.skc_state);
  if (state == IPCI_TCP_LISTEN) return;
  if (BPF_CORE_READ(sock, type) == IPCI_SOCK_DGRAM || state == IPCI_TCP_ESTABLISHED) r->buffered = BPF_CORE_READ((struct unix_sock *)sk, scm_stat.nr_fds.counter);
  r->flags |= IPCI_F_SCM_FDS;
}

// A pty master's pair, read from its tty: a ptmx opened as a terminal has a tty_file_private as
// its private_data (an O_PATH fd has none: no flags, the row says nothing of a pair); the master
// tty's index is the pair's, and its link (the slave tty) has the slave's devpts dentry as its
// driver_data (drivers/tty/pty.c ptmx_open), whose superblock is the devpts instance — exactly
// the one the kernel chose when the master was opened, which the /proc walk can only infer.
static __always_inline void pty_master(struct file *file, struct ipci_fd_rec *r) {
  struct tty_file_private *priv = BPF_CORE_READ(file, private_data);
  if (!priv) return;
  struct tty_struct *tty = BPF_CORE_READ(priv, tty);
  if (!tty) return;
  r->buffered = BPF_CORE_READ(tty, index);
  r->flags |= IPCI_F_PTY_INDEX;
  struct tty_struct *slave = BPF_CORE_READ(tty, link);
  if (!slave) return;
  struct dentry *d = BPF_CORE_READ(slave, driver_data);
  if (!d) return;
  struct super_block *sb = BPF_CORE_READ(d, d_sb);
  if (!sb || BPF_CORE_READ(sb, s_magic) != DEVPTS_SUPER_MAGIC) return;
  r->capacity = BPF_CORE_READ(sb, s_dev);
  r->flags |= IPCI_F_PTY_DEVPTS;
}

// An eventfd's and a signalfd's state (fs/eventfd.c, fs/signalfd.c: private to those files, in
// the kernel's BTF all the same), for the fdinfo lines the rules read: CO-RE flavors.
struct eventfd_ctx___ipci {
  __u64 count;
  unsigned int flags;
  int id;
} __attribute__((preserve_access_index));
struct signalfd_ctx___ipci {
  sigset_t sigmask;
} __attribute__((preserve_access_index));
#define IPCI_EFD_SEMAPHORE 1

// What eventfd_show_fdinfo and signalfd_show_fdinfo print, from private_data (the dentry name,
// `name` of length n, says which file it is: anon_inode_getfile's name): userspace writes the
// lines itself (bpfwalk.cc), where this kernel prints them as it expects, and reads no
// /proc/PID/fdinfo/N for these files. The count is read without the wait queue's lock that
// fdinfo takes: an aligned 64-bit load, one moment's value either way.
static __always_inline void anon_facts(struct file *file, const char *name, long n, struct ipci_fd_rec *r) {
  if (n == 9 && name[0] == '[' && name[1] == 'e' && name[2] == 'v' && name[3] == 'e' && name[4] == 'n' && name[5] == 't' &&
      name[6] == 'f' && name[7] == 'd' && name[8] == ']') {
    struct eventfd_ctx___ipci *e = BPF_CORE_READ(file, private_data);
    if (!e || !bpf_core_field_exists(e->id)) return;
    r->ino = BPF_CORE_READ(e, count);
    r->buffered = BPF_CORE_READ(e, id);
    if (BPF_CORE_READ(e, flags) & IPCI_EFD_SEMAPHORE) r->flags |= IPCI_F_EFD_SEMAPHORE;
    r->flags |= IPCI_F_ANON_FACTS;
  } else if (n == 10 && name[0] == '[' && name[1] == 's' && name[2] == 'i' && name[3] == 'g' && name[4] == 'n' && name[5] == 'a' &&
             name[6] == 'l' && name[7] == 'f' && name[8] == 'd' && name[9] == ']') {
    struct signalfd_ctx___ipci *c = BPF_CORE_READ(file, private_data);
    if (!c) return;
    r->ino = BPF_CORE_READ(c, sigmask.sig[0]);
    r->flags |= IPCI_F_ANON_FACTS;
  }
}

// The file at `fd` of a task's fd table, as a number (0: none or unreadable). Read through probe
// reads: the table can be replaced (grown) meanwhile, and a stale read is one moment's answer.
static __always_inline __u64 file_at(struct task_struct *t, __u32 fd) {
  struct files_struct *files = BPF_CORE_READ(t, files);
  if (!files) return 0;
  struct fdtable *fdt = BPF_CORE_READ(files, fdt);
  if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds)) return 0;
  struct file **arr = BPF_CORE_READ(fdt, fd);
  __u64 f = 0;
  if (!arr || bpf_probe_read_kernel(&f, sizeof f, arr + fd) != 0) return 0;
  return f;
}

// The maps pass (defined below), first in the object: libbpf loads programs in the order of their
// sections, so a kernel that refuses the bpf_d_path variant refuses it before verifying anything
// else, and the load that follows verifies each program once (the other order verified the two fd
// programs twice there: ~0.1 s of every load on 6.18.44).
static __always_inline int maps_pass(struct bpf_iter__task *ctx, const int dpath);

SEC("iter/task")
int ipci_task_maps(struct bpf_iter__task *ctx) { return maps_pass(ctx, 1); }

// The same pass with paths of its own (own_path), loaded where the verifier refuses the first:
// not loaded by default ("?").
SEC("?iter/task")
int ipci_task_maps_own(struct bpf_iter__task *ctx) { return maps_pass(ctx, 0); }

SEC("iter/task_file")
int ipci_task_file(struct bpf_iter__task_file *ctx) {
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *task = ctx->task;
  struct file *file = ctx->file;
  if (!task || !file) return 0;
  // The kernel already skips threads sharing their leader's table. A thread with a table of its
  // own (unshare(CLONE_FILES): any user can hide fds there from /proc/PID/fd) is emitted under
  // its tid, as its own "process" (ipci_task says which it is).
  __u32 owner = task->tgid;
  if (task->pid != task->tgid) {
    struct task_struct *leader = task->group_leader;
    if (leader && leader->files == task->files) return 0;
    owner = task->pid;
    // Its table began as a copy of the process's: an fd that is still the same open file (the
    // same struct file) at the same number as the process's is the process's, emitted under it
    // once — else each thread that unshares emits all its process's fds again (any user can
    // start thousands). The /proc walk asks kcmp(KCMP_FILE) the same. (Leader gone: no table.)
    if (leader) {
      __u64 mine = file_at(task, ctx->fd);
      if (mine != 0 && mine == file_at(leader, ctx->fd)) return 0;
    }
  }

  struct inode *inode = file->f_inode;
  if (!inode) return 0;
  __u32 fmt = inode->i_mode & S_IFMT;
  // anon inodes have no type bits (0600), or S_IFREG on kernels that give them one
  if (fmt != S_IFIFO && fmt != S_IFSOCK && fmt != S_IFREG && fmt != S_IFCHR && fmt != 0) return 0;
  struct super_block *sb = inode->i_sb;
  if (!sb) return 0;
  __u32 magic = (__u32)sb->s_magic;
  __u32 sdev = sb->s_dev;

  __u8 kind;
  int want_path = 0;
  if (magic == ANON_INODE_FS_MAGIC) {
    kind = IPCI_FD_ANON;  // if userspace asked for its name (checked below)
  } else if (fmt == 0) {
    return 0;
  } else if (fmt == S_IFCHR) {
    // terminals only: a ptmx (5:2) is a pty master, the Unix98 slave majors (136–143) its slaves
    __u32 rdev = inode->i_rdev;
    __u32 major = rdev >> 20, minor = rdev & 0xfffff;
    if (major == 5 && minor == 2) kind = IPCI_FD_PTM;
    else if (major >= 136 && major <= 143) kind = IPCI_FD_PTS;
    else return 0;
    want_path = 1;  // the link text the /proc walk reads (a /dev/ptmx master's devpts is found from it there)
  } else if (fmt == S_IFIFO) {
    kind = magic == PIPEFS_MAGIC ? IPCI_FD_PIPE : IPCI_FD_FIFO;
    want_path = kind == IPCI_FD_FIFO;
  } else if (fmt == S_IFSOCK) {
    if (magic != SOCKFS_MAGIC) return 0;  // an O_PATH fd of a socket's path, not a socket
    kind = IPCI_FD_SOCKET;
  } else if (magic == MQUEUE_MAGIC) {
    kind = IPCI_FD_MQUEUE;
    want_path = 1;
  } else if (magic == TMPFS_MAGIC && (sb->s_flags & IPCI_SB_KERNMOUNT)) {
    kind = IPCI_FD_MEMFD;  // if its path says so (checked below)
    want_path = 1;
  } else if (magic == TMPFS_MAGIC || (devshm_dev != 0 && sdev == devshm_dev)) {
    kind = IPCI_FD_DEVSHM;  // if its path says so (checked below)
    want_path = 1;
  } else {
    return 0;
  }

  __u32 zero = 0;
  struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
  if (!s) return 0;
  struct ipci_fd_rec *r = &s->rec;
  __builtin_memset(r, 0, sizeof *r);
  r->tgid = owner;
  r->fd = ctx->fd;
  r->ino = inode->i_ino;
  r->dev = sdev;
  r->magic = magic;
  r->kind = kind;
  r->f_mode = file->f_mode & 3;
  if (fmt == S_IFIFO) pipe_state(inode->i_pipe, r);
  else if (kind == IPCI_FD_SOCKET) {
    __u32 *want = bpf_map_lookup_elem(&ipci_want_scm, &zero);
    if (want && *want) unix_scm(file, r);
  }
  if (kind == IPCI_FD_PTM || kind == IPCI_FD_PTS) {
    r->ino = inode->i_rdev;
    if (kind == IPCI_FD_PTM) {
      struct vfsmount *vm = file->f_path.mnt;
      struct mount *m = vm ? (struct mount *)((char *)vm - bpf_core_field_offset(struct mount, mnt)) : 0;
      r->magic = m ? BPF_CORE_READ(m, mnt_id) : 0;  // what fdinfo's mnt_id says
      pty_master(file, r);
    }
  }
  if (want_path && inode->i_nlink == 0 && kind != IPCI_FD_PTM && kind != IPCI_FD_PTS) r->flags |= IPCI_F_UNLINKED;

  long n = 0;
  if (kind == IPCI_FD_ANON) {
    // the dentry name anon_inodefs_dname prints after "anon_inode:", NUL-padded: the map's key
    const unsigned char *name = file->f_path.dentry ? file->f_path.dentry->d_name.name : 0;
    if (!name) return 0;
    __builtin_memset(s->path, 0, IPCI_ANON_KEY);
    n = bpf_probe_read_kernel_str(s->path, IPCI_ANON_KEY, name);
    if (n <= 1 || n > IPCI_ANON_NAME_MAX + 1) return 0;  // empty, unreadable, or too long (maybe truncated)
    if (!bpf_map_lookup_elem(&ipci_anon_names, s->path)) return 0;
    n--;  // the length counts the NUL
    anon_facts(file, s->path, n, r);
  } else if (want_path && kind != IPCI_FD_PTM && kind != IPCI_FD_PTS) {
    struct path_key pk = {.session = ctx->meta->session_id, .file = (__u64)file, .owner = owner};
    __u32 *carrier = bpf_map_lookup_elem(&ipci_paths, &pk);
    // (itself: its record did not fit the read's buffer, and the kernel runs this fd again in
    // the next read, which must carry the path then)
    if (carrier && *carrier != ctx->fd) {
      r->flags |= IPCI_F_PATH_SHARED;
      r->magic = *carrier;
      r->path_len = 0;
      bpf_seq_write(seq, r, sizeof *r);
      return 0;
    }
    n = bpf_d_path((struct path *)&file->f_path, s->path, IPCI_PATH_MAX);
    if (n <= 0) {
      if (kind == IPCI_FD_DEVSHM || kind == IPCI_FD_MEMFD) return 0;
      r->flags |= IPCI_F_PATH_ERROR;
      n = 0;
    } else {
      n--;  // d_path's length counts the NUL
      if (kind == IPCI_FD_DEVSHM) {
        const char *p = s->path;
        if (n < 10 || p[0] != '/' || p[1] != 'd' || p[2] != 'e' || p[3] != 'v' || p[4] != '/' || p[5] != 's' || p[6] != 'h' ||
            p[7] != 'm' || p[8] != '/')
          return 0;
      } else if (kind == IPCI_FD_MEMFD) {
        const char *p = s->path;
        if (n < 7 || p[0] != '/' || p[1] != 'm' || p[2] != 'e' || p[3] != 'm' || p[4] != 'f' || p[5] != 'd' || p[6] != ':') return 0;
      }
      // (a short path costs less to repeat than the map costs to remember: the workload's FIFOs
      // are tens of bytes; what another user can multiply is a long one)
      if (n >= IPCI_PATH_SHARE_MIN) {
        __u32 fd = ctx->fd;
        bpf_map_update_elem(&ipci_paths, &pk, &fd, BPF_ANY);
      }
    }
  } else if (want_path) {
    // a pty end: the kernel's own short name (/dev/pts/N, /dev/ptmx)
    n = bpf_d_path((struct path *)&file->f_path, s->path, IPCI_PATH_MAX);
    if (n <= 0) {
      r->flags |= IPCI_F_PATH_ERROR;
      n = 0;
    } else {
      n--;  // d_path's length counts the NUL
    }
  }
  // every length d_path gives (up to IPCI_PATH_MAX - 1): a path the /proc walk's readlink reads is
  // never dropped here (a limit 8 bytes lower lost FIFOs with 4089–4095-byte paths)
  if (n < 0 || n > IPCI_PATH_MAX - 1) n = 0;
  r->path_len = n;
  bpf_seq_write(seq, r, sizeof *r);
  if (n > 0) {
    // zero the pad, so no byte of an earlier record's path follows this one
    for (int i = 0; i < 8; i++) {
      __u32 at = (__u32)n + i;
      if (at < sizeof s->path) s->path[at] = 0;
    }
    __u32 padded = (n + 7) & ~7;
    if (padded > IPCI_PATH_MAX) padded = IPCI_PATH_MAX;
    bpf_seq_write(seq, s->path, padded);
  }
  return 0;
}

#define PF_KTHREAD 0x00200000

// Before 5.14 the task state was `long state` (then renamed __state): a flavor for CO-RE.
struct task_struct___pre514 {
  long state;
} __attribute__((preserve_access_index));
#define SIG_IGN 1
#define RLIMIT_SIGPENDING 11

// The 64 dispositions one bpf_loop call each (the callback is verified once; 64 unrolled reads
// were ~100 ms of verifier time at every load).
struct sig_scan {
  __u64 action;  // address of sighand->action[0]
  __u64 size, handler_off;
  __u64 ign, cgt;
};

// NSpid: pid->numbers[0..level].nr, one bpf_loop call per level (the loop's exits, one per depth,
// multiplied what the verifier walked after it: ~50 ms of every load).
struct nspid_scan {
  __u64 numbers;  // address of pid->numbers[0]
  __u64 size, nr_off;
  __u32 level, ok;
  __u32 nr[8];
};

static long nspid_slot(__u32 i, void *data) {
  struct nspid_scan *c = data;
  if (i > c->level || i >= 8) return 1;
  int nr = 0;
  if (bpf_probe_read_kernel(&nr, sizeof nr, (void *)(c->numbers + i * c->size + c->nr_off)) != 0) {
    c->ok = 0;
    return 1;
  }
  __u32 k = i;
  barrier_var(k);  // keep the mask: the compiler would drop it after the check above, the verifier not
  c->nr[k & 7] = nr;
  return 0;
}

static long sig_slot(__u32 i, void *data) {
  struct sig_scan *c = data;
  __u64 h = 0;
  if (bpf_probe_read_kernel(&h, sizeof h, (void *)(c->action + i * c->size + c->handler_off)) != 0) return 1;
  if (h == SIG_IGN) c->ign |= 1ULL << (i & 63);
  else if (h != 0) c->cgt |= 1ULL << (i & 63);
  return 0;
}

SEC("iter/task")
int ipci_task(struct bpf_iter__task *ctx) {
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *t = ctx->task;
  if (!t) return 0;
  // one record per process (its thread-group leader), and per thread with an fd table of its own
  __u32 own_table = 0;
  if (t->pid != t->tgid) {
    struct task_struct *leader = t->group_leader;
    if (!leader || leader->files == t->files || !t->files) return 0;
    own_table = 1;
  }
  struct ipci_task_rec r;
  __builtin_memset(&r, 0, sizeof r);
  r.tgid = own_table ? t->pid : t->tgid;
  r.leader = t->tgid;
  if (own_table) {
    r.flags |= IPCI_T_THREAD;
    __u64 files = 0;  // the pointer as a number (the verifier allows no arithmetic on a typed pointer)
    bpf_probe_read_kernel(&files, sizeof files, &t->files);
    r.files_id = files ^ files_salt;
  }
  if (bpf_core_field_exists(t->__state)) r.state = t->__state;
  else r.state = ((struct task_struct___pre514 *)t)->state;
  r.exit_state = t->exit_state;
  r.pf_flags = t->flags;
  r.start_ns = t->start_boottime;
  bpf_probe_read_kernel_str(r.comm, sizeof r.comm, t->comm);
  if (t->flags & PF_KTHREAD) r.flags |= IPCI_T_KTHREAD;
  struct task_struct *parent = t->real_parent;
  if (parent) r.ppid = parent->tgid;
  // TracerPid: ptrace_parent() is ->parent while ->ptrace is set; /proc prints its pid (a thread id)
  if (t->ptrace) {
    struct task_struct *tracer = t->parent;
    if (tracer) r.tracer = tracer->pid;
  }
  const struct cred *cred = t->real_cred;
  if (cred) {
    r.uid = cred->uid.val;
    r.euid = cred->euid.val;
  }
  // NSpid: pid->numbers[0..level].nr (status prints them from the reader's level, ours is 0)
  struct pid *pid = t->thread_pid;
  if (pid) {
    unsigned int level = pid->level;
    if (level < 8 && bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
      struct nspid_scan c = {
          .numbers = (__u64)pid + bpf_core_field_offset(struct pid, numbers),
          .size = bpf_core_type_size(struct upid),
          .nr_off = bpf_core_field_offset(struct upid, nr),
          .level = level,
          .ok = 1,
      };
      bpf_loop(level + 1, nspid_slot, &c, 0);
      if (c.ok) {
        __builtin_memcpy(r.nspid, c.nr, sizeof r.nspid);
        r.nspid_n = level + 1;
        r.flags |= IPCI_T_NSPID;
      }
    } else if (level < 8) {
      void *numbers = (void *)pid + bpf_core_field_offset(struct pid, numbers);
      __u64 upid = bpf_core_type_size(struct upid);
      __u64 nr_off = bpf_core_field_offset(struct upid, nr);
      int ok = 1;
      for (unsigned int i = 0; i < 8; i++) {
        if (i > level) break;
        int nr = 0;
        if (bpf_probe_read_kernel(&nr, sizeof nr, numbers + i * upid + nr_off) != 0) ok = 0;
        r.nspid[i] = nr;
      }
      if (ok) {
        r.nspid_n = level + 1;
        r.flags |= IPCI_T_NSPID;
      }
    }
  }
  struct nsproxy *ns = t->nsproxy;
  if (ns) {
    struct net *net = ns->net_ns;
    if (net) {
      r.netns_ino = net->ns.inum;
      r.flags |= IPCI_T_NETNS;
    }
    struct ipc_namespace *ipc = ns->ipc_ns;
    if (ipc) {
      r.ipcns_ino = ipc->ns.inum;
      r.flags |= IPCI_T_IPCNS;
    }
    struct mnt_namespace *mnt = ns->mnt_ns;
    if (mnt) {
      r.mntns_ino = mnt->ns.inum;
      r.flags |= IPCI_T_MNTNS;
    }
  }
  // whether a bound socket's absolute name is one of its chroot's (core/probes/mountNamespaces.ts
  // rooted()): readlink of /proc/PID/root per holder costs the main thread ~8 ms a snapshot at 3,000
  // processes; a root the reader shares (the same mount and dentry) reads "/" and needs none
  struct fs_struct *fs = t->fs;
  struct task_struct *me = bpf_get_current_task_btf();
  struct fs_struct *mine = me ? me->fs : 0;
  if (fs && mine && fs->root.mnt == mine->root.mnt && fs->root.dentry == mine->root.dentry) r.flags |= IPCI_T_OWN_ROOT;
  struct signal_struct *sig = t->signal;
  struct sighand_struct *sh = t->sighand;
  // /proc reads the signal facts under the sighand lock, and prints zeros when there is none
  // (a process that has fully exited): then the walk reads /proc for this process instead.
  if (sig && sh && r.exit_state == 0) {
    r.sig_pnd = t->pending.signal.sig[0];
    r.sig_shd = sig->shared_pending.signal.sig[0];
    r.sig_blk = t->blocked.sig[0];
    r.threads = sig->nr_threads;
    if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
      struct sig_scan c = {
          .action = (__u64)sh + bpf_core_field_offset(struct sighand_struct, action),
          .size = bpf_core_type_size(struct k_sigaction),
          .handler_off = bpf_core_field_offset(struct k_sigaction, sa.sa_handler),
      };
      bpf_loop(64, sig_slot, &c, 0);
      r.sig_ign = c.ign;
      r.sig_cgt = c.cgt;
    } else {
#pragma unroll
      for (int i = 0; i < 64; i++) {
        __u64 h = (__u64)sh->action[i].sa.sa_handler;
        if (h == SIG_IGN) r.sig_ign |= 1ULL << i;
        else if (h != 0) r.sig_cgt |= 1ULL << i;
      }
    }
    r.sigq_limit = sig->rlim[RLIMIT_SIGPENDING].rlim_cur;
    if (sig->posix_timers.first) r.flags |= IPCI_T_TIMERS;
    if (bpf_core_field_exists(sig->ignored_posix_timers) && sig->ignored_posix_timers.first) r.flags |= IPCI_T_TIMERS;
    // SigQ: the real uid's count of queued signals (ucounts; kernels without it: /proc is read)
    struct ucounts *uc = cred ? cred->ucounts : 0;
    if (uc && bpf_core_field_exists(uc->rlimit) && bpf_core_enum_value_exists(enum rlimit_type, UCOUNT_RLIMIT_SIGPENDING)) {
      __u64 idx = bpf_core_enum_value(enum rlimit_type, UCOUNT_RLIMIT_SIGPENDING);
      long q = 0;
      if (idx < 16 && bpf_probe_read_kernel(&q, sizeof q, (void *)uc + bpf_core_field_offset(struct ucounts, rlimit) + idx * sizeof(long)) == 0) {
        r.sigq = q;
        r.flags |= IPCI_T_FACTS;
      }
    }
  }
  bpf_seq_write(seq, &r, sizeof r);
  return 0;
}

// ---- maps: the mappings the snapshot needs, without /proc/PID/maps ----

#define HUGETLBFS_MAGIC 0x958458f6
#define IPCI_VM_MAYSHARE 0x80 /* maps prints it as the 's' of the perms */

// Open-coded VMA iterator (kernel >= 6.7). It takes the mmap lock with a trylock, so a process
// whose lock is held (a page fault on a hung FUSE or NFS mount) costs a BUSY record, not a stall;
// iter/task_vma would block the whole pass on it.
extern int bpf_iter_task_vma_new(struct bpf_iter_task_vma *it, struct task_struct *task, __u64 addr) __weak __ksym;
extern struct vm_area_struct *bpf_iter_task_vma_next(struct bpf_iter_task_vma *it) __weak __ksym;
extern void bpf_iter_task_vma_destroy(struct bpf_iter_task_vma *it) __weak __ksym;

struct vma_scratch {
  struct ipci_vma_rec rec;
  char path[IPCI_PATH_MAX];
  /* own_path builds a path backwards here, ending at IPCI_PATH_MAX (room for a name past a masked index) */
  char tmp[2 * IPCI_PATH_MAX];
  /* the task's shared file lines so far: in map memory, not a register, so that the verifier
     sees one loop state, not one per count ("the sequence of 8193 jumps is too complex") */
  __u32 files;
  /* bytes written for the task so far, in map memory for the same reason: compared with a bound,
     a register counter stays precise and every count is a state of its own (the loop verifies in
     4,041 instructions with this and plen here, 13,339 with this one in a register, 42,185 with
     both there: ~0.3 s of every program load) */
  __u32 written;
  /* the current line's path length: read back (volatile) where it is used, so that the prefix
     checks' comparisons of it do not split the states of the rest of the body by its range */
  __u32 plen;
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct vma_scratch);
} vma_scratch_map SEC(".maps");

static __always_inline int starts(const char *p, long n, const char *w, int wn) {
  if (n < wn) return 0;
  for (int i = 0; i < wn; i++)
    if (p[i] != w[i]) return 0;
  return 1;
}

// The paths KeepMapsLines keeps and the snapshot reads: SysV shm, /dev/shm files, shared /dev/zero,
// hugetlb and memfd objects (the userspace side applies the 's' rule for the last three) — 1 —, and
// shared mappings of any other file outside /dev (`shared`: VM_MAYSHARE, what maps prints as 's')
// — 2: a process's first IPCI_VMA_FILE_LINES of those (KeepMapsLines keeps as many).
static __always_inline int wanted_path(const char *p, long n, int shared) {
  if (starts(p, n, "/SYSV", 5) || starts(p, n, "/dev/shm/", 9) || starts(p, n, "/dev/zero", 9) || starts(p, n, "/anon_hugepage", 14) ||
      starts(p, n, "/memfd:", 7))
    return 1;
  return shared && n > 0 && p[0] == '/' && !starts(p, n, "/dev/", 5) ? 2 : 0;
}

// A file on a mount no namespace has (MNT_NS_INTERNAL, ERR_PTR(-EINVAL): clone_private_mount's)
// of a file system people mount: an overlayfs layer's file, which an overlay mapping holds in place
// of the overlay's own. Its path and inode are the layer's; maps prints the overlay's
// (file_user_path, file_user_inode). Every pseudo file system (kern_mount) is on an internal mount
// too, and marked SB_NOUSER: an io_uring ring, the libaio ring `/[aio] (deleted)`, a dma-buf or
// secretmem mapping is none of those.
#define IPCI_SB_NOUSER (1UL << 31)
static __always_inline int backing_file(struct file *f) {
  struct vfsmount *vm = f->f_path.mnt;
  if (!vm) return 0;
  struct super_block *sb = f->f_inode ? f->f_inode->i_sb : 0;
  if (!sb || (sb->s_flags & IPCI_SB_NOUSER)) return 0;
  struct mount *m = (struct mount *)((char *)vm - bpf_core_field_offset(struct mount, mnt));
  long ns = (long)BPF_CORE_READ(m, mnt_ns);
  return ns == -22;
}

#define AIO_RING_MAGIC 0xa10a10a1

// d_path's prepend_path, one dentry or mount crossing per bpf_loop call (addresses, read with
// probe reads): from the file up to our root, or to the root of its mount tree.
struct path_walk {
  __u64 d, m;            // the dentry, and its struct mount
  __u64 root_d, root_m;  // our root (the reading process's fs->root)
  __u32 pos;             // where the path built so far starts in vma_scratch.tmp (it ends at IPCI_PATH_MAX)
  int status;            // 0 going on, 1 done, -1 not printable here
};

static long path_step(__u32 i, struct path_walk *c) {
  __u32 zero = 0;
  struct vma_scratch *s = bpf_map_lookup_elem(&vma_scratch_map, &zero);
  if (!s) {
    c->status = -1;
    return 1;
  }
  if (c->d == c->root_d && c->m == c->root_m) {
    c->status = 1;
    return 1;
  }
  struct mount *m = (struct mount *)c->m;
  struct dentry *d = (struct dentry *)c->d;
  if (c->d == (__u64)BPF_CORE_READ(m, mnt.mnt_root)) {
    __u64 parent = (__u64)BPF_CORE_READ(m, mnt_parent);
    if (parent != c->m) {
      c->d = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
      c->m = parent;
      return 0;
    }
    c->status = 1;  // the root of its mount tree: ours, another namespace's, or a detached one's
    return 1;
  }
  __u64 parent = (__u64)BPF_CORE_READ(d, d_parent);
  __u32 len = BPF_CORE_READ(d, d_name.len);
  const unsigned char *name = BPF_CORE_READ(d, d_name.name);
  if (parent == c->d || len == 0 || len > 255 || !name || c->pos < len + 1 + 64) {
    c->status = -1;  // escaped (d_path's case 3), or too long for the buffer
    return 1;
  }
  c->pos -= len;
  bpf_probe_read_kernel(s->tmp + (c->pos & (IPCI_PATH_MAX - 1)), len & 255, name);
  c->pos -= 1;
  s->tmp[c->pos & (IPCI_PATH_MAX - 1)] = '/';
  c->d = parent;
  return 0;
}

// A mapping's path as d_path prints it, where bpf_d_path cannot be used (some verifiers, 6.18.44's,
// call a vma's file an untrusted pointer, which bpf_d_path refuses). Into s->path; returns the
// length with the NUL, as bpf_d_path does; 0 for a file no line is wanted of (an anon_inode:
// name); -1 for one it cannot print (then the process's maps come from /proc/PID/maps):
// - a pseudo file of the shmem, hugetlbfs or aio internal mount (memfd:, SYSV, dev/zero,
//   anon_hugepage, [aio]) is its own root, and simple_dname names it: "/NAME (deleted)";
// - any other file: its dentries' names up to its mount's root, across mounts up to ours (or to the
//   root of a mount tree ours is not in), then " (deleted)" when it is unlinked.
static __always_inline long own_path(struct file *f, __u32 magic, struct vma_scratch *s) {
  if (magic == ANON_INODE_FS_MAGIC) return 0;  // "anon_inode:[…]": no wanted line starts so
  struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
  struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
  if (!d || !vm) return -1;
  struct mount *m = (struct mount *)((char *)vm - bpf_core_field_offset(struct mount, mnt));
  struct dentry *parent = BPF_CORE_READ(d, d_parent);
  long n;
  if (parent == d && d != BPF_CORE_READ(vm, mnt_root)) {
    if (magic != TMPFS_MAGIC && magic != HUGETLBFS_MAGIC && magic != AIO_RING_MAGIC) return -1;  // another d_dname
    const unsigned char *name = BPF_CORE_READ(d, d_name.name);
    if (!name) return -1;
    s->path[0] = '/';
    n = bpf_probe_read_kernel_str(s->path + 1, IPCI_PATH_MAX - 32, name);
    if (n <= 1) return -1;
    n++;  // the '/' before it: the length with the NUL, as below
  } else {
    struct task_struct *cur = bpf_get_current_task_btf();
    struct fs_struct *fs = BPF_CORE_READ(cur, fs);
    if (!fs) return -1;
    struct vfsmount *rvm = BPF_CORE_READ(fs, root.mnt);
    struct path_walk c = {
        .d = (__u64)d,
        .m = (__u64)m,
        .root_d = (__u64)BPF_CORE_READ(fs, root.dentry),
        .root_m = rvm ? (__u64)rvm - bpf_core_field_offset(struct mount, mnt) : 0,
        .pos = IPCI_PATH_MAX,
        .status = 0,
    };
    bpf_loop(64, path_step, &c, 0);
    if (c.status != 1) return -1;
    // (pos bounded first: the verifier knows nothing of what the loop left in it)
    const __u32 pos = c.pos;
    if (pos > IPCI_PATH_MAX || pos < 32) return -1;
    const __u32 len = IPCI_PATH_MAX - pos;
    if (len == 0) {
      s->path[0] = '/';  // the root itself
      n = 2;
    } else {
      if (bpf_probe_read_kernel(s->path, len & (IPCI_PATH_MAX - 1), s->tmp + (pos & (IPCI_PATH_MAX - 1))) != 0) return -1;
      n = len + 1;
    }
    // d_unlinked: unhashed (and not a root, which it is not here)
    if (BPF_CORE_READ(d, d_hash.pprev) != 0) {
      s->path[(n - 1) & (IPCI_PATH_MAX - 1)] = 0;
      return n;
    }
  }
  n--;  // the length without the NUL
  const char del[] = " (deleted)";
  for (int i = 0; i < 10; i++) s->path[(n + i) & (IPCI_PATH_MAX - 1)] = del[i];
  n += 10;
  s->path[n & (IPCI_PATH_MAX - 1)] = 0;
  return n + 1;
}

// own_path in a bpf_loop callback of one call: verified once, apart from the pass's loop, whose
// states its branches would multiply (inlined: 75,886 instructions verified, half a second a load).
struct own_ctx {
  __u64 file;
  __u32 magic;
  long n;
};

static long own_path_cb(__u32 i, struct own_ctx *c) {
  __u32 zero = 0;
  struct vma_scratch *s = bpf_map_lookup_elem(&vma_scratch_map, &zero);
  c->n = s ? own_path((struct file *)c->file, c->magic, s) : -1;
  return 1;
}

static __always_inline int maps_pass(struct bpf_iter__task *ctx, const int dpath) {
  struct seq_file *seq = ctx->meta->seq;
  struct task_struct *t = ctx->task;
  if (!t || t->pid != t->tgid) return 0;
  __u32 zero = 0;
  struct vma_scratch *s = bpf_map_lookup_elem(&vma_scratch_map, &zero);
  if (!s) return 0;
  struct ipci_vma_rec *r = &s->rec;
  __builtin_memset(r, 0, sizeof *r);
  r->tgid = t->tgid;
  r->flags = IPCI_V_HEADER;
  if (!t->mm) {
    // a kernel thread, or a leader that has exited while its threads run: /proc/PID/maps is empty
    // for it too (no mm to read), so a header alone — else every walk read ~50 kthreads' maps
    bpf_seq_write(seq, r, sizeof *r);
    return 0;
  }
  struct bpf_iter_task_vma it;
  if (bpf_iter_task_vma_new(&it, t, 0) != 0) {
    bpf_iter_task_vma_destroy(&it);
    r->flags |= IPCI_V_BUSY;
    bpf_seq_write(seq, r, sizeof *r);
    return 0;
  }
  bpf_seq_write(seq, r, sizeof *r);
  s->written = sizeof *r;
  s->files = 0;
  struct vm_area_struct *v;
  while ((v = bpf_iter_task_vma_next(&it))) {
    struct file *f = v->vm_file;
    if (!f) continue;
    struct inode *inode = f->f_inode;
    if (!inode) continue;
    struct super_block *sb = inode->i_sb;
    if (!sb) continue;
    __u32 magic = (__u32)sb->s_magic;
    __u32 sdev = sb->s_dev;
    const int shared = (v->vm_flags & IPCI_VM_MAYSHARE) != 0;
    const int shmfs = magic == TMPFS_MAGIC || magic == HUGETLBFS_MAGIC || (devshm_dev != 0 && sdev == devshm_dev);
    // elsewhere only a shared file's line is wanted, and none past the bound: no d_path for those
    // (a search index maps thousands of its files)
    if (!shmfs && (!shared || s->files >= IPCI_VMA_FILE_LINES)) continue;
    long n;
    if (dpath) {
      n = bpf_d_path((struct path *)&f->f_path, s->path, sizeof s->path);
    } else {
      struct own_ctx oc = {.file = (__u64)f, .magic = magic, .n = -1};
      bpf_loop(1, own_path_cb, &oc, 0);
      n = oc.n;
    }
    // A path longer than the buffer (ENAMETOOLONG: any user can nest directories that deep) or
    // too long to pad here, or one own_path cannot print: this process's maps come from
    // /proc/PID/maps, whose lines have no bound — dropping the line would hide a shared mapping
    // from the walk
    if (n == -36 || (n < 0 && !dpath) || n > IPCI_PATH_MAX - 7) {
      __builtin_memset(r, 0, sizeof *r);
      r->tgid = t->tgid;
      r->flags = IPCI_V_PROC;
      bpf_seq_write(seq, r, sizeof *r);
      break;
    }
    if (n <= 1) continue;
    n--;
    s->plen = n;
    const int want = wanted_path(s->path, *(volatile __u32 *)&s->plen, shared);
    if (!want) continue;
    if (want == 2 && s->files >= IPCI_VMA_FILE_LINES) continue;
    // only for a wanted line (an anon_inode:[io_uring] ring is never one), and any wanted line: a
    // /dev/shm file on an overlay root too
    if (!shmfs && backing_file(f)) {
      __builtin_memset(r, 0, sizeof *r);
      r->tgid = t->tgid;
      r->flags = IPCI_V_PROC;
      bpf_seq_write(seq, r, sizeof *r);
      break;
    }
    if (want == 2) s->files++;
    n = *(volatile __u32 *)&s->plen;
    if (n > IPCI_PATH_MAX - 8) break; /* (it was checked before: for the verifier) */
    if (s->written + 2 * sizeof *r + ((n + 7) & ~7) > IPCI_VMA_TASK_BYTES) {
      __builtin_memset(r, 0, sizeof *r);
      r->tgid = t->tgid;
      r->flags = IPCI_V_TRUNC;
      bpf_seq_write(seq, r, sizeof *r);
      break;
    }
    __builtin_memset(r, 0, sizeof *r);
    r->tgid = t->tgid;
    r->start = v->vm_start;
    r->end = v->vm_end;
    r->pgoff = v->vm_pgoff;
    r->vm_flags = v->vm_flags;
    r->ino = inode->i_ino;
    r->dev = sdev;
    r->path_len = n;
    bpf_seq_write(seq, r, sizeof *r);
    for (int i = 0; i < 8; i++) s->path[(n + i) & (IPCI_PATH_MAX - 1)] = 0;
    __u32 padded = (n + 7) & ~7;
    if (padded > IPCI_PATH_MAX) padded = IPCI_PATH_MAX;
    bpf_seq_write(seq, s->path, padded);
    s->written += sizeof *r + padded;
  }
  bpf_iter_task_vma_destroy(&it);
  return 0;
}
