// A process whose fd directory lists but whose fd links are refused (readlink EACCES: no ptrace
// read access to it — an LSM, a process of a user namespace above ours; on some machines PID 1 is
// such a process even for root). Every walk took the refusal for an fd "closed meanwhile": the
// process looked as if it held nothing, no warning said otherwise, and doctor called a pipe it
// reads "writers and no reader" (a WARNING about a healthy pipeline). Here the reader of a pipe
// runs as nobody and the scan runs as root without CAP_SYS_PTRACE (setpriv), so its links are
// refused: each walk must report the process's fd read error, the snapshot its "processes
// hidden" warning, and doctor must not claim the pipe has no reader. A process of nobody's that
// holds no fd at all has no link to refuse: no walk may call it hidden (the BPF walk, which asks
// one link for the whole process, had).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { loadBpf, loadNative } from '../../src/core/native';
import { NOBODY } from '../harness/otherUser';
import { lineReader } from './childLines';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'bin', 'ipc-inspector.js');
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skip = process.getuid?.() !== 0 ? 'needs root (the reader runs as uid 65534)' : !has('setpriv') || !has('python3') ? 'needs setpriv and python3' : false;

const NO_PTRACE = ['--inh-caps=-sys_ptrace', '--bounding-set=-sys_ptrace'];

