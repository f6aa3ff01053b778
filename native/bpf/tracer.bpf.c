// Live activity: who writes how much to which IPC channel, and who sends which signal to whom.
// Tracepoints only (kprobes are compiled out and fentry is refused on the target kernels, and
// kernel function names drift: 6.18 has anon_pipe_write/fifo_pipe_write, no pipe_write):
//
//   tp_btf/sys_exit           read/write/readv/writev/preadv2/pwritev2/splice/tee/vmsplice/sendfile
//                             on pipes and FIFOs, msgsnd/msgrcv, mq_timedsend/mq_timedreceive. One
//                             probe at exit: x86's pt_regs still holds the arguments there, so the
//                             fd and the result come together (no enter/exit pairing map).
//   tp_btf/sock_send_length   every socket family's sendmsg (write, send, sendto, sendmsg,
//   tp_btf/sock_recv_length   sendmmsg, splice into a socket) and recvmsg: AF_UNIX (with the
//                             peer's inode), TCP and UDP.
//   tp_btf/signal_generate    every generated signal, into a ring buffer (streamed, not counted).
//
// Counting is aggregated here, not streamed: one per-CPU counter per (channel, process,
// direction) in an inner hash map of an array-of-maps. The reader swaps in the other inner map
// (the kernel waits for an RCU grace period on a map-in-map update, so no program still holds the
// old one), then drains the old one at leisure: nothing is lost between reads and nothing needs
// deleting while programs write. A full map, a full ring buffer and a full name map are counted
// in `lost` — never silently dropped.
//
// Peeks never count as traffic: recvmsg with MSG_PEEK and msgrcv with MSG_COPY are skipped.
// Pipes and FIFOs are told apart by i_mode and the superblock magic (no __ksym for pipefifo_fops).
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tracer.h"

// GPL-compatible: the ring buffer and bpf_get_current_task_btf are GPL-only helpers.
char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define S_IFMT 00170000
#define S_IFIFO 0010000
#define PIPEFS_MAGIC 0x50495045
#define MQUEUE_MAGIC 0x19800202

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_UDPLITE 136
#define IPPROTO_MPTCP 262
#define MSG_PEEK 2
#define MSG_COPY 040000
#define FMODE_WRITE 0x2

// Syscall numbers (the native ABI; 32-bit compat tasks are skipped below).
#if defined(__TARGET_ARCH_x86)
#define NR_read 0
#define NR_write 1
#define NR_readv 19
#define NR_writev 20
#define NR_sendfile 40
#define NR_msgsnd 69
#define NR_msgrcv 70
#define NR_mq_timedsend 242
#define NR_mq_timedreceive 243
#define NR_splice 275
#define NR_tee 276
#define NR_vmsplice 278
#define NR_preadv2 327
#define NR_pwritev2 328
#elif defined(__TARGET_ARCH_arm64)
#define NR_read 63
#define NR_write 64
#define NR_readv 65
#define NR_writev 66
#define NR_sendfile 71
#define NR_msgsnd 189
#define NR_msgrcv 188
#define NR_mq_timedsend 182
#define NR_mq_timedreceive 183
#define NR_splice 76
#define NR_tee 77
#define NR_vmsplice 75
#define NR_preadv2 286
#define NR_pwritev2 287
#else
#error "syscall numbers for this architecture are not listed"
#endif

// Entries of one generation (between two reads). Set by the loader before load.
#ifndef IPCI_COUNTERS_MAX
#define IPCI_COUNTERS_MAX 16384
#endif

struct counters_map {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, IPCI_COUNTERS_MAX);
  __type(key, struct ipci_act_key);
  __type(value, struct ipci_act_val);
};

// Two generations; slot 0 of `counters` names the one programs write to.
struct counters_map counters_a SEC(".maps");
struct counters_map counters_b SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 1);
  __type(key, __u32);
  __array(values, struct counters_map);
} counters SEC(".maps") = {
    .values = {[0] = &counters_a},
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, struct ipci_mq_key);
  __type(value, char[IPCI_MQ_NAME_MAX]);
} mq_names SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, IPCI_LOST_MAX);
  __type(key, __u32);
  __type(value, __u64);
} lost SEC(".maps");

// 8 MiB ≈ 87k records. The reader drains it every 50 ms; a wake-up is forced only past a quarter
// full, so a signal storm costs one reader wake-up per ~20k signals instead of one each.
#define IPCI_SIGNAL_RING (8 << 20)
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, IPCI_SIGNAL_RING);
} signals SEC(".maps");

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

static __always_inline void count_lost(__u32 what) {
  __u64 *n = bpf_map_lookup_elem(&lost, &what);
  if (n) *n += 1;
}

