// Signal names and numbers as kill -l gives them (real-time offsets, glibc's reserved 32/33), and the
// decoding of /proc/PID/status signal masks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SIGNALS, decodeSigMask, signalName, signalNumber } from '../../src/core/signals';

test('signalNumber accepts names, short names, numbers and real-time offsets', () => {
  assert.equal(signalNumber('SIGTERM'), 15);
  assert.equal(signalNumber('TERM'), 15);
  assert.equal(signalNumber('term'), 15);
  assert.equal(signalNumber('15'), 15);
  assert.equal(signalNumber(9), 9);
  assert.equal(signalNumber('SIGRTMIN'), 34);
  assert.equal(signalNumber('SIGRTMIN+3'), 37);
  assert.equal(signalNumber('RTMIN+3'), 37);
  assert.equal(signalNumber('SIGRTMAX-1'), 63);
  assert.equal(signalNumber('RTMAX'), 64);
  assert.equal(signalNumber('SIG32'), 32);
  assert.equal(signalNumber('SIGIOT'), 6);
  assert.equal(signalNumber('SIGPOLL'), 29);
  assert.equal(signalNumber('SIGRTMIN+31'), undefined);
  assert.equal(signalNumber('SIGRTMAX+1'), undefined);
  assert.equal(signalNumber('0'), undefined);
  assert.equal(signalNumber('65'), undefined);
  assert.equal(signalNumber('NOPE'), undefined);
  assert.equal(signalNumber(''), undefined);
  assert.equal(signalNumber(1.5), undefined);
});

test('signalName follows kill -l (SIGRTMIN = 34, glibc-reserved 32/33 as SIG32/SIG33)', () => {
  assert.equal(signalName(1), 'SIGHUP');
  assert.equal(signalName(31), 'SIGSYS');
  assert.equal(signalName(32), 'SIG32');
  assert.equal(signalName(33), 'SIG33');
  assert.equal(signalName(34), 'SIGRTMIN');
  assert.equal(signalName(35), 'SIGRTMIN+1');
  assert.equal(signalName(49), 'SIGRTMIN+15');
  assert.equal(signalName(50), 'SIGRTMAX-14');
  assert.equal(signalName(63), 'SIGRTMAX-1');
  assert.equal(signalName(64), 'SIGRTMAX');
  for (let n = 1; n <= 64; n++) assert.equal(signalNumber(signalName(n)), n, `round trip ${n}`);
});

test('SIGNALS table is complete and consistent', () => {
  assert.equal(SIGNALS.length, 64);
  const kill = SIGNALS.find((s) => s.name === 'SIGKILL')!;
  assert.equal(kill.catchable, false);
  assert.equal(SIGNALS.find((s) => s.name === 'SIGSTOP')!.action, 'stop');
  assert.equal(SIGNALS.find((s) => s.name === 'SIGCHLD')!.action, 'ignore');
  assert.equal(SIGNALS.find((s) => s.name === 'SIGCONT')!.action, 'continue');
  assert.equal(SIGNALS.find((s) => s.name === 'SIGSEGV')!.action, 'core');
  for (const s of SIGNALS) assert.ok(s.description.length > 0 && !s.description.includes('\n'));
});

test('decodeSigMask decodes status masks incl. real-time signals', () => {
  assert.deepEqual(decodeSigMask('0000000000000000'), []);
  assert.deepEqual(decodeSigMask('0000000000000400'), ['SIGSEGV']);
  assert.deepEqual(decodeSigMask('0000000000004002'), ['SIGINT', 'SIGTERM']);
  assert.deepEqual(decodeSigMask('0000000180000000'), ['SIG32', 'SIG33']);
  assert.deepEqual(decodeSigMask('0000000200000000'), ['SIGRTMIN']);
  assert.deepEqual(decodeSigMask('8000000000000000'), ['SIGRTMAX']);
  assert.deepEqual(decodeSigMask('4000000000000000'), ['SIGRTMAX-1']);
  assert.equal(decodeSigMask('fffffffe7ffbfeff').length, 64 - 4);
  assert.deepEqual(decodeSigMask('zz'), []);
  assert.deepEqual(decodeSigMask(''), []);
  assert.deepEqual(decodeSigMask(' 0000000000000001\n'), ['SIGHUP']);
});
