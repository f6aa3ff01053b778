// Bench workload: NPAIRS pairs of processes (A, B) sharing CHANNELS channels per pair, of mixed
// kinds, plus a few SysV and POSIX objects held by the master. Compiled by bench/workload.ts with
// `cc -O2` into a temp dir; not part of the extension.
//
//   workload DIR NPAIRS CHANNELS   -> prints "READY <fds> <pids…>" when every fd is open, then
//                                     waits for EOF on stdin (or SIGINT/SIGTERM/SIGHUP) and tears
//                                     everything down, printing "DONE".
//   workload --sweep               -> removes objects left by a killed run (fixed keys and names).
//
// Per pair, each channel gives one fd to A and one to B:
//   35% pipes (A writes, B reads; every 8th holds 5 bytes), 25% socketpairs (stream, dgram,
//   seqpacket in turn), 20% unix stream connections to A's listener (path), 15% TCP loopback
//   connections to A's listeners (127.0.0.1, and ::1 for every other one), 2% UDP (A bound,
//   B connected to it, one datagram queued), the rest FIFOs
//   (A reads, B writes). A also holds one unix and two TCP listeners. Children die with their
//   parent (PR_SET_PDEATHSIG); the master is a subreaper so it reaps every B.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define KEY_BASE 0x1bc00000
#define NSYSV 4
#define NPOSIX 2

static void die(const char *what) {
  fprintf(stderr, "workload[%d]: %s: %s\n", getpid(), what, strerror(errno));
  _exit(2);
}

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static void sweep(void) {
  for (int i = 0; i < NSYSV; i++) {
    int id;
    if ((id = msgget(KEY_BASE + i, 0)) >= 0) msgctl(id, IPC_RMID, NULL);
    if ((id = shmget(KEY_BASE + 0x100 + i, 0, 0)) >= 0) shmctl(id, IPC_RMID, NULL);
    if ((id = semget(KEY_BASE + 0x200 + i, 0, 0)) >= 0) semctl(id, 0, IPC_RMID);
  }
  char name[64];
  for (int i = 0; i < NPOSIX; i++) {
    snprintf(name, sizeof name, "/ipcbench.shm%d", i);
    shm_unlink(name);
    snprintf(name, sizeof name, "/ipcbench.mq%d", i);
    mq_unlink(name);
    snprintf(name, sizeof name, "/ipcbench.sem%d", i);
    sem_unlink(name);
  }
}

static int listen_tcp(int family, int *port) {
  int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -1;
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  }
  if (bind(s, (struct sockaddr *)&ss, len) < 0 || listen(s, 4096) < 0) {
    close(s);
    return -1;
  }
  len = sizeof ss;
  getsockname(s, (struct sockaddr *)&ss, &len);
  *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port : ((struct sockaddr_in6 *)&ss)->sin6_port);
  return s;
}

static int connect_tcp(int family, int port) {
  int s = socket(family, SOCK_STREAM, 0);
  if (s < 0) die("socket tcp");
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  if (family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a->sin_port = htons(port);
    len = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    a->sin6_port = htons(port);
    len = sizeof *a;
  }
  if (connect(s, (struct sockaddr *)&ss, len) < 0) die("connect tcp");
  // RST on close: no TIME-WAIT left behind for the next size.
  struct linger lg = {1, 0};
  setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  return s;
}

