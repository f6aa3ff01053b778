// Where a process came from inside VS Code: the integrated terminal (Terminal.processId), a task
// (tasks.onDidStartTaskProcess / onDidEndTaskProcess), a debug session (the DAP `process` event's
// systemProcessId, the pid VS Code answers a `runInTerminal` request with, and the pid js-debug
// names its target child sessions with when it starts the debuggee itself), or VS Code itself
// (its server, extension/pty hosts, file watcher — core/actions/origin.ts vscodeOrigins — and
// what an extension host started: language servers, debug adapters). Each root labels itself and
// every descendant, found by walking the snapshot's ppid chain (the snapshot keeps the ancestors
// of every process it lists). Extension layer only: core never sees `vscode`.
//
// Labels are built from names the user or an extension chose (terminal, task and session names)
// and are plain text: every surface escapes them (tree labels through plain(), tooltips through
// mdEscape, notifications through ui.ts).
import * as vscode from 'vscode';
import type { ProcessInfo } from './core/model';
import { HELPER_LABELS, vscodeOrigins, type Origins } from './core/actions/origin';
import { plural } from './core/text';

export type ProvenanceKind = 'terminal' | 'task' | 'debug' | 'vscode' | 'extension';

/** What started a process (or what it is), as the views show it. */
export interface ProvenanceTag {
  kind: ProvenanceKind;
  /** "terminal: bash (2)", "task: npm: watch", "debug: Launch Server", "VS Code: pty host". */
  label: string;
  /** The pid the label was found on (the terminal's shell, the task's process, the debuggee). */
  rootPid: number;
  /** The longer sentence for tooltips ("the VS Code terminal host (pty host)"). */
  detail?: string;
}

interface Root {
  kind: 'terminal' | 'task' | 'debug';
  name: string;
  terminal?: vscode.Terminal;
  execution?: vscode.TaskExecution;
  session?: vscode.DebugSession;
}

/** Ranks roots sharing one pid (a task runs in a terminal; a debuggee may run in one): the most specific wins. */
const RANK: Record<Root['kind'], number> = { terminal: 0, task: 1, debug: 2 };
/** Ancestor chains are short; stop on anything longer (hostile or racy ppid data). */
const MAX_DEPTH = 64;
/** How often VS Code's own processes are re-read (new extension hosts, language servers). */
const OWN_REFRESH_MS = 10_000;

/** "npm: watch" for a detected task, the name alone for a workspace (tasks.json) task. */
export function taskLabel(task: Pick<vscode.Task, 'name' | 'source'>): string {
  return task.source && task.source !== 'Workspace' && !task.name.startsWith(`${task.source}: `) ? `${task.source}: ${task.name}` : task.name;
}

/**
 * The debuggee pid of a js-debug target session: a child session js-debug asked VS Code to start
 * for a process it launched or attached to (its configuration carries `__pendingTargetId`), named
 * "<script> [<pid>]". Any other session: undefined.
 */
export function jsDebugTargetPid(s: { name: string; parentSession?: unknown; configuration: { [key: string]: unknown } }): number | undefined {
  if (!s.parentSession || typeof s.configuration.__pendingTargetId !== 'string') return undefined;
  // the workbench may append the parent's name: "worker.js [7676] « Launch Worker"
  const m = /\[(\d{1,10})\](?: « .*)?$/.exec(s.name);
  const pid = m ? Number(m[1]) : NaN;
  return validPid(pid) ? pid : undefined;
}

/** The root of a (child) debug session: its name is the launch configuration's. */
function rootSession(s: vscode.DebugSession): vscode.DebugSession {
  let r = s;
  for (let i = 0; i < 16 && r.parentSession; i++) r = r.parentSession;
  return r;
}

const validPid = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

