// /proc/PID/cgroup in the formats each runtime writes (captured from docker, containerd/CRI,
// CRI-O, podman rootful and rootless, systemd-nspawn and LXC hosts; the podman cgroupfs lines from
// this project's own integration run), hostile paths, and the runtimes' state files on disk
// (a captured tree under a temp root) through ContainerResolver. The real runtime is tested in
// test/integration/containers.test.ts; these cover the runtimes that cannot run here.
import { after, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ContainerResolver, parseDockerConfig, parseMachineRecord, parseOciAnnotations, parsePodmanContainers } from '../../src/core/containers';
import { cgroupPaths, containerCandidates, containerFromPath, parseCgroup, unescapeUnitName } from '../../src/core/parsers/cgroup';
import { parseStatus } from '../../src/core/parsers/procPid';

const ID = 'f3a1c0de9b8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605f4e';
const ID2 = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c';
const ID3 = '7e57ab1e00000000000000000000000000000000000000000000000000c0ffee';
const POD = '8d1f3c2a-4b5e-4c6d-9e7f-0a1b2c3d4e5f';
const first = (text: string) => containerCandidates(text)[0] ?? null;
const brief = (text: string) => {
  const c = first(text);
  return c && { runtime: c.runtime, id: c.id, name: c.name, podUid: c.podUid, rootlessUid: c.rootlessUid, verify: c.verify };
};

describe('cgroup lines', () => {
  test('v1 hybrid text (podman with cgroupfs on this machine): every line, the v2 root ignored', () => {
    const text = `9:name=systemd:/libpod_parent/libpod-${ID}\n8:pids:/libpod_parent/libpod-${ID}\n4:memory:/libpod_parent/libpod-${ID}\n0::/\n`;
    const lines = parseCgroup(text);
    assert.equal(lines.length, 4);
    assert.deepEqual(lines[0], { hierarchy: 9, controllers: 'name=systemd', path: `/libpod_parent/libpod-${ID}` });
    assert.deepEqual(cgroupPaths(lines), [`/libpod_parent/libpod-${ID}`]);
    assert.deepEqual(brief(text), { runtime: 'podman', id: ID, name: null, podUid: null, rootlessUid: null, verify: undefined });
  });
  test('v2 first, then name=systemd, then controllers; a path keeps its colons', () => {
    const lines = parseCgroup(`3:memory:/a\n1:name=systemd:/b:c\n0::/d\n`);
    assert.deepEqual(cgroupPaths(lines), ['/d', '/b:c', '/a']);
  });
  test('garbage lines are skipped, never thrown on', () => {
    assert.deepEqual(parseCgroup('x\n:::\n12\n99999999:cpu:/x\n7:cpu:relative\n\0\n'), []);
    assert.equal(first(''), null);
    assert.equal(first('0::/' + 'a/'.repeat(10000)), null);
  });
  test('a sandbox machine such as this one (memory:/process_api/…) is no container', () => {
    assert.equal(first(`4:memory:/process_api/06fd5170b5212f096d3d77064aef5c0b\n0::/\n`), null);
    assert.equal(first('0::/user.slice/user-1000.slice/session-3.scope\n'), null);
    assert.equal(first('0::/system.slice/containerd.service\n'), null);
  });
});

