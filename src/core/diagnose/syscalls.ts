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

/** Each call a wait on a channel goes through: its operation and the argument naming the object (the same on every architecture). */
const CHANNEL_CALLS = {
  read: { op: 'read', arg: 0 },
  write: { op: 'write', arg: 0 },
  open: { op: 'open', arg: -1 },
  pread64: { op: 'read', arg: 0 },
  pwrite64: { op: 'write', arg: 0 },
  readv: { op: 'read', arg: 0 },
  writev: { op: 'write', arg: 0 },
  connect: { op: 'connect', arg: 0 },
  accept: { op: 'accept', arg: 0 },
  sendto: { op: 'write', arg: 0 },
  recvfrom: { op: 'read', arg: 0 },
  sendmsg: { op: 'write', arg: 0 },
  recvmsg: { op: 'read', arg: 0 },
  semop: { op: 'semop', arg: 0 },
  msgsnd: { op: 'msgsnd', arg: 0 },
  msgrcv: { op: 'msgrcv', arg: 0 },
  semtimedop: { op: 'semop', arg: 0 },
  mq_timedsend: { op: 'write', arg: 0 },
  mq_timedreceive: { op: 'read', arg: 0 },
  openat: { op: 'open', arg: -1 },
  splice: { op: 'write', arg: 2 },
  tee: { op: 'write', arg: 1 },
  vmsplice: { op: 'write', arg: 0 },
  accept4: { op: 'accept', arg: 0 },
  preadv: { op: 'read', arg: 0 },
  pwritev: { op: 'write', arg: 0 },
  recvmmsg: { op: 'read', arg: 0 },
  sendmmsg: { op: 'write', arg: 0 },
  preadv2: { op: 'read', arg: 0 },
  pwritev2: { op: 'write', arg: 0 },
} as const satisfies Record<string, Omit<SyscallSpec, 'name'>>;
type ChannelCall = keyof typeof CHANNEL_CALLS;

/** Their numbers: x86_64. */
const X86_64_CALLS: Record<number, ChannelCall> = {
  0: 'read', 1: 'write', 2: 'open', 17: 'pread64', 18: 'pwrite64', 19: 'readv', 20: 'writev',
  42: 'connect', 43: 'accept', 44: 'sendto', 45: 'recvfrom', 46: 'sendmsg', 47: 'recvmsg',
  65: 'semop', 69: 'msgsnd', 70: 'msgrcv', 220: 'semtimedop', 242: 'mq_timedsend',
  243: 'mq_timedreceive', 257: 'openat', 275: 'splice', 276: 'tee', 278: 'vmsplice',
  288: 'accept4', 295: 'preadv', 296: 'pwritev', 299: 'recvmmsg', 307: 'sendmmsg',
  327: 'preadv2', 328: 'pwritev2',
};

// asm-generic/unistd.h (arm64, riscv64, loongarch64)
const GENERIC_CALLS: Record<number, ChannelCall> = {
  56: 'openat', 63: 'read', 64: 'write', 65: 'readv', 66: 'writev', 67: 'pread64',
  68: 'pwrite64', 69: 'preadv', 70: 'pwritev', 75: 'vmsplice', 76: 'splice', 77: 'tee',
  182: 'mq_timedsend', 183: 'mq_timedreceive', 188: 'msgrcv', 189: 'msgsnd', 192: 'semtimedop',
  193: 'semop', 202: 'accept', 203: 'connect', 206: 'sendto', 207: 'recvfrom', 211: 'sendmsg',
  212: 'recvmsg', 242: 'accept4', 243: 'recvmmsg', 269: 'sendmmsg', 286: 'preadv2',
  287: 'pwritev2',
};

function specs(calls: Record<number, ChannelCall>): Record<number, SyscallSpec> {
  const out: Record<number, SyscallSpec> = {};
  for (const [nr, name] of Object.entries(calls)) out[Number(nr)] = { name, ...CHANNEL_CALLS[name] };
  return out;
}
const X86_64 = specs(X86_64_CALLS);
const GENERIC = specs(GENERIC_CALLS);

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
