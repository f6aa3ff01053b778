// The loops the live-activity bench times (bench/activity.ts), with and without the tracer:
//
//   activity-loop pipe|unix|tcp N     N iterations of: write/send 1 byte, read/recv it back (one
//                                     process, both ends; blocking). Prints {"iterations","ns","cpuNs"}:
//                                     wall ns of the loop (CLOCK_MONOTONIC) and its user+sys CPU.
//   activity-loop rate-pipe OPS SECS  OPS pipe write+read pairs per second for SECS seconds, paced in
//   activity-loop rate-signal OPS SECS  1 ms batches; rate-signal sends OPS kill(self, SIGUSR1) per
//                                     second with SIGUSR1 ignored (signal_generate fires, result
//                                     "ignored"). Prints {"ops","ns","cpuNs","pid","inode"}.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long long cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000000LL + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1000LL;
}

static void die(const char *w) {
  perror(w);
  exit(1);
}

static void pairOf(const char *mode, int *w, int *r) {
  if (!strcmp(mode, "pipe") || !strcmp(mode, "rate-pipe")) {
    int p[2];
    if (pipe(p)) die("pipe");
    *r = p[0];
    *w = p[1];
  } else if (!strcmp(mode, "unix")) {
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s)) die("socketpair");
    *w = s[0];
    *r = s[1];
  } else if (!strcmp(mode, "tcp")) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len)) die("listen");
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) die("connect");
    int s = accept(l, NULL, NULL);
    if (s < 0) die("accept");
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    close(l);
    *w = c;
    *r = s;
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: activity-loop pipe|unix|tcp N | rate-pipe|rate-signal OPS SECS\n");
    return 2;
  }
  const char *mode = argv[1];
  char b = 'x';
  if (!strncmp(mode, "rate-", 5)) {
    long ops = atol(argv[2]);
    double secs = argc > 3 ? atof(argv[3]) : 5;
    int w = -1, r = -1;
    int sig = !strcmp(mode, "rate-signal");
    if (sig) signal(SIGUSR1, SIG_IGN);
    else pairOf(mode, &w, &r);
    struct stat st;
    unsigned long long ino = 0;
    if (!sig && fstat(w, &st) == 0) ino = st.st_ino;
    const long long t0 = now(), c0 = cpu(), end = t0 + (long long)(secs * 1e9);
    long done = 0;
    for (long long tick = t0; tick < end; tick += 1000000) {
      long target = (long)((double)(tick + 1000000 - t0) / 1e9 * ops);
      while (done < target) {
        if (sig) kill(getpid(), SIGUSR1);
        else if (write(w, &b, 1) != 1 || read(r, &b, 1) != 1) die("pipe");
        done++;
      }
      long long t = now();
      if (t < tick + 1000000) {
        struct timespec d = {0, tick + 1000000 - t};
        nanosleep(&d, NULL);
      }
    }
    const long long ns = now() - t0, c = cpu() - c0;
    printf("{\"ops\":%ld,\"ns\":%lld,\"cpuNs\":%lld,\"pid\":%d,\"inode\":%llu}\n", done, ns, c, getpid(), ino);
    return 0;
  }
  long n = atol(argv[2]);
  int w, r;
  pairOf(mode, &w, &r);
  int sock = strcmp(mode, "pipe") != 0;
  for (int i = 0; i < 1000; i++) {  // warm
    if ((sock ? send(w, &b, 1, 0) : write(w, &b, 1)) != 1 || (sock ? recv(r, &b, 1, 0) : read(r, &b, 1)) != 1) die("warm");
  }
  const long long t0 = now(), c0 = cpu();
  for (long i = 0; i < n; i++) {
    if ((sock ? send(w, &b, 1, 0) : write(w, &b, 1)) != 1) die("send");
    if ((sock ? recv(r, &b, 1, 0) : read(r, &b, 1)) != 1) die("recv");
  }
  const long long ns = now() - t0, c = cpu() - c0;
  printf("{\"iterations\":%ld,\"ns\":%lld,\"cpuNs\":%lld}\n", n, ns, c);
  return 0;
}
