// Kinds whose facts come from fdinfo (an eventfd's counter): the facts read again, now, from a
// holder's /proc/PID/fdinfo/N — a procfs file about the fd, not the fd itself, so nothing is read
// from the object (reading an eventfd would consume its counter). The holder must still be the
// process of the snapshot (start time) and its fd still the object (the kind's identity line);
// otherwise the next holder is tried, and ESTALE when none is left.
import * as fs from 'node:fs';
import type { Channel } from '../../model';
import { describe } from '../../kinds';
import { channelFacts } from '../../columns';
import { parseFdinfo, parseStat } from '../../parsers/procPid';
import type { FdInfoRow } from '../../kinds/kind';
import { ActionError } from '../errors';
import { explainPeek, fdHolders, isFatal, type Peeker } from './common';

export const peekFdinfo: Peeker<Channel> = async ({ channel, procs, procRoot, base, at, call }) => {
  const d = describe(channel);
  const fdinfo = d.fdinfo;
  const keys = d.fds?.rule.fdinfo;
  if (!fdinfo || !keys) throw new ActionError('ENOTSUP', `${channel.id}: its kind has no facts in fdinfo`);
  const identity = channel.id.slice(channel.kind.length + 1);
  const holders = fdHolders(channel, procs);
  if (holders.length === 0) throw new ActionError('ENOENT', `${channel.id}: no process holds it any more`, 'refresh');
  const rows: FdInfoRow[] = [];
  const read: string[] = [];
  let lastErr: unknown;
  for (const h of holders) {
    const what = `read ${procRoot}/${h.pid}/fdinfo/${h.fd}`;
    try {
      const [stat, text] = await call(what, () =>
        Promise.all([fs.promises.readFile(`${procRoot}/${h.pid}/stat`, 'utf8'), fs.promises.readFile(`${procRoot}/${h.pid}/fdinfo/${h.fd}`, 'utf8')]),
      );
      const want = procs.get(h.pid)?.startTime;
      if (want !== undefined && parseStat(stat)?.startTime !== want) continue; // another process has this pid now
      const info = parseFdinfo(text, keys);
      if (info.get(fdinfo.identity) !== identity) continue; // the fd is something else now
      rows.push({ pid: h.pid, fd: h.fd, mode: h.mode, info });
      read.push(`/proc/${h.pid}/fdinfo/${h.fd}`);
    } catch (e) {
      if (isFatal(e)) throw explainPeek(e, { what });
      lastErr = e;
    }
  }
  if (rows.length === 0) {
    if (lastErr) throw explainPeek(lastErr, { what: `read the fdinfo of ${channel.id}`, pid: holders[0].pid });
    throw new ActionError('ESTALE', `${channel.id}: no holder's fd is that object any more`, 'refresh and try again');
  }
  const fresh = fdinfo.channel(identity, rows) ?? { ...channel, endpoints: rows.map(({ pid, fd, mode }) => ({ pid, fd, mode })) };
  return {
    ...base, type: 'facts', at: at(), method: `read ${read.slice(0, 3).join(', ')}${read.length > 3 ? ` and ${read.length - 3} more` : ''} (the object itself is not read)`,
    facts: channelFacts(fresh, d.columns).map(({ id, title, text, help }) => ({ id, title, text, help })),
  };
};
