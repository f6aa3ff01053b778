// Tools of the attacker tests (attacker.test.ts): small C programs compiled at test time into a
// private directory that the unprivileged user can enter (so they run as `nobody` wherever the
// checkout lives), and a FUSE server that answers just enough to mount and open one file and
// never answers READ and FLUSH (and, in `getattr-hangs` mode, GETATTR). An unprivileged user gets
// such a server with fusermount; here root mounts it (allow_other) in the attacker's place. Every
// request it receives is logged, so a test can tell whether we opened, stat-ed or closed a file
// on it. Killing the server aborts the connection: every request still waiting fails, and every
// thread blocked on one (ours included) returns — the tests' cleanup does that first.
import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { NOBODY } from '../harness/otherUser';

export { NOBODY };

/** FUSE opcodes (linux/fuse.h) the tests look for. */
export const FUSE_OP = { LOOKUP: 1, GETATTR: 3, OPEN: 14, READ: 15, FLUSH: 25 } as const;

const HUNGFUSE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
static int fd, getattrHangs;
static void reply(uint64_t unique, int error, const void* body, size_t len) {
  struct fuse_out_header h = {.len = (uint32_t)(sizeof h + (error || !body ? 0 : len)), .error = error, .unique = unique};
  struct iovec iov[2] = {{&h, sizeof h}, {(void*)body, len}};
  if (writev(fd, iov, error || !body ? 1 : 2) < 0) perror("writev");
}
static void attr(struct fuse_attr* a, uint64_t ino) {
  memset(a, 0, sizeof *a);
  a->ino = ino;
  if (ino == FUSE_ROOT_ID) { a->mode = S_IFDIR | 0755; a->nlink = 2; }
  else { a->mode = S_IFREG | 0666; a->nlink = 1; a->size = 65536; a->blocks = 128; }
  a->blksize = 4096;
}
int main(int argc, char** argv) {  /* hungfuse MOUNTPOINT answer|getattr-hangs */
  if (argc < 3) return 2;
  getattrHangs = !strcmp(argv[2], "getattr-hangs");
  fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) { perror("open /dev/fuse"); return 1; }
  char opts[256];
  snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
  if (mount("ipci-hung", argv[1], "fuse.ipcihung", MS_NOSUID | MS_NODEV, opts) != 0) { perror("mount"); return 1; }
  static char buf[(1 << 20) + 8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == ENOENT || errno == EAGAIN) continue;
      return errno == ENODEV ? 0 : 1;
    }
    struct fuse_in_header* in = (struct fuse_in_header*)buf;
    void* arg = in + 1;
    printf("%u %llu %u\n", in->opcode, (unsigned long long)in->nodeid, in->pid);
    fflush(stdout);
    switch (in->opcode) {
      case FUSE_INIT: {
        struct fuse_init_in* ii = arg;
        struct fuse_init_out o;
        memset(&o, 0, sizeof o);
        o.major = FUSE_KERNEL_VERSION;
        o.minor = ii->minor < 31 ? ii->minor : 31;
        o.max_write = 65536;
        o.max_background = 16;
        o.congestion_threshold = 12;
        o.time_gran = 1;
        reply(in->unique, 0, &o, sizeof o);
        printf("ready\n");
        fflush(stdout);
        break;
      }
      case FUSE_LOOKUP: {
        if (strcmp((const char*)arg, "f") != 0) { reply(in->unique, -ENOENT, NULL, 0); break; }
        struct fuse_entry_out e;
        memset(&e, 0, sizeof e);
        e.nodeid = 2;
        e.entry_valid = 3600;
        e.attr_valid = getattrHangs ? 0 : 3600;
        attr(&e.attr, 2);
        reply(in->unique, 0, &e, sizeof e);
        break;
      }
      case FUSE_GETATTR: {
        if (getattrHangs && in->nodeid != FUSE_ROOT_ID) break;
        struct fuse_attr_out o;
        memset(&o, 0, sizeof o);
        o.attr_valid = getattrHangs ? 0 : 3600;
        attr(&o.attr, in->nodeid);
        reply(in->unique, 0, &o, sizeof o);
        break;
      }
      case FUSE_OPEN:
      case FUSE_OPENDIR: {
        struct fuse_open_out o;
        memset(&o, 0, sizeof o);
        o.fh = 1;
        reply(in->unique, 0, &o, sizeof o);
        break;
      }
      case FUSE_READDIR:
      case FUSE_RELEASE:
      case FUSE_RELEASEDIR: reply(in->unique, 0, NULL, 0); break;
      case FUSE_STATFS: {
        struct fuse_statfs_out o;
        memset(&o, 0, sizeof o);
        o.st.bsize = 4096;
        o.st.namelen = 255;
        reply(in->unique, 0, &o, sizeof o);
        break;
      }
      case FUSE_READ: case FUSE_FLUSH: case FUSE_INTERRUPT: case FUSE_FORGET: case FUSE_BATCH_FORGET: break;
      default: reply(in->unique, -ENOSYS, NULL, 0); break;
    }
  }
}
`;

// The attacker's programs; each prints one line when its objects exist, then follows commands.
const ATTACKER_C = String.raw`
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
static char* fusemap;
static void* reader(void* x) {  /* faults a FUSE page in through /proc/self/mem: holds our mmap lock until READ is answered */
  int m = open("/proc/self/mem", O_RDONLY);
  char c;
  if (pread(m, &c, 1, (off_t)(uintptr_t)fusemap) < 0) perror("pread");
  return NULL;
}
static void* mapper(void* x) {  /* then waits for the mmap lock as a writer: every new reader (ps, /proc/PID/cmdline) queues behind */
  usleep(50000);
  mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return NULL;
}
static unsigned long ino(int fd) { struct stat st; fstat(fd, &st); return st.st_ino; }
static void wait_line(char* out, size_t n) { if (!fgets(out, (int)n, stdin)) exit(0); out[strcspn(out, "\n")] = 0; }
int main(int argc, char** argv) {
  char line[4200];
  if (argc < 2) return 2;
  if (!strcmp(argv[1], "sem") && argc == 4) {  /* sem NAME VALUE: a real named semaphore, then exit */
    sem_t* s = sem_open(argv[2], O_CREAT | O_EXCL, 0644, (unsigned)atoi(argv[3]));
    return s == SEM_FAILED ? 1 : 0;
  }
  if (!strcmp(argv[1], "mq") && argc == 4) {  /* mq NAME MODE: a queue with one message (mode e.g. 0 = nobody may open it), then exit */
    struct mq_attr a = {0, 1, 8192, 0};
    mqd_t q = mq_open(argv[2], O_CREAT | O_EXCL | O_WRONLY, (mode_t)strtol(argv[3], NULL, 8), &a);
    if (q == (mqd_t)-1) { perror("mq_open"); return 1; }
    return mq_send(q, "attacker", 8, 1) == 0 ? 0 : 1;
  }
  if (!strcmp(argv[1], "mq-unlink") && argc == 3) return mq_unlink(argv[2]) == 0 ? 0 : 1;
  if (!strcmp(argv[1], "stuck") && argc == 3) {  /* stuck FUSEFILE: a shared anonymous region (also held by a child), then stuck in D state */
    int f = open(argv[2], O_RDONLY);
    if (f < 0) { perror("open"); return 1; }
    fusemap = mmap(NULL, 4096, PROT_READ, MAP_SHARED, f, 0);
    char* shm = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    strcpy(shm, "anon-shm-bytes");
    pid_t child = fork();
    if (child == 0) { prctl(PR_SET_PDEATHSIG, SIGKILL); if (getppid() == 1) return 0; pause(); return 0; }
    printf("{\"pid\":%d,\"child\":%d,\"map\":\"%lx-%lx\"}\n", getpid(), child, (unsigned long)shm, (unsigned long)shm + 65536);
    fflush(stdout);
    wait_line(line, sizeof line);  /* "go" */
    pthread_t a, b;
    pthread_create(&a, NULL, reader, NULL);
    pthread_create(&b, NULL, mapper, NULL);
    pause();
  }
  if (!strcmp(argv[1], "pipe") || !strcmp(argv[1], "socket")) {  /* a pipe read end / a socket with queued bytes; "swap PATH" dup2s PATH over it */
    int fds[2], keep;
    if (argv[1][0] == 'p') { if (pipe(fds)) return 1; keep = fds[0]; if (write(fds[1], "attacker-bytes", 14) != 14) return 1; }
    else { if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds)) return 1; keep = fds[1]; if (send(fds[0], "attacker-bytes", 14, 0) != 14) return 1; }
    printf("{\"pid\":%d,\"fd\":%d,\"inode\":%lu}\n", getpid(), keep, ino(keep));
    fflush(stdout);
    for (;;) {
      wait_line(line, sizeof line);
      if (!strncmp(line, "swap-path ", 10) || !strncmp(line, "swap-open ", 10)) {
        int o = open(line + 10, line[5] == 'p' ? O_PATH : O_RDONLY);
        if (o < 0 || dup2(o, keep) < 0) { perror("swap"); return 1; }
        if (line[5] == 'p') close(o);  /* a close of the opened FUSE file would send FLUSH (never answered) */
        printf("swapped\n");
        fflush(stdout);
      }
    }
  }
  if (!strcmp(argv[1], "fifo-writer") && argc == 3) {  /* fifo-writer PATH: holds only a write end; no reader is left */
    int rw = open(argv[2], O_RDWR);
    int w = open(argv[2], O_WRONLY);
    if (rw < 0 || w < 0) { perror("open"); return 1; }
    close(rw);
    printf("{\"pid\":%d,\"fd\":%d,\"inode\":%lu}\n", getpid(), w, ino(w));
    fflush(stdout);
    wait_line(line, sizeof line);
    return 0;
  }
  if (!strcmp(argv[1], "open-writer") && argc == 3) {  /* open-writer PATH: blocks in open(O_WRONLY) until a reader appears */
    printf("{\"pid\":%d}\n", getpid());
    fflush(stdout);
    int w = open(argv[2], O_WRONLY);
    printf("opened %d\n", w);
    return 0;
  }
  return 2;
}
`;

export interface Tools {
  dir: string;
  hungfuse: string;
  attacker: string;
}

/** Compiles the tools into a fresh directory the unprivileged user can enter and run from. */
export function compileTools(): Tools {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-hostile-'));
  fs.chmodSync(dir, 0o755);
  const out: Tools = { dir, hungfuse: path.join(dir, 'hungfuse'), attacker: path.join(dir, 'attacker') };
  for (const [name, src, libs] of [['hungfuse', HUNGFUSE_C, []], ['attacker', ATTACKER_C, ['-lrt', '-pthread']]] as const) {
    const c = path.join(dir, `${name}.c`);
    fs.writeFileSync(c, src);
    execFileSync('cc', ['-O1', '-o', path.join(dir, name), c, ...libs]);
  }
  return out;
}

/** Reads a child's stdout as lines; `next()` resolves with the next one. */
export function lineReader(child: ChildProcess): { next: (what?: string) => Promise<string>; all: string[] } {
  let buf = '';
  const all: string[] = [];
  const queue: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      all.push(l);
      const w = waiters.shift();
      if (w) w(l);
      else queue.push(l);
    }
  });
  const next = (what = 'a line') => {
    const l = queue.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what} from pid ${child.pid}`)), 20_000);
      waiters.push((x) => {
        clearTimeout(t);
        resolve(x);
      });
    });
  };
  return { next, all };
}

