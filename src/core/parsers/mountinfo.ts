// /proc/PID/mountinfo: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTS`.
// One parser for every reader (the pty stacks of probes/ptys.ts, the local-file-system check of
// diagnose/paths.ts). Total: a malformed line is skipped, never thrown on. Another user's mount
// namespace decides what the text holds; its readers bound how much of it they read.

/** One mount, the fields its readers use. */
export interface MountLine {
  id: number;
  parent: number;
  /** `major:minor` of the mounted file system. */
  dev: string;
  /** Where it is mounted, its octal escapes (`\040` a space) undone. */
  mountPoint: string;
  fstype: string;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountLine[] {
  const out: MountLine[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const a = line.slice(0, sep).split(' ');
    const b = line.slice(sep + 3).split(' ');
    const id = Number(a[0]);
    const parent = Number(a[1]);
    if (a.length < 5 || !Number.isInteger(id) || !Number.isInteger(parent) || !/^\d+:\d+$/.test(a[2])) continue;
    out.push({ id, parent, dev: a[2], mountPoint: unescapeMount(a[4]), fstype: b[0] ?? '' });
  }
  return out;
}
