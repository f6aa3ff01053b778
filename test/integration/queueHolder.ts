// A process that holds a pipe enlarged to SIZE bytes (F_SETPIPE_SZ) or a Unix stream socket with
// SIZE bytes in its receive queue, both filled with bytes that say where they are (every 4-byte
// word is its own index, big-endian), for the paging tests (test/integration/peekPaging.test.ts,
// test/extension/inspector.test.ts). On `readOut()` it reads everything out, as a reader would.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';

export const SIZE = 256 * 1024;

/** Every 4-byte word is its own index: byte i of the stream is byte i % 4 of (i >> 2), big-endian. */
export function words(from: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = ((from + i) >>> 2 >>> (8 * (3 - ((from + i) & 3)))) & 0xff;
  return out;
}

// One process holds the object with SIZE bytes queued, prints {pid, fd (the read end / receiving
// socket), inode}, then on a line of stdin reads everything out and prints its length and hex.
const CHILD = String.raw`
import os, sys, json, fcntl, socket, struct
kind = sys.argv[1]
size = int(sys.argv[2])
data = b''.join(struct.pack('>I', i) for i in range(size // 4))
if kind == 'pipe':
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, size)
    assert fcntl.fcntl(w, fcntl.F_GETPIPE_SZ) == size
    os.write(w, data)
    hold = r
else:
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    # room for the whole queue (root: past wmem_max); a Unix stream queue counts against the sender
    a.setsockopt(socket.SOL_SOCKET, 32, 8 * size)  # SO_SNDBUFFORCE
    a.setblocking(False)
    a.sendall(data)
    hold = b.fileno()
print(json.dumps({'pid': os.getpid(), 'fd': hold, 'inode': os.fstat(hold).st_ino}), flush=True)
sys.stdin.readline()
os.set_blocking(hold, False)
got = bytearray()
while True:
    try:
        c = os.read(hold, 1 << 20)
    except BlockingIOError:
        break
    if not c:
        break
    got += c
print(len(got), got.hex(), flush=True)
`;

export interface QueueHolder {
  pid: number;
  /** The read end, or the receiving socket. */
  fd: number;
  inode: number;
  /** Reads every byte out (consuming them) and returns them. */
  readOut(): Promise<Buffer>;
  kill(): void;
}

export async function queueHolder(kind: 'pipe' | 'unix'): Promise<QueueHolder> {
  const child = spawn('python3', ['-c', CHILD, kind, String(SIZE)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let acc = '';
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => {
    acc += c;
    let i;
    while ((i = acc.indexOf('\n')) >= 0) {
      lines.push(acc.slice(0, i));
      acc = acc.slice(i + 1);
      waiters.splice(0).forEach((w) => w());
    }
  });
  const line = async (n: number): Promise<string> => {
    const end = Date.now() + 10_000;
    while (lines.length <= n) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`${kind} holder: no line ${n} (${lines.join(' | ')})`);
      await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 100); });
    }
    return lines[n];
  };
  const made = JSON.parse(await line(0)) as { pid: number; fd: number; inode: number };
  return {
    ...made,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
    readOut: async () => {
      child.stdin!.write('go\n');
      const [n, hex] = (await line(1)).split(' ');
      const b = Buffer.from(hex ?? '', 'hex');
      assert.equal(b.length, Number(n));
      return b;
    },
  };
}

