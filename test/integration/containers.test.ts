// A real container runtime (issue 13): podman runs the network fixture (linked statically, as
// the container's whole root filesystem) with a published port on its own network
// (198.51.100.0/24, a documentation range, on a bridge podman makes here and removes after).
// The snapshot must name the runtime, the container id and its name (podman's containers.json),
// show the host pid next to pid 1 inside, the container's own net and pid namespaces, and link
// a host client on the published port to the server inside through podman's DNAT (conntrack).
//
// The same for docker where its engine (Debian's docker.io) is installed: a running dockerd is
// used; else one is started for this file (no iptables changes, its bridge on 203.0.113.0/24, a
// documentation range) and stopped after. A published port on 127.0.0.1 then goes through
// docker-proxy: client ↔ proxy, the proxy's relay, proxy ↔ container across namespaces.
//
// And LXC where it is installed: lxc-start runs the same fixture as the container's init
// (no network device: its own empty network namespace); the cgroup is /lxc.payload.NAME.
//
// Machine notes: where crun refuses a hybrid cgroup v1/v2 host ("cgroups in hybrid mode not
// supported") runc is used when installed; the ulimits are set to the caller's own limits
// because podman's defaults raise RLIMIT_NOFILE/NPROC, which needs CAP_SYS_RESOURCE. Skipped,
// saying why, when podman is not installed or cannot run a container here (the unshare and
// ip-netns tests in namespaces.test.ts are the ones that always run).
//
//   node scripts/build.mjs test/integration && node --test dist/test/integration/containers.test.js
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freeTcpPort, startNet, type NetProc } from '../../fixtures/netServer';
import { BIN } from './cliRunner';
import type { InetChannel, Snapshot, SnapshotDiff } from '../../src/core/model';
import { takeSnapshot } from '../../src/core/snapshot';
import { listenersIn } from '../../src/core/ports';
import { containerBehind } from '../../src/core/publishedPort';

const has = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

function podman(args: string[], timeoutMs = 60000): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('podman', args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`podman ${args[0]}: ${(stderr || err.message).trim().split('\n').pop()}`)) : resolve(stdout.trim()))),
  );
}

function findNetServerSource(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const p = path.join(dir, 'fixtures', 'net-server.c');
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  throw new Error('fixtures/net-server.c not found');
}

const SKIP = process.geteuid?.() !== 0 ? 'needs root (rootful podman)' : !has('podman') ? 'podman is not installed (Debian: apt-get install podman runc)' : !has('cc') ? 'cc is not installed' : false;

