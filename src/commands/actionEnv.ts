// The runner environment of the extension (core/actions/runner.ts), shared by the Send Signal and
// Remove commands and the inspector panel so that all of them ask the same questions: who we are
// (euid), where a process comes from (VS Code's own processes, its terminals, what extensions
// started — read from /proc when the action is asked for), and the one modal confirmation (ui.ts).
import { currentEuid, vscodeOrigins, type RunnerEnv } from '../core/actions';
import type { Ui } from '../ui';

export async function extensionRunnerEnv(ui: Ui): Promise<RunnerEnv> {
  const origins = await vscodeOrigins(process.pid);
  return {
    euid: currentEuid(),
    origin: (pid) => origins.origin(pid),
    confirm: (q) => ui.confirm(q),
  };
}
