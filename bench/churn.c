// Churn generator for the soak bench (bench/soak.ts): processes that fork and exit every few ms,
// each one an "episode" that makes one kind of IPC object, uses it briefly and tears it down —
// pipes, FIFOs, unix sockets (path, in a directory of their own; abstract), TCP and UDP on
// loopback, POSIX queues / shared memory / semaphores, SysV queues / segments / semaphore sets,
// eventfds, a network namespace (root), signal masks and signals, a writer blocked on a full pipe.
// Some episodes leave what the diagnosis looks for for a moment (a FIFO or socket path removed
// while held, a reader gone, a SysV segment nobody attaches). Compiled by bench/churn.ts with
// `cc -O2` into a temp dir; not part of the extension.
//
//   churn DIR [SPAWN_US [MAX_LIVE]]  -> forks an episode every SPAWN_US µs (default 5000) while
//                                       fewer than MAX_LIVE (default 80) run; prints
//                                       "STATS live=N kind=count …" every 10 s (cumulative);
//                                       on EOF of stdin or SIGINT/SIGTERM/SIGHUP stops spawning,
//                                       waits for the episodes, removes what they named, prints DONE.
//   churn --sweep                    -> removes objects a killed run left (fixed keys and names).
//
// Every child dies with its parent (PR_SET_PDEATHSIG); the master is a subreaper, so it reaps
// every grandchild too.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEY_BASE 0x1bd00000 /* the bench workload uses 0x1bc00000 */
#define NAMES 4096          /* names and keys are reused modulo this (objects are new each time) */

enum {
  K_EXIT, K_EXEC, K_PIPE, K_FIFO, K_UNIX, K_ABSTRACT, K_TCP, K_UDP, K_MQ, K_PSHM, K_PSEM,
  K_SYSV, K_EVENTFD, K_NETNS, K_SIGNALS, K_BLOCKED, K_COUNT
};
static const char *kind_name[K_COUNT] = {"exit", "exec", "pipe", "fifo", "unix", "abstract", "tcp", "udp", "mq", "pshm", "psem",
                                         "sysv", "eventfd", "netns", "signals", "blocked"};

static const char *dir;
static volatile sig_atomic_t stopping;
static uint64_t *counts; /* shared with the episodes: [kind] = episodes run, [K_COUNT] = failures */
static unsigned seed;
static pid_t *episodes; /* the running episodes (not their children, which the subreaper reaps too) */
static int max_live;

static int forget_episode(pid_t p) {
  for (int i = 0; i < max_live; i++)
    if (episodes[i] == p) {
      episodes[i] = 0;
      return 1;
    }
  return 0;
}
static void add_episode(pid_t p) {
  for (int i = 0; i < max_live; i++)
    if (episodes[i] == 0) {
      episodes[i] = p;
      return;
    }
}

static unsigned rnd(void) {
  seed = seed * 1103515245u + 12345u;
  return seed >> 8;
}
static void msleep(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}
/* A lifetime: mostly short, sometimes up to 1.5 s. */
static unsigned life(void) {
  unsigned r = rnd() % 100;
  return r < 60 ? 20 + rnd() % 200 : r < 90 ? 200 + rnd() % 600 : 800 + rnd() % 700;
}
static void fail(void) {
  __sync_fetch_and_add(&counts[K_COUNT], 1);
}
/* fork a child that dies with its parent */
static pid_t child(void) {
  pid_t p = fork();
  if (p == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    seed ^= (unsigned)getpid() * 2654435761u;
  }
  return p;
}
/* fork a child that outlives its parent (ends by itself; the master, a subreaper, reaps it) */
static pid_t free_child(void) {
  pid_t p = fork();
  if (p == 0) seed ^= (unsigned)getpid() * 2654435761u;
  return p;
}
static void reap(pid_t p) {
  if (p > 0) {
    kill(p, SIGKILL);
    waitpid(p, NULL, 0);
  }
}

static void sweep(void) {
  char name[64];
  for (int i = 0; i < NAMES; i++) {
    snprintf(name, sizeof name, "/ipcchurn.%d", i);
    mq_unlink(name);
    shm_unlink(name);
    sem_unlink(name + 1);
    int id;
    if ((id = msgget(KEY_BASE + i, 0)) >= 0) msgctl(id, IPC_RMID, NULL);
    if ((id = shmget(KEY_BASE + i, 0, 0)) >= 0) shmctl(id, IPC_RMID, NULL);
    if ((id = semget(KEY_BASE + i, 0, 0)) >= 0) semctl(id, 0, IPC_RMID);
  }
}

