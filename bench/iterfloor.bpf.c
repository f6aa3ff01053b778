// The BPF iterator's floor for the bench: the least the task_file iterator can do for every open
// file of every fd table, one 16-byte record (tgid, fd, inode) per file, nothing read past the
// inode. Built at bench time by bench/iterFloor.ts (clang -target bpf, against the vmlinux.h the
// addon's build generated); not part of the extension. Our walk's program (native/bpf/walk.bpf.c)
// does this and more for the IPC files only; the gap between the two is its own cost.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct floor_rec {
  __u32 tgid;
  __u32 fd;
  __u64 ino;
};

SEC("iter/task_file")
int floor_task_file(struct bpf_iter__task_file *ctx) {
  struct task_struct *task = ctx->task;
  struct file *file = ctx->file;
  if (!task || !file) return 0;
  struct floor_rec r = {task->tgid, ctx->fd, file->f_inode ? file->f_inode->i_ino : 0};
  bpf_seq_write(ctx->meta->seq, &r, sizeof r);
  return 0;
}