export class Provenance implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private readonly emitter = new vscode.EventEmitter<ReadonlySet<number>>();
  /** Fires with the pids whose label (as last shown) changed: a root was added or removed, VS Code's own processes were re-read. */
  readonly onDidChange = this.emitter.event;
  /** Pid → the label last handed to a view (shownOf), to tell which rows a change touches. */
  private readonly shown = new Map<number, string>();
  /** Root pid → what started it (several when a task or debuggee runs in a terminal). */
  private readonly roots = new Map<number, Root[]>();
  private own: Origins | undefined;
  private ownAt = -Infinity;
  private ownLoading: Promise<void> | undefined;
  /** Extension hosts among VS Code's own processes (their children are what extensions started). */
  private extensionHosts = new Set<number>();

  constructor(
    private readonly procs: () => ReadonlyMap<number, ProcessInfo>,
    private readonly log?: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      this.emitter,
      vscode.window.onDidOpenTerminal((t) => void this.addTerminal(t)),
      vscode.window.onDidCloseTerminal((t) => this.removeWhere((r) => r.terminal === t)),
      vscode.tasks.onDidStartTaskProcess((e) => {
        if (validPid(e.processId)) this.add(e.processId, { kind: 'task', name: taskLabel(e.execution.task), execution: e.execution });
      }),
      vscode.tasks.onDidEndTaskProcess((e) => this.removeWhere((r) => r.execution === e.execution)),
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => ({
          // The debuggee's pid from the adapter (any debugger that sends the `process` event).
          onDidSendMessage: (m: unknown) => {
            const msg = m as { type?: string; event?: string; body?: { systemProcessId?: unknown } };
            if (msg?.type === 'event' && msg.event === 'process' && validPid(msg.body?.systemProcessId)) this.addDebuggee(session, msg.body.systemProcessId);
          },
          // The pid VS Code started for the adapter's runInTerminal request (js-debug's integratedTerminal console).
          onWillReceiveMessage: (m: unknown) => {
            const msg = m as { type?: string; command?: string; success?: boolean; body?: { processId?: unknown; shellProcessId?: unknown } };
            if (msg?.type !== 'response' || msg.command !== 'runInTerminal' || msg.success === false) return;
            const pid = validPid(msg.body?.processId) ? msg.body.processId : validPid(msg.body?.shellProcessId) ? msg.body.shellProcessId : undefined;
            if (pid !== undefined) this.addDebuggee(session, pid);
          },
        }),
      }),
      // js-debug with the internal console starts the debuggee itself (no runInTerminal) and sends
      // no `process` event; each debuggee gets a child session named "server.js [PID]"
      vscode.debug.onDidStartDebugSession((s) => {
        const pid = jsDebugTargetPid(s);
        if (pid !== undefined) this.addDebuggee(s, pid);
      }),
      vscode.debug.onDidTerminateDebugSession((s) => this.removeWhere((r) => r.session === s)),
    );
    for (const t of vscode.window.terminals) void this.addTerminal(t);
  }

  private async addTerminal(t: vscode.Terminal): Promise<void> {
    let pid: number | undefined;
    try {
      pid = await t.processId;
    } catch {
      return; // the terminal failed to start
    }
    if (!validPid(pid) || t.exitStatus !== undefined) return;
    this.add(pid, { kind: 'terminal', name: t.name, terminal: t });
  }

  private addDebuggee(session: vscode.DebugSession, pid: number): void {
    this.add(pid, { kind: 'debug', name: rootSession(session).name, session });
  }

  private add(pid: number, root: Root): void {
    const list = (this.roots.get(pid) ?? []).filter((r) => !(r.kind === root.kind && r.name === root.name));
    list.push(root);
    list.sort((a, b) => RANK[b.kind] - RANK[a.kind]);
    this.roots.set(pid, list);
    this.log?.debug(`provenance: ${pid} is ${root.kind} "${root.name}"`);
    this.changed();
  }

  private removeWhere(pred: (r: Root) => boolean): void {
    let changed = false;
    for (const [pid, list] of this.roots) {
      const keep = list.filter((r) => !pred(r));
      if (keep.length === list.length) continue;
      changed = true;
      if (keep.length) this.roots.set(pid, keep);
      else this.roots.delete(pid);
    }
    if (changed) this.changed();
  }

  /** Which shown labels a change moved; fires with their pids (forgets processes gone from the snapshot). */
  private changed(): void {
    const procs = this.procs();
    const moved = new Set<number>();
    for (const [pid, before] of this.shown) {
      if (!procs.has(pid)) {
        this.shown.delete(pid);
        continue;
      }
      const now = this.of(pid)?.label ?? '';
      if (now !== before) {
        moved.add(pid);
        this.shown.set(pid, now);
      }
    }
    if (moved.size) {
      this.log?.debug(`provenance: ${plural(moved.size, 'label')} changed`);
      this.emitter.fire(moved);
    }
  }

  /** of(), remembering what was shown (the views call this while rendering). */
  shownOf(pid: number): ProvenanceTag | undefined {
    const tag = this.of(pid);
    this.shown.set(pid, tag?.label ?? '');
    return tag;
  }

  /** "terminal: bash (2)": the terminal's name and its place in the terminal list. */
  private rootLabel(r: Root): string {
    if (r.kind === 'terminal') {
      const i = r.terminal ? vscode.window.terminals.indexOf(r.terminal) : -1;
      return `terminal: ${r.name}${i >= 0 ? ` (${i + 1})` : ''}`;
    }
    return `${r.kind}: ${r.name}`;
  }

  /**
   * Re-reads VS Code's own processes when older than OWN_REFRESH_MS (called on each snapshot; the
   * /proc reads are asynchronous and never run twice at once). Fires onDidChange when done.
   */
  refreshOwn(force = false): Promise<void> {
    if (this.ownLoading) return this.ownLoading;
    if (!force && performance.now() - this.ownAt < OWN_REFRESH_MS) return Promise.resolve();
    this.ownLoading = (async () => {
      try {
        const own = await vscodeOrigins(process.pid);
        const hosts = new Set<number>([process.pid]);
        for (const [pid, label] of own.vscode) if (label === HELPER_LABELS.extensionHost) hosts.add(pid);
        this.own = own;
        this.extensionHosts = hosts;
        this.ownAt = performance.now();
        this.changed();
      } catch (e) {
        this.log?.warn(`provenance: VS Code's own processes could not be read: ${String(e)}`);
      } finally {
        this.ownLoading = undefined;
      }
    })();
    return this.ownLoading;
  }

  /** The tag of a process: the nearest terminal/task/debug root up its ppid chain, else VS Code's own, else none. */
  of(pid: number): ProvenanceTag | undefined {
    const procs = this.procs();
    let p = pid;
    const seen = new Set<number>();
    for (let depth = 0; p > 1 && depth < MAX_DEPTH && !seen.has(p); depth++) {
      seen.add(p);
      const roots = this.roots.get(p);
      if (roots?.length) return { kind: roots[0].kind, label: this.rootLabel(roots[0]), rootPid: p };
      // an ancestor of the server (what started it: a shell, `npm start`) is VS Code's to keep, but
      // its other children (a demo beside the server, the shell's jobs) are not VS Code's
      const own = p !== pid && this.own?.aboveServer?.has(p) ? undefined : this.own?.vscode.get(p);
      if (own !== undefined) {
        if (p === pid) return { kind: 'vscode', label: `VS Code: ${shortOwn(pid, own)}`, rootPid: p, detail: own };
        // below VS Code's own processes and no terminal/task/debug root on the way: what an
        // extension host started, or a helper of VS Code's
        if (this.extensionHosts.has(p)) return { kind: 'extension', label: 'VS Code: started by an extension', rootPid: p, detail: `started by ${own}` };
        return { kind: 'vscode', label: 'VS Code', rootPid: p, detail: `a process started by ${own}` };
      }
      const proc = procs.get(p);
      if (!proc || proc.ppid === p) break;
      p = proc.ppid;
    }
    return undefined;
  }

  /** The terminal a process runs in (its root's terminal, or the terminal running its task or debuggee). */
  async terminalOf(pid: number): Promise<vscode.Terminal | undefined> {
    const tag = this.of(pid);
    if (!tag || (tag.kind !== 'terminal' && tag.kind !== 'task' && tag.kind !== 'debug')) return undefined;
    const roots = this.roots.get(tag.rootPid) ?? [];
    const direct = roots.find((r) => r.terminal)?.terminal;
    if (direct) return direct;
    for (const t of vscode.window.terminals) {
      try {
        if ((await t.processId) === tag.rootPid) return t;
      } catch {
        /* a terminal that failed to start */
      }
    }
    // a debuggee started inside a terminal (runInTerminal): the terminal is an ancestor's root
    const procs = this.procs();
    const parent = procs.get(tag.rootPid)?.ppid;
    return parent && parent !== tag.rootPid ? this.terminalOf(parent) : undefined;
  }

  /** The debug session a process belongs to. */
  sessionOf(pid: number): { session: vscode.DebugSession; rootPid: number; label: string } | undefined {
    const tag = this.of(pid);
    if (tag?.kind !== 'debug') return undefined;
    const r = this.roots.get(tag.rootPid)?.find((x) => x.session);
    return r?.session ? { session: r.session, rootPid: tag.rootPid, label: tag.label } : undefined;
  }

  /** Root pids by kind (tests, the Free Port pick). */
  rootsOf(kind: Root['kind']): number[] {
    return [...this.roots].filter(([, list]) => list.some((r) => r.kind === kind)).map(([pid]) => pid);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** "extension host", "pty host", "server" from origin.ts's sentences. */
function shortOwn(pid: number, sentence: string): string {
  if (pid === process.pid) return 'extension host (this one)';
  if (sentence === HELPER_LABELS.extensionHost) return 'extension host';
  if (sentence === HELPER_LABELS.ptyHost) return 'pty host';
  if (sentence === HELPER_LABELS.fileWatcher) return 'file watcher';
  if (sentence.startsWith('the VS Code server')) return 'server';
  if (sentence.startsWith('an ancestor')) return 'launcher';
  return 'helper';
}
