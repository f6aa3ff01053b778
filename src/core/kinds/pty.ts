// Pseudo-terminals: a bidirectional byte channel between the processes holding its master (tmux,
// screen, sshd, a terminal emulator, `script`: an fd of /dev/ptmx) and those holding its slave
// (the shell and its jobs: /dev/pts/N). Joined by the kernel's identity of the pair — the devpts
// instance (its st_dev) and the index N — never by N alone: a container mounts a devpts of its
// own, whose pts/3 is not the host's. The walk finds both ends by the device number of the fd's
// target (statx through the link: no open), so a stat is all it costs; the probe (probes/ptys.ts)
// pairs them, and reads the terminal's session and foreground group from its slave holders' stat.
// Its peek tells how many bytes wait on each side, never the bytes: a terminal has no way to read
// without consuming.
import type { ChannelBase } from '../model';
import { col } from '../columns';
import { defineKind, never, noneMissing, noOwner, noPeer, notRemovable, type FdClass, type QueueFacts } from './kind';
import { plural } from '../text';

export interface PtyChannel extends ChannelBase {
  kind: 'pty';
  /** N of /dev/pts/N (the tty index, the same on both ends). */
  index: number;
  /**
   * The devpts instance the pair lives on (`major:minor` of its st_dev): /dev/pts of the host, or a
   * container's own. Null when no holder said it: a master whose ptmx was opened in a mount
   * namespace the /proc walk cannot see into (probes/ptys.ts), and no slave holder.
   */
  devpts: string | null;
  /** The terminal's session (the session leader's pid, stat field 6 of a process whose controlling terminal it is); null when it is nobody's. */
  session: number | null;
  /** The terminal's foreground process group (stat's tpgid), null when none or unknown. */
  foreground: number | null;
  /** Slave holders whose controlling terminal it is (stat's tty_nr), ascending. */
  controlling: number[];
}

/**
 * A pty master: an fd of a ptmx node (char 5:2; /dev/ptmx, or /dev/pts/ptmx of a devpts
 * instance, which containers use). fdinfo's `tty-index` says which pair; `mnt_id` is where the
 * ptmx was opened (probes/ptys.ts finds its devpts from it). The BPF walk adds `devpts-dev`, no
 * kernel line: the pair's devpts, read from the master's tty (tty->link->driver_data's superblock).
 */
export const PTY_MASTER_FDS: FdClass = {
  id: 'pty-master',
  rule: { code: 9, link: '/', type: 'chr', rdev: { major: [5, 5], minor: [2, 2] }, fdinfo: ['tty-index', 'mnt_id', 'devpts-dev'] },
};

/**
 * A pty slave: an fd of a char device of the Unix98 pty slave majors (136–143). Opening such a
 * node anywhere but on a devpts fails (the pty driver looks its tty up in the devpts of the
 * node's dentry), so an fd opened for reading or writing is a devpts file and its st_dev the
 * instance; an O_PATH fd (neither mode) is no end (probes/ptys.ts drops it).
 */
export const PTY_SLAVE_FDS: FdClass = { id: 'pty-slave', rule: { code: 10, link: '/', type: 'chr', rdev: { major: [136, 143] } } };

/** The index of a pty slave from its device number's major and minor (the kernel's MKDEV(136, index), 20-bit minors). */
export function ptyIndex(major: number, minor: number): number | null {
  if (major < 136 || major > 143 || minor < 0 || minor > 0xfffff) return null;
  return (major - 136) * 0x100000 + minor;
}

/** `pty:MAJ:MIN:N`, or `pty:mntM:N` for a master whose devpts is unknown (told apart by the ptmx's mount). */
export function ptyId(devpts: string | null, index: number, mntId?: number): string {
  return devpts !== null ? `pty:${devpts}:${index}` : `pty:mnt${mntId ?? 0}:${index}`;
}

const c = col<PtyChannel>();

const roleCount = (ch: PtyChannel, role: 'master' | 'slave') => new Set(ch.endpoints.filter((e) => e.role === role).map((e) => e.pid)).size;

export const pty = defineKind<PtyChannel>({
  kind: 'pty',
  title: 'Pseudo-terminal',
  teaching:
    'Pseudo-terminal (pty): a bidirectional byte channel between a master (a terminal emulator, tmux, screen, sshd, script) and a slave, /dev/pts/N, that a shell and its jobs use as their terminal. What the master writes arrives as typed input on the slave, what programs write to the slave arrives at the master; the line discipline in between echoes, edits lines and turns Ctrl-C into SIGINT for the foreground process group. A read on either side consumes.',
  icon: 'terminal',
  group: { id: 'ptys', label: 'Terminals (ptys)' },
  map: { family: 'socket', shared: false },
  idShape: /^(?:\d{1,10}:\d{1,10}|mnt\d{1,10}):\d{1,8}$/,
  inodeOfId: () => 0,
  name: (ch) => `pts/${ch.index}`,
  longTitle: (ch) => `pseudo-terminal pts/${ch.index}${ch.devpts !== null ? ` (devpts ${ch.devpts})` : ' (devpts unknown)'}`,
  description: (ch) => {
    const parts = [`${plural(roleCount(ch, 'master'), 'master')} · ${plural(roleCount(ch, 'slave'), 'slave')}`];
    if (ch.foreground !== null) parts.push(`fg ${ch.foreground}`);
    parts.push(ch.devpts !== null ? `devpts ${ch.devpts}` : 'devpts ?');
    return parts.join(', ');
  },
  columns: [
    c('index', 'PTS', 'Index', 'number', 'N of /dev/pts/N on its devpts (fdinfo tty-index of the master, the minor of the slave)', { search: 'number' }),
    c('devpts', 'DEVPTS', 'devpts instance', 'string|null', 'st_dev (major:minor) of the devpts the pair lives on: a container has its own, whose pts/N is another terminal', { search: 'text' }),
    c('session', 'SID', 'Session', 'number|null', 'Session whose controlling terminal it is (stat field 6 of a slave holder whose tty_nr it is)', { search: 'number', refers: 'pid' }),
    c('foreground', 'TPGID', 'Foreground group', 'number|null', 'Foreground process group: receives Ctrl-C (SIGINT) and may read the terminal (stat tpgid)', { search: 'number', refers: 'pid' }),
    c('controlling', 'CTTY OF', 'Controlling terminal of', 'number[]', 'Slave holders whose controlling terminal it is (stat tty_nr)', { wide: true }),
  ],
  ends: 'sides',
  roles: ['master', 'slave'],
  unheld: 'No process holds it.',
  peer: noPeer,
  owner: noOwner,
  mentions: (ch) => [ch.session, ch.foreground].filter((p): p is number => p !== null && p > 0),
  probe: 'ptys',
  fds: PTY_MASTER_FDS,
  moreFds: [PTY_SLAVE_FDS],
  // the queue counts only (TIOCINQ of each end): a read of either end consumes
  peek: 'tty',
  paged: false,
  remove: notRemovable,
  queue: (): QueueFacts => ({ bytes: null, counts: null, stamp: null }),
  depth: () => undefined,
  full: never,
  empty: never,
  warnings: () => [],
  missing: noneMissing,
});
