// The demo workload (`npm run demo`, and `npm start` runs it too): a small set of local services
// that together use every IPC kind, with readable process names (ipc-demo-*), so the inspector
// is full at once. Ctrl-C / SIGTERM stops every process and removes every object; a stale run
// (killed with SIGKILL) is cleaned up at the next start.
// Files (FIFO, Unix sockets, ports) live in a fresh mkdtemp directory per run, never a fixed
// /tmp path another user could pre-create or swap for a symlink; what a stale run left is found
// through its state file in this user's private cache (fixtures/privateDir.ts). SysV keys and
// POSIX names carry the run's id (its pid), so two demos side by side (`npm start`'s and the
// tests') neither clash nor remove each other's objects.
//
//   ingest ──anonymous pipe + FIFO──▶ worker
//   web ──SysV msg queue (jobs)──▶ queue-worker      web ──POSIX mq (nobody reads: fills up)──▶
//   ring: SysV shm buffer + SysV sem set (with a blocked waiter) + POSIX shm + POSIX named sem
//   rpc-server ◀─Unix stream─ rpc-client ×2          logger ◀─Unix dgram─ log-client ×2
//   registry: abstract-namespace socket @ipc-demo-registry-ID with a client
//   http: 127.0.0.1 and [::1] with a polling client   metrics: UDP 127.0.0.1 sender → collector
//   signals: ignore-term (SIG_IGN SIGTERM), catch-usr1 (logs each SIGUSR1), blocked-pending (SIGUSR2)
// Problems for the diagnosis (the Problems view; each one fixable from there):
//   rule 1 stall: a producer blocked writing a full pipe whose reader is stopped (SIGCONT fixes it)
//   rule 2 nordr: a writer holding a pipe nobody reads (EPIPE on every write)
//   rule 3 a stale socket file stale-api.sock in the run directory (Remove fixes it)
//   rule 5 flow: a SysV queue whose consumer is stopped, rising (SIGCONT fixes it)
//   rule 6 left: a SysV shm segment nobody attaches whose creator is gone (Remove fixes it)
//   rule 8 deadlk: two processes each blocked writing a full pipe the other should read (SIGTERM one)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { makeFixture, type Fixture } from '../fixtures/ipcFixture';
import { freshPrivateDir, privateDir, readOwnFile, userCacheRoot, writeOwnFile } from '../fixtures/privateDir';

/** This run's directory: made by main() (mkdtemp), handed to the roles in IPC_DEMO_RUN_DIR. */
let DEMO_DIR = process.env.IPC_DEMO_RUN_DIR ?? '';
const ROLES_PY = path.resolve(__dirname, '..', '..', 'demo', 'roles.py');
/** This run's id: the main process's pid (a role is told it in IPC_DEMO_ID). */
const DEMO_ID = process.argv[2] ? Number(process.env.IPC_DEMO_ID) : process.pid;

/** The SysV keys and POSIX names of run `id`: 0x49000000 + 4 × (id mod 2^22) + n, and names ending in -ID. */
export function demoObjects(id: number): { keys: { msg: number; shm: number; sem: number; leftover: number }; posix: { mq: string; shm: string; sem: string } } {
  const base = 0x49000000 + (id % 0x400000) * 4;
  return {
    keys: { msg: base, shm: base + 1, sem: base + 2, leftover: base + 3 },
    posix: { mq: `ipc-demo-notify-${id}`, shm: `ipc-demo-frames-${id}`, sem: `ipc-demo-ring-lock-${id}` },
  };
}
const { keys: KEY, posix: POSIX } = demoObjects(DEMO_ID);

/** Where each run keeps its state, for a later run's removeStale(): {main: [pid, startTime], id, dir, pids: [[pid, startTime]]}. */
const stateDir = (): string => privateDir(path.join(userCacheRoot(), 'demo'));
const stateFile = (id: number): string => path.join(stateDir(), `state-${id}.json`);

const log = (m: string): void => console.log(`[demo] ${m}`);

// ── child roles (this same file, run as `node main.js ROLE`) ──────────────────────────────────
function dieWithParent(): void {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}

