// The topology map's aggregation (src/core/topology): graph building, grouping by process tree
// and by container, the budgeted expansion, search, problems, the trees' filter and the
// queue-depth rates. Input: real snapshots of the demo workload (npm run demo) taken 3 s apart
// with `ipc-inspector snapshot --json --pid <demo pids>` and its `doctor --json`, kept to the
// demo's processes (test/unit/data/topology/; home paths rewritten).
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DATA_DIR } from './helpers';
import type { Channel, ProcessInfo, Snapshot } from '../../src/core/model';
import { diffSnapshots } from '../../src/core/diff';
import { applyFilter, EMPTY_FILTER, problemVisible, type FilterState } from '../../src/core/filter';
import { buildTopology, MAX_PAIRS, type BuildInput } from '../../src/core/topology/graph';
import { buildHierarchy, cutHierarchy } from '../../src/core/topology/hierarchy';
import { MapState, type TopoDelta } from '../../src/core/topology/mapState';
import { problemsHelp, problemsText } from '../../src/core/topology/problemCounts';
import { edgeWidth, movement, queueFacts, QueueDepthRates } from '../../src/core/topology/rates';
import { projectChannel, projectProcess, type TopoGraph, type TopoProblem, type TopoProcess } from '../../src/core/topology/types';

const load = (name: string): Snapshot => JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'topology', name), 'utf8')) as Snapshot;
const demo1 = load('demo-1.json');
const demo2 = load('demo-2.json');
const doctor = JSON.parse(fs.readFileSync(path.join(DATA_DIR, 'topology', 'demo-doctor.json'), 'utf8')) as { problems: TopoProblem[] };

const procsOf = (s: Snapshot) => new Map(s.processes.map((p) => [p.pid, projectProcess(p)]));
const chansOf = (s: Snapshot) => new Map(s.channels.map((c) => [c.id, c]));
const pidOf = (s: Snapshot, comm: string): number => {
  const p = s.processes.find((x) => x.comm === comm);
  assert.ok(p, `no ${comm} in the snapshot`);
  return p.pid;
};

function input(s: Snapshot, over: Partial<BuildInput> = {}): BuildInput {
  return {
    processes: procsOf(s),
    allChannels: chansOf(s),
    channels: s.channels,
    allowed: null,
    rates: new Map(),
    problems: [],
    groupBy: 'tree',
    expanded: new Set(),
    collapsed: new Set(),
    budget: 1000,
    ...over,
  };
}

const node = (g: TopoGraph, id: string) => g.nodes.find((n) => n.id === id);
const edgeBetween = (g: TopoGraph, a: string, b: string) => g.edges.find((e) => (e.source === a && e.target === b) || (e.source === b && e.target === a));