static int tcp_pair(int family, int type, int *a, int *b, int *l) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  socklen_t len;
  if (family == AF_INET) {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *s4;
  } else {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_addr = in6addr_loopback;
    len = sizeof *s6;
  }
  *l = socket(family, type, 0);
  if (*l < 0 || bind(*l, (struct sockaddr *)&ss, len) != 0) return -1;
  if (getsockname(*l, (struct sockaddr *)&ss, &len) != 0) return -1;
  if (type == SOCK_STREAM && listen(*l, 8) != 0) return -1;
  *a = socket(family, type, 0);
  if (*a < 0 || connect(*a, (struct sockaddr *)&ss, len) != 0) return -1;
  if (type == SOCK_STREAM) {
    *b = accept(*l, NULL, NULL);
    return *b < 0 ? -1 : 0;
  }
  *b = -1;
  return 0;
}

static void lo_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  if (s >= 0) close(s);
}

static void on_usr(int sig) {
  (void)sig;
}

/* One episode of kind k, number n. Runs in its own process; returns its exit status. */
static int episode(int k, unsigned n) {
  unsigned idx = n % NAMES;
  char name[64], path[4096];
  unsigned l = life();
  char buf[256];
  memset(buf, 'x', sizeof buf);
  switch (k) {
    case K_EXIT:
      return 0;
    case K_EXEC: {
      char comm[16];
      snprintf(comm, sizeof comm, "churn-%u", n % 1000);
      __sync_fetch_and_add(&counts[K_EXEC], 1); /* counted before: a successful exec does not return */
      execl("/bin/true", comm, (char *)NULL);
      return 3;
    }
    case K_PIPE: {
      int p[2];
      if (pipe(p) != 0) return 1;
      /* half the time the reader leaves first: the writer holds a pipe nobody reads for a while */
      int linger = rnd() % 2;
      pid_t c = linger ? free_child() : child();
      if (c == 0) {
        close(p[0]);
        if (write(p[1], buf, 1 + rnd() % 200) < 0) _exit(1);
        msleep(l);
        _exit(0);
      }
      close(p[1]);
      if (linger) return 0;
      msleep(l / 2);
      if (read(p[0], buf, 16) < 0) return 1;
      msleep(l / 2);
      reap(c);
      return 0;
    }
    case K_FIFO: {
      snprintf(path, sizeof path, "%s/fifo.%u", dir, n);
      if (mkfifo(path, 0600) != 0) return 1;
      pid_t c = child();
      if (c == 0) {
        int w = open(path, O_WRONLY);
        if (w < 0 || write(w, buf, 1 + rnd() % 100) < 0) _exit(1);
        msleep(l);
        _exit(0);
      }
      int r = open(path, O_RDONLY);
      if (r < 0) return 1;
      msleep(l / 2);
      unlink(path); /* held, path deleted */
      msleep(l / 2);
      reap(c);
      return 0;
    }
    case K_UNIX: {
      /* a directory of its own (as ssh-agent, tmux, gpg make them), removed at the end */
      char d[4096];
      snprintf(d, sizeof d, "%s/u.%u", dir, n);
      if (mkdir(d, 0700) != 0) return 1;
      struct sockaddr_un a;
      memset(&a, 0, sizeof a);
      a.sun_family = AF_UNIX;
      if (strlen(d) + 3 > sizeof a.sun_path) {
        rmdir(d);
        return 1;
      }
      memcpy(a.sun_path, d, strlen(d));
      memcpy(a.sun_path + strlen(d), "/s", 3);
      int ls = socket(AF_UNIX, (n & 1) ? SOCK_STREAM : SOCK_SEQPACKET, 0);
      if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 8) != 0) {
        rmdir(d);
        return 1;
      }
      pid_t c = child();
      if (c == 0) {
        int s = socket(AF_UNIX, (n & 1) ? SOCK_STREAM : SOCK_SEQPACKET, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(1);
        if (write(s, buf, 1 + rnd() % 200) < 0) _exit(1);
        msleep(l);
        _exit(0);
      }
      int s = accept(ls, NULL, NULL);
      if (s < 0) return 1;
      msleep(l / 2);
      if (rnd() % 3 == 0) unlink(a.sun_path); /* the listener's path removed while it listens */
      msleep(l / 2);
      reap(c);
      unlink(a.sun_path);
      rmdir(d);
      return 0;
    }
    case K_ABSTRACT: {
      struct sockaddr_un a;
      memset(&a, 0, sizeof a);
      a.sun_family = AF_UNIX;
      int len = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "ipcchurn.%u", n);
      socklen_t al = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
      int ls = socket(AF_UNIX, SOCK_STREAM, 0);
      if (ls < 0 || bind(ls, (struct sockaddr *)&a, al) != 0 || listen(ls, 8) != 0) return 1;
      int sp[2];
      if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) != 0) return 1;
      pid_t c = child();
      if (c == 0) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&a, al) != 0) _exit(1);
        if (write(sp[1], buf, 32) < 0) _exit(1);
        msleep(l);
        _exit(0);
      }
      msleep(l);
      reap(c);
      return 0;
    }
    case K_TCP: {
      int a, b, ls;
      if (tcp_pair((n & 1) ? AF_INET6 : AF_INET, SOCK_STREAM, &a, &b, &ls) != 0) return 1;
      if (write(a, buf, 1 + rnd() % 200) < 0) return 1; /* left unread: a receive queue */
      msleep(l / 4);
      return 0;
    }
    case K_UDP: {
      int a, b, ls;
      if (tcp_pair(AF_INET, SOCK_DGRAM, &a, &b, &ls) != 0) return 1;
      if (send(a, buf, 64, 0) < 0) return 1;
      msleep(l / 4);
      return 0;
    }
    case K_MQ: {
      snprintf(name, sizeof name, "/ipcchurn.%u", idx);
      struct mq_attr at = {.mq_maxmsg = 8, .mq_msgsize = 64};
      mqd_t q = mq_open(name, O_CREAT | O_RDWR, 0600, &at);
      if (q == (mqd_t)-1) return 1;
      for (int i = 0; i < 3; i++)
        if (mq_send(q, buf, 16 + i, 0) != 0) return 1;
      pid_t c = child();
      if (c == 0) {
        char r[64];
        if (mq_receive(q, r, sizeof r, NULL) < 0) _exit(1);
        msleep(l);
        _exit(0);
      }
      msleep(l);
      mq_unlink(name);
      reap(c);
      return 0;
    }
    case K_PSHM: {
      snprintf(name, sizeof name, "/ipcchurn.%u", idx);
      int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
      if (fd < 0 || ftruncate(fd, 8192) != 0) return 1;
      char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if (m == MAP_FAILED) return 1;
      m[0] = 1;
      pid_t c = child();
      if (c == 0) {
        msleep(l);
        _exit(m[0] == 1 ? 0 : 1);
      }
      msleep(l);
      shm_unlink(name);
      reap(c);
      return 0;
    }
    case K_PSEM: {
      snprintf(name, sizeof name, "ipcchurn.%u", idx);
      sem_t *s = sem_open(name, O_CREAT, 0600, 1);
      if (s == SEM_FAILED) return 1;
      sem_post(s);
      pid_t c = child();
      if (c == 0) {
        sem_wait(s);
        msleep(l);
        _exit(0);
      }
      msleep(l);
      sem_unlink(name);
      reap(c);
      return 0;
    }
    case K_SYSV: {
      key_t key = (key_t)(KEY_BASE + idx);
      int q = msgget(key, IPC_CREAT | 0600);
      int sh = shmget(key, 4096, IPC_CREAT | 0600);
      int se = semget(key, 3, IPC_CREAT | 0600);
      if (q < 0 || sh < 0 || se < 0) {
        if (q >= 0) msgctl(q, IPC_RMID, NULL);
        if (sh >= 0) shmctl(sh, IPC_RMID, NULL);
        if (se >= 0) semctl(se, 0, IPC_RMID);
        return 1;
      }
      struct {
        long type;
        char text[32];
      } msg = {1 + rnd() % 5, "churn"};
      msgsnd(q, &msg, sizeof msg.text, IPC_NOWAIT);
      semctl(se, 1, SETVAL, (int)(rnd() % 4));
      void *at = shmat(sh, NULL, 0);
      pid_t c = child();
      if (c == 0) {
        void *a2 = shmat(sh, NULL, SHM_RDONLY);
        msleep(l);
        _exit(a2 == (void *)-1 ? 1 : 0);
      }
      msleep(l / 2);
      reap(c);
      if (at != (void *)-1) shmdt(at);
      msleep(l / 2); /* a segment, a queue with a message and a set nobody holds: leftovers for a moment */
      msgctl(q, IPC_RMID, NULL);
      shmctl(sh, IPC_RMID, NULL);
      semctl(se, 0, IPC_RMID);
      return 0;
    }
    case K_EVENTFD: {
      int e = eventfd(rnd() % 10, (n & 1) ? EFD_SEMAPHORE : 0);
      if (e < 0) return 1;
      pid_t c = child();
      if (c == 0) {
        uint64_t one = 1;
        if (write(e, &one, sizeof one) < 0) _exit(1);
        msleep(l);
        _exit(0);
      }
      msleep(l);
      reap(c);
      return 0;
    }
    case K_NETNS: {
      /* a network namespace of its own (root only): it lives as long as this process */
      if (unshare(CLONE_NEWNET) != 0) return 2;
      lo_up();
      int a, b, ls;
      if (tcp_pair(AF_INET, SOCK_STREAM, &a, &b, &ls) != 0) return 1;
      if (write(a, buf, 10) < 0) return 1;
      msleep(l);
      return 0;
    }
    case K_SIGNALS: {
      /* a random blocked set, handlers and ignores (masks the snapshot decodes), a pending signal */
      sigset_t set;
      sigemptyset(&set);
      for (int s = 1; s < 64; s++)
        if (s != SIGKILL && s != SIGSTOP && s != SIGCHLD && rnd() % 4 == 0) sigaddset(&set, s);
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_usr;
      for (int s = 1; s < 64; s++) {
        if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGALRM) continue;
        unsigned r = rnd() % 8;
        if (r == 0) signal(s, SIG_IGN);
        else if (r == 1) sigaction(s, &sa, NULL);
      }
      sigaddset(&set, SIGUSR2);
      sigprocmask(SIG_BLOCK, &set, NULL);
      raise(SIGUSR2); /* blocked: stays pending */
      pid_t c = child();
      if (c == 0) {
        msleep(l);
        _exit(0);
      }
      kill(c, SIGUSR1); /* the tracer's signal log sees these */
      union sigval v = {.sival_int = (int)n};
      sigqueue(c, SIGRTMIN + (int)(n % 8), v);
      msleep(l);
      reap(c);
      return 0;
    }
    case K_BLOCKED: {
      /* a writer blocked on a full pipe whose reader never reads */
      int p[2];
      if (pipe(p) != 0) return 1;
      pid_t c = child();
      if (c == 0) {
        close(p[0]);
        static char big[65536];
        for (;;)
          if (write(p[1], big, sizeof big) < 0) _exit(0);
      }
      close(p[1]);
      msleep(l);
      reap(c);
      return 0;
    }
  }
  return 1;
}

