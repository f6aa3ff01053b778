// The oracle's view of a process's fds: /proc/PID/fd read directly, the kernel's own answer that
// tests compare the walks with.
import * as fs from 'node:fs';

export interface FdLink {
  fd: number;
  /** readlink of /proc/PID/fd/N: `pipe:[INODE]`, `socket:[INODE]`, a path, … */
  link: string;
}

/** Every fd of `pid` with its link, in fd order; an fd closed since the directory was read is left out, and a process gone or unreadable has none. */
export function fdLinks(pid: number): FdLink[] {
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const out: FdLink[] = [];
  for (const name of names) {
    try {
      out.push({ fd: Number(name), link: fs.readlinkSync(`/proc/${pid}/fd/${name}`) });
    } catch {
      /* closed since the readdir */
    }
  }
  return out.sort((a, b) => a.fd - b.fd);
}