describe('topology: graph from a real snapshot (group by process tree)', () => {
  const g = buildTopology(input(demo1));

  it('draws every demo process that holds a channel as its own node when the budget allows', () => {
    for (const comm of ['ipc-demo-ingest', 'ipc-demo-worker', 'ipc-demo-rpcsrv', 'ipc-demo-rpccli', 'ipc-demo-web', 'ipc-demo-qworkr']) {
      const pid = pidOf(demo1, comm);
      const n = node(g, `p:${pid}`);
      assert.ok(n, `${comm} is drawn`);
      assert.equal(n.type, 'process');
      assert.equal(n.label, comm);
      assert.equal(n.processes, 1);
    }
    // no process is drawn twice, and every node is connected to the data (an id per node)
    assert.equal(new Set(g.nodes.map((n) => n.id)).size, g.nodes.length);
  });

  it('joins the FIFO between ingest and worker into one edge, flowing both ways (both hold it rw)', () => {
    const e = edgeBetween(g, `p:${pidOf(demo1, 'ipc-demo-ingest')}`, `p:${pidOf(demo1, 'ipc-demo-worker')}`);
    assert.ok(e, 'an edge ingest — worker');
    assert.ok(e.channelIds.includes('fifo:254:0:2188379'), `the FIFO is on the edge: ${e.channelIds.join(', ')}`);
    assert.ok(e.families.includes('pipe'));
  });

  it('joins a Unix socket with its peer: one edge between client and server, both channel ids on it', () => {
    const ch = demo1.channels.find((c) => c.kind === 'unix' && c.peer && c.endpoints.some((x) => x.pid === pidOf(demo1, 'ipc-demo-web')))!;
    assert.ok(ch && ch.kind === 'unix');
    const peer = demo1.channels.find((c) => c.id === (ch as { peer?: string }).peer)!;
    const e = edgeBetween(g, `p:${ch.endpoints[0].pid}`, `p:${peer.endpoints[0].pid}`);
    assert.ok(e, 'an edge between the two holders');
    assert.ok(e.channelIds.includes(ch.id) && e.channelIds.includes(peer.id), e.channelIds.join(', '));
    assert.ok(e.forward && e.backward, 'sockets carry data both ways');
  });

  it('draws shared memory, queues and semaphores as shared nodes that each holder connects to', () => {
    const shm = g.nodes.find((n) => n.type === 'object' && n.channelIds.includes(demo1.channels.find((c) => c.kind === 'sysv-shm')!.id));
    assert.ok(shm, 'the SysV segment is a node');
    assert.equal(shm.family, 'shm');
    const attachers = demo1.channels.find((c) => c.kind === 'sysv-shm')!.endpoints.map((x) => `p:${x.pid}`);
    for (const a of attachers) assert.ok(edgeBetween(g, a, shm.id), `attacher ${a} connects to it`);
    // a SysV queue has no fds: its last sender and receiver stand in for its holders
    const q = demo1.channels.find((c) => c.kind === 'sysv-msg')!;
    assert.equal(q.kind, 'sysv-msg');
    const qn = g.nodes.find((n) => n.channelIds.includes(q.id))!;
    assert.ok(qn, 'the SysV queue is a node');
    assert.ok(edgeBetween(g, `p:${q.lastSendPid}`, qn.id) && edgeBetween(g, `p:${q.lastRecvPid}`, qn.id), 'web and queue-worker connect to it');
    const mq = g.nodes.find((n) => n.channelIds.includes('posix-mq:ipc-demo-notify'))!;
    assert.ok(mq && edgeBetween(g, `p:${pidOf(demo1, 'ipc-demo-web')}`, mq.id), 'web connects to the POSIX queue');
  });

  it(`turns a channel with more than ${MAX_PAIRS} holder pairs into one shared node, not a mesh`, () => {
    const wide = demo1.channels.find((c) => c.id === 'pipe:10550002')!;
    assert.ok(wide.endpoints.length > 10, 'the demo has a pipe inherited by every process');
    const hub = g.nodes.find((n) => n.channelIds.includes(wide.id));
    assert.ok(hub, 'the inherited pipe is a node');
    assert.equal(hub.type, 'object');
    const spokes = g.edges.filter((e) => e.source === hub.id || e.target === hub.id);
    assert.equal(spokes.length, new Set(wide.endpoints.map((x) => x.pid)).size, 'one spoke per holder');
  });

  it("counts a process's self-pipes as internal, not as edges", () => {
    const pid = pidOf(demo1, 'ipc-demo-rpcsrv');
    const n = node(g, `p:${pid}`)!;
    const selfPipes = demo1.channels.filter((c) => c.kind === 'pipe' && c.endpoints.length > 0 && c.endpoints.every((x) => x.pid === pid));
    assert.ok(selfPipes.length >= 4);
    assert.ok(n.internal >= selfPipes.length, `internal ${n.internal} ≥ ${selfPipes.length}`);
    // said in words that cannot be read as the pid-namespace "(N inside)" of the same line
    assert.match(n.detail, new RegExp(`· ${n.internal} internal channels ·`), n.detail);
    assert.doesNotMatch(n.detail, /\d inside/, n.detail);
    for (const e of g.edges) assert.notEqual(e.source, e.target, 'no self loops');
  });
});

