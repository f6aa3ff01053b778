// Whether the running kernel has a module's code already — built in, loaded, or a kernel without
// loadable modules — so that a netlink request served by it cannot make the kernel load it. A
// request to a netlink family or sock_diag handler that is a module not loaded makes the kernel
// request_module() it; a tool that only looks must not change what is loaded, so such requests
// are made only when this says yes (ctnetlink lookups, netlink_diag, mptcp_diag, raw_diag,
// packet_diag), and a text table is read otherwise. (unix_diag and inet_diag are asked as ss and
// lsof ask them: without them a snapshot has no Unix peers, listener backlogs or queues.)
import * as fs from 'node:fs';
import * as os from 'node:os';

/**
 * Yes when `name` is loaded or built in, or when the kernel has no modules at all (no /proc/modules).
 * `root`: where /sys, /proc and /lib are (a test's tree of a distribution kernel's files).
 */
export function kernelHasModule(name: string, root = ''): boolean {
  if (fs.existsSync(`${root}/sys/module/${name}`)) return true;
  let modules: string;
  try {
    modules = fs.readFileSync(`${root}/proc/modules`, 'latin1');
  } catch {
    return true; // no /proc/modules: a kernel without loadable modules, nothing can be loaded
  }
  if (modules.split('\n').some((l) => l.startsWith(name + ' '))) return true;
  try {
    const builtin = fs.readFileSync(`${root}/lib/modules/${os.release()}/modules.builtin`, 'latin1');
    return builtin.split('\n').some((l) => l === `${name}.ko` || l.endsWith(`/${name}.ko`));
  } catch {
    return false;
  }
}

/**
 * A sock_diag handler the kernel may serve from a module, and what was last learnt of it, each
 * answer standing for `recheckMs`: whether the kernel has its module (kernelHasModule, read again
 * after that), and that a kernel without it answered that it has no handler (not asked again
 * meanwhile).
 */
export class DiagHandler {
  private present: { value: boolean; until: number } | null = null;
  private missingUntil = 0;

  constructor(
    private readonly module: string,
    private readonly recheckMs = 60_000,
    private readonly root = '',
  ) {}

  /** `ok` to ask; `not-loaded` when it is a module not loaded (a request would load it); `no-handler` for a while after the kernel said it has none. */
  state(): 'ok' | 'not-loaded' | 'no-handler' {
    const now = performance.now();
    if (this.present === null || now >= this.present.until) this.present = { value: kernelHasModule(this.module, this.root), until: now + this.recheckMs };
    return !this.present.value ? 'not-loaded' : now < this.missingUntil ? 'no-handler' : 'ok';
  }

  /** The kernel answered that it has no such handler (a kernel built without it). */
  missing(): void {
    this.missingUntil = performance.now() + this.recheckMs;
  }
}