describe('runtimes from cgroup paths', () => {
  test('docker: cgroupfs v1 and the systemd driver', () => {
    assert.deepEqual(brief(`12:pids:/docker/${ID}\n1:name=systemd:/docker/${ID}\n0::/system.slice/containerd.service\n`), { runtime: 'docker', id: ID, name: null, podUid: null, rootlessUid: null, verify: undefined });
    assert.equal(first(`0::/system.slice/docker-${ID}.scope\n`)?.runtime, 'docker');
  });
  test('docker in docker: the outermost container wins (an inner one could be made up by the outer)', () => {
    assert.equal(first(`0::/docker/${ID}/docker/${ID2}\n`)?.id, ID);
    assert.equal(first(`0::/system.slice/docker-${ID}.scope/docker/${ID2}\n`)?.id, ID);
  });
  test('containerd under Kubernetes (systemd driver): runtime, id and pod uid', () => {
    const t = `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope\n`;
    assert.deepEqual(brief(t), { runtime: 'containerd', id: ID, name: null, podUid: POD, rootlessUid: null, verify: undefined });
    assert.equal(first(`0::/kubepods.slice/kubepods-pod${POD.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope\n`)?.podUid, POD);
  });
  test('Kubernetes with the cgroupfs driver: the engine is not in the path (resolved from disk)', () => {
    assert.deepEqual(brief(`11:memory:/kubepods/besteffort/pod${POD}/${ID}\n`), { runtime: 'kubernetes', id: ID, name: null, podUid: POD, rootlessUid: null, verify: undefined });
    assert.equal(first(`11:memory:/kubepods/pod${POD}/${ID}\n`)?.podUid, POD);
    assert.equal(first(`11:memory:/kubepods/besteffort/pod${POD}\n`), null, 'the pod slice alone is no container');
  });
  test('CRI-O, and its conmon which is outside the container', () => {
    assert.equal(first(`0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD.replace(/-/g, '_')}.slice/crio-${ID}.scope\n`)?.runtime, 'cri-o');
    assert.equal(first(`0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD.replace(/-/g, '_')}.slice/crio-conmon-${ID}.scope\n`), null);
  });
  test('containerd alone: `/NAMESPACE/ID` needs its task directory to confirm it; nerdctl scopes', () => {
    assert.deepEqual(brief(`0::/default/${ID}\n`), { runtime: 'containerd', id: ID, name: null, podUid: null, rootlessUid: null, verify: 'containerd-task' });
    assert.equal(first(`0::/default/${ID}\n`)?.namespace, 'default');
    assert.equal(first(`0::/system.slice/nerdctl-${ID}.scope\n`)?.runtime, 'containerd');
    assert.equal(first(`0::/system.slice/${ID}\n`), null, 'a slice is no containerd namespace');
  });
  test('podman: systemd driver, pods, conmon outside', () => {
    assert.equal(first(`0::/machine.slice/libpod-${ID}.scope\n`)?.runtime, 'podman');
    assert.equal(first(`0::/machine.slice/machine-libpod_pod_${ID2}.slice/libpod-${ID}.scope\n`)?.id, ID);
    assert.equal(first(`0::/machine.slice/libpod-conmon-${ID}.scope\n`), null);
    assert.equal(first(`9:name=systemd:/libpod_parent/conmon\n`), null);
  });
  test('podman pods on cgroupfs (`/libpod_parent/POD/libpod-ID`, as podman 4 writes them): the member, not a containerd guess for the pod', () => {
    // the text of a real pod member's /proc/PID/cgroup (cgroup v1, no systemd), ids replaced
    const text = `12:pids:/libpod_parent/${ID2}/libpod-${ID}\n9:name=systemd:/libpod_parent/${ID2}/libpod-${ID}\n0::/\n`;
    assert.deepEqual(brief(text), { runtime: 'podman', id: ID, name: null, podUid: null, rootlessUid: null, verify: undefined });
    assert.equal(first(`9:name=systemd:/libpod_parent/${ID2}/libpod-conmon-${ID}\n`), null, 'the pod member\'s monitor');
    assert.equal(first(`0::/default/${ID}/sub\n`)?.runtime, 'containerd', 'containerd\'s own layout keeps its guess');
  });
  test('rootless podman and docker in a user’s delegated tree carry that uid', () => {
    const c = first(`0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope\n`);
    assert.equal(c?.runtime, 'podman');
    assert.equal(c?.rootlessUid, 1000);
    assert.equal(first(`0::/user.slice/user-1000.slice/user@1000.service/user.slice/docker-${ID}.scope\n`)?.rootlessUid, 1000);
  });
  test('inside a user’s delegated tree the user names everything: no docker/, machine or LXC paths there', () => {
    for (const p of [`/docker/${ID}`, '/machine.slice/machine-evil.scope', '/lxc.payload.evil', `/kubepods/pod${POD}/${ID}`, `/default/${ID}`, `/libpod-${ID}`]) {
      assert.equal(first(`0::/user.slice/user-1000.slice/user@1000.service${p}\n`), null, p);
    }
  });
  test('systemd-nspawn: the machine name, unescaped; verified against machined later', () => {
    assert.deepEqual(brief('0::/machine.slice/machine-my\\x2dbox.scope/payload/system.slice/nginx.service\n'), { runtime: 'nspawn', id: 'my-box', name: 'my-box', podUid: null, rootlessUid: null, verify: 'machined' });
    assert.equal(first('0::/machine.slice/machine-..\\x2f..\\x2fetc.scope\n'), null, 'a name with a slash is never a path');
    assert.equal(unescapeUnitName('a\\x2db\\x5cc'), 'a-b\\c');
    assert.equal(unescapeUnitName('bad\\x2'), null);
  });
  test('LXC: payload cgroups (LXC ≥ 4), the monitor outside, the old /lxc/NAME', () => {
    assert.deepEqual(brief('0::/lxc.payload.web1/system.slice/nginx.service\n'), { runtime: 'lxc', id: 'web1', name: 'web1', podUid: null, rootlessUid: null, verify: undefined });
    assert.equal(first('0::/lxc.monitor.web1\n'), null);
    assert.equal(first('5:memory:/lxc/web1\n')?.name, 'web1');
  });
  test('paths outside our cgroup namespace (`/../..`) say nothing', () => {
    assert.equal(containerFromPath(`/../../docker/${ID}`), null);
  });
  test('ids must be 64 hex digits', () => {
    assert.equal(first(`0::/docker/${ID.slice(1)}\n`), null);
    assert.equal(first(`0::/system.slice/docker-${ID.toUpperCase()}.scope\n`), null);
  });
});