// One pair. Runs in A (forked from the master); forks B. Never returns.
static void run_pair(const char *dir, int k, int channels, int ready_fd, int shmid) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  raise_nofile();
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, 0);
    dup2(devnull, 1);
    close(devnull);
  }
  int nPipe = channels * 35 / 100, nSp = channels * 25 / 100, nUnix = channels * 20 / 100, nTcp = channels * 15 / 100;
  int nUdp = channels * 2 / 100;
  int nFifo = channels - nPipe - nSp - nUnix - nTcp - nUdp;
  // fds[i][0] stays in A, fds[i][1] goes to B (for pipes/socketpairs/fifos made before the fork)
  int nPre = nPipe + nSp + nFifo;
  int (*fds)[2] = calloc(nPre, sizeof *fds);
  int n = 0;
  for (int i = 0; i < nPipe; i++, n++) {
    int p[2];
    if (pipe(p) < 0) die("pipe");
    fds[n][0] = p[1];  // A: write end
    fds[n][1] = p[0];  // B: read end
    if (i % 8 == 0 && write(p[1], "hello", 5) < 0) die("write");
  }
  static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
  for (int i = 0; i < nSp; i++, n++) {
    if (socketpair(AF_UNIX, types[i % 3], 0, fds[n]) < 0) die("socketpair");
  }
  char path[512];
  for (int i = 0; i < nFifo; i++, n++) {
    snprintf(path, sizeof path, "%s/f%d.%d", dir, k, i);
    if (mkfifo(path, 0600) < 0 && errno != EEXIST) die("mkfifo");
    if ((fds[n][0] = open(path, O_RDONLY | O_NONBLOCK)) < 0) die("open fifo r");
    fds[n][1] = -1;  // B opens it for writing by path
  }
  // listeners
  snprintf(path, sizeof path, "%s/u%d.sock", dir, k);
  unlink(path);
  int ul = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un ua = {.sun_family = AF_UNIX};
  snprintf(ua.sun_path, sizeof ua.sun_path, "%s", path);
  if (ul < 0 || bind(ul, (struct sockaddr *)&ua, sizeof ua) < 0 || listen(ul, 4096) < 0) die("unix listen");
  int port4 = 0, port6 = 0;
  int tl4 = listen_tcp(AF_INET, &port4);
  if (tl4 < 0) die("tcp4 listen");
  int tl6 = listen_tcp(AF_INET6, &port6);  // -1 when IPv6 is off: then all TCP goes over v4
  if (shmid >= 0) shmat(shmid, NULL, SHM_RDONLY);  // B inherits the attachment

  int *udpPorts = calloc(nUdp + 1, sizeof *udpPorts);
  for (int i = 0; i < nUdp; i++) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || getsockname(s, (struct sockaddr *)&a, &len) < 0) die("udp bind");
    udpPorts[i] = ntohs(a.sin_port);
  }

  int sync[2];
  if (pipe(sync) < 0) die("pipe sync");
  pid_t b = fork();
  if (b < 0) die("fork");
  if (b == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(sync[0]);
    close(ready_fd);
    close(ul);
    close(tl4);
    if (tl6 >= 0) close(tl6);
    for (int i = 0; i < nPre; i++) {
      close(fds[i][0]);
      if (fds[i][1] < 0) {  // FIFO: open the write end by path
        snprintf(path, sizeof path, "%s/f%d.%d", dir, k, i - nPipe - nSp);
        if (open(path, O_WRONLY | O_NONBLOCK) < 0) die("open fifo w");
      }
    }
    for (int i = 0; i < nUnix; i++) {
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      if (s < 0 || connect(s, (struct sockaddr *)&ua, sizeof ua) < 0) die("unix connect");
    }
    for (int i = 0; i < nTcp; i++) connect_tcp(tl6 >= 0 && i % 2 ? AF_INET6 : AF_INET, tl6 >= 0 && i % 2 ? port6 : port4);
    for (int i = 0; i < nUdp; i++) {
      int s = socket(AF_INET, SOCK_DGRAM, 0);
      struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(udpPorts[i])};
      if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) die("udp connect");
      if (i == 0 && send(s, "ping", 4, 0) < 0) die("udp send");
    }
    if (write(sync[1], "b", 1) < 0) die("write sync");
    close(sync[1]);
    for (;;) pause();
  }
  close(sync[1]);
  for (int i = 0; i < nPre; i++)
    if (fds[i][1] >= 0) close(fds[i][1]);
  struct linger lg = {1, 0};
  for (int i = 0; i < nUnix; i++)
    if (accept(ul, NULL, NULL) < 0) die("accept unix");
  for (int i = 0; i < nTcp; i++) {
    int s = accept(tl6 >= 0 && i % 2 ? tl6 : tl4, NULL, NULL);
    if (s < 0) die("accept tcp");
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  char c;
  if (read(sync[0], &c, 1) != 1) die("B failed");
  close(sync[0]);
  int msg[2] = {getpid(), b};
  if (write(ready_fd, msg, sizeof msg) != sizeof msg) die("write ready");
  close(ready_fd);
  for (;;) pause();
}

