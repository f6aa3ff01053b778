// The oracle's view of a process's fds: /proc/PID/fd read directly, the kernel's own answer that
// tests compare the walks with.
import * as fs from 'node:fs';

export interface FdLink {
  fd: number;
  /** readlink of /proc/PID/fd/N: `pipe:[INODE]`, `socket:[INODE]`, a path, … */
  link: string;
}

/**
 * Every fd of `pid` with its link, in fd order; an fd closed since the directory was read is left
 * out. Throws when the directory cannot be read (the process is gone, or not ours to read): an
 * oracle's process must be there, and a caller scanning processes that may exit catches.
 */
export function fdLinks(pid: number): FdLink[] {
  const out: FdLink[] = [];
  for (const name of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push({ fd: Number(name), link: fs.readlinkSync(`/proc/${pid}/fd/${name}`) });
    } catch {
      /* closed since the readdir */
    }
  }
  return out.sort((a, b) => a.fd - b.fd);
}