const roles: Record<string, (...a: string[]) => void> = {
  ingest() {
    // Feeds the worker: records over an anonymous pipe (its stdin) and over a FIFO.
    const worker = spawn(process.execPath, [__filename, 'worker'], { stdio: ['pipe', 'inherit', 'inherit'] });
    const fifo = fs.openSync(path.join(DEMO_DIR, 'ingest.fifo'), 'r+');
    let n = 0;
    setInterval(() => {
      n++;
      worker.stdin!.write(JSON.stringify({ seq: n, sensor: `s${n % 4}`, value: Math.round(Math.random() * 1000) }) + '\n');
      fs.write(fifo, `batch ${n}\n`, () => undefined);
    }, 700);
    process.stdin.on('end', () => {
      worker.kill('SIGKILL');
      process.exit(0);
    });
    process.stdin.resume();
  },
  worker() {
    // stdin is ingest's pipe; when ingest goes, so does this process.
    const fifo = fs.openSync(path.join(DEMO_DIR, 'ingest.fifo'), 'r+');
    const buf = Buffer.alloc(4096);
    setInterval(() => fs.read(fifo, buf, 0, buf.length, null, () => undefined), 1500); // a slow reader
    process.stdin.on('data', () => undefined);
    process.stdin.on('end', () => process.exit(0));
  },
  'rpc-server'() {
    dieWithParent();
    net.createServer((c) => c.on('data', (d) => c.write(`ok ${d.length}\n`))).listen(path.join(DEMO_DIR, 'rpc.sock'));
  },
  'rpc-client'(id: string) {
    dieWithParent();
    const c = net.connect(path.join(DEMO_DIR, 'rpc.sock'));
    c.on('error', () => process.exit(1));
    c.on('data', () => undefined);
    setInterval(() => c.write(JSON.stringify({ id, method: 'getUser', params: [Math.floor(Math.random() * 100)] })), 1000);
  },
  registry() {
    dieWithParent();
    // Abstract namespace: no file on disk, the name lives only in the kernel.
    net.createServer((c) => c.on('data', () => c.write('registered\n'))).listen(`\0ipc-demo-registry-${DEMO_ID}`);
  },
  'registry-client'() {
    dieWithParent();
    const c = net.connect(`\0ipc-demo-registry-${DEMO_ID}`);
    c.on('error', () => process.exit(1));
    c.on('data', () => undefined);
    c.write('hello from ipc-demo-regcli\n');
  },
  http() {
    dieWithParent();
    const handler: http.RequestListener = (_req, res) => res.end(JSON.stringify({ status: 'ok', time: Date.now() }));
    const v4 = http.createServer(handler).listen(0, '127.0.0.1', () => {
      const v6 = http.createServer(handler).listen(0, '::1', () => {
        fs.writeFileSync(path.join(DEMO_DIR, 'http-ports.json'), JSON.stringify({ v4: (v4.address() as net.AddressInfo).port, v6: (v6.address() as net.AddressInfo).port }));
      });
      v6.on('error', (e) => log(`no IPv6 loopback (${e.message}); HTTP on 127.0.0.1 only`));
    });
  },
  'http-client'() {
    dieWithParent();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const poll = (): void => {
      let ports: { v4?: number; v6?: number } = {};
      try {
        ports = JSON.parse(fs.readFileSync(path.join(DEMO_DIR, 'http-ports.json'), 'utf8'));
      } catch {
        /* not yet */
      }
      for (const [host, port] of [['127.0.0.1', ports.v4], ['::1', ports.v6]] as const) {
        if (port) http.get({ host, port, path: '/health', agent }, (r) => r.resume()).on('error', () => undefined);
      }
    };
    setInterval(poll, 1000);
  },
  'metrics-collector'() {
    dieWithParent();
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => fs.writeFileSync(path.join(DEMO_DIR, 'metrics-port'), String(s.address().port)));
    s.on('message', () => undefined);
  },
  'metrics-sender'() {
    dieWithParent();
    const s = dgram.createSocket('udp4');
    let connected = false;
    let ready = false;
    setInterval(() => {
      if (!connected) {
        try {
          const port = Number(fs.readFileSync(path.join(DEMO_DIR, 'metrics-port'), 'utf8'));
          connected = true;
          s.connect(port, '127.0.0.1', () => (ready = true));
        } catch {
          return;
        }
      }
      if (ready) s.send(`requests_total ${Date.now() % 1000}\n`, () => undefined);
    }, 1000);
  },
};