describe('topology: aggregation', () => {
  it('collapses the demo into one group under a small budget, and expanding it shows its processes', () => {
    const demoPid = pidOf(demo1, 'ipc-demo');
    const small = buildTopology(input(demo1, { budget: 3 }));
    const group = small.nodes.find((n) => n.type === 'group');
    assert.ok(group, `a group is drawn: ${small.nodes.map((n) => n.id).join(', ')}`);
    assert.ok(small.nodes.length <= 4, `few nodes: ${small.nodes.length}`);
    assert.ok(group.processes >= 30, `it stands for the demo's processes (${group.processes})`);
    assert.ok(group.internal > 50, 'their channels are inside it');
    // only the pipe the launcher shares with everything (no reader left) crosses the group
    for (const e of small.edges) assert.ok([e.source, e.target].some((id) => small.nodes.find((n) => n.id === id)?.type === 'object'), `${e.id} goes through a shared node`);
    const open = buildTopology(input(demo1, { budget: 3, expanded: new Set([group.id]) }));
    assert.ok(open.nodes.length > small.nodes.length);
    assert.ok(!open.nodes.some((n) => n.id === group.id), 'the opened group is not drawn itself');
    // the user's closing beats the budget
    const all = buildTopology(input(demo1, { budget: 1000 }));
    const tg = `t:${demoPid}`;
    assert.ok(!all.nodes.some((n) => n.id === tg), 'with a big budget the demo group is open');
    const closed = buildTopology(input(demo1, { budget: 1000, collapsed: new Set([tg]) }));
    assert.ok(closed.nodes.some((n) => n.id === tg && n.type === 'group'), 'closed by the user');
    const inside = closed.nodes.filter((n) => n.parentGroup === tg);
    assert.equal(inside.length, 0, 'nothing drawn inside a closed group');
  });

  it('opens a group too big for the budget partly: its largest children, the rest as one node that opens it whole', () => {
    const demoPid = pidOf(demo1, 'ipc-demo');
    const g = buildTopology(input(demo1, { budget: 10 }));
    const rest = g.nodes.find((n) => n.id === `r:t:${demoPid}`);
    assert.ok(rest, `a rest node: ${g.nodes.map((n) => n.id).join(', ')}`);
    assert.equal(rest.type, 'group');
    assert.match(rest.label, /^\d+ more of ipc-demo$/);
    const units = g.nodes.filter((n) => n.type === 'process' || n.type === 'group');
    assert.ok(units.length <= 10, `${units.length} drawn`);
    assert.ok(units.length >= 8, 'the room is used');
    // every process is drawn exactly once: alone, or inside the rest node
    const total = units.reduce((n, u) => n + u.processes, 0);
    assert.equal(total, buildTopology(input(demo1)).nodes.filter((n) => n.type === 'process').length);
    // the shown children are the busiest in processes: ingest (with its worker) before a lone client
    assert.ok(g.nodes.some((n) => n.id === `t:${pidOf(demo1, 'ipc-demo-ingest')}` || n.id === `p:${pidOf(demo1, 'ipc-demo-ingest')}`));
    // expanding the rest node opens the group whole
    const all = buildTopology(input(demo1, { budget: 10, expanded: new Set([rest.id]) }));
    assert.ok(!all.nodes.some((n) => n.id.startsWith('r:')));
    assert.ok(all.nodes.some((n) => n.id === `p:${pidOf(demo1, 'ipc-demo-sigblk')}` || n.label === 'ipc-demo-web'));
  });

  it('skips chains of processes that hold nothing (one expansion shows a branching)', () => {
    const procs = procsOf(demo1);
    const present = new Set(demo1.channels.flatMap((c) => c.endpoints.map((e) => e.pid)));
    const h = buildHierarchy(procs, present, 'tree');
    // init → node (demo.mjs) → ipc-demo: init holds nothing and has one child
    assert.equal(h.top.length, 1);
    assert.equal(h.top[0].type, 'group');
    const id = (h.top[0] as { id: string }).id;
    assert.notEqual(id, 't:1', 'init is skipped');
    const cut = cutHierarchy(h, { userExpanded: new Set(), userCollapsed: new Set(), budget: 1 });
    assert.deepEqual(cut.units, h.top);
    for (const pid of present) assert.equal(cut.unitOf.get(pid), id, `pid ${pid} is drawn as the group`);
  });

  it('groups by container: a container is one group, edges that cross it stay drawn', () => {
    const ringPids = demo1.processes.filter((p) => p.comm === 'ipc-demo-ring').map((p) => p.pid);
    const inContainer = (p: ProcessInfo): ProcessInfo =>
      ringPids.includes(p.pid)
        ? { ...p, container: { runtime: 'docker', id: 'ab'.repeat(32), name: 'ring\u001b[31m', pod: null, rootlessUid: null, cgroup: '/x' }, nsPid: [p.pid, p.pid - ringPids[0] + 1], pidns: '4026532999' }
        : p;
    const s: Snapshot = { ...demo1, processes: demo1.processes.map(inContainer) };
    const g = buildTopology(input(s, { groupBy: 'container', budget: 3 }));
    const c = g.nodes.find((n) => n.id === `c:docker:${'ab'.repeat(32)}`);
    assert.ok(c, `the container is a group: ${g.nodes.map((n) => n.id).join(', ')}`);
    assert.equal(c.label, 'ring\\x1b[31m', 'its name is escaped');
    assert.equal(c.processes, ringPids.length);
    assert.ok(/docker container abababababab/.test(c.detail), c.detail);
    // the ring's Unix connections to ipc-demo cross the container boundary
    assert.ok(g.edges.some((e) => e.source === c.id || e.target === c.id), 'edges cross the container');
    // in tree mode the same processes are not a container group
    const t = buildTopology(input(s, { groupBy: 'tree', budget: 3 }));
    assert.ok(!t.nodes.some((n) => n.id.startsWith('c:')));
    // expanding the container shows its processes (inner pids in the detail)
    const open = buildTopology(input(s, { groupBy: 'container', budget: 1000, expanded: new Set([c.id]) }));
    const ring = open.nodes.find((n) => n.id === `p:${ringPids[1]}`)!;
    assert.ok(ring, 'a ring process drawn alone');
    assert.ok(ring.parentGroup === c.id || ring.parentGroup === `t:${ringPids[0]}`, String(ring.parentGroup));
    assert.ok(!open.nodes.some((n) => n.id === c.id), 'the open container is not drawn itself');
    assert.ok(/inside/.test(ring.detail), ring.detail);
  });

  it('merges every channel between the same two nodes into one edge with their rates summed', () => {
    const demoPid = pidOf(demo1, 'ipc-demo');
    const jobs = pidOf(demo1, 'ipc-demo-jobs');
    const between = demo1.channels.filter((c) => c.kind === 'unix' && c.endpoints.some((e) => e.pid === jobs));
    assert.ok(between.length >= 3, 'ipc-demo and its jobs child share several socketpairs');
    const rates = new Map(between.map((c) => [c.id, { bytesPerSec: 100, opsPerSec: 1, source: 'queue-depth' as const }]));
    const g = buildTopology(input(demo1, { rates }));
    const e = edgeBetween(g, `p:${demoPid}`, `p:${jobs}`)!;
    assert.ok(e);
    assert.equal(e.channels, between.length * 2, 'each socket and its peer');
    assert.equal(e.bytesPerSec, between.length * 100);
    assert.equal(e.width, edgeWidth(e.bytesPerSec, e.opsPerSec));
    assert.ok(e.width > 1);
  });
});

