// Parsers for /proc/sysvipc/{msg,shm,sem}. Columns are located by the header line's names, so a
// kernel that adds, removes or reorders columns still parses; rows with too few fields are skipped.
// Output uses the native addon's shapes (SysvMsgStat, …) so the snapshot joins one form only.
import type { SysvMsgStat, SysvSemStat, SysvShmStat } from '../native';

type Row = (name: string) => number;

function table(text: string, required: string[]): Row[] {
  const lines = text.split('\n');
  let h = 0;
  while (h < lines.length && lines[h].trim() === '') h++;
  if (h >= lines.length) return [];
  const header = lines[h].trim().split(/\s+/);
  const col = new Map<string, number>();
  header.forEach((name, i) => col.set(name, i));
  for (const r of required) if (!col.has(r)) return [];
  const rows: Row[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const f = line.split(/\s+/);
    // every required column must be present and numeric
    let ok = true;
    for (const r of required) {
      const idx = col.get(r)!;
      if (idx >= f.length || !/^-?\d+$/.test(f[idx])) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    rows.push((name: string) => {
      const idx = col.get(name);
      if (idx === undefined || idx >= f.length) return 0;
      if (name === 'perms') {
        const v = parseInt(f[idx], 8);
        return Number.isFinite(v) ? v : 0;
      }
      const v = Number(f[idx]);
      return Number.isFinite(v) ? v : 0;
    });
  }
  return rows;
}

/** Keys are printed signed (`%10d`); report them as unsigned 32-bit like ipcs' hex. */
const ukey = (k: number) => k >>> 0;

export function parseSysvMsg(text: string): SysvMsgStat[] {
  return table(text, ['key', 'msqid', 'perms']).map((r) => ({
    msqid: r('msqid'),
    key: ukey(r('key')),
    uid: r('uid'),
    gid: r('gid'),
    cuid: r('cuid'),
    mode: r('perms'),
    qnum: r('qnum'),
    cbytes: r('cbytes'),
    qbytes: 0, // not in /proc/sysvipc/msg (msg_qbytes needs IPC_STAT)
    lspid: r('lspid'),
    lrpid: r('lrpid'),
    stime: r('stime'),
    rtime: r('rtime'),
    ctime: r('ctime'),
  }));
}

const SHM_DEST = 0o1000;

export function parseSysvShm(text: string): SysvShmStat[] {
  return table(text, ['key', 'shmid', 'perms']).map((r) => {
    const perms = r('perms');
    return {
      shmid: r('shmid'),
      key: ukey(r('key')),
      uid: r('uid'),
      gid: r('gid'),
      cuid: r('cuid'),
      mode: perms,
      size: r('size'),
      nattch: r('nattch'),
      cpid: r('cpid'),
      lpid: r('lpid'),
      atime: r('atime'),
      dtime: r('dtime'),
      ctime: r('ctime'),
      dest: (perms & SHM_DEST) !== 0,
    };
  });
}

export function parseSysvSem(text: string): SysvSemStat[] {
  return table(text, ['key', 'semid', 'perms']).map((r) => ({
    semid: r('semid'),
    key: ukey(r('key')),
    uid: r('uid'),
    gid: r('gid'),
    cuid: r('cuid'),
    mode: r('perms'),
    nsems: r('nsems'),
    otime: r('otime'),
    ctime: r('ctime'),
  }));
}