// Process names as the kernel keeps them (comm: 15 bytes).
const TITLES: Record<string, string> = {
  'rpc-server': 'ipc-demo-rpcsrv',
  'rpc-client': 'ipc-demo-rpccli',
  registry: 'ipc-demo-regsrv',
  'registry-client': 'ipc-demo-regcli',
  'http-client': 'ipc-demo-httpcl',
  'metrics-collector': 'ipc-demo-metric',
  'metrics-sender': 'ipc-demo-metsnd',
};

// ── the demo's main process ───────────────────────────────────────────────────────────────────
const children: ChildProcess[] = [];
const fixtures: Fixture[] = [];

function spawnRole(name: string, cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, {
    stdio: ['pipe', 'inherit', 'inherit'],
    env: { ...process.env, DEMO_NAME: name },
    detached: true, // own process group: stop() kills it with its children (ingest's worker)
  });
  c.stdin!.on('error', () => undefined);
  children.push(c);
  return c;
}
const nodeRole = (role: string, ...args: string[]): ChildProcess => {
  const c = spawnRole(TITLES[role] ?? `ipc-demo-${role}`, process.execPath, [__filename, role, ...args]);
  return c;
};
const pyRole = (name: string, role: string, ...args: string[]): ChildProcess => spawnRole(name, 'python3', [ROLES_PY, role, ...args]);

function quiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    /* not there */
  }
}

/** Start time (clock ticks since boot, field 22 of /proc/PID/stat) of a live process, or null. */
function startTime(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  } catch {
    return null;
  }
}

/**
 * Removes whatever earlier runs left behind (killed before they could clean up), each found by
 * its state file, skipping a run still alive (same pid and start time: another demo running
 * beside this one): its processes (only the very ones it started: same pid and start time, still
 * named ipc-*), its directory (only a directory of ours, never through a symlink), and its SysV
 * objects and POSIX names.
 */
