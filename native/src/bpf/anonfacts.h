// The fdinfo lines of eventfds and signalfds written from the iterator's record (walk.h
// IPCI_F_ANON_FACTS) instead of read from /proc/PID/fdinfo/N, and whether this kernel prints them
// the same: checked once per process on an eventfd and a signalfd of our own, so a kernel whose
// lines differ (an older one without eventfd-id or eventfd-semaphore) gets them read as before.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <linux/types.h>

#include "../../bpf/walk.h"

namespace ipci {
namespace bpf {

/** Whether AnonFactsLines writes what this kernel's fdinfo prints (checked on the first call). */
bool AnonFactsMatchKernel();

/**
 * The fdinfo lines of `keys` (as KeepFdinfoLines keeps them from the kernel's text) of an anon
 * record with IPCI_F_ANON_FACTS whose name (n bytes) is [eventfd] or [signalfd]; false for any
 * other record.
 */
bool AnonFactsLines(const ipci_fd_rec& r, const char* name, size_t n, const std::vector<std::string>& keys, std::string& out);

}  // namespace bpf
}  // namespace ipci
