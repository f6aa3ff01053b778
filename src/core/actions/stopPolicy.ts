// Free Port's view of the signal policy: a thin adapter over policy.ts `signalRisk`, so that the
// policy module and runner now being rewritten can replace it by changing this one file. Free
// Port asks before a step when `confirm` has reasons (another user's process, pid 1, VS Code
// itself, and always for SIGKILL), shows `warnings` and `notes`, and does not wait for a SIGTERM
// that has no effect (`noEffect`: ignored, or a zombie).
import type { ProcessInfo } from '../model';
import { signalRisk } from './policy';

export interface StopPolicyContext {
  /** The caller's effective uid. */
  euid: number;
  /** Processes that are VS Code itself (pid → label), from policy.ts vscodeProcesses*. */
  protected?: ReadonlyMap<number, string>;
}

export interface StopRisk {
  confirm: string[];
  warnings: string[];
  notes: string[];
  noEffect: boolean;
}

export function stopRisk(proc: ProcessInfo, signal: 'SIGTERM' | 'SIGKILL', ctx: StopPolicyContext): StopRisk {
  const r = signalRisk(proc, signal, {
    euid: ctx.euid,
    protectedPids: ctx.protected ? new Set(ctx.protected.keys()) : undefined,
    protectedLabels: ctx.protected,
  });
  return { confirm: r.confirm, warnings: r.warnings, notes: r.notes, noEffect: r.noEffect };
}