describe('topology: search, filter and problems', () => {
  it('search opens the groups that hold a match and marks it (the trees’ matching for channels)', () => {
    const web = pidOf(demo1, 'ipc-demo-web');
    const g = buildTopology(input(demo1, { budget: 2, search: 'ipc-demo-web' }));
    const n = node(g, `p:${web}`);
    assert.ok(n, 'the match is drawn as itself despite the budget');
    assert.equal(n.match, true);
    assert.ok(g.nodes.some((x) => !x.match), 'others are drawn, not marked');
    // a channel query: the FIFO's path → its holders are matches, its edge is marked
    const f = buildTopology(input(demo1, { budget: 2, search: 'ingest.fifo' }));
    const fe = f.edges.find((e) => e.channelIds.includes('fifo:254:0:2188379'))!;
    assert.ok(fe && fe.match, 'the FIFO edge is marked');
    assert.equal(f.matches, 2);
    // a pid matches exactly
    const p = buildTopology(input(demo1, { budget: 2, search: String(web) }));
    assert.equal(p.matches >= 1, true);
    assert.ok(node(p, `p:${web}`)?.match);
  });

  it("applies the trees' filter (text and process scope) like the trees do", () => {
    const st = new MapState();
    st.reset(Date.parse(demo1.takenAt));
    st.addFull(demo1.processes.map(projectProcess), demo1.channels);
    const filters: FilterState[] = [
      { ...EMPTY_FILTER, text: 'rpc' },
      { ...EMPTY_FILTER, hiddenKinds: ['pipe', 'unix'] },
      { ...EMPTY_FILTER, scopePid: pidOf(demo1, 'ipc-demo-ingest') },
      { ...EMPTY_FILTER, hideOtherUsers: true, uid: 1000 },
      { ...EMPTY_FILTER, workspaceOnly: true, workspaceFolders: ['/home/dev/ipc-inspector'] },
    ];
    for (const f of filters) {
      st.filter = f;
      const g = st.build({ groupBy: 'tree', expanded: new Set(), collapsed: new Set(), search: '', budget: 1000 });
      const trees = applyFilter(demo1, f);
      const drawn = new Set([...g.edges.flatMap((e) => e.channelIds), ...g.nodes.flatMap((n) => n.channelIds)]);
      const treeIds = new Set(trees.channels.map((c) => c.id));
      for (const id of drawn) {
        const ch = demo1.channels.find((c) => c.id === id)!;
        const peerShown = ch.kind === 'unix' && ch.peer !== undefined && treeIds.has(ch.peer);
        assert.ok(treeIds.has(id) || peerShown, `${JSON.stringify(f)}: ${id} is drawn but the trees hide it`);
      }
      assert.equal(g.totals.shownChannels, trees.channels.length, JSON.stringify(f));
      // processes drawn: the trees' holders, and the last users standing in for a shown SysV queue's or set's holders
      const standIns = new Set(trees.channels.flatMap((c) => (c.kind === 'sysv-msg' ? [c.lastSendPid, c.lastRecvPid] : c.kind === 'sysv-sem' ? (c.lastPid ?? []) : [])));
      for (const n of g.nodes) if (n.type === 'process') assert.ok(trees.pids.has(n.pid!) || standIns.has(n.pid!) || f.text !== '', `${JSON.stringify(f)}: ${n.id} drawn but filtered out`);
    }
  });

  it('marks the nodes and edges a diagnosis problem names (real doctor output)', () => {
    assert.ok(doctor.problems.length >= 1);
    const p = doctor.problems[0];
    const g = buildTopology(input(demo1, { problems: doctor.problems }));
    const hub = g.nodes.find((n) => n.channelIds.includes(p.channels[0]))!;
    assert.ok(hub, `the problem's channel ${p.channels[0]} is drawn`);
    assert.equal(hub.severity, p.severity);
    assert.ok(hub.problems.includes(p.title));
    const spoke = g.edges.find((e) => e.source === hub.id || e.target === hub.id)!;
    assert.equal(spoke.severity, p.severity);
    const known = p.pids.filter((pid) => demo1.processes.some((x) => x.pid === pid));
    assert.ok(known.length > 3);
    for (const pid of known) assert.equal(node(g, `p:${pid}`)?.severity, p.severity, `pid ${pid} marked`);
    assert.deepEqual(g.totals.problems, { error: 0, warning: 0, info: 0, [p.severity]: 1 });
    assert.equal(g.totals.notDrawn, 0);
    // an error wins over a warning
    const err: TopoProblem = { id: 'x', severity: 'error', title: 'boom', channels: [p.channels[0]], pids: [] };
    assert.equal(buildTopology(input(demo1, { problems: [...doctor.problems, err] })).nodes.find((n) => n.id === hub.id)!.severity, 'error');
  });

  // Problems the rules report about what the map does not draw, in the shape they report them
  // (core/diagnose: signalTrouble.ts names only a process, socketPath.ts's stale file nothing):
  // pid 1 is in the snapshot as the demo's ancestor and holds no channel; the stale file is the
  // demo's own (its run directory).
  const initIgnoresTerm: TopoProblem = { id: `signal-trouble:ignores-term:1@${demo1.processes.find((x) => x.pid === 1)!.startTime}`, severity: 'info', title: 'init[1] ignores SIGTERM: a plain kill will not stop it', channels: [], pids: [1] };
  const staleFile: TopoProblem = { id: 'socket-path:stale:0:40:4711', severity: 'info', title: 'Stale socket file /tmp/ipc-inspector-demo-ePiwFU/stale-api.sock: nothing is bound to it (connect gets ECONNREFUSED)', channels: [], pids: [] };

  it('counts the problems the Problems view lists, every severity, and says how many no node or edge carries', () => {
    const all = [...doctor.problems, initIgnoresTerm, staleFile];
    const g = buildTopology(input(demo1, { problems: all }));
    // the view lists all three (nothing narrows it); two of them are about nothing drawn
    assert.deepEqual(g.totals.problems, { error: 0, warning: 1, info: 2 });
    assert.equal(g.totals.notDrawn, 2);
    assert.equal(problemsText(g.totals), '3 problems (1 warning, 2 info), 2 not on the map');
    assert.match(problemsHelp(g.totals), /Problems view lists .* all severities[\s\S]*2 of them are about nothing drawn here/);
    // no node carries them (pid 1 is not drawn at all), the doctor's warning marks its own
    assert.ok(!node(g, 'p:1'));
    assert.ok(g.nodes.every((n) => !n.problems.includes(initIgnoresTerm.title) && !n.problems.includes(staleFile.title)));
  });

  it("with the trees narrowed, counts what the Problems view lists for that filter (problemVisible on the same filter result)", () => {
    const st = new MapState();
    st.reset(Date.parse(demo1.takenAt));
    st.addFull(demo1.processes.map(projectProcess), demo1.channels);
    st.problems = [...doctor.problems, initIgnoresTerm, staleFile];
    const view = { groupBy: 'tree' as const, expanded: new Set<string>(), collapsed: new Set<string>(), search: '', budget: 1000 };
    for (const [f, want, notDrawn] of [
      // the demo's pipe and its stale file (its path names the text); init holds nothing shown
      [{ ...EMPTY_FILTER, text: 'demo' }, { error: 0, warning: 1, info: 1 }, 1],
      // the pipe's warning names every demo process, the rpc pair among them; the stale file's path does not name rpc
      [{ ...EMPTY_FILTER, text: 'rpc' }, { error: 0, warning: 1, info: 0 }, 0],
      // a scope without the pipe's holders lists none of the three
      [{ ...EMPTY_FILTER, scopePid: 1 << 22 }, { error: 0, warning: 0, info: 0 }, 0],
      // hidden pipes: the pipe's warning names its holders, which hold other channels shown
      [{ ...EMPTY_FILTER, hiddenKinds: ['pipe'] }, { error: 0, warning: 1, info: 0 }, 0],
    ] as const) {
      st.filter = f;
      const g = st.build(view);
      assert.deepEqual(g.totals.problems, want, JSON.stringify(f));
      assert.equal(g.totals.notDrawn, notDrawn, JSON.stringify(f));
      // the Problems view's own question (problemsModel.ts), asked here on the snapshot itself
      const trees = applyFilter(demo1, f);
      const ids = new Set(trees.channels.map((c) => c.id));
      const listed = st.problems.filter((p) => problemVisible(p, (id) => ids.has(id), trees.pids, f.text));
      assert.equal(listed.length, want.error + want.warning + want.info, JSON.stringify(f));
    }
  });

  it('words the count as the Problems view would: all severities, and what the map cannot show', () => {
    const t = (error: number, warning: number, info: number, notDrawn: number) => problemsText({ problems: { error, warning, info }, notDrawn });
    assert.equal(t(0, 0, 0, 0), '');
    assert.equal(t(1, 0, 0, 0), '1 problem (1 error)');
    assert.equal(t(0, 7, 5, 0), '12 problems (7 warnings, 5 info)');
    assert.equal(t(2, 1, 9, 4), '12 problems (2 errors, 1 warning, 9 info), 4 not on the map');
    assert.equal(t(0, 0, 5, 5), '5 problems (5 info), none on the map');
    assert.equal(t(0, 0, 1, 1), '1 problem (1 info), not on the map');
    assert.equal(problemsHelp({ problems: { error: 0, warning: 0, info: 0 }, notDrawn: 0 }), '');
  });

  it('escapes names other users chose (control characters, bidi) and bounds them', () => {
    const evil = '\u202eevil\u0007' + 'x'.repeat(500);
    const s: Snapshot = { ...demo1, processes: demo1.processes.map((p) => (p.comm === 'ipc-demo-web' ? { ...p, comm: evil } : p)) };
    const g = buildTopology(input(s));
    const n = node(g, `p:${pidOf(demo1, 'ipc-demo-web')}`)!;
    assert.ok(!/[\u0000-\u001f\u202e]/.test(n.label), n.label);
    assert.ok(n.label.startsWith('\\u202eevil\\x07'));
    assert.ok([...n.label].length <= 40);
    // a name that draws like another (zero-width space, word joiner): the map's label shows them
    const twin = 'ipc-demo-w\u200beb\u2060';
    const g2 = buildTopology(input({ ...demo1, processes: demo1.processes.map((p) => (p.comm === 'ipc-demo-web' ? { ...p, comm: twin } : p)) }));
    assert.equal(node(g2, `p:${pidOf(demo1, 'ipc-demo-web')}`)!.label.split('[')[0], 'ipc-demo-w\\u200beb\\u2060');
  });
});

