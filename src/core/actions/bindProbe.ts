// "Is the port actually free?": bind a socket to the listener's address and port in the
// listener's network namespace, then close it at once. TCP binds the way servers do (Node's
// listen: SO_REUSEADDR, so TIME-WAIT leftovers do not count as busy, a listener does); UDP binds
// plainly (a SO_REUSEPORT group still holding the port answers EADDRINUSE).
//
// In our own namespace the bind runs in this process. In another one a process has to enter it:
// setns() is not available to Node, so a child runs `nsenter --net=/proc/self/fd/3` with the
// namespace passed as fd 3 — a handle the caller opened BEFORE stopping the listeners (the
// namespace's last process may be the one being stopped; the handle keeps the namespace and its
// identity) — and the same bind probe in Node. Needs CAP_SYS_ADMIN (root) and util-linux's nsenter;
// without them the answer is null with the reason, never a guess.
import { spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';

export interface BindTarget {
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
  /** Address without brackets. */
  address: string;
  port: number;
  /** Network namespace inode (text). */
  netns: string;
}

export interface BindResult extends BindTarget {
  /** true: the bind succeeded; false: EADDRINUSE; null: could not test (see `error`). */
  free: boolean | null;
  /** errno name of a failed bind, or why it could not be tried. */
  error?: string;
  method: 'in-process' | 'nsenter';
}

const PROBE_TIMEOUT_MS = 5000;

/** The probe: bind, close, report. */
function probe(protocol: string, family: number, address: string, port: number, done: (r: { free: boolean | null; error?: string }) => void): void {
  const fail = (e: NodeJS.ErrnoException) => done({ free: e.code === 'EADDRINUSE' ? false : null, error: e.code ?? String(e.message) });
  if (protocol === 'udp') {
    const s = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    s.once('error', (e) => {
      s.close();
      fail(e);
    });
    s.bind({ address, port, exclusive: true }, () => s.close(() => done({ free: true })));
  } else {
    const s = net.createServer();
    s.once('error', fail);
    s.listen({ host: address, port, exclusive: true, ipv6Only: false }, () => s.close(() => done({ free: true })));
  }
}

/** The same probe for the child in the other namespace (argv: protocol family address port); prints one JSON line. */
const CHILD_PROBE = `
const [protocol, family, address, port] = process.argv.slice(1);
const done = (r) => process.stdout.write(JSON.stringify(r));
const fail = (e) => done({ free: e.code === 'EADDRINUSE' ? false : null, error: e.code || String(e.message) });
if (protocol === 'udp') {
  const s = require('node:dgram').createSocket({ type: family === '6' ? 'udp6' : 'udp4' });
  s.once('error', (e) => { s.close(); fail(e); });
  s.bind({ address, port: Number(port), exclusive: true }, () => s.close(() => done({ free: true })));
} else {
  const s = require('node:net').createServer();
  s.once('error', fail);
  s.listen({ host: address, port: Number(port), exclusive: true, ipv6Only: false }, () => s.close(() => done({ free: true })));
}
`;

export function ownNetns(procRoot = '/proc'): string | null {
  try {
    return /\[(\d+)\]/.exec(fs.readlinkSync(`${procRoot}/self/ns/net`))?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * A handle on the network namespace `netns`, taken through one of `pids` (which must be in it):
 * the fd of `/proc/PID/ns/net`, checked by fstat to be that namespace's inode. The caller closes it.
 */
export function openNetns(netns: string, pids: readonly number[], procRoot = '/proc'): number | null {
  for (const pid of pids) {
    let fd: number;
    try {
      fd = fs.openSync(`${procRoot}/${pid}/ns/net`, fs.constants.O_RDONLY);
    } catch {
      continue;
    }
    try {
      if (String(fs.fstatSync(fd, { bigint: true }).ino) === netns) return fd;
    } catch {
      /* fstat failed on an open fd (cannot happen short of EIO): close it below and try the next process */
    }
    fs.closeSync(fd);
  }
  return null;
}

function inProcess(t: BindTarget): Promise<BindResult> {
  return new Promise((resolve) => probe(t.protocol, t.family, t.address, t.port, (r) => resolve({ ...t, ...r, method: 'in-process' })));
}

/** The probe in a child that entered the namespace held by `nsFd`. */
function throughNsenter(t: BindTarget, nsFd: number): Promise<BindResult> {
  return new Promise((resolve) => {
    const done = (free: boolean | null, error?: string) => resolve({ ...t, free, ...(error ? { error } : {}), method: 'nsenter' });
    let child;
    try {
      child = spawn('nsenter', ['--net=/proc/self/fd/3', '--', process.execPath, '-e', CHILD_PROBE, t.protocol, String(t.family), t.address, String(t.port)], {
        stdio: ['ignore', 'pipe', 'pipe', nsFd],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      });
    } catch (e) {
      done(null, `nsenter: ${(e as Error).message}`);
      return;
    }
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done(null, e.code === 'ENOENT' ? 'nsenter is not installed (util-linux)' : `nsenter: ${e.message}`);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(out) as { free: boolean | null; error?: string };
        done(r.free, r.error);
      } catch {
        done(null, `nsenter exited ${code}: ${err.trim().split('\n').pop() ?? ''}`.trim());
      }
    });
  });
}

/**
 * Tries the bind. `nsFd` is a handle from openNetns for a namespace other than ours; without it
 * (and not ours) the answer is null.
 */
export async function bindTest(t: BindTarget, nsFd: number | null, procRoot = '/proc'): Promise<BindResult> {
  if (t.netns === ownNetns(procRoot)) return inProcess(t);
  if (nsFd === null) return { ...t, free: null, error: 'no handle on its network namespace (no process of it was readable)', method: 'nsenter' };
  return throughNsenter(t, nsFd);
}