static volatile sig_atomic_t stop = 0;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--sweep") == 0) {
    sweep();
    return 0;
  }
  if (argc != 4) {
    fprintf(stderr, "usage: workload DIR NPAIRS CHANNELS | workload --sweep\n");
    return 2;
  }
  const char *dir = argv[1];
  int npairs = atoi(argv[2]), channels = atoi(argv[3]);
  raise_nofile();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_PDEATHSIG, SIGTERM);  // the bench died: tear down
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  sweep();

  // SysV and POSIX objects held by the master (a few: real machines have few of them)
  int msqids[NSYSV], shmids[NSYSV], semids[NSYSV];
  for (int i = 0; i < NSYSV; i++) {
    if ((msqids[i] = msgget(KEY_BASE + i, IPC_CREAT | IPC_EXCL | 0600)) < 0) die("msgget");
    struct { long mtype; char text[16]; } m = {1 + i, "bench message"};
    for (int j = 0; j <= i; j++) msgsnd(msqids[i], &m, sizeof m.text, IPC_NOWAIT);
    if ((shmids[i] = shmget(KEY_BASE + 0x100 + i, 65536, IPC_CREAT | IPC_EXCL | 0600)) < 0) die("shmget");
    if ((semids[i] = semget(KEY_BASE + 0x200 + i, 3, IPC_CREAT | IPC_EXCL | 0600)) < 0) die("semget");
    semctl(semids[i], 0, SETVAL, i + 1);
  }
  char name[64];
  for (int i = 0; i < NPOSIX; i++) {
    snprintf(name, sizeof name, "/ipcbench.shm%d", i);
    int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    if (fd < 0 || ftruncate(fd, 65536) < 0) die("shm_open");
    if (mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED) die("mmap");
    snprintf(name, sizeof name, "/ipcbench.mq%d", i);
    struct mq_attr qa = {.mq_maxmsg = 8, .mq_msgsize = 64};
    mqd_t q = mq_open(name, O_CREAT | O_RDWR | O_NONBLOCK, 0600, &qa);
    if (q == (mqd_t)-1) die("mq_open");
    mq_send(q, "bench", 5, 0);
    snprintf(name, sizeof name, "/ipcbench.sem%d", i);
    if (sem_open(name, O_CREAT, 0600, i + 1) == SEM_FAILED) die("sem_open");
  }

  int ready[2];
  if (pipe(ready) < 0) die("pipe");
  pid_t *pids = calloc(2 * npairs, sizeof *pids);
  for (int k = 0; k < npairs; k++) {
    pid_t a = fork();
    if (a < 0) die("fork");
    if (a == 0) {
      close(ready[0]);
      run_pair(dir, k, channels, ready[1], shmids[k % NSYSV]);
    }
  }
  close(ready[1]);
  int got = 0;
  while (got < npairs && !stop) {
    int msg[2];
    ssize_t r = read(ready[0], msg, sizeof msg);
    if (r == sizeof msg) {
      pids[2 * got] = msg[0];
      pids[2 * got + 1] = msg[1];
      got++;
    } else if (r == 0 || (r < 0 && errno != EINTR)) {
      break;  // a pair died
    }
  }
  if (got == npairs && !stop) {
    long fds = 0;
    for (int i = 0; i < 2 * npairs; i++) {
      char p[64];
      snprintf(p, sizeof p, "/proc/%d/fd", pids[i]);
      // count by hand: the bench reports what was really opened
      int d = open(p, O_RDONLY | O_DIRECTORY);
      if (d < 0) continue;
      char buf[1 << 16];
      long nread;
      while ((nread = syscall(SYS_getdents64, d, buf, sizeof buf)) > 0) {
        for (long off = 0; off < nread;) {
          unsigned short reclen = *(unsigned short *)(buf + off + 16);
          if (buf[off + 19] != '.') fds++;
          off += reclen;
        }
      }
      close(d);
    }
    printf("READY %ld", fds);
    for (int i = 0; i < 2 * npairs; i++) printf(" %d", pids[i]);
    printf("\n");
    fflush(stdout);
    // wait for EOF on stdin or a signal
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    while (!stop) {
      int r = poll(&pfd, 1, 1000);
      if (r > 0) {
        char b[256];
        ssize_t n = read(0, b, sizeof b);
        if (n <= 0) break;
      }
    }
  } else {
    fprintf(stderr, "workload: only %d of %d pairs became ready\n", got, npairs);
  }
  // teardown: kill every pair (B dies with A, and is reaped here: we are a subreaper)
  signal(SIGTERM, SIG_IGN);
  for (int i = 0; i < 2 * npairs; i++)
    if (pids[i] > 0) kill(pids[i], SIGKILL);
  // pairs that never reported: kill by waiting on everything after SIGKILL to our children
  for (;;) {
    pid_t w = waitpid(-1, NULL, WNOHANG);
    if (w > 0) continue;
    if (w < 0 && errno == ECHILD) break;
    // still children (unreported A's): kill them
    char p[64];
    snprintf(p, sizeof p, "/proc/%d/task/%d/children", getpid(), getpid());
    FILE *f = fopen(p, "r");
    int c;
    if (f) {
      while (fscanf(f, "%d", &c) == 1) kill(c, SIGKILL);
      fclose(f);
    }
    usleep(2000);
  }
  for (int i = 0; i < NSYSV; i++) {
    msgctl(msqids[i], IPC_RMID, NULL);
    shmctl(shmids[i], IPC_RMID, NULL);
    semctl(semids[i], 0, IPC_RMID);
  }
  sweep();
  printf("DONE\n");
  fflush(stdout);
  return 0;
}