describe('topology: rates from queue-depth changes', () => {
  it('reads the depth of every kind that has one', () => {
    const pipe = demo1.channels.find((c) => c.kind === 'pipe')!;
    assert.deepEqual(queueFacts(pipe).bytes, (pipe as { bufferedBytes: number | null }).bufferedBytes);
    const msg = demo1.channels.find((c) => c.kind === 'sysv-msg')!;
    assert.ok(queueFacts(msg).stamp);
    const shm = demo1.channels.find((c) => c.kind === 'sysv-shm')!;
    assert.deepEqual(queueFacts(shm), { bytes: null, counts: null, stamp: null });
    // a SysV queue that ended where it began, but whose last send moved: at least one operation
    assert.deepEqual(movement({ bytes: 10, counts: [1], stamp: 'a' }, { bytes: 10, counts: [1], stamp: 'b' }), { bytes: 0, ops: 1 });
    assert.deepEqual(movement({ bytes: 10, counts: [1, 5], stamp: null }, { bytes: 4106, counts: [3, 2], stamp: null }), { bytes: 4096, ops: 5 });
  });

  it('computes bytes/s over the window from the deltas between real snapshots; tracer rates replace them', () => {
    const t1 = Date.parse(demo1.takenAt);
    const st = new MapState();
    st.reset(t1);
    st.addFull(demo1.processes.map(projectProcess), demo1.channels);
    // the real diff of the two snapshots, plus a pipe that filled by 8 KiB in between
    const diff = diffSnapshots(demo1, demo2);
    const pipe = demo2.channels.find((c) => c.id === 'pipe:10550791')! as Extract<Channel, { kind: 'pipe' }>;
    const fuller: Channel = { ...pipe, bufferedBytes: (pipe.bufferedBytes ?? 0) + 8192 };
    const t2 = t1 + 2000;
    const delta: TopoDelta = {
      at: t2,
      addedChannels: diff.addedChannels,
      changedChannels: [...diff.changedChannels.filter((c) => c.id !== pipe.id), fuller],
      removedChannels: diff.removedChannels,
      processes: [...diff.addedProcesses, ...diff.changedProcesses].map(projectProcess),
      removedProcesses: diff.removedProcesses,
    };
    st.applyDelta(delta);
    const r = st.rates(t2).get(pipe.id)!;
    assert.ok(r, 'the pipe has a rate');
    assert.equal(r.source, 'queue-depth');
    assert.equal(Math.round(r.bytesPerSec), 8192 / 2, 'bytes over the 2 s observed');
    // every channel the real diff changed moved by what its facts say
    for (const c of diff.changedChannels) {
      if (c.id === pipe.id) continue;
      const m = movement(queueFacts(demo1.channels.find((x) => x.id === c.id)!), queueFacts(c));
      const rate = st.rates(t2).get(c.id);
      assert.equal(rate ? Math.round((rate.bytesPerSec * 2)) : 0, m.bytes, c.id);
    }
    // the map draws that pipe's edge wider than an idle one
    const g = st.build({ groupBy: 'tree', expanded: new Set(), collapsed: new Set(), search: '', budget: 1000 });
    const busy = g.edges.find((e) => e.channelIds.includes(pipe.id) || e.channelIds.includes(pipe.id))
      ?? g.edges.find((e) => e.bytesPerSec > 0);
    const idle = g.edges.find((e) => e.bytesPerSec === 0 && e.opsPerSec === 0)!;
    assert.ok(busy && idle);
    assert.ok(busy.width > idle.width, `${busy.width} > ${idle.width}`);
    assert.ok(g.rateSources.queueDepth >= 1);
    // after the window the rate is gone (nothing moved since)
    assert.equal(st.rates(t2 + 6000).get(pipe.id), undefined);
    // the tracer's rate wins for the channels it measured
    st.setTracerRates(new Map([[pipe.id, { bytesPerSec: 1e6, opsPerSec: 250, source: 'tracer' }]]));
    assert.equal(st.rates(t2).get(pipe.id)!.source, 'tracer');
    assert.equal(st.build({ groupBy: 'tree', expanded: new Set(), collapsed: new Set(), search: '', budget: 1000 }).rateSources.tracer, 1);
  });

  it('averages over the window and forgets removed channels', () => {
    const q = new QueueDepthRates(5000);
    const pipe = (n: number): Channel => ({ id: 'pipe:1', kind: 'pipe', inode: 1, bufferedBytes: n, capacity: 65536, endpoints: [] });
    q.observe(0, [pipe(0)]);
    q.observe(1000, [pipe(1000)]);
    q.observe(2000, [pipe(3000)]);
    assert.equal(q.rates(2000).get('pipe:1')!.bytesPerSec, 3000 / 2);
    assert.equal(q.rates(5000).get('pipe:1')!.bytesPerSec, 3000 / 5);
    assert.equal(q.rates(6500).get('pipe:1')!.bytesPerSec, 2000 / 5, 'the first move left the window');
    q.observe(6600, [], ['pipe:1']);
    assert.equal(q.rates(6600).size, 0);
  });

  it('edge width grows with the rate, idle stays 1 px', () => {
    assert.equal(edgeWidth(0, 0), 1);
    const w = [1, 1024, 65536, 1 << 20, 1 << 30].map((b) => edgeWidth(b, 0));
    for (let i = 1; i < w.length; i++) assert.ok(w[i] > w[i - 1] || w[i] === 10, `${w}`);
    assert.ok(edgeWidth(0, 1) > 1 && edgeWidth(1, 0) >= 1.5);
    assert.ok(w[4] <= 10);
  });
});

