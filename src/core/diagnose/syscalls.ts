// /proc/PID/task/TID/syscall: which system call a sleeping thread is in, and on which fd or
// object. Only the calls a wait on an IPC channel goes through are named; everything else is an
// "other" wait (poll, epoll, futex, sleep) that could end on its own. Numbers per architecture
// (x86_64 and the generic table arm64/riscv64 share); unknown architectures name nothing.

/** How a thread can wait on a channel, and which argument says on what. */
export type WaitOp = 'write' | 'read' | 'semop' | 'msgsnd' | 'msgrcv' | 'accept' | 'connect' | 'open';

export interface SyscallSpec {
  name: string;
  op: WaitOp;
  /** Argument holding the fd (or semid / msqid) waited on. */
  arg: number;
}

const X86_64: Record<number, SyscallSpec> = {
  0: { name: 'read', op: 'read', arg: 0 },
  1: { name: 'write', op: 'write', arg: 0 },
  2: { name: 'open', op: 'open', arg: -1 },
  17: { name: 'pread64', op: 'read', arg: 0 },
  18: { name: 'pwrite64', op: 'write', arg: 0 },
  19: { name: 'readv', op: 'read', arg: 0 },
  20: { name: 'writev', op: 'write', arg: 0 },
  42: { name: 'connect', op: 'connect', arg: 0 },
  43: { name: 'accept', op: 'accept', arg: 0 },
  44: { name: 'sendto', op: 'write', arg: 0 },
  45: { name: 'recvfrom', op: 'read', arg: 0 },
  46: { name: 'sendmsg', op: 'write', arg: 0 },
  47: { name: 'recvmsg', op: 'read', arg: 0 },
  65: { name: 'semop', op: 'semop', arg: 0 },
  69: { name: 'msgsnd', op: 'msgsnd', arg: 0 },
  70: { name: 'msgrcv', op: 'msgrcv', arg: 0 },
  220: { name: 'semtimedop', op: 'semop', arg: 0 },
  242: { name: 'mq_timedsend', op: 'write', arg: 0 },
  243: { name: 'mq_timedreceive', op: 'read', arg: 0 },
  257: { name: 'openat', op: 'open', arg: -1 },
  275: { name: 'splice', op: 'write', arg: 2 },
  276: { name: 'tee', op: 'write', arg: 1 },
  278: { name: 'vmsplice', op: 'write', arg: 0 },
  288: { name: 'accept4', op: 'accept', arg: 0 },
  295: { name: 'preadv', op: 'read', arg: 0 },
  296: { name: 'pwritev', op: 'write', arg: 0 },
  299: { name: 'recvmmsg', op: 'read', arg: 0 },
  307: { name: 'sendmmsg', op: 'write', arg: 0 },
  327: { name: 'preadv2', op: 'read', arg: 0 },
  328: { name: 'pwritev2', op: 'write', arg: 0 },
};

// asm-generic/unistd.h (arm64, riscv64, loongarch64)
const GENERIC: Record<number, SyscallSpec> = {
  56: { name: 'openat', op: 'open', arg: -1 },
  63: { name: 'read', op: 'read', arg: 0 },
  64: { name: 'write', op: 'write', arg: 0 },
  65: { name: 'readv', op: 'read', arg: 0 },
  66: { name: 'writev', op: 'write', arg: 0 },
  67: { name: 'pread64', op: 'read', arg: 0 },
  68: { name: 'pwrite64', op: 'write', arg: 0 },
  69: { name: 'preadv', op: 'read', arg: 0 },
  70: { name: 'pwritev', op: 'write', arg: 0 },
  75: { name: 'vmsplice', op: 'write', arg: 0 },
  76: { name: 'splice', op: 'write', arg: 2 },
  77: { name: 'tee', op: 'write', arg: 1 },
  182: { name: 'mq_timedsend', op: 'write', arg: 0 },
  183: { name: 'mq_timedreceive', op: 'read', arg: 0 },
  188: { name: 'msgrcv', op: 'msgrcv', arg: 0 },
  189: { name: 'msgsnd', op: 'msgsnd', arg: 0 },
  192: { name: 'semtimedop', op: 'semop', arg: 0 },
  193: { name: 'semop', op: 'semop', arg: 0 },
  202: { name: 'accept', op: 'accept', arg: 0 },
  203: { name: 'connect', op: 'connect', arg: 0 },
  206: { name: 'sendto', op: 'write', arg: 0 },
  207: { name: 'recvfrom', op: 'read', arg: 0 },
  211: { name: 'sendmsg', op: 'write', arg: 0 },
  212: { name: 'recvmsg', op: 'read', arg: 0 },
  242: { name: 'accept4', op: 'accept', arg: 0 },
  243: { name: 'recvmmsg', op: 'read', arg: 0 },
  269: { name: 'sendmmsg', op: 'write', arg: 0 },
  286: { name: 'preadv2', op: 'read', arg: 0 },
  287: { name: 'pwritev2', op: 'write', arg: 0 },
};

