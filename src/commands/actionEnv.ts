// The runner environment of the extension (core/actions/runner.ts), shared by the Send Signal and
// Remove commands and the inspector panel so that all of them ask the same questions: who we are
// (euid), where a process comes from (VS Code's own processes, its terminals, what extensions
// started — read from /proc when the action is asked for), and the one modal confirmation (ui.ts);
// and how the commands report what the runner did.
import { currentEuid, vscodeOrigins, type ActionOutcome, type RunnerEnv } from '../core/actions';
import type { Ui } from '../ui';

export async function extensionRunnerEnv(ui: Ui): Promise<RunnerEnv> {
  const origins = await vscodeOrigins(process.pid);
  return {
    euid: currentEuid(),
    origin: (pid) => origins.origin(pid),
    confirm: (q) => ui.confirm(q),
  };
}

/** Where a command reports an outcome: its log, the notifications (escaped, ui.ts), the snapshot to refresh. */
export interface OutcomeSink {
  log: { info(message: string): void; error(message: string): void };
  ui: Pick<Ui, 'info' | 'error'>;
  source: { refresh(): Promise<unknown> };
}

/**
 * Reports the runner's outcome the way the commands do: a cancel is logged; a failure logged and
 * shown as an error; a success logged and shown (`done` may word both) and followed by a refresh
 * (awaited when `waitForRefresh`: the caller's result then reflects the new snapshot). Returns the
 * result when done.
 */
export async function reportOutcome<R>(
  s: OutcomeSink,
  out: ActionOutcome<R>,
  done: { log?: (result: R, message: string) => string; notice?: (message: string) => string; waitForRefresh?: boolean } = {},
): Promise<R | undefined> {
  switch (out.status) {
    case 'cancelled':
      s.log.info(out.message);
      return undefined;
    case 'failed':
      s.log.error(out.message);
      void s.ui.error(`IPC Inspector: ${out.message}`);
      return undefined;
    case 'done': {
      s.log.info(done.log ? done.log(out.result, out.message) : out.message);
      void s.ui.info(done.notice ? done.notice(out.message) : out.message);
      const refreshed = s.source.refresh().catch(() => undefined);
      if (done.waitForRefresh) await refreshed;
      return out.result;
    }
  }
}
