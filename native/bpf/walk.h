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

/* ipci_fd_rec.flags */
#define IPCI_F_PIPE_STATE 1   /* buffered/capacity read from the inode's pipe_inode_info */
#define IPCI_F_PIPE_PARTIAL 2 /* more occupied slots than the program sums: buffered unknown */
#define IPCI_F_PATH_ERROR 4   /* bpf_d_path failed (path_len 0) */

/* Occupied pipe slots summed at most (a slot is one page by default; the default maximum pipe
 * size, 1 MiB, is 256 slots): a pipe holding more buffers says IPCI_F_PIPE_PARTIAL. */
#define IPCI_PIPE_SLOTS 1024

#define IPCI_PATH_MAX 4096

struct ipci_fd_rec {
  __u32 tgid;
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

#endif