static __always_inline void count(struct ipci_act_key *k, __u64 bytes, __u64 peer) {
  __u32 zero = 0;
  void *inner = bpf_map_lookup_elem(&counters, &zero);
  if (!inner) return;
  struct ipci_act_val *v = bpf_map_lookup_elem(inner, k);
  if (v) {
    v->bytes += bytes;
    v->ops += 1;
    if (peer) v->peer = peer;
    return;
  }
  struct ipci_act_val nv = {.bytes = bytes, .ops = 1, .peer = peer};
  // another program on this CPU cannot interleave (no preemption here); EEXIST only if a nested
  // program (an interrupt) added the key meanwhile: add to that one then
  long err = bpf_map_update_elem(inner, k, &nv, BPF_NOEXIST);
  if (err == -17 /* EEXIST */) {
    v = bpf_map_lookup_elem(inner, k);
    if (v) {
      v->bytes += bytes;
      v->ops += 1;
    }
  } else if (err) {
    count_lost(IPCI_LOST_COUNTER_FULL);
  }
}

// The open file behind `fd` in the current task's table, or NULL.
static __always_inline struct file *fd_file(struct task_struct *t, unsigned long fd) {
  struct files_struct *files = t->files;
  if (!files) return NULL;
  struct fdtable *fdt = files->fdt;
  if (!fdt || fd >= fdt->max_fds) return NULL;
  struct file **arr = fdt->fd;
  struct file *f = NULL;
  if (bpf_probe_read_kernel(&f, sizeof f, &arr[fd]) != 0 || !f) return NULL;
  return bpf_rdonly_cast(f, bpf_core_type_id_kernel(struct file));
}

// A pipe or FIFO behind `fd`: fills kind/ino/dev and returns 1; 0 for anything else.
static __always_inline int pipe_key(struct task_struct *t, unsigned long fd, struct ipci_act_key *k, __u32 *fmode) {
  struct file *f = fd_file(t, fd);
  if (!f) return 0;
  struct inode *inode = f->f_inode;
  if (!inode || (inode->i_mode & S_IFMT) != S_IFIFO) return 0;
  struct super_block *sb = inode->i_sb;
  if (!sb) return 0;
  k->ino = inode->i_ino;
  if (sb->s_magic == PIPEFS_MAGIC) {
    k->kind = IPCI_ACT_PIPE;
    k->dev = 0;
  } else {
    k->kind = IPCI_ACT_FIFO;
    k->dev = sb->s_dev;
  }
  if (fmode) *fmode = f->f_mode;
  return 1;
}

// Whose fd table the fd is in, as the snapshot lists holders: the process (tgid), or a thread with
// a table of its own (unshare(CLONE_FILES)), which the walks list under its tid.
static __always_inline __u32 fd_owner(struct task_struct *t) {
  if (t->pid == t->tgid) return t->tgid;
  struct task_struct *leader = t->group_leader;
  return leader && leader->files != t->files ? t->pid : t->tgid;
}

static __always_inline void count_pipe(struct task_struct *t, unsigned long fd, __u8 dir, long bytes) {
  struct ipci_act_key k = {};
  if (!pipe_key(t, fd, &k, NULL)) return;
  k.tgid = fd_owner(t);
  k.dir = dir;
  count(&k, bytes, 0);
}

static __always_inline __u32 ipc_ns_inum(struct task_struct *t) {
  struct nsproxy *ns = t->nsproxy;
  if (!ns) return 0;
  struct ipc_namespace *ipc = ns->ipc_ns;
  return ipc ? ipc->ns.inum : 0;
}

