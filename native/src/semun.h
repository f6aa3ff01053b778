// semctl's fourth argument. glibc leaves the union for the caller to declare (semctl(2)), and two
// files make semctl calls (sysv.cc lists and peeks, sysvremove.cc stats and removes): one declaration.
#pragma once

#include <sys/sem.h>

namespace ipci {

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
  struct seminfo* __buf;
};

}  // namespace ipci
