// Kinds whose channels come from fdinfo (core/kinds `probe: 'fdinfo'`, e.g. eventfds: every
// eventfd is the same anon inode, so the identity is an fdinfo line): the walk reports their fds
// with the fdinfo lines their class asks for; rows that share the identity line are one channel,
// which the kind builds. Also the rows of process facets (a signalfd's mask), grouped by pid.
import type { ChannelKind, Mode } from '../model';
import type { FdClass, FdInfoRow } from '../kinds/kind';
import { kindOf } from '../kinds';
import { parseFdinfo } from '../parsers/procPid';
import { emitAll, modeOf, type FdIndex, type Probe, type ProbeContext } from './context';

/**
 * The rows of one fd class with their parsed fdinfo lines, in the walk's (pid, fd) order; rows
 * whose process was dropped are left out, and with the fd index, the rows its budget left out.
 */
export function fdInfoRows(ctx: Pick<ProbeContext, 'walk' | 'processes'> & { index?: FdIndex }, cls: FdClass): FdInfoRow[] {
  const f = ctx.walk.fds;
  const code = cls.rule.code;
  const keys = cls.rule.fdinfo ?? [];
  const out: FdInfoRow[] = [];
  for (const i of classRows(ctx, code)) {
    if (!ctx.processes.has(f.pid[i])) continue;
    const ii = f.infoIndex ? f.infoIndex[i] : -1;
    const info = ii >= 0 ? parseFdinfo(ctx.walk.infos[ii], keys) : new Map<string, string>();
    out.push({ pid: f.pid[i], fd: f.fd[i], mode: modeOf(f.mode[i]) as Mode, info });
  }
  return out;
}

/** The rows of class `code`, ascending: the index's, else every row of the walk. */
function classRows(ctx: Pick<ProbeContext, 'walk'> & { index?: FdIndex }, code: number): number[] {
  const out: number[] = [];
  const index = ctx.index;
  if (index) {
    for (const head of index.heads(code)) for (let i = head; i >= 0; i = index.next[i]) out.push(i);
    return out.sort((a, b) => a - b);
  }
  const kind = ctx.walk.fds.kind;
  for (let i = 0; i < kind.length; i++) if (kind[i] === code) out.push(i);
  return out;
}

export const fdinfoProbe: Probe = {
  run(ctx) {
    for (const kind of ctx.kinds) {
      const d = kindOf(kind);
      if (d.probe !== 'fdinfo' || !d.fds || !d.fdinfo) continue;
      const byId = new Map<string, FdInfoRow[]>();
      for (const row of fdInfoRows(ctx, d.fds)) {
        const id = row.info.get(d.fdinfo.identity);
        if (id === undefined) continue; // fdinfo unreadable (closed meanwhile): no identity, no channel
        const l = byId.get(id);
        if (l) l.push(row);
        else byId.set(id, [row]);
      }
      const list = [];
      for (const [id, rows] of byId) {
        rows.sort((a, b) => a.pid - b.pid || a.fd - b.fd); // endpoints in (pid, fd) order, whatever order the walk listed pids in
        const ch = d.fdinfo.channel(id, rows);
        if (ch) list.push(ch);
      }
      emitAll(ctx, kind as ChannelKind, list);
    }
  },
};