describe('topology: scale', () => {
  /** A machine-like snapshot: `procs` processes in services of 10 under init, `channels` channels between random pairs. */
  function synthetic(procs: number, channels: number): Snapshot {
    const processes: ProcessInfo[] = [];
    const mk = (pid: number, ppid: number, comm: string): ProcessInfo => ({
      pid, ppid, comm, cmdline: [comm], uid: 0, user: 'root', startTime: pid, state: 'S', tracerPid: 0,
      signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: 0, queueLimit: 0 }, timers: [], threads: 1, cwd: '/', exe: null,
    });
    processes.push(mk(1, 0, 'init'));
    for (let i = 0; i < procs; i++) processes.push(mk(100 + i, i % 10 === 0 ? 1 : 100 + i - (i % 10), `svc${Math.floor(i / 10)}-${i % 10}`));
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const chans: Channel[] = [];
    for (let i = 0; i < channels; i++) {
      const a = 100 + rnd(procs);
      const b = 100 + rnd(procs);
      chans.push({ id: `pipe:${1000 + i}`, kind: 'pipe', inode: 1000 + i, bufferedBytes: 0, capacity: 65536, endpoints: [{ pid: a, fd: 3, mode: 'w' }, { pid: b, fd: 4, mode: 'r' }] });
    }
    return { ...demo1, processes, channels: chans };
  }

  it('keeps what is drawn near the budget at 5,000 channels, and every channel is accounted for', () => {
    const s = synthetic(1000, 5000);
    const g = buildTopology(input(s, { budget: 80 }));
    const units = g.nodes.filter((n) => n.type === 'process' || n.type === 'group');
    assert.ok(units.length <= 120, `${units.length} nodes drawn`);
    assert.ok(g.edges.length <= (units.length * (units.length - 1)) / 2);
    const onEdges = g.edges.reduce((n, e) => n + e.channels, 0);
    const inside = units.reduce((n, u) => n + u.internal, 0);
    assert.equal(onEdges + inside, 5000, 'each channel is on one edge or inside one node');
    assert.equal(units.reduce((n, u) => n + u.processes, 0), new Set(s.channels.flatMap((c) => c.endpoints.map((e) => e.pid))).size);
  });

  it('projects a process to what the map needs (argv[0] only)', () => {
    const p = demo1.processes.find((x) => x.cmdline.length > 2)!;
    const t: TopoProcess = projectProcess(p);
    assert.deepEqual(t.cmdline, [p.cmdline[0]]);
    assert.equal(t.comm, p.comm);
    assert.equal(t.innerPid, null);
  });
});

