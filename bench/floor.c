// The raw floor for the bench: the least a tool must do to see every IPC fd on the machine.
// readdir (getdents64) of every /proc/PID/fd + one readlinkat per fd, plus reading
// /proc/net/{unix,tcp,tcp6,udp,udp6} and /proc/sysvipc/{msg,shm,sem} once. Nothing is parsed,
// stat'ed or joined. Compiled by bench/floor.ts with `cc -O2 -pthread`; not part of the extension.
//
//   floor [THREADS]  -> one JSON line: {"ms":…,"cpuMs":…,"minflt":…,"threads":…,"procs":…,"fds":…,"sockets":…,"pipes":…,"textBytes":…}
//   floor --fault-cost -> {"faultUs":…}: what one fault on a fresh 4 KiB anonymous page costs on this
//                        machine (the median of 5 passes over 64 MiB). It differs 7× between VMs
//                        (2 µs one day, 14 µs on another of the same kind), and a snapshot faults
//                        in thousands of pages where the floor faults in almost none: the figure
//                        that explains a ratio moving from one machine to the next.
//
// With THREADS > 1 the pids are shared out through an atomic counter; the main thread reads the
// /proc/net and /proc/sysvipc files first, then joins the walk.
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct dirent64_ {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static int procfd;
static int *pids;
static int npids;
static atomic_int next_pid;

struct counts {
  long procs, fds, sockets, pipes;
};

static void *walk(void *arg) {
  struct counts *c = arg;
  char buf[1 << 15], link[4096], name[32];
  for (;;) {
    int i = atomic_fetch_add(&next_pid, 1);
    if (i >= npids) break;
    snprintf(name, sizeof name, "%d/fd", pids[i]);
    int d = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0) continue;  // vanished or not permitted
    c->procs++;
    long n;
    while ((n = syscall(SYS_getdents64, d, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        struct dirent64_ *e = (struct dirent64_ *)(buf + off);
        off += e->d_reclen;
        if (e->d_name[0] == '.') continue;
        ssize_t l = readlinkat(d, e->d_name, link, sizeof link);
        if (l <= 0) continue;
        c->fds++;
        if (l > 7 && memcmp(link, "socket:", 7) == 0) c->sockets++;
        else if (l > 5 && memcmp(link, "pipe:", 5) == 0) c->pipes++;
      }
    }
    close(d);
  }
  return NULL;
}

static long read_all(const char *path) {
  static char buf[1 << 16];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  long total = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
  close(fd);
  return total;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int fault_cost(void) {
  const size_t len = 64u << 20, page = 4096;
  double us[5];
  for (int r = 0; r < 5; r++) {
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    madvise(p, len, MADV_NOHUGEPAGE);  // 4 KiB pages, as the heaps that fault in a snapshot get
    double t = now_ms();
    for (size_t i = 0; i < len; i += page) p[i] = 1;
    us[r] = (now_ms() - t) * 1e3 / (double)(len / page);
    munmap(p, len);
  }
  qsort(us, 5, sizeof *us, cmp_double);
  printf("{\"faultUs\":%.3f}\n", us[2]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--fault-cost") == 0) return fault_cost();
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1) threads = 1;
  if (threads > 64) threads = 64;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);

  procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (procfd < 0) return 1;
  int cap = 1024;
  pids = malloc(cap * sizeof *pids);
  char buf[1 << 15];
  long n;
  while ((n = syscall(SYS_getdents64, procfd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < n;) {
      struct dirent64_ *e = (struct dirent64_ *)(buf + off);
      off += e->d_reclen;
      if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
      if (npids == cap) pids = realloc(pids, (cap *= 2) * sizeof *pids);
      pids[npids++] = atoi(e->d_name);
    }
  }

  struct counts c[64];
  memset(c, 0, sizeof c);
  pthread_t tid[64];
  for (int t = 1; t < threads; t++) pthread_create(&tid[t], NULL, walk, &c[t]);
  static const char *files[] = {"/proc/net/unix", "/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp",
                                "/proc/net/udp6", "/proc/sysvipc/msg", "/proc/sysvipc/shm", "/proc/sysvipc/sem"};
  long textBytes = 0;
  for (unsigned i = 0; i < sizeof files / sizeof *files; i++) textBytes += read_all(files[i]);
  walk(&c[0]);
  for (int t = 1; t < threads; t++) pthread_join(tid[t], NULL);

  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct counts s = {0, 0, 0, 0};
  for (int t = 0; t < threads; t++) {
    s.procs += c[t].procs;
    s.fds += c[t].fds;
    s.sockets += c[t].sockets;
    s.pipes += c[t].pipes;
  }
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpuMs = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  printf("{\"ms\":%.3f,\"cpuMs\":%.3f,\"minflt\":%ld,\"threads\":%d,\"procs\":%ld,\"fds\":%ld,\"sockets\":%ld,\"pipes\":%ld,\"textBytes\":%ld}\n", ms, cpuMs,
         ru.ru_minflt, threads, s.procs, s.fds, s.sockets, s.pipes, textBytes);
  return 0;
}
