// A channel with very many endpoints in the real extension host: one pipe whose write end another
// user (nobody, when the tests run as root) dup'd thousands of times in three processes — as any
// local user can, to the fd limit. Expanding it in either tree gives one node per process and
// mode (its read end; its write ends as one group node with their fds as ranges), not one per
// fd; together they stand for exactly its endpoints, with bounded text, ids that survive a scan,
// and Reveal Peer landing on a listed node both ways. Sizes are asserted, never times.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as vscode from 'vscode';
import type { Channel, Endpoint } from '../../src/core/model';
import type { IpcInspectorApi } from '../../src/extension';
import type { EndpointNode, IpcNode } from '../../src/views/nodes';
import { startDupBomb, type DupBomb } from '../harness/otherUser';
import { channelWhere, labelOf, openApi, scan, tooltipText, treeItem, waitFor } from './ipcTestUtil';

const COMM = 'ext-dupbomb';
const PROCS = 3;
const FDS = 3000;
const HOLES = [20, 21, 22, 500];

const keys = (eps: readonly Endpoint[]) => eps.map((e) => `${e.pid}/${e.fd}/${e.mode}`).sort();

/** The endpoints a list of children stands for (a group node: every endpoint of its group). */
function covered(kids: IpcNode[]): Endpoint[] {
  return kids.flatMap((k) => (k.type === 'endpoint' ? (k.group?.endpoints ?? [k.endpoint]) : []));
}

/** The dup-bomb, as nobody when the tests run as root (else as this user: its fds must be readable). */
function startBomb(): Promise<DupBomb> {
  const self = process.geteuid?.() === 0 ? undefined : { uid: process.getuid!(), gid: process.getgid!() };
  return startDupBomb({ comm: COMM, fds: FDS, procs: PROCS, holes: HOLES, user: self });
}

/** Its pipe, once a refresh has every process's fds. */
function bombChannel(api: IpcInspectorApi, bomb: DupBomb): Promise<Channel> {
  return channelWhere(api, 'the dup-bomb pipe', (c) => c.id === `pipe:${bomb.inode}` && c.endpoints.length > PROCS * 1000, 30_000);
}

describe('a channel with very many endpoints (a dup-bomb)', function () {
  this.timeout(120_000);
  let api: IpcInspectorApi;
  let bomb: DupBomb;
  let ch: Channel;

  before(async () => {
    api = await openApi();
    await vscode.commands.executeCommand('ipcInspector.clearScope');
    await vscode.commands.executeCommand('ipcInspector.hideKinds', []);
    bomb = await startBomb();
    // narrowed to it: a busy machine's Pipes group lists only its first 2,000 channels
    await vscode.commands.executeCommand('ipcInspector.filter', COMM);
    ch = await bombChannel(api, bomb);
  });
  after(async () => {
    await vscode.commands.executeCommand('ipcInspector.clearFilter');
    await bomb?.close();
  });

  /** Checks a channel node's children: one per process and mode, covering every endpoint, bounded text. */
  async function checkChildren(provider: vscode.TreeDataProvider<IpcNode>, kids: IpcNode[]): Promise<void> {
    const current = api.model.channelsById.get(ch.id)!;
    assert.equal(kids.length, PROCS * 2, `children: ${kids.map((k) => k.id).join(', ')}`);
    assert.deepEqual(keys(covered(kids)), keys(current.endpoints), 'the children stand for exactly its endpoints');
    for (const pid of bomb.pids) {
      const read = kids.find((k): k is EndpointNode => k.type === 'endpoint' && !k.group && k.endpoint.pid === pid);
      const write = kids.find((k): k is EndpointNode => k.type === 'endpoint' && !!k.group && k.endpoint.pid === pid);
      assert.ok(read && read.endpoint.mode === 'r' && read.endpoint.fd === bomb.readFd, `${pid}: its read end, one node`);
      assert.ok(write && write.group!.mode === 'w' && write.endpoint.fd === bomb.writeFd, `${pid}: its write ends as one group acting through the lowest fd`);
      const item = await treeItem(provider, write);
      const n = write.group!.endpoints.length.toLocaleString('en-US');
      assert.match(labelOf(item), new RegExp(`^${COMM}\\[${pid}\\] \u2014 ${n} fds \\(w\\): ${bomb.writeFd}\u2013\\d+, `));
      assert.ok(labelOf(item).length < 200, labelOf(item));
      assert.ok(tooltipText(item).length < 2000, `tooltip of ${tooltipText(item).length} characters`);
      assert.ok(String(item.contextValue).startsWith('ipc.endpoint.pipe') && String(item.contextValue).includes('hasPeer'), String(item.contextValue));
    }
  }

  it('Channels: one node per process and mode, covering every endpoint; the same ids after a scan', async () => {
    const node = api.channelsTree.findChannel(ch.id);
    assert.ok(node, 'the channel is listed');
    const kids = api.channelsTree.getChildren(node) as IpcNode[];
    await checkChildren(api.channelsTree, kids);
    await scan(api);
    assert.deepEqual((api.channelsTree.getChildren(api.channelsTree.findChannel(ch.id)!) as IpcNode[]).map((k) => k.id), kids.map((k) => k.id));
  });

  it('Processes: the same children under the channel of each holder', async () => {
    const node = api.processesTree.findChannelOf(bomb.pids[1], ch.id);
    assert.ok(node, 'the channel is under the process');
    await checkChildren(api.processesTree, api.processesTree.getChildren(node) as IpcNode[]);
  });

  it('Reveal Peer: from a group to a read end, from a read end to a group, both listed', async () => {
    const node = api.channelsTree.findChannel(ch.id)!;
    const kids = api.channelsTree.getChildren(node) as IpcNode[];
    const write = kids.find((k): k is EndpointNode => k.type === 'endpoint' && !!k.group)!;
    const read = kids.find((k): k is EndpointNode => k.type === 'endpoint' && !k.group)!;
    const toRead = (await vscode.commands.executeCommand('ipcInspector.revealPeer', write)) as EndpointNode | undefined;
    assert.ok(toRead?.type === 'endpoint' && toRead.endpoint.mode === 'r' && kids.some((k) => k.id === toRead.id), `revealed ${toRead?.id}`);
    const toWrite = (await vscode.commands.executeCommand('ipcInspector.revealPeer', read)) as EndpointNode | undefined;
    assert.ok(toWrite?.type === 'endpoint' && toWrite.group?.mode === 'w' && kids.some((k) => k.id === toWrite.id), `revealed ${toWrite?.id}`);
    // from the Processes view too: the Channels view's node of the same peer
    const inProcs = (api.processesTree.getChildren(api.processesTree.findChannelOf(bomb.pids[0], ch.id)!) as IpcNode[]).find((k): k is EndpointNode => k.type === 'endpoint' && !!k.group)!;
    const fromProcs = (await vscode.commands.executeCommand('ipcInspector.revealPeer', inProcs)) as EndpointNode | undefined;
    assert.ok(fromProcs && kids.some((k) => k.id === fromProcs.id) && fromProcs.endpoint.mode === 'r', `revealed ${fromProcs?.id}`);
  });
});

