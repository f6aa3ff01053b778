// What the views' header says of this machine: distro (/etc/os-release), kernel, CPUs, memory.
// From Node's os module and one small root-owned file read asynchronously: no command is spawned
// and nothing runs on the calling thread that could wait on the network (`hostname -f` did).
import * as os from 'node:os';
import { readTextWithin } from './deadline';

export interface HostSummary {
  distro: string;
  kernel: string;
  cpus: number;
  cpuBrand: string;
  memTotal: number;
}

/** `NAME VERSION_ID` of os-release text (`Debian GNU/Linux 12`), PRETTY_NAME without it, '' without either. Values may be quoted. */
export function distroOf(osRelease: string): string {
  const vars = new Map<string, string>();
  for (const line of osRelease.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.endsWith(v[0])) v = v.slice(1, -1).replace(/\\(["'$`\\])/g, '$1');
    vars.set(m[1], v);
  }
  const name = vars.get('NAME');
  if (name) return [name, vars.get('VERSION_ID')].filter(Boolean).join(' ');
  return vars.get('PRETTY_NAME') ?? '';
}

export async function hostSummary(): Promise<HostSummary> {
  let distro = '';
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      distro = distroOf(await readTextWithin(p));
      if (distro) break;
    } catch {
      /* the next one, else no distro */
    }
  }
  const cpus = os.cpus();
  return { distro: distro || 'Linux', kernel: os.release(), cpus: cpus.length, cpuBrand: (cpus[0]?.model ?? '').trim(), memTotal: os.totalmem() };
}