/** The CLI as root without CAP_SYS_PTRACE: another user's fd links are refused to it. */
function noPtrace(args: string[], walk: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('setpriv', [...NO_PTRACE, process.execPath, cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, IPC_INSPECTOR_WALK: walk },
    maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('a process whose fd links are refused is hidden, not empty', { skip }, () => {
  // a pipeline: the writer (root without CAP_SYS_PTRACE, python) holds the write end, its child the reader (nobody) the read end
  let pair: ChildProcess;
  let writer = 0;
  let reader = 0;
  let inode = 0;
  let empty = 0;
  const walks = ['proc-ts'];

  before(async () => {
    const py = `
import os, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    os.dup2(r, 0)
    os.setgroups([]); os.setgid(${NOBODY.gid}); os.setuid(${NOBODY.uid})
    os.execvp('sleep', ['sleep', '1000'])
os.close(r)
# nobody's process with an empty fd table
e = os.fork()
if e == 0:
    os.setgroups([]); os.setgid(${NOBODY.gid}); os.setuid(${NOBODY.uid})
    os.closerange(0, 65536)
    os.execvp('sleep', ['sleep', '1000'])
print(os.getpid(), pid, os.fstat(w).st_ino, e, flush=True)
sys.stdin.read()
os.kill(pid, 9)
os.kill(e, 9)
`;
    // the writer with the scan's capabilities: a process with more (root's full set) is refused to it as well
    pair = spawn('setpriv', [...NO_PTRACE, 'python3', '-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await lineReader(pair).next('the pipeline line');
    [writer, reader, inode, empty] = line.trim().split(' ').map(Number);
    if (loadNative().addon) walks.push('proc');
    if ((await loadBpf().addon?.bpfProbe())?.ok) walks.push('bpf-iter');
  });
  after(async () => {
    if (!pair || pair.exitCode !== null) return;
    const gone = new Promise((r) => pair.once('exit', r));
    pair.stdin!.end();
    await gone;
  });

  it('each walk: the reader has an fd read error, the snapshot says processes are hidden', () => {
    for (const walk of walks) {
      const r = noPtrace(['snapshot', '--json', '--all-processes', '--kind', 'pipe', '--pid', String(writer), '--pid', String(reader), '--pid', String(empty), ...(walk === 'proc-ts' ? ['--no-native'] : [])], walk);
      assert.equal(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout) as { capabilities: { walk?: { backend: string } }; warnings: string[]; processes: Array<{ pid: number; errors?: Array<{ field: string; syscall: string; code: string }> }>; channels: Array<{ id: string; endpoints: Array<{ pid: number }> }> };
      assert.equal(s.capabilities.walk?.backend, walk);
      const p = s.processes.find((x) => x.pid === reader);
      assert.ok(p, `${walk}: the reader is listed`);
      // (the call refused is the link's: the directory itself listed)
      assert.deepEqual(p.errors?.filter((e) => e.field === 'fds').map((e) => `${e.syscall} ${e.code}`), ['readlink EACCES'], `${walk}: the reader's fds are a read error: ${JSON.stringify(p.errors)}`);
      const none = s.processes.find((x) => x.pid === empty);
      assert.ok(none, `${walk}: the process without fds is listed`);
      assert.deepEqual(none.errors?.filter((e) => e.field === 'fds') ?? [], [], `${walk}: no fd to refuse, so no fd read error: ${JSON.stringify(none.errors)}`);
      // (the TypeScript walk reads every process before the --pid scope applies: root's others are hidden to it too)
      // named (the first five): the reader among them
      assert.ok(s.warnings.some((w) => /^processes hidden: \d+ \(permission denied\): .+/.test(w) && (w.includes(`[${reader}]`) || /, … \d+ more$/.test(w))), `${walk}: ${JSON.stringify(s.warnings)}`);
      // what can be seen is still shown: our write end
      assert.deepEqual(s.channels.find((c) => c.id === `pipe:${inode}`)?.endpoints.map((e) => e.pid), [writer], `${walk}: the pipe's visible end`);
    }
  });

  it('the native walks agree on the hidden reader: the same read errors, and no fact the /proc walk was refused (maps, timers, namespaces)', (t) => {
    if (!walks.includes('proc') || !walks.includes('bpf-iter')) return t.skip('needs both native walks (the addon and BPF)');
    const facts = (walk: string) => {
      const r = noPtrace(['snapshot', '--json', '--all-processes', '--pid', String(reader), '--pid', String(empty)], walk);
      assert.equal(r.status, 0, r.stderr);
      const s = JSON.parse(r.stdout) as { processes: Array<{ pid: number; errors?: unknown; netns?: unknown; ipcns?: unknown; timers?: unknown }> };
      return [reader, empty].map((pid) => {
        const p = s.processes.find((x) => x.pid === pid);
        assert.ok(p, `${walk}: ${pid} is listed`);
        return { pid, errors: p.errors, netns: p.netns, ipcns: p.ipcns, timers: p.timers };
      });
    };
    const proc = facts('proc');
    assert.ok(JSON.stringify(proc[0].errors).includes('"field":"ns/net"'), `the /proc walk is refused the reader's namespace: ${JSON.stringify(proc[0])}`);
    assert.deepEqual(facts('bpf-iter'), proc);
  });

  it('doctor does not call the pipe "writers and no reader" (at most info, with the caveat)', () => {
    for (const walk of walks) {
      const args = ['--pid', String(writer), '--pid', String(reader), '--samples', '2', '--interval', '100', ...(walk === 'proc-ts' ? ['--no-native'] : [])];
      const text = noPtrace(['doctor', ...args], walk);
      // (this pipe's: another pipe of these processes may have no reader indeed — the BPF walk's
      // kernel count says so even of a pipe whose other holders are hidden, e.g. the test runner's)
      assert.doesNotMatch(text.stdout, new RegExp(`pipe:\\[${inode}\\] has writers .*and no reader`), `${walk}: ${text.stdout}`);
      const json = noPtrace(['doctor', '--json', ...args], walk);
      const d = JSON.parse(json.stdout) as { problems: Array<{ id: string; severity: string; evidence: Array<{ label: string }> }> };
      const p = d.problems.find((x) => x.id === `no-other-end:no-reader:pipe:${inode}`);
      if (p) {
        assert.equal(p.severity, 'info', walk);
        assert.ok(p.evidence.some((e) => e.label === 'caveat'), `${walk}: the caveat`);
      }
    }
  });
});