describe('podman container', { skip: SKIP }, () => {
  const tag = `ii${process.pid % 100000}`;
  const name = `${tag}-web`;
  const network = `${tag}-net`;
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-rootfs-'));
  let skipReason: string | null = null;
  let id = '';
  let hostPid = 0;
  let hostPort = 0;
  let client: NetProc | undefined;

  before(async () => {
    try {
      execFileSync(process.env.CC || 'cc', ['-O2', '-static', '-o', path.join(rootfs, 'net-server'), findNetServerSource()], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      skipReason = `cannot link the fixture statically: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()}`;
      return;
    }
    hostPort = await freeTcpPort();
    const runtime = has('runc') ? ['--runtime', 'runc'] : [];
    // at most our own hard limits (lowering needs no privilege)
    const limits = fs.readFileSync('/proc/self/limits', 'utf8');
    const hard = (what: string, cap: number) => Math.min(cap, Number(new RegExp(`^${what}\\s+\\S+\\s+(\\d+)`, 'm').exec(limits)?.[1] ?? cap));
    const nofile = hard('Max open files', 1024);
    const nproc = hard('Max processes', 4096);
    try {
      await podman(['network', 'create', '--subnet', '198.51.100.0/24', network]);
      id = await podman([
        ...runtime, 'run', '-d', '-i', '--name', name, '--network', network, '-p', `127.0.0.1:${hostPort}:8080`,
        '--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`,
        '--rootfs', rootfs, '/net-server', 'listen', '--addr', '0.0.0.0', '--port', '8080',
      ], 120000);
      id = id.split('\n').pop()!.trim();
      hostPid = Number(await podman(['inspect', '-f', '{{.State.Pid}}', name]));
      if (!(hostPid > 0)) throw new Error(`the container is not running: ${await podman(['logs', name]).catch((e) => String(e))}`);
    } catch (e) {
      skipReason = `podman cannot run a container here: ${(e as Error).message}`;
    }
  });

  after(async () => {
    await client?.stop();
    await podman(['rm', '-f', '-t', '0', name]).catch(() => undefined);
    await podman(['network', 'rm', '-f', network]).catch(() => undefined);
    fs.rmSync(rootfs, { recursive: true, force: true });
  });

  test('the container: runtime, id and name from podman’s state, host pid next to pid 1 inside, its own namespaces', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const snap = await takeSnapshot({ kinds: ['tcp'] });
    const p = snap.processes.find((x) => x.pid === hostPid);
    assert.ok(p, `the container's process ${hostPid} holds a listener, so it is in the snapshot`);
    assert.deepEqual(p.container && { runtime: p.container.runtime, id: p.container.id, name: p.container.name }, { runtime: 'podman', id, name });
    assert.ok(p.container!.cgroup.includes(id), p.container!.cgroup);
    assert.deepEqual(p.nsPid, [hostPid, 1]);
    const self = (ns: string) => /\[(\d+)\]/.exec(fs.readlinkSync(`/proc/self/ns/${ns}`))![1];
    assert.notEqual(p.netns, self('net'));
    assert.notEqual(p.pidns, self('pid'));
    const listener = snap.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.state === 'LISTEN' && c.endpoints.some((e) => e.pid === hostPid));
    assert.equal(listener?.netns, p.netns);
    assert.equal(listener?.local, '0.0.0.0:8080');
  });

  test('published port: a host client on 127.0.0.1 is linked to the server inside through the DNAT entry', async (t) => {
    if (skipReason) return t.skip(skipReason);
    client = await startNet(['connect', '--addr', '127.0.0.1', '--port', String(hostPort)]);
    let snap: Snapshot | undefined;
    let cli: InetChannel | undefined;
    // linked, and accepted: until the container's process accepts it (slow on a busy machine) the
    // server end waits in the listener's queue, linked already but held by nobody
    const accepted = (s: Snapshot, c: InetChannel | undefined) => !!c?.peer && s.channels.some((x) => x.id === c.peer && x.endpoints.some((e) => e.pid === hostPid));
    for (let i = 0; i < 50 && !(snap && accepted(snap, cli)); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      snap = await takeSnapshot({ kinds: ['tcp'] });
      cli = snap.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.state !== 'LISTEN' && c.endpoints.some((e) => e.pid === client!.pid));
    }
    assert.ok(cli, 'the client connection');
    assert.equal(cli.remote, `127.0.0.1:${hostPort}`);
    const server = snap!.channels.find((c): c is InetChannel => c.id === cli!.peer);
    assert.ok(server, `the client is linked (peer ${cli.peer})`);
    assert.ok(server.endpoints.some((e) => e.pid === hostPid), 'to the socket the container’s process accepted');
    assert.equal(cli.peerMatch, 'conntrack');
    assert.equal(server.peer, cli.id);
    assert.equal(cli.peerNetns, server.netns);
    assert.match(server.local, /^198\.51\.100\.\d+:8080$/, 'the server end has the container address on its network');
  });
});

const DOCKER_SKIP =
  process.geteuid?.() !== 0 ? 'needs root' : !has('docker') ? 'docker (client) is not installed' : !has('dockerd') && !fs.existsSync('/var/run/docker.sock') ? 'no docker engine: dockerd is not installed (Debian: apt-get install docker.io)' : !has('cc') ? 'cc is not installed' : false;

