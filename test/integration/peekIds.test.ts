// Every id the CLI prints can be given back to `peek`: a POSIX queue named "NAME\nforged line"
// (a real newline) is printed `posix-mq:NAME\nforged line` (a backslash and an n) in the table,
// and `peek` takes that, the `KIND:bytes/HEX` form of any name (valid UTF-8 too), and the exact id
// — each reaching the same queue, none consuming a message. Two /dev/shm objects whose ids print
// the same (a newline in one name, a backslash and an n in the other) are refused by the printed
// id, the error naming each by its bytes/HEX id, which peeks each one. /dev/mqueue mounted or not
// (the queue is listed through its holders when it is not). An id `top` printed cut to its column
// peeks the one object it is the start of.
//
//   node scripts/build.mjs && node --test dist/test/integration/peekIds.test.js
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { shortText } from '../../src/core/format';
import { loadNative } from '../../src/core/native';
import * as fs from 'node:fs';
import { runAsNobody } from '../harness/otherUser';
import { cliNotBuilt, cliScratch, runCli } from './cliRunner';

const tag = `ipcpid-${process.pid}`;
const hex = (s: string) => Buffer.from(s).toString('hex');
const noNative = loadNative().addon ? false : 'native addon not built (mq_getattr)';

describe('peek takes the ids the CLI prints', { skip: cliNotBuilt }, () => {
  const scratch = cliScratch('ipc-peekids-');

  test('a queue whose name holds a newline: by its printed id, its bytes/HEX form and its exact id; nothing consumed', { skip: noNative }, async () => {
    const name = `${tag}-q\nforged line`;
    await scratch.fixture('posix-mq', { name, count: 3 });
    const printed = `posix-mq:${tag}-q\\nforged line`;
    const table = runCli(['snapshot', '--kind', 'posix-mq']);
    assert.equal(table.code, 0, table.stderr);
    assert.ok(table.stdout.split('\n').some((l) => l.startsWith(printed + ' ')), `the table prints ${printed}:\n${table.stdout}`);
    const messages = () => {
      const j = runCli(['snapshot', '--json', '--kind', 'posix-mq']);
      assert.equal(j.code, 0, j.stderr);
      return (JSON.parse(j.stdout) as { channels: Array<{ id: string; messages: number | null }> }).channels.find((c) => c.id === `posix-mq:${name}`)?.messages;
    };
    assert.equal(messages(), 3);
    for (const id of [printed, `posix-mq:bytes/${hex(name)}`, `posix-mq:bytes/${hex(name).toUpperCase()}`, `posix-mq:${name}`]) {
      const t = runCli(['peek', id]);
      assert.equal(t.code, 0, `peek ${JSON.stringify(id)}: ${t.stderr}`);
      assert.ok(t.stdout.startsWith(`${printed} (posix-mq) read `), t.stdout);
      assert.match(t.stdout, /^messages=3 /m);
      const j = runCli(['peek', id, '--json']);
      assert.equal(j.code, 0, j.stderr);
      assert.equal((JSON.parse(j.stdout) as { messages: number }).messages, 3);
    }
    assert.equal(messages(), 3, 'no peek consumed a message');
  });

  test('shared memory with a UTF-8 name: its bytes/HEX form peeks it', async () => {
    const name = `${tag}-shm\tx`;
    await scratch.fixture('posix-shm', { name, size: 4096 });
    for (const id of [`posix-shm:${tag}-shm\\tx`, `posix-shm:bytes/${hex(name)}`]) {
      const r = runCli(['peek', id, '--max-bytes', '16']);
      assert.equal(r.code, 0, `peek ${JSON.stringify(id)}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith(`posix-shm:${tag}-shm\\tx (posix-shm) read `), r.stdout);
    }
  });

  test('a 1 TiB sparse /dev/shm object another user made: --max-bytes past 16 MiB is refused (a hexdump of 256 MiB outgrew the heap), 16 MiB prints whole, text and JSON', { skip: process.geteuid?.() !== 0 ? 'needs root to act as nobody' : false }, () => {
    const name = `${tag}-sparse`;
    const made = runAsNobody('truncate', ['-s', '1T', `/dev/shm/${name}`]);
    assert.equal(made.status, 0, made.stderr);
    try {
      const id = `posix-shm:${name}`;
      const over = runCli(['peek', id, '--max-bytes', String(256 * 1024 * 1024)]);
      assert.equal(over.code, 2, over.stderr);
      assert.match(over.stderr, /--max-bytes must be an integer from 1 to 16777216/);
      const max = 16 * 1024 * 1024;
      const t = runCli(['peek', id, '--max-bytes', String(max), '--offset', String(2 ** 39)], { maxBuffer: 512 << 20 });
      assert.equal(t.code, 0, t.stderr.slice(0, 500));
      // all zeros: the first row, one `*` for the rows like it (as hexdump -C), and the last row
      const lines = t.stdout.split('\n').filter((l) => /^[0-9a-f]{8,} {2}|^\*$/.test(l));
      assert.equal(lines.length, 3, lines.join('\n'));
      assert.match(lines[0], new RegExp(`^${(2 ** 39).toString(16)}  00 00 `));
      assert.equal(lines[1], '*');
      assert.match(lines[2], new RegExp(`^${(2 ** 39 + max - 16).toString(16)}  00 00 `));
      const j = runCli(['peek', id, '--json', '--max-bytes', String(max)], { maxBuffer: 512 << 20 });
      assert.equal(j.code, 0, j.stderr.slice(0, 500));
      const r = JSON.parse(j.stdout) as { length: number; hex: string };
      assert.equal(r.length, max);
      assert.equal(r.hex.length, 2 * max);
    } finally {
      fs.rmSync(`/dev/shm/${name}`, { force: true });
    }
  });

  test('two objects whose ids print the same: the printed id is refused with both bytes/HEX ids, each of which peeks its own', async () => {
    const real = `${tag}-a\nb`;
    const literal = `${tag}-a\\nb`;
    await scratch.fixture('posix-shm', { name: real, size: 4096 });
    await scratch.fixture('posix-shm', { name: literal, size: 8192 });
    const printed = `posix-shm:${tag}-a\\nb`;
    const r = runCli(['peek', printed]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^ipc-inspector peek: ENOTUNIQ: /);
    const ids = [`posix-shm:bytes/${hex(real)}`, `posix-shm:bytes/${hex(literal)}`];
    for (const id of ids) assert.ok(r.stderr.includes(id), `${id} in ${r.stderr}`);
    for (const [id, size] of [[ids[0], 4096], [ids[1], 8192]] as const) {
      const p = runCli(['peek', id, '--json', '--max-bytes', '1']);
      assert.equal(p.code, 0, `peek ${id}: ${p.stderr}`);
      assert.equal((JSON.parse(p.stdout) as { total: number | null }).total, size, `${id} reached its own object`);
    }
  });

  test('an id cut as `top` prints it (40 characters, ending in …) peeks the one object it starts; two it starts are refused with both whole bytes/HEX ids', async () => {
    const one = `${tag}-one-long-name-that-top-cuts-in-its-column\n`;
    const twins = [`${tag}-twin-long-name-that-top-cuts-alike-a`, `${tag}-twin-long-name-that-top-cuts-alike-b`];
    for (const [name, size] of [[one, 4096], [twins[0], 8192], [twins[1], 12288]] as const) await scratch.fixture('posix-shm', { name, size });
    const cut = (name: string) => shortText(`posix-shm:${name}`, 40); // top's CHANNEL column
    assert.ok(cut(one).endsWith('…') && cut(twins[0]) === cut(twins[1]));
    for (const id of [cut(one), cut(one).replace(/…$/, '...')]) {
      const p = runCli(['peek', id, '--json', '--max-bytes', '1']);
      assert.equal(p.code, 0, `peek ${id}: ${p.stderr}`);
      assert.equal((JSON.parse(p.stdout) as { total: number | null }).total, 4096, `${id} reached its object`);
    }
    const r = runCli(['peek', cut(twins[0])]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^ipc-inspector peek: ENOTUNIQ: /);
    for (const name of twins) assert.ok(r.stderr.includes(`posix-shm:bytes/${hex(name)}`), `${name} in ${r.stderr}`);
  });
});
