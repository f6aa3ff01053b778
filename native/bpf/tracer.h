// Record layouts shared by the live-activity tracer (tracer.bpf.c) and its reader in the addon
// (native/src/bpf/tracer.cc). Fixed-size, naturally aligned, no pointers: the reader copies them
// out of BPF maps and the signal ring buffer as bytes.
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

// What a counter is about (the snapshot's channel kinds the tracer can see).
enum ipci_act_kind {
  IPCI_ACT_PIPE = 1,      // ino = pipefs inode
  IPCI_ACT_FIFO = 2,      // ino + dev (kernel-encoded s_dev)
  IPCI_ACT_UNIX = 3,      // ino = socket inode; val.peer = the peer socket's inode (0 = none)
  IPCI_ACT_TCP = 4,       // ino = socket inode
  IPCI_ACT_UDP = 5,       // ino = socket inode
  IPCI_ACT_SYSV_MSG = 6,  // ino = msqid, dev = IPC namespace inode number
  IPCI_ACT_POSIX_MQ = 7,  // ino = mqueue inode, dev = IPC namespace inode number (name: mq_names)
};

enum ipci_act_dir {
  IPCI_DIR_SEND = 0,  // write / send / msgsnd / mq_timedsend (and tee, splice into a pipe)
  IPCI_DIR_RECV = 1,  // read / recv / msgrcv / mq_timedreceive (and splice out of a pipe)
};

// One counter per (channel, process, direction); per-CPU values summed by the reader.
struct ipci_act_key {
  __u64 ino;
  __u32 dev;
  __u32 tgid;  /* the process; for fd-based counts the fd table's owner: a thread with a table of its own by its tid */
  __u8 kind;
  __u8 dir;
  __u8 pad[6];
};

struct ipci_act_val {
  __u64 bytes;
  __u64 ops;
  __u64 peer;  // unix: the peer socket's inode at the last send (0 = unconnected)
};

// Key of the POSIX mq name map (the name is the dentry's, without the leading '/').
struct ipci_mq_key {
  __u64 ino;
  __u32 dev;
  __u32 pad;
};

#define IPCI_MQ_NAME_MAX 256

// Lost-event counters (a per-CPU array indexed by these).
enum ipci_lost {
  IPCI_LOST_COUNTER_FULL = 0,  // the counter map was full: the event was not counted
  IPCI_LOST_SIGNAL_RING = 1,   // the signal ring buffer was full: the signal was not logged
  IPCI_LOST_MQ_NAME = 2,       // the mq name map was full: counted, but the queue's name is unknown
  IPCI_LOST_MAX = 4,
};

// One generated signal (signal:signal_generate), as the reader receives it.
struct ipci_sig_rec {
  __u64 boot_ns;       // bpf_ktime_get_boot_ns() at generation
  __u64 sender_start;  // sender's thread-group leader start_boottime (ns since boot)
  __u64 target_start;  // receiver's thread-group leader start_boottime
  __u32 sender_tgid;   // current at generation (for SI_TIMER and kernel codes: whoever was running)
  __u32 sender_tid;
  __u32 sender_uid;    // real uid of current
  __u32 target_tgid;
  __u32 target_tid;
  __s32 sig;
  __s32 code;          // si_code (SI_USER 0, SI_QUEUE -1, SI_TIMER -2, SI_TKILL -6, SI_KERNEL 0x80, CLD_*, …)
  __s32 group;         // 1 = sent to the thread group, 0 = to the thread
  __s32 result;        // TRACE_SIGNAL_DELIVERED 0, IGNORED 1, ALREADY_PENDING 2, OVERFLOW_FAIL 3, LOSE_INFO 4
  __s32 si_errno;
  __u32 si_pid;        // the siginfo's claimed sender (kill/sigqueue: set by the kernel from the sender)
  __u32 si_uid;
  __s32 si_value;      // sival_int (sigqueue, timers)
  __u32 flags;         // IPCI_SIG_*
  char sender_comm[16];
  char target_comm[16];
};

#define IPCI_SIG_NOINFO 1u  // info was SEND_SIG_NOINFO (a kill without siginfo: SI_USER)
#define IPCI_SIG_PRIV 2u    // info was SEND_SIG_PRIV (from the kernel: SI_KERNEL)