static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void print_stats(int live) {
  printf("STATS live=%d", live);
  for (int k = 0; k < K_COUNT; k++) printf(" %s=%llu", kind_name[k], (unsigned long long)counts[k]);
  printf(" failed=%llu\n", (unsigned long long)counts[K_COUNT]);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--sweep") == 0) {
    sweep();
    return 0;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: churn DIR [SPAWN_US [MAX_LIVE]] | churn --sweep\n");
    return 2;
  }
  dir = argv[1];
  long spawn_us = argc > 2 ? atol(argv[2]) : 5000;
  max_live = argc > 3 ? atoi(argv[3]) : 80;
  if (max_live < 1) max_live = 1;
  episodes = calloc((size_t)max_live, sizeof *episodes);
  if (spawn_us < 100) spawn_us = 100;
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  counts = mmap(NULL, sizeof(uint64_t) * (K_COUNT + 1), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (counts == MAP_FAILED) return 2;
  seed = (unsigned)getpid();
  sweep();
  int root = geteuid() == 0;
  int live = 0;
  unsigned n = 0;
  double next = now_ms(), stats_at = now_ms() + 10000;
  printf("READY %d\n", getpid());
  fflush(stdout);
  while (!stopping) {
    int st;
    pid_t w;
    while ((w = waitpid(-1, &st, WNOHANG)) > 0) live -= forget_episode(w);
    double t = now_ms();
    if (t >= stats_at) {
      print_stats(live);
      stats_at = t + 10000;
    }
    if (t >= next) {
      next += spawn_us / 1000.0;
      if (next < t) next = t; /* fell behind (a busy machine): do not burst */
      int k = (int)(n % K_COUNT);
      if (k == K_NETNS && !root) k = K_EXIT;
      if (live < max_live) {
        unsigned id = n;
        pid_t p = fork();
        if (p == 0) {
          prctl(PR_SET_PDEATHSIG, SIGKILL);
          prctl(PR_SET_CHILD_SUBREAPER, 0);
          signal(SIGINT, SIG_DFL);
          signal(SIGTERM, SIG_DFL);
          signal(SIGHUP, SIG_DFL);
          seed = (unsigned)getpid() * 2654435761u ^ id;
          int r = episode(k, id);
          if (r != 0) fail();
          else __sync_fetch_and_add(&counts[k], 1);
          _exit(0);
        }
        if (p > 0) {
          add_episode(p);
          live++;
        }
      }
      n++;
    }
    struct pollfd pf = {0, POLLIN, 0};
    int wait = (int)(next - now_ms());
    if (wait < 0) wait = 0;
    if (wait > 50) wait = 50;
    if (poll(&pf, 1, wait) > 0) {
      char b[256];
      ssize_t r = read(0, b, sizeof b);
      if (r <= 0) break; /* EOF: stop */
    }
  }
  /* stop: no new episodes; the running ones end within their lifetimes (≤ 1.5 s) */
  double until = now_ms() + 5000;
  while (live > 0 && now_ms() < until) {
    pid_t w = waitpid(-1, NULL, WNOHANG);
    if (w > 0) live -= forget_episode(w);
    else msleep(20);
  }
  /* what is still running dies with this process (PR_SET_PDEATHSIG) */
  sweep();
  print_stats(live);
  printf("DONE\n");
  fflush(stdout);
  return 0;
}
