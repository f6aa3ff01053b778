/* Records the fd-walk iterator (walk.bpf.c) writes and the addon (src/bpf/bpfwalk.cc) reads: one
 * layout, included by both sides. A fixed 40-byte header, then `path_len` path bytes (no NUL)
 * padded with zeros to a multiple of 8. Integer types are the kernel's __u* so this compiles
 * against vmlinux.h (BPF side) and <linux/types.h> (user side). */
#ifndef IPCI_BPF_WALK_H
#define IPCI_BPF_WALK_H

/* ipci_fd_rec.kind: the IPC-relevant files (the values of FdKind in src/core/native.ts). */
#define IPCI_FD_PIPE 1
#define IPCI_FD_SOCKET 2
#define IPCI_FD_FIFO 3
#define IPCI_FD_MQUEUE 4
#define IPCI_FD_DEVSHM 5 /* a regular file whose path starts with /dev/shm/ */
#define IPCI_FD_ANON 6   /* a file on the anon inode filesystem whose name userspace asked for (ipci_anon_names):
                            its path bytes are the dentry name, `[eventfd]` (readlink: anon_inode:[eventfd]) */
#define IPCI_FD_MEMFD 7  /* a file on the kernel's internal shmem mount (SB_KERNMOUNT tmpfs) whose path starts with
                            /memfd: — a memfd (the path is d_path's /memfd:NAME (deleted)) */

#define IPCI_FD_PTM 8    /* a pty master: a char device 5:2 (a ptmx). ino is i_rdev (kernel encoding); magic the mount id of the
                            ptmx (fdinfo's mnt_id), buffered the tty index and capacity the s_dev of the pair's devpts (kernel
                            encoding), with IPCI_F_PTY_INDEX / IPCI_F_PTY_DEVPTS; the path is d_path's */
#define IPCI_FD_PTS 9    /* a pty slave: a char device of majors 136–143. ino is i_rdev (kernel encoding); the path is d_path's */

/* ipci_fd_rec.flags */
#define IPCI_F_PIPE_STATE 1   /* buffered/capacity read from the inode's pipe_inode_info */
#define IPCI_F_PIPE_PARTIAL 2 /* more occupied slots than the program sums: buffered unknown */
#define IPCI_F_PATH_ERROR 4   /* bpf_d_path failed (path_len 0) */
#define IPCI_F_UNLINKED 8     /* FIFO/mqueue/shm file: its inode has no name left (i_nlink 0); a name
                               * ending in " (deleted)" alone does not say so: any user can choose it */
#define IPCI_F_PTY_INDEX 16   /* pty master opened as a tty (private_data is its tty): buffered is tty->index */
#define IPCI_F_PTY_DEVPTS 32  /* pty master: capacity is the devpts of its slave (tty->link->driver_data, a devpts dentry) */
#define IPCI_F_SCM_FDS 64     /* Unix socket: buffered is fdinfo's scm_fds, the files (SCM_RIGHTS) waiting in its receive
                               * queue (kernels with unix_sock.scm_stat, 5.7); a listener's is not read (its queue holds
                               * connections, each with a queue of its own) */
#define IPCI_F_ANON_FACTS 128 /* an eventfd ([eventfd]): ino is its count, buffered its id; a signalfd ([signalfd]): ino is
                               * its ctx->sigmask (the complement of what fdinfo prints) — what their fdinfo shows */
#define IPCI_F_EFD_SEMAPHORE 256 /* with IPCI_F_ANON_FACTS, an eventfd made with EFD_SEMAPHORE */
#define IPCI_F_PIPE_NO_READER 1024 /* with IPCI_F_PIPE_STATE: the pipe's reader count is 0 (no open read file anywhere: fd
                                    * tables, files in flight over a Unix socket, the kernel's own) */
#define IPCI_F_PIPE_NO_WRITER 2048 /* with IPCI_F_PIPE_STATE: its writer count is 0 */
#define IPCI_F_PATH_SHARED 512   /* FIFO/mqueue/shm/memfd: the same open file (struct file) as an earlier fd of this task, whose
                                  * record carries the path: `magic` is that fd, no path bytes follow (another user can dup one
                                  * fd at a 4,094-byte path a million times: one copy of it per fd) */

/* Occupied pipe slots summed at most (a slot is one page by default; the default maximum pipe
 * size, 1 MiB, is 256 slots): a pipe holding more buffers says IPCI_F_PIPE_PARTIAL. */
#define IPCI_PIPE_SLOTS 1024

#define IPCI_PATH_MAX 4096

/* Keys of the ipci_anon_names map: an anon inode's dentry name, NUL-padded to IPCI_ANON_KEY bytes.
 * Names longer than IPCI_ANON_NAME_MAX are never emitted (a longer name read truncated could
 * otherwise match a shorter key). */
#define IPCI_ANON_KEY 32
#define IPCI_ANON_NAME_MAX 30
#define IPCI_ANON_NAMES_MAX 64 /* distinct names asked for at once (by every walk running) */

struct ipci_fd_rec {
  __u32 tgid;     /* whose fd table: the process's tgid, or the tid of a thread with a table of its own */
  __u32 fd;
  __u64 ino;      /* i_ino */
  __u32 dev;      /* i_sb->s_dev, kernel encoding (major << 20 | minor) */
  __u32 magic;    /* i_sb->s_magic */
  __u8 kind;      /* IPCI_FD_* */
  __u8 f_mode;    /* FMODE_READ 1 | FMODE_WRITE 2 */
  __u16 flags;    /* IPCI_F_* */
  __u16 path_len; /* path bytes after the header (0 = none) */
  __u16 pad;
  __u32 buffered; /* pipes/FIFOs: bytes in use, what FIONREAD answers */
  __u32 capacity; /* pipes/FIFOs: max_usage * PAGE_SIZE, what F_GETPIPE_SZ answers */
};

/* ipci_task_rec.flags */
#define IPCI_T_FACTS 1    /* comm..sigq below are the kernel's, as /proc/PID/stat and status print them */
#define IPCI_T_NETNS 2    /* netns_ino is set (nsproxy present) */
#define IPCI_T_TIMERS 4   /* the process has POSIX timers: /proc/PID/timers has lines */
#define IPCI_T_KTHREAD 8  /* a kernel thread (its /proc name is built from more than comm) */
#define IPCI_T_NSPID 16   /* nspid[0..nspid_n) is status's NSpid (pid namespaces nested at most 8 deep) */
#define IPCI_T_IPCNS 32   /* ipcns_ino is set (nsproxy present) */
#define IPCI_T_THREAD 64  /* not a process: a thread with an fd table of its own (unshare(CLONE_FILES)); tgid is its
                           * tid, leader its process's: /proc/TID/fd lists its table, /proc/PID/fd does not */
#define IPCI_T_MNTNS 128  /* mntns_ino is set (nsproxy present) */
#define IPCI_T_OWN_ROOT 256 /* its root directory is the reader's (same mount and dentry): /proc/PID/root reads "/" */

/* One record per thread-group leader, and per thread with an fd table of its own (iter/task): what /proc/PID/stat, status and ns/{net,ipc,mnt} say
 * about a process, read from its task_struct, so the walk needs fewer /proc reads per process. */
struct ipci_task_rec {
  __u32 tgid;
  __u32 ppid;          /* real_parent's tgid */
  __u32 uid;           /* real uid */
  __u32 tracer;        /* the ptrace parent's pid (TracerPid), 0 = none */
  __u64 start_ns;      /* start_boottime; stat's starttime = start_ns / (1e9 / USER_HZ) */
  __u64 sig_pnd;       /* SigPnd: the leader's private pending */
  __u64 sig_shd;       /* ShdPnd: the process's shared pending */
  __u64 sig_blk;       /* SigBlk */
  __u64 sig_ign;       /* SigIgn: handlers that are SIG_IGN */
  __u64 sig_cgt;       /* SigCgt: handlers that are neither SIG_DFL nor SIG_IGN */
  __u64 sigq;          /* SigQ before the '/': pending signals queued for the real uid */
  __u64 sigq_limit;    /* SigQ after the '/': RLIMIT_SIGPENDING soft limit */
  __u32 threads;
  __u32 netns_ino;
  __u32 state;         /* __state */
  __u32 exit_state;
  __u32 pf_flags;      /* task->flags */
  __u32 flags;         /* IPCI_T_* */
  char comm[16];
  __u32 nspid[8];      /* NSpid: the pid in each pid namespace, outermost first */
  __u32 nspid_n;
  __u32 ipcns_ino;     /* what ns/ipc names: SysV objects and POSIX queues are per IPC namespace */
  __u32 leader;        /* IPCI_T_THREAD: the thread-group leader's pid; else tgid */
  __u32 euid;          /* effective uid (status's second Uid): differs from uid in a setuid program */
  __u64 files_id;      /* IPCI_T_THREAD: its fd table (salted address): threads sharing one are listed once */
  __u32 mntns_ino;     /* what ns/mnt names: the mount namespace its paths (fd links, maps) are names in */
  __u32 pad;
};

/* iter/task (maps pass): per process with an mm, one ipci_vma_rec with IPCI_V_HEADER (and
 * IPCI_V_BUSY when its mmap lock was taken: then /proc/PID/maps is read instead), followed by one
 * record per mapping the snapshot uses — a file on shmem / hugetlbfs / the /dev/shm filesystem
 * whose path starts with /SYSV, /dev/shm/, /dev/zero, /anon_hugepage or /memfd:, or a shared
 * mapping of another file — each followed by its path (the d_path text /proc/PID/maps prints,
 * unescaped), padded to 8. */
#define IPCI_V_HEADER 1
#define IPCI_V_BUSY 2      /* mmap_read_trylock failed: this process's maps are not here */
#define IPCI_V_PATH_ERROR 4
/* A record after a process's mappings when the program stopped at IPCI_VMA_TASK_BYTES: one
 * object's output must fit the iterator's seq buffer (8 pages), or the whole read fails (E2BIG),
 * and another user picks how many mappings a process has and how long their paths are. */
#define IPCI_V_TRUNC 8
#define IPCI_VMA_TASK_BYTES (24 * 1024)
/* Shared mappings of files outside /dev a process emits (the file-shm rule's `max`, core/kinds/fileShm.ts):
   a server that maps thousands of files (a search index, a broker's segments) must not crowd out
   its /dev/shm and SysV lines. */
#define IPCI_VMA_FILE_LINES 64
/* A record after which a process's records stop: it maps an overlayfs file shared (the file the
 * mapping holds is the layer's, on a private internal mount; maps shows the overlay's path and
 * inode, which only the kernel's own text has): read its /proc/PID/maps instead. */
#define IPCI_V_PROC 16

struct ipci_vma_rec {
  __u32 tgid;
  __u32 flags;     /* IPCI_V_* */
  __u64 start;
  __u64 end;
  __u64 pgoff;     /* vm_pgoff (pages) */
  __u64 vm_flags;
  __u64 ino;
  __u32 dev;       /* kernel encoding */
  __u16 path_len;
  __u16 pad;
};

#endif