describe('topology: a channel held through very many fds (a dup-bomb)', () => {
  // one pipe the ingest process writes through 20,000 fds (with holes) and the worker reads through two
  const writer = pidOf(demo1, 'ipc-demo-ingest');
  const reader = pidOf(demo1, 'ipc-demo-worker');
  const bomb: Channel = {
    id: 'pipe:999999001', kind: 'pipe', inode: 999999001, bufferedBytes: 0, capacity: 65536,
    endpoints: [
      ...Array.from({ length: 20_000 }, (_, i) => ({ pid: writer, fd: 1000 + i, mode: 'w' as const })).filter((e) => e.fd % 97 !== 0),
      { pid: reader, fd: 7, mode: 'r' }, { pid: reader, fd: 9, mode: 'r' },
    ],
  };
  const snap: Snapshot = { ...demo1, channels: [...demo1.channels, bomb] };

  it('is posted to the map as one endpoint per process and mode; other channels as they are', () => {
    const p = projectChannel(bomb);
    assert.deepEqual(p.endpoints, [{ pid: writer, fd: 1000, mode: 'w' }, { pid: reader, fd: 7, mode: 'r' }]);
    assert.equal(bomb.endpoints.length, 19_796, 'the snapshot keeps every endpoint');
    assert.ok(JSON.stringify(p).length < 300);
    for (const c of demo1.channels.filter((x) => new Set(x.endpoints.map((e) => `${e.pid}:${e.mode}:${e.fd === undefined}`)).size === x.endpoints.length)) assert.equal(projectChannel(c), c, `${c.id} not copied`);
  });

  it('the map drawn from what is posted is the map of the whole snapshot', () => {
    const projected = snap.channels.map(projectChannel);
    const whole = buildTopology(input(snap));
    const posted = buildTopology(input(snap, { channels: projected, allChannels: new Map(projected.map((c) => [c.id, c])) }));
    assert.deepEqual(posted, whole);
    assert.ok(edgeBetween(whole, `p:${writer}`, `p:${reader}`), 'the bomb is an edge between its writer and reader');
    const searched = (channels: Channel[]) => buildTopology(input(snap, { channels, allChannels: new Map(channels.map((c) => [c.id, c])), search: 'ipc-demo-ingest' }));
    assert.deepEqual(searched(projected), searched(snap.channels), 'and so is a search by a holder\'s name');
  });
});

