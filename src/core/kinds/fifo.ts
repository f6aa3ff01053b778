// FIFOs (named pipes): fds whose target is a FIFO anywhere in the filesystem, joined by
// dev:inode (probes/pipes.ts); `(deleted)` when the name was unlinked while open.
import type { ChannelBase } from '../model';
import { col, mntnsColumn } from '../columns';
import { shortText } from '../text';
import { FIFO_FDS } from './fds';
import { defineKind, inodeOfDevId, otherMntns } from './kind';
import { measuredColumns, measuredTraits } from './pipe';

export interface FifoChannel extends ChannelBase {
  kind: 'fifo';
  inode: number;
  /** Device of the filesystem holding the FIFO, `major:minor`. */
  dev: string;
  /** '' when no walk could read it: longer than a page (4,096 bytes), which /proc has no link text for. */
  path: string;
  /**
   * The path's bytes in hex, present only when they are not UTF-8: `path` then has U+FFFD for the
   * bad bytes. Views show the path by its bytes (`/tmp/f\xff`).
   */
  pathBytes?: string;
  /** The FIFO's name was unlinked while still open. */
  deleted: boolean;
  /**
   * Present only when no process of the snapshot's mount namespace holds it with a readable path:
   * the namespace `path` was read in (a name there; here it may name another file, or none).
   */
  mntns?: string;
  bufferedBytes: number | null;
  capacity: number | null;
  readEndOpen?: boolean;
  writeEndOpen?: boolean;
}

const c = col<FifoChannel>();

/** What a FIFO whose path no walk could read is called (longer than a page: /proc gives no link text). */
const NAMELESS = '(path too long to read)';

export const fifo = defineKind<FifoChannel>({
  kind: 'fifo',
  title: 'FIFO (named pipe)',
  teaching:
    'FIFO: a named pipe with a path in the filesystem, so unrelated processes can open it; one-way byte stream, open blocks until both a reader and a writer exist.',
  icon: 'symbol-event',
  group: { id: 'fifos', label: 'FIFOs' },
  map: { family: 'pipe', shared: false },
  idShape: /^\d+:\d+:\d+$/,
  inodeOfId: inodeOfDevId,
  name: (ch, max) => (ch.path === '' ? NAMELESS : shortText(ch.path, max)) + (ch.deleted ? ' (deleted)' : '') + otherMntns(ch),
  longTitle: (ch) => `FIFO ${ch.path === '' ? NAMELESS : shortText(ch.path)}${ch.deleted ? ' (deleted)' : ''}${otherMntns(ch)}`,
  columns: [
    c('path', 'PATH', 'Path', 'string', 'Filesystem path of the FIFO', { search: 'text', format: (p: string) => (p === '' ? NAMELESS : p) }),
    // in the table too: a path alone cannot say it (a live FIFO may be named `x (deleted)`)
    c('deleted', 'DELETED', 'Deleted', 'boolean', 'The path was unlinked while the FIFO is still open'),
    mntnsColumn<FifoChannel>(),
    c('dev', 'DEV', 'Device', 'string', 'Device (major:minor) of the filesystem holding it', { wide: true }),
    c('inode', 'INODE', 'Inode', 'number', 'Inode of the FIFO', { search: 'number' }),
    ...measuredColumns<FifoChannel>(),
  ],
  ...measuredTraits<FifoChannel>('FIFO'),
  fds: FIFO_FDS,
  peek: 'pipe',
});