export function removeStale(): void {
  let files: string[] = [];
  try {
    files = fs.readdirSync(stateDir()).filter((f) => /^state(-\d+)?\.json$/.test(f));
  } catch (e) {
    log(`not reading earlier runs' state: ${(e as Error).message}`);
  }
  for (const f of files) {
    const file = path.join(stateDir(), f);
    let state: { main?: unknown; id?: unknown; dir?: unknown; pids?: unknown } = {};
    try {
      state = JSON.parse(readOwnFile(file)?.toString('utf8') ?? '{}');
    } catch (e) {
      log(`not reading ${f}: ${(e as Error).message}`);
      continue;
    }
    if (alive(state.main)) continue; // a demo running now
    for (const entry of Array.isArray(state.pids) ? state.pids : []) {
      if (!alive(entry)) continue;
      try {
        if (fs.readFileSync(`/proc/${entry[0]}/comm`, 'utf8').startsWith('ipc-')) process.kill(entry[0], 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (typeof state.dir === 'string' && path.basename(state.dir).startsWith('ipc-inspector-demo-')) {
      try {
        const st = fs.lstatSync(state.dir);
        if (st.isDirectory() && st.uid === process.geteuid?.()) fs.rmSync(state.dir, { recursive: true, force: true });
      } catch {
        /* gone */
      }
    }
    if (Number.isInteger(state.id) && (state.id as number) > 0) removeObjects(state.id as number);
    fs.rmSync(file, { force: true });
  }
}

/** A recorded [pid, start time] that is still that very process. */
function alive(entry: unknown): entry is [number, number] {
  const [pid, start] = Array.isArray(entry) ? entry : [];
  return Number.isInteger(pid) && pid > 1 && startTime(pid) === start;
}

/** Removes run `id`'s SysV objects and POSIX names, whoever of its processes is left. */
function removeObjects(id: number): void {
  const { keys, posix } = demoObjects(id);
  const hex = (k: number): string => '0x' + k.toString(16);
  quiet('ipcrm', ['-Q', hex(keys.msg)]);
  quiet('ipcrm', ['-M', hex(keys.shm)]);
  quiet('ipcrm', ['-S', hex(keys.sem)]);
  quiet('ipcrm', ['-M', hex(keys.leftover)]);
  for (const p of [`/dev/shm/${posix.shm}`, `/dev/shm/sem.${posix.sem}`]) fs.rmSync(p, { force: true });
  // POSIX message queues exist without /dev/mqueue mounted: mq_unlink through ctypes.
  quiet('python3', [ROLES_PY, 'mq-unlink', posix.mq]);
}

/** Records this run: what a later removeStale needs should this one be killed. */
function recordRun(pids: number[]): void {
  try {
    writeOwnFile(stateFile(DEMO_ID), JSON.stringify({ main: [process.pid, startTime(process.pid)], id: DEMO_ID, dir: DEMO_DIR, pids: pids.map((p) => [p, startTime(p)]) }));
  } catch (e) {
    log(`cannot record this run for a later cleanup: ${(e as Error).message}`);
  }
}

let stopping: Promise<void> | undefined;
function stop(code: number): Promise<void> {
  stopping ??= (async () => {
    log('stopping: killing demo processes and removing every object');
    // SIGKILL to each role's process group (ignore-term ignores SIGTERM on purpose).
    const exits = children.filter((c) => c.exitCode === null && c.signalCode === null).map((c) => new Promise((r) => c.once('exit', r)));
    for (const c of children) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 3000))]);
    const results = await Promise.allSettled(fixtures.map((f) => f.close()));
    for (const r of results) if (r.status === 'rejected') log(`fixture cleanup: ${r.reason?.message ?? r.reason}`);
    // A terminal's Ctrl-C reaches the fixtures too (same process group) and may end them before
    // they clean up: remove this run's objects by their keys and names regardless.
    removeObjects(DEMO_ID);
    try {
      fs.rmSync(stateFile(DEMO_ID), { force: true });
    } catch {
      /* no private cache: nothing was recorded */
    }
    if (DEMO_DIR) fs.rmSync(DEMO_DIR, { recursive: true, force: true });
    log('stopped; nothing left behind');
    process.exit(code);
  })();
  return stopping;
}