describe('docker container', { skip: DOCKER_SKIP }, () => {
  const tag = `ii${process.pid % 100000}`;
  const name = `${tag}-web`;
  const image = `${tag}-img:1`;
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-rootfs-'));
  let sock = '/var/run/docker.sock';
  let ownDaemon: ChildProcess | null = null;
  let bridgeWasThere = true;
  let skipReason: string | null = null;
  let id = '';
  let hostPid = 0;
  let hostPort = 0;
  let client: NetProc | undefined;
  const docker = (args: string[], timeoutMs = 120000) =>
    new Promise<string>((resolve, reject) =>
      execFile('docker', ['-H', `unix://${sock}`, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => (err ? reject(new Error(`docker ${args[0]}: ${(stderr || err.message).trim().split('\n').pop()}`)) : resolve(stdout.trim()))),
    );

  before(async () => {
    try {
      execFileSync(process.env.CC || 'cc', ['-O2', '-static', '-o', path.join(rootfs, 'net-server'), findNetServerSource()], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (!(await docker(['version', '--format', '{{.Server.Version}}'], 10000).catch(() => ''))) {
        // no engine answering: start one for this file
        sock = `/run/${tag}-docker.sock`;
        bridgeWasThere = fs.existsSync('/sys/class/net/docker0');
        ownDaemon = spawn('dockerd', ['--iptables=false', '--ip6tables=false', '--bip=203.0.113.1/24', '-H', `unix://${sock}`, `--pidfile=/run/${tag}-docker.pid`, `--exec-root=/run/${tag}-docker`], { stdio: 'ignore' });
        let up = false;
        for (let i = 0; i < 100 && !up && ownDaemon.exitCode === null; i++) {
          await new Promise((r) => setTimeout(r, 200));
          up = !!(await docker(['version', '--format', '{{.Server.Version}}'], 5000).catch(() => ''));
        }
        if (!up) throw new Error('dockerd did not come up within 20 s');
      }
      hostPort = await freeTcpPort();
      await new Promise<void>((resolve, reject) => {
        const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
        const imp = spawn('docker', ['-H', `unix://${sock}`, 'import', '-', image], { stdio: ['pipe', 'ignore', 'pipe'] });
        tar.stdout.pipe(imp.stdin);
        let err = '';
        imp.stderr.on('data', (d: Buffer) => (err += d));
        imp.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`docker import: ${err.trim()}`))));
      });
      id = await docker(['run', '-d', '-i', '--name', name, '-p', `127.0.0.1:${hostPort}:8080`, image, '/net-server', 'listen', '--addr', '0.0.0.0', '--port', '8080']);
      hostPid = Number(await docker(['inspect', '-f', '{{.State.Pid}}', name]));
      if (!(hostPid > 0)) throw new Error('the container is not running');
    } catch (e) {
      skipReason = `docker cannot run a container here: ${(e as Error).message}`;
    }
  });

  after(async () => {
    await client?.stop();
    await docker(['rm', '-f', name]).catch(() => undefined);
    await docker(['rmi', '-f', image]).catch(() => undefined);
    if (ownDaemon && ownDaemon.exitCode === null) {
      const exited = new Promise((r) => ownDaemon!.once('exit', r));
      ownDaemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15000))]);
      if (ownDaemon.exitCode === null) ownDaemon.kill('SIGKILL');
      // the daemon leaves its bridge behind: remove the one it made for this file
      if (!bridgeWasThere) spawnSync('ip', ['link', 'del', 'docker0'], { stdio: 'ignore' });
      // and its state under /run: the exec root keeps containerd's sockets, which every later scan
      // would list as stale socket files
      for (const left of [`/run/${tag}-docker`, `/run/${tag}-docker.pid`, sock]) {
        try {
          fs.rmSync(left, { recursive: true, force: true });
        } catch {
          // (a namespace file still mounted in it, EBUSY: left, as the daemon left it)
        }
      }
    }
    fs.rmSync(rootfs, { recursive: true, force: true });
  });

  test('the container: docker, id, name from config.v2.json, host pid next to pid 1 inside', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const snap = await takeSnapshot({ kinds: ['tcp'] });
    const p = snap.processes.find((x) => x.pid === hostPid);
    assert.ok(p, `the container's process ${hostPid}`);
    assert.deepEqual(p.container && { runtime: p.container.runtime, id: p.container.id, name: p.container.name }, { runtime: 'docker', id, name });
    assert.deepEqual(p.nsPid, [hostPid, 1]);
    assert.notEqual(p.netns, /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/net'))![1]);
    // the CLI's table says which of its holders run in a container
    const table = spawnSync(process.execPath, [BIN, 'snapshot', '--kind', 'tcp', '--pid', String(hostPid)], { encoding: 'utf8', timeout: 60000 });
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`\\nContainers \\(1\\)\\nCONTAINER +PROCESSES\\ndocker ${name} \\(${id.slice(0, 12)}\\) +[^\\n]*\\[${hostPid}\\] \\(pid 1 inside\\)`), table.stdout);
    // --container by its name or an id prefix: its channels only; a name no container has: said, exit 1
    for (const want of [name, id.slice(0, 8)]) {
      const only = spawnSync(process.execPath, [BIN, 'snapshot', '--json', '--kind', 'tcp', '--container', want], { encoding: 'utf8', timeout: 60000, maxBuffer: 256 << 20 });
      assert.equal(only.status, 0, only.stderr);
      const s = JSON.parse(only.stdout) as Snapshot;
      assert.ok(s.channels.length > 0 && s.channels.every((c) => c.endpoints.some((e) => e.pid === hostPid || s.processes.find((p) => p.pid === e.pid)?.container?.id === id)), `${want}: ${s.channels.map((c) => c.id).join(', ')}`);
    }
    // watch --container: its first diff adds the container's channels only; a name no container has is said
    const watched = spawnSync(process.execPath, [BIN, 'watch', '--json', '--kind', 'tcp', '--interval', '200', '--container', name], { encoding: 'utf8', timeout: 8000, killSignal: 'SIGINT', maxBuffer: 256 << 20 });
    const first = JSON.parse(watched.stdout.split('\n')[0]) as SnapshotDiff;
    assert.ok(first.addedChannels.length > 0, watched.stderr);
    const inIt = new Set(first.addedProcesses.filter((p) => p.container?.id === id).map((p) => p.pid));
    assert.ok(inIt.has(hostPid) && first.addedChannels.every((c) => c.endpoints.some((e) => inIt.has(e.pid))), first.addedChannels.map((c) => c.id).join(', '));
    const watchedNone = spawnSync(process.execPath, [BIN, 'watch', '--interval', '200', '--container', 'no-such-container'], { encoding: 'utf8', timeout: 5000, killSignal: 'SIGINT' });
    assert.match(watchedNone.stderr, /warning: no container no-such-container/);
    const none = spawnSync(process.execPath, [BIN, 'snapshot', '--container', 'no-such-container'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(none.status, 1);
    assert.match(none.stderr, /warning: no container no-such-container/);
    // doctor --container: only problems that involve the container's processes
    const doc = spawnSync(process.execPath, [BIN, 'doctor', '--json', '--samples', '1', '--container', name], { encoding: 'utf8', timeout: 120000, maxBuffer: 256 << 20 });
    assert.ok(doc.status === 0 || doc.status === 1, doc.stderr);
    const problems = (JSON.parse(doc.stdout) as { problems: Array<{ pids: number[] }> }).problems;
    assert.ok(problems.every((pr) => pr.pids.includes(hostPid)), JSON.stringify(problems.map((pr) => pr.pids)));
    const docNone = spawnSync(process.execPath, [BIN, 'doctor', '--container', 'no-such-container'], { encoding: 'utf8', timeout: 120000 });
    assert.equal(docNone.status, 1);
    assert.match(docNone.stderr, /warning: no container no-such-container/);
  });

  test('published port through docker-proxy: client ↔ proxy, the proxy’s relay, proxy ↔ container across namespaces', async (t) => {
    if (skipReason) return t.skip(skipReason);
    client = await startNet(['connect', '--addr', '127.0.0.1', '--port', String(hostPort)]);
    const conns = (s: Snapshot, pid: number) => s.channels.filter((c): c is InetChannel => c.kind === 'tcp' && c.state !== 'LISTEN' && c.endpoints.some((e) => e.pid === pid));
    let snap: Snapshot | undefined;
    const byId = (x: string | undefined) => snap!.channels.find((c): c is InetChannel => c.id === x);
    // until docker-proxy has accepted the connection (before, the kernel's socket waits in its
    // accept queue, held by no fd) and relayed it to the container
    for (let i = 0; i < 50; i++) {
      snap = await takeSnapshot({ kinds: ['tcp'] });
      const accepted = byId(conns(snap, client.pid)[0]?.peer);
      if (conns(snap, hostPid).length === 1 && accepted?.endpoints.length && accepted.relay) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const cli = conns(snap!, client.pid)[0];
    const inbound = byId(cli?.peer);
    assert.ok(inbound, 'the client is linked to the socket docker-proxy accepted');
    assert.ok(inbound.endpoints.length > 0, 'docker-proxy holds the accepted socket');
    const proxyPid = inbound.endpoints[0].pid;
    assert.equal(snap!.processes.find((p) => p.pid === proxyPid)?.comm, 'docker-proxy');
    const outbound = byId(inbound.relay);
    assert.ok(outbound, 'docker-proxy relays it');
    assert.equal(outbound.relay, inbound.id);
    const inside = conns(snap!, hostPid)[0];
    assert.equal(outbound.peer, inside.id, 'the relayed connection ends at the container’s process');
    assert.equal(inside.peer, outbound.id);
    assert.equal(inside.peerMatch, 'tuple-netns');
    assert.equal(inside.peerNetns, outbound.netns);
    assert.equal(outbound.peerNetns, inside.netns);
  });

  // Last: it stops the container.
  test('Free Port on the published port: the listener is the root docker-proxy, the container behind it is this one, and `docker stop` of it frees the port', async (t) => {
    if (skipReason) return t.skip(skipReason);
    await client?.stop();
    client = undefined;
    const snap = await takeSnapshot({ kinds: ['tcp', 'udp'] });
    const listeners = listenersIn(snap, hostPort);
    const holders = listeners.flatMap((l) => l.processes);
    assert.ok(holders.length > 0 && holders.every((h) => h.comm === 'docker-proxy' && h.uid === 0), JSON.stringify(holders.map((h) => [h.comm, h.uid])));
    const behind = containerBehind(holders[0], snap);
    assert.deepEqual(behind && { cli: behind.cli, id: behind.container.id, name: behind.container.name }, { cli: 'docker', id, name });
    // the CLI's `port` says the same: the relay, the container, and the command that stops it
    const listed = spawnSync(process.execPath, [BIN, 'port', String(hostPort), '--protocol', 'tcp'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`relays the port for docker ${name} \\(${id.slice(0, 12)}\\): stopping this process leaves the container running without its port; to stop it: docker stop ${id.slice(0, 12)}`));
    // what Free Port runs once the user agrees (commands/freePort.ts stopContainer): `docker stop -- ID`
    await docker(['stop', '--', behind!.container.id]);
    const after = listenersIn(await takeSnapshot({ kinds: ['tcp', 'udp'] }), hostPort);
    assert.deepEqual(after, [], 'docker-proxy is gone with the container');
    await new Promise<void>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(hostPort, '127.0.0.1', () => srv.close(() => resolve()));
    });
  });
});

