// Signal table for Linux x86_64 / arm64 (generic numbering; both use the same numbers).
//
// Naming of real-time signals follows what `kill -l` (bash, glibc) prints on this machine:
// 34 = SIGRTMIN, 35..49 = SIGRTMIN+1..SIGRTMIN+15, 50..63 = SIGRTMAX-14..SIGRTMAX-1, 64 = SIGRTMAX.
// The kernel's first two real-time signals (32, 33) are reserved by glibc (thread cancellation,
// setxid) and `kill -l` does not list them; we name them `SIG32` / `SIG33` (as ps/strace do).
// signalNumber() still accepts every spelling: 'SIGRTMIN+20', 'RTMAX-1', 'SIG32', '15', 'TERM'.

export type SignalAction = 'terminate' | 'core' | 'stop' | 'continue' | 'ignore';

export interface SignalInfo {
  name: string;
  number: number;
  action: SignalAction;
  description: string;
  /** SIGKILL and SIGSTOP cannot be caught, blocked or ignored. */
  catchable: boolean;
  realtime: boolean;
}

export const SIGRTMIN = 34;
export const SIGRTMAX = 64;
/** The kernel's SIGRTMIN (glibc reserves 32 and 33). */
export const KERNEL_SIGRTMIN = 32;

const STANDARD: Array<[string, number, SignalAction, string]> = [
  ['SIGHUP', 1, 'terminate', 'Hangup: controlling terminal closed; daemons often reload config'],
  ['SIGINT', 2, 'terminate', 'Interrupt from keyboard (Ctrl-C)'],
  ['SIGQUIT', 3, 'core', 'Quit from keyboard (Ctrl-\\); dumps core'],
  ['SIGILL', 4, 'core', 'Illegal instruction'],
  ['SIGTRAP', 5, 'core', 'Trace/breakpoint trap (debuggers)'],
  ['SIGABRT', 6, 'core', 'Abort signal from abort()'],
  ['SIGBUS', 7, 'core', 'Bus error: bad memory access (e.g. truncated mapped file)'],
  ['SIGFPE', 8, 'core', 'Floating-point / arithmetic exception (e.g. divide by zero)'],
  ['SIGKILL', 9, 'terminate', 'Kill: cannot be caught, blocked or ignored'],
  ['SIGUSR1', 10, 'terminate', 'User-defined signal 1'],
  ['SIGSEGV', 11, 'core', 'Invalid memory reference (segmentation fault)'],
  ['SIGUSR2', 12, 'terminate', 'User-defined signal 2'],
  ['SIGPIPE', 13, 'terminate', 'Broken pipe: write to a pipe or socket with no reader'],
  ['SIGALRM', 14, 'terminate', 'Timer signal from alarm() / setitimer(ITIMER_REAL)'],
  ['SIGTERM', 15, 'terminate', 'Termination request: the polite way to ask a process to exit'],
  ['SIGSTKFLT', 16, 'terminate', 'Stack fault on coprocessor (unused)'],
  ['SIGCHLD', 17, 'ignore', 'Child stopped, continued or terminated'],
  ['SIGCONT', 18, 'continue', 'Continue if stopped'],
  ['SIGSTOP', 19, 'stop', 'Stop process: cannot be caught, blocked or ignored'],
  ['SIGTSTP', 20, 'stop', 'Stop typed at terminal (Ctrl-Z)'],
  ['SIGTTIN', 21, 'stop', 'Terminal input for background process'],
  ['SIGTTOU', 22, 'stop', 'Terminal output for background process'],
  ['SIGURG', 23, 'ignore', 'Urgent (out-of-band) data on a socket'],
  ['SIGXCPU', 24, 'core', 'CPU time limit exceeded'],
  ['SIGXFSZ', 25, 'core', 'File size limit exceeded'],
  ['SIGVTALRM', 26, 'terminate', 'Virtual alarm clock (ITIMER_VIRTUAL)'],
  ['SIGPROF', 27, 'terminate', 'Profiling timer expired'],
  ['SIGWINCH', 28, 'ignore', 'Window (terminal) resize'],
  ['SIGIO', 29, 'terminate', 'I/O now possible (also SIGPOLL)'],
  ['SIGPWR', 30, 'terminate', 'Power failure'],
  ['SIGSYS', 31, 'core', 'Bad system call (e.g. seccomp violation)'],
];

const ALIASES: Record<string, number> = { SIGIOT: 6, SIGPOLL: 29, SIGCLD: 17, SIGUNUSED: 31 };