static __always_inline void count_mq(struct task_struct *t, unsigned long fd, __u8 dir, long bytes) {
  struct file *f = fd_file(t, fd);
  if (!f) return;
  struct inode *inode = f->f_inode;
  if (!inode) return;
  struct super_block *sb = inode->i_sb;
  if (!sb || sb->s_magic != MQUEUE_MAGIC) return;
  struct ipc_namespace *ipc = bpf_rdonly_cast(sb->s_fs_info, bpf_core_type_id_kernel(struct ipc_namespace));
  struct ipci_act_key k = {};
  k.kind = IPCI_ACT_POSIX_MQ;
  k.ino = inode->i_ino;
  k.dev = ipc ? ipc->ns.inum : 0;
  k.tgid = fd_owner(t);
  k.dir = dir;
  count(&k, bytes, 0);
  struct ipci_mq_key nk = {.ino = k.ino, .dev = k.dev};
  if (bpf_map_lookup_elem(&mq_names, &nk)) return;
  // first sight of this queue: remember its name (the dentry's, as /dev/mqueue lists it)
  char name[IPCI_MQ_NAME_MAX] = {};
  struct dentry *d = f->f_path.dentry;
  if (!d) return;
  if (bpf_probe_read_kernel_str(name, sizeof name, d->d_name.name) <= 0) return;
  if (bpf_map_update_elem(&mq_names, &nk, name, BPF_NOEXIST) == -7 /* E2BIG: full */) count_lost(IPCI_LOST_MQ_NAME);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ipci_sys_exit, struct pt_regs *regs, long ret) {
  if (ret < 0) return 0;
#if defined(__TARGET_ARCH_x86)
  long nr = regs->orig_ax;
#else
  long nr = regs->syscallno;
#endif
  // the common case first: every other syscall of the machine leaves here
  if (nr != NR_write && nr != NR_read && nr != NR_writev && nr != NR_readv && nr != NR_splice && nr != NR_tee &&
      nr != NR_vmsplice && nr != NR_sendfile && nr != NR_pwritev2 && nr != NR_preadv2 && nr != NR_msgsnd &&
      nr != NR_msgrcv && nr != NR_mq_timedsend && nr != NR_mq_timedreceive)
    return 0;
  struct task_struct *t = bpf_get_current_task_btf();
#if defined(__TARGET_ARCH_x86)
  // a 32-bit task's numbers are the ia32 table's: not ours
  if (bpf_core_field_exists(t->thread_info.status) && (t->thread_info.status & 0x0002 /* TS_COMPAT */)) return 0;
  unsigned long a0 = regs->di, a2 = regs->dx, a4 = regs->r8;
#else
  unsigned long a0 = regs->orig_x0, a2 = regs->regs[2], a4 = regs->regs[4];
#endif
  switch (nr) {
    case NR_write:
    case NR_writev:
    case NR_pwritev2:
      if (ret > 0) count_pipe(t, a0, IPCI_DIR_SEND, ret);
      break;
    case NR_read:
    case NR_readv:
    case NR_preadv2:
      if (ret > 0) count_pipe(t, a0, IPCI_DIR_RECV, ret);
      break;
    case NR_splice:  // splice(fd_in, off_in, fd_out, off_out, len, flags): out of one pipe, into another
      if (ret > 0) {
        count_pipe(t, a0, IPCI_DIR_RECV, ret);
        count_pipe(t, a2, IPCI_DIR_SEND, ret);
      }
      break;
    case NR_tee:  // tee(fd_in, fd_out, …): copies into fd_out without consuming fd_in
      if (ret > 0) count_pipe(t, regs->si, IPCI_DIR_SEND, ret);
      break;
    case NR_sendfile:  // sendfile(out_fd, in_fd, …)
      if (ret > 0) {
        count_pipe(t, a0, IPCI_DIR_SEND, ret);
        count_pipe(t, regs->si, IPCI_DIR_RECV, ret);
      }
      break;
    case NR_vmsplice:  // into the pipe through a write end, out of it through a read end
      if (ret > 0) {
        struct ipci_act_key k = {};
        __u32 fmode = 0;
        if (!pipe_key(t, a0, &k, &fmode)) break;
        k.tgid = fd_owner(t);
        k.dir = (fmode & FMODE_WRITE) ? IPCI_DIR_SEND : IPCI_DIR_RECV;
        count(&k, ret, 0);
      }
      break;
    case NR_msgsnd: {  // msgsnd(msqid, msgp, msgsz, msgflg) returns 0
      struct ipci_act_key k = {.ino = (__u32)a0, .dev = ipc_ns_inum(t), .tgid = t->tgid, .kind = IPCI_ACT_SYSV_MSG, .dir = IPCI_DIR_SEND};
      count(&k, a2, 0);
      break;
    }
    case NR_msgrcv: {  // msgrcv(msqid, msgp, msgsz, msgtyp, msgflg) returns the bytes; MSG_COPY is a peek
      if (a4 & MSG_COPY) break;
      struct ipci_act_key k = {.ino = (__u32)a0, .dev = ipc_ns_inum(t), .tgid = t->tgid, .kind = IPCI_ACT_SYSV_MSG, .dir = IPCI_DIR_RECV};
      count(&k, ret, 0);
      break;
    }
    case NR_mq_timedsend:  // (mqdes, msg_ptr, msg_len, prio, timeout) returns 0
      count_mq(t, a0, IPCI_DIR_SEND, a2);
      break;
    case NR_mq_timedreceive:  // returns the bytes
      count_mq(t, a0, IPCI_DIR_RECV, ret);
      break;
  }
  return 0;
}