/** A few common waits that are not channel operations, for the evidence text. */
const X86_64_OTHER: Record<number, string> = {
  7: 'poll', 23: 'select', 34: 'pause', 35: 'nanosleep', 61: 'wait4', 128: 'rt_sigtimedwait', 130: 'rt_sigsuspend',
  202: 'futex', 230: 'clock_nanosleep', 232: 'epoll_wait', 247: 'waitid', 270: 'pselect6', 271: 'ppoll', 281: 'epoll_pwait',
  426: 'io_uring_enter', 441: 'epoll_pwait2',
};
const GENERIC_OTHER: Record<number, string> = {
  22: 'epoll_pwait', 72: 'pselect6', 73: 'ppoll', 95: 'waitid', 98: 'futex', 101: 'nanosleep', 115: 'clock_nanosleep',
  133: 'rt_sigsuspend', 137: 'rt_sigtimedwait', 260: 'wait4', 426: 'io_uring_enter', 441: 'epoll_pwait2',
};

function tables(arch: string): [Record<number, SyscallSpec>, Record<number, string>] {
  if (arch === 'x64') return [X86_64, X86_64_OTHER];
  if (arch === 'arm64' || arch === 'riscv64' || arch === 'loong64') return [GENERIC, GENERIC_OTHER];
  return [{}, {}];
}

/** What a sleeping thread's syscall file says. */
export interface SyscallState {
  /** `running` (on a CPU), `user` (not in a system call: -1), `syscall`, or `unknown` (unreadable / malformed). */
  kind: 'running' | 'user' | 'syscall' | 'unknown';
  nr?: number;
  /** Syscall name when known. */
  name?: string;
  /** The channel operation, when it is one. */
  op?: WaitOp;
  /** The fd / semid / msqid the operation is on (its argument). */
  target?: number;
  /** First three arguments (fds, ids, sizes) — larger values lose precision, which these never need. */
  args?: number[];
}

/**
 * Parses `/proc/PID/task/TID/syscall`: `running`, `-1 SP PC` (in user space), or
 * `NR ARG1 … ARG6 SP PC` with hex arguments.
 */
export function parseSyscall(text: string, arch: string = process.arch): SyscallState {
  const t = text.trim();
  if (t === 'running') return { kind: 'running' };
  const f = t.split(/\s+/);
  if (f.length === 0 || !/^-?\d+$/.test(f[0])) return { kind: 'unknown' };
  const nr = Number(f[0]);
  if (nr < 0) return { kind: 'user' };
  const args: number[] = [];
  for (let i = 1; i <= 3 && i < f.length; i++) {
    if (!/^0x[0-9a-fA-F]+$/.test(f[i])) return { kind: 'unknown', nr };
    args.push(Number.parseInt(f[i].slice(2), 16));
  }
  const [ops, other] = tables(arch);
  const spec = ops[nr];
  if (!spec) return { kind: 'syscall', nr, name: other[nr] ?? `syscall ${nr}`, args };
  // fds and SysV ids are ints: the kernel prints the register, so -1 would be 0xffffffffffffffff
  const raw = args[spec.arg];
  const target = raw !== undefined && raw <= 0x7fffffff ? raw : undefined;
  return { kind: 'syscall', nr, name: spec.name, op: spec.op, target, args };
}

/** Human text for evidence: `write(fd 5)`, `semop(semid 3)`, `epoll_wait`, `running`. */
export function describeSyscall(s: SyscallState): string {
  if (s.kind === 'running') return 'running on a CPU';
  if (s.kind === 'user') return 'in user space (not in a system call)';
  if (s.kind === 'unknown') return 'unknown';
  if (!s.op || s.target === undefined) return `${s.name}()`;
  const what = s.op === 'semop' ? 'semid' : s.op === 'msgsnd' || s.op === 'msgrcv' ? 'msqid' : s.op === 'open' ? 'dirfd' : 'fd';
  if (s.op === 'open') return `${s.name}()`;
  return `${s.name}(${what} ${s.target})`;
}
