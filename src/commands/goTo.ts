// ipcInspector.goTo — "Go to Channel or Process…": one live quick pick over every process and
// channel of the snapshot (src/views/search.ts), grouped by kind under separators with the
// trees' icons while nothing is typed, matched on every keystroke against names, pids, command
// lines, paths, ports (`8080`, `:8080`) and keys (`0x…`). Accepting reveals the match in its
// tree and opens the inspector on it beside (the tree keeps the focus). The same picker serves
// "Inspect Channel or Process…" (openInspector.ts). A string argument skips the pick: the best
// match is revealed and inspected (tests, keybindings); it resolves to the revealed tree node.
import * as vscode from 'vscode';
import { kindOf } from '../core/kinds';
import type { InspectorTarget } from '../snapshotSource';
import type { IpcNode } from '../views/nodes';
import { MAX_CHILDREN } from '../views/channelsTree';
import type { RowKeeper } from '../views/keepInView';
import { buildSearchIndex, searchIndex, type SearchEntry } from '../views/search';
import { ensureSnapshot, Services } from './services';


/** With more entries than this, the unfiltered list shows the first BROWSE_PER_GROUP of each group. */
const BROWSE_ALL = 2000;
const BROWSE_PER_GROUP = 200;
/** Matches listed for a typed query. */
const MATCH_LIMIT = 500;

export interface SearchPickItem extends vscode.QuickPickItem {
  entry?: SearchEntry;
}

function itemOf(e: SearchEntry, alwaysShow: boolean): SearchPickItem {
  return {
    label: e.label,
    description: e.description,
    detail: e.detail,
    iconPath: new vscode.ThemeIcon(e.type === 'process' ? 'server-process' : (e.kind ? kindOf(e.kind).icon : 'circle-small')),
    alwaysShow,
    entry: e,
  };
}

/** The items for `value`: the grouped browse list when empty, else the ranked matches. */
export function searchItems(index: readonly SearchEntry[], value: string, title: string): { items: SearchPickItem[]; title?: string } {
  if (!value.trim()) {
    const items: SearchPickItem[] = [];
    const cap = index.length > BROWSE_ALL ? BROWSE_PER_GROUP : Infinity;
    const counts = new Map<string, number>();
    for (const e of index) counts.set(e.group, (counts.get(e.group) ?? 0) + 1);
    let group = '';
    let inGroup = 0;
    for (const e of index) {
      if (e.group !== group) {
        group = e.group;
        inGroup = 0;
        const n = counts.get(group) ?? 0;
        items.push({ label: n > cap ? `${group} (first ${cap} of ${n.toLocaleString('en-US')}: type to search)` : group, kind: vscode.QuickPickItemKind.Separator });
      }
      if (inGroup++ < cap) items.push(itemOf(e, false));
    }
    return { items, title };
  }
  // Our own matching decides what is listed (numbers exactly, words as substrings); VS Code
  // only highlights and orders, so every match is `alwaysShow`.
  const r = searchIndex(index, value, MATCH_LIMIT);
  return {
    items: r.entries.map((e) => itemOf(e, true)),
    title: r.total > r.entries.length ? `${title} — first ${r.entries.length} of ${r.total.toLocaleString('en-US')} matches` : title,
  };
}

/** The search index of the current snapshot, against the trees' filter. */
export async function currentIndex(s: Services): Promise<SearchEntry[]> {
  const snapshot = await ensureSnapshot(s);
  const m = s.model;
  return buildSearchIndex({
    channels: snapshot.channels,
    processes: snapshot.processes,
    procs: m.procs.size ? m.procs : new Map(snapshot.processes.map((p) => [p.pid, p])),
    isChannelShown: (id) => m.isShown(id),
    isProcessShown: (pid) => m.result.pids.has(pid),
  });
}

/** Asks for a channel or process with the live quick pick. */
export async function pickChannelOrProcess(s: Services, title: string): Promise<SearchEntry | undefined> {
  // the pick opens at once (busy until the index is built on the first scan)
  let index: SearchEntry[] = [];
  const ready = currentIndex(s).then((x) => (index = x));
  const chosen = await s.ui.livePick<SearchPickItem>({
    title,
    placeholder: 'Name, pid, command line, path, port (8080) or key (0x…)',
    items: (value) => searchItems(index, value, title),
    ready,
  });
  return chosen?.entry;
}

export function targetOf(e: SearchEntry): InspectorTarget {
  return e.type === 'process' ? { pid: e.pid! } : { channelId: e.channelId! };
}

/**
 * Selects the entry's node in its tree (with the keyboard focus there); undefined when it is not
 * shown. A reveal can lose a race with a refresh of the same tree (processes come and go every
 * second on a busy machine): it is tried again until the node is selected, for REVEAL_TRIES_MS.
 */
