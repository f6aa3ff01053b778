// Every probe, by the name the kinds' descriptors give (core/kinds `probe`): a kind naming a probe
// that is not here is a compile error.
import type { ProbeId } from '../kinds/kind';
import type { Probe } from './context';
import { anonShmProbe } from './anonShm';
import { fdinfoProbe } from './fdinfo';
import { fileShmProbe } from './fileShm';
import { pipeProbe } from './pipes';
import { posixProbe } from './posix';
import { ptyProbe } from './ptys';
import { socketProbe } from './sockets';
import { sysvProbe } from './sysv';

export const PROBES: { readonly [P in ProbeId]: Probe<unknown> } = {
  pipes: pipeProbe,
  sysv: sysvProbe,
  posix: posixProbe,
  anonShm: anonShmProbe,
  fileShm: fileShmProbe,
  sockets: socketProbe,
  fdinfo: fdinfoProbe,
  ptys: ptyProbe,
};
