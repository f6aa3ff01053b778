// Whether the running kernel has a module's code already — built in, loaded, or a kernel without
// loadable modules — so that a netlink request served by it cannot make the kernel load it. A
// request to a netlink family or sock_diag handler that is a module not loaded makes the kernel
// request_module() it; a tool that only looks must not change what is loaded, so such requests
// are made only when this says yes (ctnetlink lookups, netlink_diag), and a text table is read
// otherwise.
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Yes when `name` is loaded or built in, or when the kernel has no modules at all (no /proc/modules). */
export function kernelHasModule(name: string): boolean {
  if (fs.existsSync(`/sys/module/${name}`)) return true;
  let modules: string;
  try {
    modules = fs.readFileSync('/proc/modules', 'latin1');
  } catch {
    return true; // no /proc/modules: a kernel without loadable modules, nothing can be loaded
  }
  if (modules.split('\n').some((l) => l.startsWith(name + ' '))) return true;
  try {
    const builtin = fs.readFileSync(`/lib/modules/${os.release()}/modules.builtin`, 'latin1');
    return builtin.split('\n').some((l) => l === `${name}.ko` || l.endsWith(`/${name}.ko`));
  } catch {
    return false;
  }
}