export async function revealEntry(s: Services, e: SearchEntry, focus = true): Promise<IpcNode | undefined> {
  return e.type === 'process'
    ? revealSelected(s, s.processesKeeper, () => s.processesTree.findProcess(e.pid!), focus)
    : revealSelected(s, s.channelsKeeper, () => s.channelsTree.findChannel(e.channelId!), focus);
}

/**
 * How long a reveal is tried again. The workbench loses a reveal that arrives while it puts in the
 * rows of a refresh ("Data tree node not found"), and on a loaded machine a big group's refresh
 * each scan leaves little time between them: three tries in a row were seen all lost (a Unix
 * group of 286 sockets, load 20 on two cores). Each try waits for the refreshes queued before it.
 */
const REVEAL_TRIES_MS = 10_000;

/**
 * How long a try waits for the view to report the node selected. The view reports a selection by
 * an event that can come after reveal() resolves (Reveal Peer's extension test saw it); a refresh
 * of the tree ends the wait sooner (the reveal may have lost to it: the next try waits it out).
 */
const SELECTION_WAIT_MS = 2000;

/** Resolves true once the view's selection holds `id` (now, or by its next events), false at the tree's next change or after `ms`. */
function selectionOf(view: RowKeeper<IpcNode>['view'], changes: vscode.Event<unknown>, id: string, ms: number): Promise<boolean> {
  const holds = () => view.selection.some((n) => n.id === id);
  if (holds()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (v: boolean) => {
      clearTimeout(timer);
      sel.dispose();
      changed.dispose();
      resolve(v);
    };
    const sel = view.onDidChangeSelection((e) => {
      if (e.selection.some((n) => n.id === id)) done(true);
    });
    const changed = changes(() => done(holds()));
    const timer = setTimeout(() => done(holds()), ms);
  });
}

/**
 * Selects the node `find` gives in the keeper's view (as revealEntry; `expand` opens it too), tried
 * again on the refreshed nodes until it is selected, for REVEAL_TRIES_MS; once selected, the view's
 * keeper keeps it in view while the tree changes around it (views/keepInView.ts). Go To, Show
 * Warnings and Reveal Peer select a row for the user through this one loop.
 */
export async function revealSelected(s: Pick<Services, 'log'>, keeper: RowKeeper<IpcNode>, find: () => IpcNode | undefined, focus: boolean, expand = false): Promise<IpcNode | undefined> {
  const view = keeper.view;
  keeper.stop();
  let node: IpcNode | undefined;
  const t0 = Date.now();
  const end = t0 + REVEAL_TRIES_MS;
  const log = (line: string) => s.log.debug(`reveal ${node?.id}: ${line}`);
  for (let attempt = 0; attempt < 3 || Date.now() < end; attempt++) {
    node = find();
    if (!node) return undefined;
    try {
      await view.reveal(node, { select: true, focus, expand });
      if (await selectionOf(view, keeper.changes, node.id, SELECTION_WAIT_MS)) {
        log(`selected (try ${attempt + 1}, ${Date.now() - t0} ms)`);
        keeper.keep(find);
        return node;
      }
      log(`not selected (try ${attempt + 1}, ${Date.now() - t0} ms): a refresh came between`);
    } catch (err) {
      log(`try ${attempt + 1}, ${Date.now() - t0} ms: ${err instanceof Error ? err.message : String(err)}`);
    }
    // past the first tries, paced: the next scan's refresh is what it waits out
    if (attempt >= 2) await new Promise((r) => setTimeout(r, 100));
  }
  return node;
}

export function register(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('ipcInspector.goTo', async (arg?: unknown) => {
    let entry: SearchEntry | undefined;
    if (typeof arg === 'string') {
      entry = searchIndex(await currentIndex(s), arg, 1).entries[0];
      if (!entry) {
        void s.ui.info(`IPC Inspector: nothing matches “${arg}”.`);
        return undefined;
      }
    } else {
      entry = await pickChannelOrProcess(s, 'Go to Channel or Process');
      if (!entry) return undefined;
    }
    const node = await revealEntry(s, entry).catch(() => undefined);
    // shown by the filter but not listed: past the first MAX_CHILDREN rows of its group (a busy
    // server's closed connections): said, not a reveal that silently does nothing
    if (!node && !entry.hidden && entry.type === 'channel') void s.ui.info(`IPC Inspector: “${entry.label}” is past the first ${MAX_CHILDREN.toLocaleString('en-US')} rows of its group, so the tree does not list it; the inspector shows it, and Filter… narrows the tree to it.`);
    // Beside the tree, without taking the focus from it (as a click does); a match the filter
    // hides has no place in the tree, so the inspector takes the focus instead.
    s.inspector?.open(targetOf(entry), { preserveFocus: !!node });
    return node;
  });
}