describe('NSpid in /proc/PID/status', () => {
  test('host pid first, inner pid last', () => {
    assert.deepEqual(parseStatus('Name:\tx\nNSpid:\t4924\t1\nUid:\t0\t0\t0\t0\n').nsPid, [4924, 1]);
    assert.deepEqual(parseStatus('NSpid:\t77\n').nsPid, [77]);
    assert.deepEqual(parseStatus('NSpid:\t9\t8\t1\n').nsPid, [9, 8, 1]);
  });
  test('missing or malformed: [] (never a partial list)', () => {
    assert.deepEqual(parseStatus('Name:\tx\n').nsPid, []);
    assert.deepEqual(parseStatus('NSpid:\t12\tx\n').nsPid, []);
    assert.deepEqual(parseStatus('NSpid:\t0\n').nsPid, []);
    assert.deepEqual(parseStatus('NSpid:\t99999999999\n').nsPid, []);
  });
});

describe('runtime state files', () => {
  test('docker config.v2.json: Name without the slash, Kubernetes labels', () => {
    assert.deepEqual(parseDockerConfig(JSON.stringify({ Name: '/web', Config: { Labels: { 'io.kubernetes.pod.name': 'api-7d9', 'io.kubernetes.pod.namespace': 'prod' } } })), { name: 'web', podName: 'api-7d9', podNamespace: 'prod' });
    assert.equal(parseDockerConfig('{"Name": 5}')?.name, null);
    assert.equal(parseDockerConfig('not json'), null);
    assert.equal(parseDockerConfig('[1,2]'), null);
  });
  test('podman containers.json: id → first name; entries without either skipped', () => {
    const m = parsePodmanContainers(JSON.stringify([{ id: ID, names: ['web', 'alias'] }, { id: ID2 }, { names: ['x'] }, 7, null]));
    assert.deepEqual([...m], [[ID, 'web']]);
    assert.equal(parsePodmanContainers('{}').size, 0);
  });
  test('OCI config.json annotations: containerd CRI, CRI-O, a pod sandbox, nerdctl', () => {
    const cri = { annotations: { 'io.kubernetes.cri.container-name': 'app', 'io.kubernetes.cri.sandbox-name': 'api-7d9', 'io.kubernetes.cri.sandbox-namespace': 'prod' } };
    assert.deepEqual(parseOciAnnotations(JSON.stringify(cri)), { name: 'app', podName: 'api-7d9', podNamespace: 'prod' });
    const crio = { annotations: { 'io.kubernetes.container.name': 'app', 'io.kubernetes.pod.name': 'p', 'io.kubernetes.pod.namespace': 'ns' } };
    assert.deepEqual(parseOciAnnotations(JSON.stringify(crio)), { name: 'app', podName: 'p', podNamespace: 'ns' });
    const sandbox = { annotations: { 'io.kubernetes.cri.container-type': 'sandbox', 'io.kubernetes.cri.sandbox-name': 'api-7d9' } };
    assert.equal(parseOciAnnotations(JSON.stringify(sandbox))?.name, 'api-7d9');
    assert.equal(parseOciAnnotations(JSON.stringify({ annotations: { 'nerdctl/name': 'n1' } }))?.name, 'n1');
  });
  test('machined record', () => {
    const r = parseMachineRecord('# This is private data.\nNAME=box\nSCOPE=machine-box.scope\nSERVICE=systemd-nspawn\nCLASS=container\nLEADER=812\n');
    assert.equal(r.service, 'systemd-nspawn');
    assert.equal(r.machineClass, 'container');
  });
});

