// Scope the views to the debuggee: a DebugAdapterTracker for every debug type watches for the
// DAP `process` event and its systemProcessId; per ipcInspector.scopeToDebuggee we ask, scope
// automatically, or do nothing. A scope set this way is cleared when its session ends.
import * as vscode from 'vscode';
import { notificationText } from './core/escape';
import { commLabel } from './core/format';

export interface DebugScopeTarget {
  setScope(pid: number | undefined, label?: string): void;
  readonly scopePid: number | undefined;
}

export class DebugScope implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Session id → pid we scoped to for it. */
  private readonly scopedBy = new Map<string, number>();

  constructor(
    private readonly target: DebugScopeTarget,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: unknown) => {
            const msg = m as { type?: string; event?: string; body?: { systemProcessId?: unknown; name?: unknown } };
            if (msg?.type === 'event' && msg.event === 'process') {
              const pid = msg.body?.systemProcessId;
              if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0) void this.onProcess(session, pid, typeof msg.body?.name === 'string' ? msg.body.name : '');
            }
          },
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((session) => {
        const pid = this.scopedBy.get(session.id);
        this.scopedBy.delete(session.id);
        if (pid !== undefined && this.target.scopePid === pid) {
          this.log.info(`debug session "${session.name}" ended: clearing scope to ${pid}`);
          this.target.setScope(undefined);
        }
      }),
    );
  }

  /** Handle a debuggee pid (also called by tests). */
  async onProcess(session: Pick<vscode.DebugSession, 'id' | 'name'>, pid: number, name: string): Promise<boolean> {
    const mode = vscode.workspace.getConfiguration('ipcInspector').get<string>('scopeToDebuggee', 'ask');
    this.log.info(`debug session "${session.name}" reports process ${pid}${name ? ` (${name})` : ''}; scopeToDebuggee=${mode}`);
    if (mode === 'never') return false;
    // The name comes from the debug adapter (the program's path): escaped and bounded.
    const label = name ? commLabel(name.split('/').pop() ?? '', pid) : `debuggee[${pid}]`;
    if (mode === 'ask') {
      const choice = await vscode.window.showInformationMessage(
        notificationText(`Scope IPC Inspector to the debuggee ${label} and its children?`),
        'Scope',
        'Always',
        'Not Now',
      );
      if (choice === 'Always') await vscode.workspace.getConfiguration('ipcInspector').update('scopeToDebuggee', 'always', vscode.ConfigurationTarget.Global);
      if (choice !== 'Scope' && choice !== 'Always') return false;
    }
    this.scopedBy.set(session.id, pid);
    this.target.setScope(pid, label);
    return true;
  }

  /** Scope to a pid of a session on request (Scope to this Debug Session); cleared when the session ends, like an automatic scope. */
  scopeTo(session: Pick<vscode.DebugSession, 'id'>, pid: number, label: string): void {
    this.scopedBy.set(session.id, pid);
    this.target.setScope(pid, label);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