describe('layout: a refresh that changes links between placed nodes barely moves the map', () => {
  it('one link gone: only its ends and their neighbours may move; every other node stays where it was (a click still lands on it)', async () => {
    const { Layout } = await import('../../webview/topology/layout');
    const g1 = buildTopology(input(demo1));
    assert.ok(g1.edges.length > 2, 'a map with links');
    const layout = new Layout();
    layout.setGraph(g1, null);
    while (!layout.settled) layout.step();
    const before = layout.positions();
    const g2: TopoGraph = { ...g1, edges: g1.edges.slice(1) };
    assert.equal(layout.setGraph(g2, g1), true, 'a structural change');
    while (!layout.settled) layout.step();
    const after = layout.positions();
    // the ends of the link gone, and their neighbours, may move; no other node does
    const near = new Set([g1.edges[0].source, g1.edges[0].target]);
    for (const e of g1.edges) if (near.has(e.source) || near.has(e.target)) near.add(e.source).add(e.target);
    let moved = 0;
    g2.nodes.forEach((n, k) => {
      const d = Math.hypot(after[2 * k] - before[2 * k], after[2 * k + 1] - before[2 * k + 1]);
      if (!near.has(n.id)) assert.ok(d < 0.01, `${n.id}, untouched by the change, moved ${d.toFixed(1)} px`);
      else moved++;
    });
    assert.ok(moved < g2.nodes.length, 'some nodes were held');
  });
});
