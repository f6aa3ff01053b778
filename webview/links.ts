// Links to processes: one naming everywhere (`comm[pid]`, core/format processLabel); a click or
// Enter opens the process in the inspector (the host checks the pid is one it showed).
import { processLabel } from '../src/core/format';
import type { ProcessInfo } from '../src/core/model';
import { linkButton } from './dom';
import { post } from './state';

/** A link that opens a process in the inspector, named `comm[pid]` (or `[pid]` when its name is unknown). */
export function pidLink(pid: number, comm: string | undefined, id?: string): HTMLElement {
  const label = comm !== undefined ? processLabel(pid, { comm } as ProcessInfo) : `[${pid}]`;
  return linkButton(label, () => post({ type: 'inspect', pid }), `Inspect process ${pid}`, id);
}