export interface Attacker {
  child: ChildProcess;
  next: (what?: string) => Promise<string>;
  send(line: string): void;
}

/** Runs `tools.attacker MODE ARGS…` as the unprivileged user. */
export function runAttacker(tools: Tools, args: string[], opts: SpawnOptions = {}): Attacker {
  const child = spawn(tools.attacker, args, { ...NOBODY, stdio: ['pipe', 'pipe', 'inherit'], ...opts });
  const { next } = lineReader(child);
  return { child, next, send: (l) => child.stdin!.write(l + '\n') };
}

export interface HungFuse {
  /** The mount point (a directory the unprivileged user can enter). */
  mnt: string;
  /** The one file on it. */
  file: string;
  /** FUSE requests received so far: opcode, node id, and the pid of the process that made it. */
  requests: Array<{ op: number; node: number; pid: number }>;
  /** Kills the server (every waiting request fails, every thread blocked on one returns) and unmounts. */
  close(): Promise<void>;
}

/** Mounts the FUSE server on a fresh directory. Call close() before touching anything else under `mnt`. */
export async function startHungFuse(tools: Tools, mode: 'answer' | 'getattr-hangs'): Promise<HungFuse> {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'ipci-fuse-'));
  fs.chmodSync(mnt, 0o755);
  const child = spawn(tools.hungfuse, [mnt, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { next, all } = lineReader(child);
  for (;;) if ((await next('the FUSE mount')) === 'ready') break;
  const requests: HungFuse['requests'] = [];
  const parse = () => {
    requests.length = 0;
    for (const l of all) {
      const m = /^(\d+) (\d+) (\d+)$/.exec(l);
      if (m) requests.push({ op: Number(m[1]), node: Number(m[2]), pid: Number(m[3]) });
    }
    return requests;
  };
  let closed = false;
  return {
    mnt,
    file: path.join(mnt, 'f'),
    get requests() {
      return parse();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await gone;
      }
      execFileSync('umount', ['-l', mnt]);
      fs.rmdirSync(mnt);
    },
  };
}

/** Kills a child (by its pid) and waits for it. */
export async function reap(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

/** The states of a process's threads from /proc/PID/task/*\/stat (never blocks: no mm lock). */
export function threadStates(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map((t) => {
      const s = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    });
  } catch {
    return [];
  }
}
