// Group by container (src/views/containerGrouping.ts), pure: one bucket per container and Host
// last; nesting only inside one container (a container's init is not put under the host's
// conmon even though conmon is its parent and holds IPC); hostile ppid cycles end.
import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ContainerInfo, ProcessInfo } from '../../src/core/model';
import { containerGrouping, HOST_BUCKET, type ProcessBucket } from '../../src/views/containerGrouping';
import { listenerPort } from '../../src/core/ports';
import { containerBehind } from '../../src/core/publishedPort';

const web: ContainerInfo = { runtime: 'podman', id: 'e67d2e63b698071812de51e16def6129bba340bd97cbb42e3690cbb5999a41e3', name: 'web', pod: null, rootlessUid: null, cgroup: '/libpod_parent/libpod-e67d…' };
const db: ContainerInfo = { runtime: 'docker', id: 'aa'.repeat(32), name: null, pod: null, rootlessUid: null, cgroup: '/docker/aa…' };

function proc(pid: number, ppid: number, container: ContainerInfo | null = null, netns = '4026531833'): ProcessInfo {
  return { pid, ppid, comm: `p${pid}`, cmdline: [], uid: 0, user: 'root', startTime: pid, state: 'S', tracerPid: 0, signals: { pending: [], shdPending: [], blocked: [], ignored: [], caught: [], queued: null, queueLimit: null } as unknown as ProcessInfo['signals'], timers: [], threads: 1, cwd: null, exe: null, container, netns };
}

describe('containerGrouping', () => {
  test('buckets by container with Host last; a container’s init is the top of its bucket, not under conmon', () => {
    const conmon = proc(100, 1);
    const init = proc(101, 100, web, '4026532250');
    const worker = proc(102, 101, web, '4026532250');
    const dbInit = proc(200, 1, db, '4026532300');
    const shell = proc(300, 1);
    const child = proc(301, 300);
    const listed = [child, worker, conmon, init, dbInit, shell];
    const procs = new Map(listed.map((p) => [p.pid, p]));
    const r = containerGrouping.arrange({ listed, procs });
    const roots = r.roots as ProcessBucket[];
    assert.deepEqual(roots.map((b) => [b.id, b.label, b.description, b.pids]), [
      [`docker:${db.id}`, 'aaaaaaaaaaaa', 'docker', [200]],
      [`podman:${web.id}`, 'web', 'podman · e67d2e63b698', [101]],
      [HOST_BUCKET, 'Host', 'no container', [100, 300]],
    ]);
    assert.deepEqual(r.children(101), [102]);
    assert.deepEqual(r.children(100), [], 'conmon does not take the container’s init');
    assert.deepEqual(r.children(300), [301]);
    assert.match(roots[1].tooltip!, /network namespace: 4026532250/);
  });

  test('a ppid cycle (hostile or racy data) ends', () => {
    const a = proc(10, 11);
    const b = proc(11, 12);
    const hidden = proc(12, 11);
    const procs = new Map([a, b, hidden].map((p) => [p.pid, p]));
    const r = containerGrouping.arrange({ listed: [a], procs });
    assert.deepEqual((r.roots as ProcessBucket[]).map((x) => x.pids), [[10]]);
  });
});

describe('listenerPort', () => {
  const base = { id: 'x', endpoints: [], family: 4, remote: '0.0.0.0:0', recvQueue: 0, sendQueue: 0, inode: 1, netns: '1', uid: 0 };
  test('TCP LISTEN and bound UDP are listeners; connected TCP and port 0 are not', () => {
    assert.equal(listenerPort({ ...base, kind: 'tcp', local: '127.0.0.1:3000', state: 'LISTEN' } as never), 3000);
    assert.equal(listenerPort({ ...base, kind: 'tcp', local: '[::]:8080', state: 'LISTEN' } as never), 8080);
    assert.equal(listenerPort({ ...base, kind: 'tcp', local: '127.0.0.1:3000', state: 'ESTAB' } as never), undefined);
    assert.equal(listenerPort({ ...base, kind: 'udp', local: '0.0.0.0:53', state: 'UNCONN' } as never), 53);
    assert.equal(listenerPort({ ...base, kind: 'udp', local: '0.0.0.0:0', state: 'UNCONN' } as never), undefined);
    assert.equal(listenerPort({ ...base, kind: 'pipe' } as never), undefined);
  });
});

describe('containerBehind (published ports)', () => {
  const web2: ContainerInfo = { ...db, runtime: 'docker', id: 'bb'.repeat(32), name: 'web' };
  const server = proc(500, 400, web2, '4026532400');
  const proxyArgs = ['/usr/bin/docker-proxy', '-proto', 'tcp', '-host-ip', '127.0.0.1', '-host-port', '8080', '-container-ip', '172.17.0.2', '-container-port', '80'];
  const snap = (holderUid: number) => ({
    processes: [server, { ...proc(450, 1), comm: 'docker-proxy', cmdline: proxyArgs, uid: holderUid }],
    channels: [{ id: 'tcp:1', kind: 'tcp', family: 4, local: '0.0.0.0:80', remote: '0.0.0.0:0', state: 'LISTEN', recvQueue: 0, sendQueue: 0, inode: 1, netns: '4026532400', uid: 0, endpoints: [{ pid: 500, fd: 3, mode: 'rw' }] }],
  }) as never;
  test('docker-proxy run by root: the one docker container listening on -container-port', () => {
    const r = containerBehind({ comm: 'docker-proxy', cmdline: proxyArgs, ppid: 1, uid: 0 }, snap(0));
    assert.deepEqual(r && [r.cli, r.container.id], ['docker', web2.id]);
  });
  test('a process of another user named docker-proxy is not believed', () => {
    assert.equal(containerBehind({ comm: 'docker-proxy', cmdline: proxyArgs, ppid: 1, uid: 1000 }, snap(1000)), undefined);
  });
  test('conmon -c ID (root): podman with that id; a malformed id is refused', () => {
    const s = { processes: [], channels: [] } as never;
    const id = 'cc'.repeat(32);
    assert.deepEqual(containerBehind({ comm: 'conmon', cmdline: ['/usr/bin/conmon', '--api-version', '1', '-c', id], ppid: 1, uid: 0 }, s)?.container.id, id);
    assert.equal(containerBehind({ comm: 'conmon', cmdline: ['/usr/bin/conmon', '-c', '--rm;x'], ppid: 1, uid: 0 }, s), undefined);
  });
});