async function main(): Promise<void> {
  process.title = 'ipc-demo';
  removeStale();
  DEMO_DIR = freshPrivateDir('ipc-inspector-demo-');
  process.env.IPC_DEMO_RUN_DIR = DEMO_DIR; // the roles' files live here
  process.env.IPC_DEMO_ID = String(DEMO_ID);
  recordRun([]); // before any object is made: a run killed from here on is cleaned up
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(0));
  process.on('uncaughtException', (e) => {
    log(`error: ${e.stack ?? e}`);
    void stop(1);
  });

  // Kernel-held objects the fixture program makes (Node has no API for them).
  const fx = async (kind: string, opts: Parameters<typeof makeFixture>[1]): Promise<Fixture> => {
    const f = await makeFixture(kind, opts);
    fixtures.push(f);
    return f;
  };
  const jobs = await fx('sysv-msg', { key: KEY.msg, comm: 'ipc-demo-jobs', msgs: [{ type: 1, text: 'job 0: warm cache' }] });
  const notify = await fx('posix-mq', { name: POSIX.mq, comm: 'ipc-demo-notify', maxmsg: 10, msgsize: 128 });
  await fx('sysv-shm', { key: KEY.shm, comm: 'ipc-demo-ring', size: 65536, attach: 2 });
  await fx('sysv-sem', { key: KEY.sem, comm: 'ipc-demo-ring', values: [1, 0, 8], waitIncrease: 1 });
  await fx('posix-shm', { name: POSIX.shm, comm: 'ipc-demo-frames', size: 1 << 20 });
  await fx('posix-sem', { name: POSIX.sem, comm: 'ipc-demo-ring', value: 1 });

  // Problems for the diagnosis (issue 12), each fixable from the Problems view.
  await fx('pipe-deadlock', { comm: 'ipc-demo-deadlk' }); // rule 8: Send SIGTERM to one side
  const flow = await fx('msg-flow', { comm: 'ipc-demo-flow', period: 500 }); // rule 5: SIGCONT the consumer
  // stopped once it has received a few (so the queue names it as its last receiver)
  setTimeout(() => process.kill(flow.info.consumer, 'SIGSTOP'), 1600);
  await fx('sysv-shm', { key: KEY.leftover, comm: 'ipc-demo-left', size: 4096, attach: 0, orphan: 1 }); // rule 6: Remove
  quiet('python3', [ROLES_PY, 'stale-socket', path.join(DEMO_DIR, 'stale-api.sock')]); // rule 3: Remove the file

  execFileSync('mkfifo', [path.join(DEMO_DIR, 'ingest.fifo')]);
  nodeRole('ingest');
  nodeRole('rpc-server');
  nodeRole('registry');
  nodeRole('http');
  nodeRole('metrics-collector');
  pyRole('ipc-demo-logger', 'logger', path.join(DEMO_DIR, 'log.sock'));
  await new Promise((r) => setTimeout(r, 500)); // servers listening
  nodeRole('rpc-client', 'a');
  nodeRole('rpc-client', 'b');
  nodeRole('registry-client');
  nodeRole('http-client');
  nodeRole('metrics-sender');
  pyRole('ipc-demo-log-a', 'log-client', path.join(DEMO_DIR, 'log.sock'), 'api');
  pyRole('ipc-demo-log-b', 'log-client', path.join(DEMO_DIR, 'log.sock'), 'worker');
  pyRole('ipc-demo-web', 'web', String(jobs.info.msqid), notify.info.name, '6');
  pyRole('ipc-demo-qworkr', 'queue-worker', String(jobs.info.msqid));
  pyRole('ipc-demo-noterm', 'ignore-term');
  pyRole('ipc-demo-usr1', 'catch-usr1', path.join(DEMO_DIR, 'usr1.log'));
  pyRole('ipc-demo-sigblk', 'blocked-pending');
  pyRole('ipc-demo-stall', 'stalled-reader'); // rule 1: SIGCONT the reader
  pyRole('ipc-demo-nordr', 'no-reader'); // rule 2
  await new Promise((r) => setTimeout(r, 300));
  const pids = [...children.map((c) => c.pid!), ...fixtures.flatMap((f) => f.pids)];
  recordRun(pids);
  for (const c of children) {
    c.on('exit', (code, sig) => {
      if (!stopping) log(`a demo process (pid ${c.pid}) exited (${sig ?? code})`);
    });
  }
  log(`running: ${children.length} processes + ${fixtures.length} fixtures (${pids.length} pids), files in ${DEMO_DIR}`);
  log(`SysV jobs queue msqid ${jobs.info.msqid}; POSIX mq /${notify.info.name} fills up (one message / 6 s, nobody reads)`);
  log(`run ${DEMO_ID}: SysV keys ${Object.entries(KEY).map(([k, v]) => `${k} 0x${v.toString(16)}`).join(', ')}`);
  log('try: send SIGUSR1 to ipc-demo-usr1, SIGTERM to ipc-demo-noterm; Ctrl-C stops the demo');
  log('the Problems view lists what is wrong on purpose: a blocked writer (ipc-demo-produc), a pipe with no reader (ipc-demo-nordr), a stale socket file, a queue not draining (ipc-demo-flow), a leftover SysV segment, a wait cycle (ipc-demo-deadlk)');
  console.log('IPC-DEMO-READY');
}

const role = process.argv[2];
if (role) {
  if (!roles[role]) {
    console.error(`unknown demo role ${role}`);
    process.exit(2);
  }
  process.title = TITLES[role] ?? `ipc-demo-${role}`.slice(0, 15);
  roles[role](...process.argv.slice(3));
} else {
  main().catch((e) => {
    log(`failed to start: ${e?.stack ?? e}`);
    void stop(1);
  });
}