describe('ContainerResolver on a captured state tree', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipc-state-'));
  const put = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  put(`var/lib/docker/containers/${ID}/config.v2.json`, JSON.stringify({ Name: '/web\n[x](command:evil)' }));
  put('var/lib/containers/storage/overlay-containers/containers.json', JSON.stringify([{ id: ID2, names: ['db'] }]));
  put(`run/containerd/io.containerd.runtime.v2.task/k8s.io/${ID2}/config.json`, JSON.stringify({ annotations: { 'io.kubernetes.cri.container-name': 'app', 'io.kubernetes.cri.sandbox-name': 'api-7d9', 'io.kubernetes.cri.sandbox-namespace': 'prod' } }));
  put('run/systemd/machines/box', 'NAME=box\nSERVICE=systemd-nspawn\nCLASS=container\n');
  put('run/systemd/machines/vm1', 'NAME=vm1\nSERVICE=libvirt-qemu\nCLASS=vm\n');
  put('run/systemd/machines/other', 'NAME=other\nSERVICE=some-tool\nCLASS=container\n');
  const r = () => new ContainerResolver({ stateRoot: root, homeOf: () => null });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test('docker: the name as the runtime stored it (hostile text kept as data, escaped at display)', async () => {
    const c = await r().fromCgroup(`0::/system.slice/docker-${ID}.scope\n`);
    assert.deepEqual(c, { runtime: 'docker', id: ID, name: 'web\n[x](command:evil)', pod: null, rootlessUid: null, cgroup: `/system.slice/docker-${ID}.scope` });
  });
  test('podman: name from containers.json; a container it does not list keeps name null', async () => {
    assert.equal((await r().fromCgroup(`0::/machine.slice/libpod-${ID2}.scope\n`))?.name, 'db');
    const c = await r().fromCgroup(`0::/machine.slice/libpod-${ID}.scope\n`);
    assert.equal(c?.runtime, 'podman');
    assert.equal(c?.name, null);
  });
  test('Kubernetes with cgroupfs: containerd found on disk, pod name and namespace from the annotations', async () => {
    const c = await r().fromCgroup(`11:memory:/kubepods/besteffort/pod${POD}/${ID2}\n`);
    assert.deepEqual(c && { runtime: c.runtime, name: c.name, pod: c.pod }, { runtime: 'containerd', name: 'app', pod: { uid: POD, name: 'api-7d9', namespace: 'prod' } });
    const d = await r().fromCgroup(`11:memory:/kubepods/besteffort/pod${POD}/${ID}\n`);
    assert.equal(d?.runtime, 'docker', 'the docker state names the engine');
    const none = await new ContainerResolver({ stateRoot: path.join(root, 'nothing') }).fromCgroup(`11:memory:/kubepods/besteffort/pod${POD}/${ID}\n`);
    assert.deepEqual(none && { runtime: none.runtime, name: none.name }, { runtime: 'kubernetes', name: null }, 'engine unknown: said so, not guessed');
  });
  test('podman with the vfs storage driver (rootless without fuse-overlayfs): the name from vfs-containers', async () => {
    put('var/lib/containers/storage/vfs-containers/containers.json', JSON.stringify([{ id: ID3, names: ['on-vfs'] }]));
    assert.equal((await r().fromCgroup(`0::/machine.slice/libpod-${ID3}.scope\n`))?.name, 'on-vfs');
    assert.equal((await r().fromCgroup(`0::/machine.slice/libpod-${ID2}.scope\n`))?.name, 'db', 'overlay still first');
  });
  test('containerd `/NS/ID`: only with its task directory', async () => {
    assert.equal((await r().fromCgroup(`0::/k8s.io/${ID2}\n`))?.runtime, 'containerd');
    assert.equal(await r().fromCgroup(`0::/default/${ID}\n`), null);
  });
  test('machine.slice: nspawn per machined, a VM is no container, another service is only “machined”', async () => {
    assert.equal((await r().fromCgroup('0::/machine.slice/machine-box.scope/payload\n'))?.runtime, 'nspawn');
    assert.equal(await r().fromCgroup('0::/machine.slice/machine-vm1.scope\n'), null);
    assert.equal((await r().fromCgroup('0::/machine.slice/machine-other.scope\n'))?.runtime, 'machined');
    assert.equal((await r().fromCgroup('0::/machine.slice/machine-unknown.scope\n'))?.runtime, 'machined', 'no record: the service is not known');
  });
  test('a state file over its size cap is not read', async () => {
    put(`var/lib/docker/containers/${ID2}/config.v2.json`, JSON.stringify({ Name: '/big', pad: 'x'.repeat(9 * 1024 * 1024) }));
    const c = await r().fromCgroup(`0::/docker/${ID2}\n`);
    assert.equal(c?.runtime, 'docker');
    assert.equal(c?.name, null);
  });
  test('one lookup per container however many processes share it', async () => {
    const res = r();
    const all = await Promise.all(Array.from({ length: 50 }, () => res.fromCgroup(`0::/docker/${ID}\n`)));
    assert.ok(all.every((c) => c?.name === 'web\n[x](command:evil)'));
    all[0]!.name = 'changed';
    assert.equal(all[1]!.name, 'web\n[x](command:evil)', 'each process gets its own object');
  });
});