// The socket's inode (what /proc/PID/fd/N names as socket:[INODE]); 0 for kernel sockets.
static __always_inline __u64 sock_ino(struct sock *sk) {
  struct socket *sock = sk->sk_socket;
  if (!sock) return 0;
  struct file *f = sock->file;
  if (!f) return 0;
  struct inode *inode = f->f_inode;
  return inode ? inode->i_ino : 0;
}

static __always_inline void count_sock(struct sock *sk, int ret, __u8 dir) {
  __u16 family = sk->__sk_common.skc_family;
  __u8 kind;
  if (family == AF_UNIX) kind = IPCI_ACT_UNIX;
  else if (family == AF_INET || family == AF_INET6) {
    // (an MPTCP socket is a TCP channel, a UDP-Lite one a UDP channel, each marked in the
    // snapshot; an MPTCP socket's subflows send and receive inside the kernel, never through
    // sock_sendmsg/recvmsg, so its bytes are counted once, on the socket the program uses)
    __u16 proto = sk->sk_protocol;
    if (proto == IPPROTO_TCP || proto == IPPROTO_MPTCP) kind = IPCI_ACT_TCP;
    else if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE) kind = IPCI_ACT_UDP;
    else return;
  } else
    return;
  __u64 ino = sock_ino(sk);
  if (!ino) return;
  __u64 peer = 0;
  if (kind == IPCI_ACT_UNIX && dir == IPCI_DIR_SEND) {
    struct unix_sock *u = bpf_skc_to_unix_sock(sk);
    if (u && u->peer) peer = sock_ino(u->peer);
  }
  struct ipci_act_key k = {};
  k.ino = ino;
  k.kind = kind;
  k.dir = dir;
  k.tgid = fd_owner(bpf_get_current_task_btf());
  count(&k, ret, peer);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(ipci_sock_send, struct sock *sk, int ret, int flags) {
  if (ret <= 0 || !sk) return 0;
  count_sock(sk, ret, IPCI_DIR_SEND);
  return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(ipci_sock_recv, struct sock *sk, int ret, int flags) {
  if (ret <= 0 || !sk || (flags & MSG_PEEK)) return 0;
  count_sock(sk, ret, IPCI_DIR_RECV);
  return 0;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(ipci_signal, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result) {
  if (!task) return 0;
  struct ipci_sig_rec *r = bpf_ringbuf_reserve(&signals, sizeof *r, 0);
  if (!r) {
    count_lost(IPCI_LOST_SIGNAL_RING);
    return 0;
  }
  struct task_struct *cur = bpf_get_current_task_btf();
  r->boot_ns = bpf_ktime_get_boot_ns();
  r->sender_tgid = cur->tgid;
  r->sender_tid = cur->pid;
  r->sender_start = cur->group_leader->start_boottime;
  r->sender_uid = cur->real_cred->uid.val;
  bpf_probe_read_kernel(r->sender_comm, sizeof r->sender_comm, cur->group_leader->comm);
  r->target_tgid = task->tgid;
  r->target_tid = task->pid;
  r->target_start = task->group_leader->start_boottime;
  bpf_probe_read_kernel(r->target_comm, sizeof r->target_comm, task->group_leader->comm);
  r->sig = sig;
  r->group = group;
  r->result = result;
  r->flags = 0;
  r->code = 0;
  r->si_errno = 0;
  r->si_pid = 0;
  r->si_uid = 0;
  r->si_value = 0;
  // SEND_SIG_NOINFO (0) and SEND_SIG_PRIV (1) are not pointers (the tracepoint's own
  // TP_STORE_SIGINFO makes them SI_USER and SI_KERNEL)
  __u64 addr = 0;
  bpf_probe_read_kernel(&addr, sizeof addr, &ctx[1]);
  if (addr == 0) {
    r->flags = IPCI_SIG_NOINFO;
    r->code = 0;  // SI_USER
  } else if (addr == 1) {
    r->flags = IPCI_SIG_PRIV;
    r->code = 0x80;  // SI_KERNEL
  } else {
    struct kernel_siginfo *i = bpf_rdonly_cast((void *)addr, bpf_core_type_id_kernel(struct kernel_siginfo));
    r->code = i->si_code;
    r->si_errno = i->si_errno;
    r->si_pid = i->_sifields._kill._pid;
    r->si_uid = i->_sifields._kill._uid;
    r->si_value = i->_sifields._rt._sigval.sival_int;
  }
  __u64 queued = bpf_ringbuf_query(&signals, BPF_RB_AVAIL_DATA);
  bpf_ringbuf_submit(r, queued > IPCI_SIGNAL_RING / 4 ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
  return 0;
}
