// Loads bench/iterfloor.bpf.o and times one read pass of its task_file iterator (load, verify
// and attach are not timed, as floor.c does not time its start-up). Compiled by
// bench/iterFloor.ts with `cc -O2 … -lbpf`; not part of the extension.
//
//   iterfloor OBJECT -> one JSON line: {"ms":…,"cpuMs":…,"records":…}
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double cpu_ms(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: iterfloor OBJECT\n");
    return 2;
  }
  libbpf_set_print(NULL);
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) {
    fprintf(stderr, "open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  if (bpf_object__load(obj)) {
    fprintf(stderr, "load: %s\n", strerror(errno));
    return 1;
  }
  struct bpf_program *prog = bpf_object__find_program_by_name(obj, "floor_task_file");
  struct bpf_link *link = prog ? bpf_program__attach_iter(prog, NULL) : NULL;
  if (!link) {
    fprintf(stderr, "attach: %s\n", strerror(errno));
    return 1;
  }
  static char buf[1 << 16];
  double t = now_ms(), c = cpu_ms();
  int fd = bpf_iter_create(bpf_link__fd(link));
  if (fd < 0) {
    fprintf(stderr, "bpf_iter_create: %s\n", strerror(errno));
    return 1;
  }
  long bytes = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) bytes += n;
  if (n < 0) {
    fprintf(stderr, "read: %s\n", strerror(errno));
    return 1;
  }
  close(fd);
  printf("{\"ms\":%.3f,\"cpuMs\":%.3f,\"records\":%ld}\n", now_ms() - t, cpu_ms() - c, bytes / 16);
  bpf_link__destroy(link);
  bpf_object__close(obj);
  return 0;
}
