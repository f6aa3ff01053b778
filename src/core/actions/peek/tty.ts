// Pseudo-terminals: how much waits on each side, never the bytes — a read of either end of a
// terminal consumes. TIOCINQ on a pidfd_getfd duplicate of a holder's fd, checked (natively) to be
// that end still: a master by its pty number, a slave by its device on the pair's devpts. Needs
// the rights pidfd_getfd needs (ptrace attach: root, or the holder's own user).
import type { Endpoint, PtyChannel } from '../../model';
import { byteCount } from '../../text';
import { ActionError } from '../errors';
import { explainPeek, fdHolders, isFatal, needNative, type Peeker } from './common';

export const peekTty: Peeker<PtyChannel> = async ({ channel, procs, native, base, at, call }) => {
  const what = "read the terminal's queue counts";
  const addon = needNative(native, what);
  if (!addon.ttyQueue) throw new ActionError('ENOTSUP', `${what}: the native addon was built before this peek (npm run build:native)`);
  const [devMajor, devMinor] = channel.devpts !== null ? channel.devpts.split(':').map(Number) : [-1, -1];
  const holders = fdHolders(channel, procs);
  let lastErr: unknown;
  const via: string[] = [];
  /** TIOCINQ of one side, through the first holder that answers. */
  const side = async (role: 'master' | 'slave'): Promise<number | null> => {
    for (const h of holders.filter((e: Endpoint) => e.role === role)) {
      const step = `TIOCINQ of ${h.pid}'s fd ${h.fd} (${role})`;
      try {
        const r = await call(step, () => addon.ttyQueue!(h.pid, h.fd, role === 'master', channel.index, devMajor, devMinor));
        via.push(`${h.pid}/${h.fd}`);
        return r.inq;
      } catch (e) {
        if (isFatal(e)) throw explainPeek(e, { what: step, pid: h.pid });
        lastErr = e;
      }
    }
    return null;
  };
  const toTerminal = await side('master');
  const toPrograms = await side('slave');
  if (toTerminal === null && toPrograms === null) {
    if (lastErr) {
      const p = procs.get(holders[0].pid);
      throw explainPeek(lastErr, { what, owner: p?.user, ownerUid: p?.uid, pid: holders[0].pid, ptrace: true });
    }
    throw new ActionError('ENOENT', `${what}: no process holds an end of it through an fd`, 'refresh');
  }
  const bytes = (n: number | null, end: string) => (n === null ? `unknown (no ${end} holder could be read)` : byteCount(n));
  return {
    ...base,
    type: 'facts',
    at: at(),
    method: `ioctl TIOCINQ on pidfd_getfd copies of ${via.join(', ')} (nothing is read from the terminal)`,
    facts: [
      {
        id: 'toTerminal', title: 'Output not yet read by the terminal', text: bytes(toTerminal, 'master'),
        help: 'TIOCINQ of a master fd: what programs wrote on the slave side (and its echo of typed input) that the terminal — tmux, screen, sshd, the emulator — has not read yet. A terminal that stopped reading leaves it growing until writers block.',
      },
      {
        id: 'toPrograms', title: 'Input not yet read by the programs', text: bytes(toPrograms, 'slave'),
        help: 'TIOCINQ of a slave fd: what was typed (written to the master) that the shell or foreground job has not read; in canonical (line) mode, complete lines only.',
      },
    ],
    notes: [...base.notes, 'only counts: a read of either end of a terminal consumes what it returns, so the bytes are not shown'],
  };
};