const LXC_SKIP = process.geteuid?.() !== 0 ? 'needs root' : !has('lxc-start') ? 'LXC is not installed (Debian: apt-get install lxc)' : !has('cc') ? 'cc is not installed' : false;

describe('LXC container', { skip: LXC_SKIP }, () => {
  const name = `ii${process.pid % 100000}-lxc`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-lxc-'));
  let starter: ChildProcess | undefined;
  let skipReason: string | null = null;
  let hostPid = 0;

  before(async () => {
    try {
      const rootfs = path.join(dir, 'rootfs');
      for (const d of ['proc', 'sys', 'dev', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
      execFileSync(process.env.CC || 'cc', ['-O2', '-static', '-o', path.join(rootfs, 'net-server'), findNetServerSource()], { stdio: ['ignore', 'ignore', 'pipe'] });
      fs.writeFileSync(
        path.join(dir, 'config'),
        [`lxc.uts.name = ${name}`, `lxc.rootfs.path = dir:${rootfs}`, 'lxc.net.0.type = empty', 'lxc.init.cmd = /net-server listen --addr 127.0.0.1 --port 8080', 'lxc.mount.auto = proc:mixed sys:ro', 'lxc.autodev = 1', 'lxc.console.path = none', 'lxc.prlimit.nofile = 1024', ''].join('\n'),
      );
      starter = spawn('lxc-start', ['-n', name, '-f', path.join(dir, 'config'), '-F'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      starter.stderr!.on('data', (d: Buffer) => (err += d));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`lxc-start: no ready line in 30 s: ${err.trim()}`)), 30000);
        starter!.stdout!.on('data', (d: Buffer) => {
          out += d;
          if (out.includes('\n')) {
            clearTimeout(t);
            resolve();
          }
        });
        starter!.once('exit', (code) => {
          clearTimeout(t);
          reject(new Error(`lxc-start exited ${code}: ${err.trim().split('\n').pop()}`));
        });
      });
      hostPid = Number(execFileSync('lxc-info', ['-n', name, '-p', '-H'], { encoding: 'utf8' }).trim());
    } catch (e) {
      skipReason = `LXC cannot run a container here: ${(e as Error).message}`;
    }
  });

  after(async () => {
    spawnSync('lxc-stop', ['-n', name, '-k'], { stdio: 'ignore', timeout: 20000 });
    if (starter && starter.exitCode === null) {
      starter.stdin!.end();
      await Promise.race([new Promise((r) => starter!.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (starter.exitCode === null) starter.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the container: lxc and its name from the cgroup path, host pid next to pid 1, its own netns with the listener', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const snap = await takeSnapshot({ kinds: ['tcp'] });
    const p = snap.processes.find((x) => x.pid === hostPid);
    assert.ok(p, `the container's init ${hostPid}`);
    assert.deepEqual(p.container && { runtime: p.container.runtime, id: p.container.id, name: p.container.name, cgroup: p.container.cgroup }, { runtime: 'lxc', id: name, name, cgroup: `/lxc.payload.${name}` });
    assert.deepEqual(p.nsPid, [hostPid, 1]);
    const l = snap.channels.find((c): c is InetChannel => c.kind === 'tcp' && c.state === 'LISTEN' && c.endpoints.some((e) => e.pid === hostPid));
    assert.equal(l?.local, '127.0.0.1:8080');
    assert.equal(l?.netns, p.netns);
    assert.notEqual(p.netns, /\[(\d+)\]/.exec(fs.readlinkSync('/proc/self/ns/net'))![1]);
  });
});
