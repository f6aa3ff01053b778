// Anonymous pipes: `pipe:[INODE]` fds joined by inode (probes/pipes.ts). Also the helpers FIFOs
// share (a FIFO is a pipe with a name): the buffered-bytes columns, fullness and the warning.
import type { Capabilities, ChannelBase } from '../model';
import { col, type Column } from '../columns';
import { formatBytes } from '../text';
import { PIPE_FDS } from './fds';
import { defineKind, inodeOfSimpleId, noMentions, noOwner, noPeer, notRemovable, QUEUE_PAGES, type KindDescriptor } from './kind';

export interface PipeChannel extends ChannelBase {
  kind: 'pipe';
  inode: number;
  /** FIONREAD on the pipe, or the kernel's pipe state (BPF walk); null when unknown, and `errors` say why. */
  bufferedBytes: number | null;
  /** F_GETPIPE_SZ; null when unknown. */
  capacity: number | null;
  readEndOpen?: boolean;
  writeEndOpen?: boolean;
}

/** What pipes and FIFOs have in common. */
interface Measured {
  bufferedBytes: number | null;
  capacity: number | null;
  /**
   * The BPF walk only (absent on the /proc walk, which cannot know): whether the kernel counts an
   * open read end — any open file, in a process's fd table or not: sent over a Unix socket and not
   * received yet (SCM_RIGHTS), or held by the kernel. No reader in any fd table and this true: the
   * read end is in flight, and a write does not fail.
   */
  readEndOpen?: boolean;
  /** The same for the write end. */
  writeEndOpen?: boolean;
}

/** Pipe buffers are pages: a writer blocks when less than one page is free. */
export const PAGE = 4096;

export function measuredColumns<C extends Measured>(): Column<C>[] {
  const c = col<C>();
  return [
    c('bufferedBytes', 'BUFFERED', 'Buffered', 'number|null', 'Bytes written but not yet read (FIONREAD, or the kernel\'s pipe state on the BPF walk); null when unknown, and then errors say why', { unit: 'bytes' }),
    c('capacity', 'CAPACITY', 'Capacity', 'number|null', 'Pipe buffer size (F_GETPIPE_SZ)', { unit: 'bytes' }),
    c('readEndOpen', 'RD OPEN', 'Read end open', 'boolean', "The kernel counts an open read end, in an fd table or not (one sent over a Unix socket and not received yet counts): the kernel's pipe state, read by the BPF walk only", { wide: true }),
    c('writeEndOpen', 'WR OPEN', 'Write end open', 'boolean', "The kernel counts an open write end, in an fd table or not: the kernel's pipe state, read by the BPF walk only", { wide: true }),
  ];
}

export function measuredDescription(ch: Measured): string {
  return ch.bufferedBytes === null ? '' : `${formatBytes(ch.bufferedBytes)} buffered` + (ch.capacity ? ` / ${formatBytes(ch.capacity)}` : '');
}

/** A writer could block: less than a page is free in a buffer that holds data. */
export function measuredFull(ch: Measured): boolean {
  return ch.bufferedBytes !== null && ch.capacity !== null && ch.capacity > 0 && ch.bufferedBytes > 0 && ch.bufferedBytes >= ch.capacity - PAGE;
}

export function measuredWarnings(noun: string) {
  return (ch: Measured): string[] => (measuredFull(ch) ? [`${noun} full (${formatBytes(ch.bufferedBytes)} of ${formatBytes(ch.capacity)}): writers block`] : []);
}

export function measuredMissing(caps: Capabilities): string | undefined {
  return caps.native ? undefined : `native addon not loaded${caps.nativeError ? ` (${caps.nativeError})` : ''} — buffered bytes are unknown`;
}

/**
 * Everything pipes and FIFOs share beyond their ids and names: a one-way flow without owner or
 * peer, found by the pipes probe, not removable, and the state of its buffer (`noun` names the
 * kind in the warning). Each kind names its own peek (the compiler checks it per channel type).
 */
export function measuredTraits<C extends ChannelBase & Measured>(
  noun: string,
): Pick<KindDescriptor<C>, 'description' | 'ends' | 'peer' | 'owner' | 'mentions' | 'probe' | 'paged' | 'pagedNote' | 'remove' | 'queue' | 'depth' | 'depthLimits' | 'full' | 'empty' | 'warnings' | 'missing'> {
  return {
    description: measuredDescription,
    ends: 'flow',
    peer: noPeer,
    owner: noOwner,
    mentions: noMentions,
    probe: 'pipes',
    paged: true,
    pagedNote: () => QUEUE_PAGES,
    remove: notRemovable,
    queue: (ch) => ({ bytes: ch.bufferedBytes, counts: null, stamp: null }),
    depth: (ch) => (ch.bufferedBytes !== null ? { bytes: ch.bufferedBytes } : undefined),
    depthLimits: (ch) => (ch.capacity ? { bytes: ch.capacity } : undefined),
    full: measuredFull,
    empty: (ch) => ch.bufferedBytes === 0,
    warnings: measuredWarnings(noun),
    missing: measuredMissing,
  };
}

const c = col<PipeChannel>();

export const pipe = defineKind<PipeChannel>({
  kind: 'pipe',
  title: 'Pipe',
  teaching:
    'Anonymous pipe: a one-way (half-duplex) byte stream in the kernel between related processes (inherited fds); writers block when the buffer is full, readers see EOF when all writers close.',
  icon: 'arrow-right',
  group: { id: 'pipes', label: 'Pipes' },
  map: { family: 'pipe', shared: false },
  idShape: /^\d+$/,
  inodeOfId: inodeOfSimpleId,
  name: (ch) => `pipe:[${ch.inode}]`,
  nameSaysKind: true,
  // writer → reader leads; the inode (pipe:[N]) is in the tooltip. Unheld: the name.
  label: (ch, ends) => ends || `pipe:[${ch.inode}]`,
  longTitle: (ch) => `Pipe ${ch.inode}`,
  columns: [c('inode', 'INODE', 'Inode', 'number', 'pipefs inode (the pipe:[N] in /proc/PID/fd)', { search: 'number', wide: true }), ...measuredColumns<PipeChannel>()],
  ...measuredTraits<PipeChannel>('pipe'),
  fds: PIPE_FDS,
  peek: 'pipe',
});