/** Name for signal number n as `kill -l` prints it (see file comment), or `SIG<n>` when unnamed. */
export function signalName(n: number): string {
  if (n >= 1 && n <= 31) return STANDARD[n - 1][0];
  if (n === SIGRTMIN) return 'SIGRTMIN';
  if (n === SIGRTMAX) return 'SIGRTMAX';
  if (n > SIGRTMIN && n <= SIGRTMIN + 15) return `SIGRTMIN+${n - SIGRTMIN}`;
  if (n > SIGRTMIN + 15 && n < SIGRTMAX) return `SIGRTMAX-${SIGRTMAX - n}`;
  return `SIG${n}`;
}

function buildTable(): SignalInfo[] {
  const out: SignalInfo[] = STANDARD.map(([name, number, action, description]) => ({
    name,
    number,
    action,
    description,
    catchable: number !== 9 && number !== 19,
    realtime: false,
  }));
  for (let n = KERNEL_SIGRTMIN; n <= SIGRTMAX; n++) {
    const reserved = n < SIGRTMIN;
    out.push({
      name: signalName(n),
      number: n,
      action: 'terminate',
      description: reserved
        ? `Real-time signal ${n} (kernel SIGRTMIN+${n - KERNEL_SIGRTMIN}; reserved by glibc for threads)`
        : `Real-time signal (queued, carries a value; delivered in order)`,
      catchable: true,
      realtime: true,
    });
  }
  return out;
}

export const SIGNALS: readonly SignalInfo[] = buildTable();

const byNumber = new Map<number, SignalInfo>(SIGNALS.map((s) => [s.number, s]));
export function signalInfo(n: number): SignalInfo | undefined {
  return byNumber.get(n);
}

/** Accepts 'SIGTERM', 'term', '15', 15, 'SIGRTMIN+3', 'RTMIN+3', 'SIGRTMAX-1', 'SIG32'. Undefined when invalid. */
export function signalNumber(nameOrNumber: string | number): number | undefined {
  if (typeof nameOrNumber === 'number') {
    return Number.isInteger(nameOrNumber) && nameOrNumber >= 1 && nameOrNumber <= SIGRTMAX ? nameOrNumber : undefined;
  }
  const t = nameOrNumber.trim().toUpperCase();
  if (/^\d+$/.test(t)) return signalNumber(Number(t));
  const name = t.startsWith('SIG') ? t : 'SIG' + t;
  if (name in ALIASES) return ALIASES[name];
  for (let i = 0; i < STANDARD.length; i++) if (STANDARD[i][0] === name) return STANDARD[i][1];
  const m = /^SIG(RTMIN|RTMAX)(?:([+-])(\d+))?$/.exec(name);
  if (m) {
    const base = m[1] === 'RTMIN' ? SIGRTMIN : SIGRTMAX;
    const off = m[2] ? (m[2] === '+' ? 1 : -1) * Number(m[3]) : 0;
    const n = base + off;
    return n >= SIGRTMIN && n <= SIGRTMAX ? n : undefined;
  }
  const raw = /^SIG(\d+)$/.exec(name);
  if (raw) return signalNumber(Number(raw[1]));
  return undefined;
}

// Decoded masks by their text: a machine's processes share a handful of masks (five per process,
// mostly all-zero or the same runtime's set), so a snapshot of thousands of processes decodes each
// distinct one once. Bounded: cleared when full, so hostile variety costs only re-decoding.
const MASK_MEMO_MAX = 4096;
const maskMemo = new Map<string, string[]>();

/** Entries of the decoded-mask memo (the soak bench's figures). */
export function sigMaskMemoSize(): number {
  return maskMemo.size;
}

/**
 * Decodes a /proc/PID/status hex mask (bit n-1 = signal n) into names, ascending. Invalid hex → [].
 * The array is shared by every caller with the same mask, and frozen: copy it to change it.
 */
export function decodeSigMask(hex: string): string[] {
  const known = maskMemo.get(hex);
  if (known !== undefined) return known;
  const h = hex.trim();
  const out: string[] = [];
  if (h.length > 0 && /^[0-9a-fA-F]+$/.test(h)) {
    // Walk hex digits from the least significant end: digit i covers signals 4i+1..4i+4.
    for (let i = 0; i < h.length; i++) {
      const d = parseInt(h[h.length - 1 - i], 16);
      if (d === 0) continue;
      for (let b = 0; b < 4; b++) if (d & (1 << b)) out.push(signalName(i * 4 + b + 1));
    }
  }
  if (maskMemo.size >= MASK_MEMO_MAX) maskMemo.clear();
  maskMemo.set(hex, Object.freeze(out) as string[]);
  return out;
}