interface Rendered { view: string; texts: string[]; elementCount: number }
const INSPECTOR = 'ipcInspector.test.inspector';

/** The latest report of the inspector's webview that `pred` accepts (test mode: ipcInspector.test.inspector). */
async function rendered(what: string, pred: (r: Rendered) => boolean): Promise<Rendered> {
  return waitFor(what, async () => {
    await vscode.commands.executeCommand(INSPECTOR, 'drive', { action: 'report' });
    const s = await vscode.commands.executeCommand<{ rendered: Rendered[] }>(INSPECTOR, 'state');
    return [...(s?.rendered ?? [])].reverse().find(pred);
  }, 20_000);
}

describe('the inspector on a channel with very many endpoints (a dup-bomb)', function () {
  this.timeout(120_000);
  let api: IpcInspectorApi;
  let bomb: DupBomb;
  let ch: Channel;

  before(async () => {
    api = await openApi();
    await vscode.commands.executeCommand(INSPECTOR, 'reset');
    bomb = await startBomb();
    ch = await bombChannel(api, bomb);
  });
  after(async () => {
    await vscode.commands.executeCommand(INSPECTOR, 'close');
    await bomb?.close();
  });

  it('"Held by" has one row per process and mode, a group\'s fds as runs and its count', async () => {
    await vscode.commands.executeCommand('ipcInspector.openInspector', { channelId: ch.id });
    const r = await rendered('the holders', (x) => x.texts.some((t) => t.startsWith(`holder:${COMM}[${bomb.pids[0]}]`)));
    const rows = r.texts.filter((t) => t.startsWith('holder:'));
    assert.equal(rows.length, PROCS * 2, rows.slice(0, 10).join('\n'));
    for (const pid of bomb.pids) {
      const n = api.model.channelsById.get(ch.id)!.endpoints.filter((e) => e.pid === pid && e.mode === 'w').length;
      assert.ok(rows.includes(`holder:${COMM}[${pid}]${self()}fd ${bomb.readFd}r`), `${pid}: its read end (${rows.join(' | ')})`);
      assert.ok(rows.some((t) => t.startsWith(`holder:${COMM}[${pid}]${self()}fd ${bomb.writeFd}\u2013`) && t.endsWith(`(${n.toLocaleString('en-US')})w`)), `${pid}: its ${n} write ends in one row`);
    }
    assert.ok(r.elementCount < 2000, `${r.elementCount} elements`);
  });

  it('a holder\'s "Channels held" has one row per channel and mode', async () => {
    await vscode.commands.executeCommand('ipcInspector.openInspector', { pid: bomb.pids[1] });
    const r = await rendered('the channels held', (x) => x.texts.some((t) => t.startsWith('procChannel:') && t.includes(`|${bomb.writeFd}\u2013`)));
    const rows = r.texts.filter((t) => t.startsWith('procChannel:'));
    assert.ok(rows.length < 10, rows.join('\n'));
    assert.deepEqual(rows.filter((t) => t.includes(`|${bomb.readFd}|r`) || t.includes(`|${bomb.writeFd}\u2013`)).length, 2, rows.join('\n'));
    assert.ok(r.elementCount < 2000, `${r.elementCount} elements`);
  });
});

/** The user column of a holder row: whoever runs the dup-bomb. */
function self(): string {
  return process.geteuid?.() === 0 ? 'nobody' : os.userInfo().username;
}
