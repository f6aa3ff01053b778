#!/usr/bin/env python3
"""Demo roles Node cannot play: Unix datagram sockets, SIG_IGN / blocked-and-pending signals,
and traffic on the SysV and POSIX message queues that the fixtures created (via ctypes).
Started by demo/main.ts as `python3 roles.py ROLE ARGS...`; every role exits when its stdin
closes (the demo's main process is gone), so nothing outlives the demo."""
import ctypes
import ctypes.util
import os
import signal
import socket
import sys
import threading
import time

libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def set_name(name):
    libc.prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)  # PR_SET_NAME


def die_with_parent():
    def watch():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def log(msg):
    sys.stderr.write("[demo %s] %s\n" % (ROLE, msg))
    sys.stderr.flush()


def logger(path):
    """Unix datagram log collector (SOCK_DGRAM: each send is one record)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    while True:
        s.recv(4096)
        time.sleep(0.2)  # a slow consumer: records queue up in the receive buffer


def log_client(path, who):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    for _ in range(50):
        try:
            s.connect(path)
            break
        except OSError:
            time.sleep(0.1)
    n = 0
    while True:
        n += 1
        try:
            s.send(("%s: request %d handled\n" % (who, n)).encode())
        except OSError:
            pass
        time.sleep(0.5)


def ignore_term():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        time.sleep(3600)


def catch_usr1(record):
    def on_usr1(signo, frame):
        with open(record, "a") as f:
            f.write("%s got SIGUSR1\n" % time.strftime("%H:%M:%S"))
        log("caught SIGUSR1 (logged to %s)" % record)
    signal.signal(signal.SIGUSR1, on_usr1)
    while True:
        time.sleep(3600)


def blocked_pending():
    # SIGUSR2 was blocked before any thread started (see __main__), so no thread can take it.
    os.kill(os.getpid(), signal.SIGUSR2)  # stays pending: blocked, never delivered
    while True:
        time.sleep(3600)


class MsgBuf(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 256)]


IPC_NOWAIT = 0o4000


def web(msqid, mq_name, mq_interval):
    """The web front end: a job per second on the SysV queue, a slower stream of notifications
    on the POSIX queue that nobody reads, so it slowly fills up."""
    msqid = int(msqid)
    rt = libc
    try:
        rt.mq_open
    except AttributeError:
        rt = ctypes.CDLL("librt.so.1", use_errno=True)
    rt.mq_open.restype = ctypes.c_int
    mqd = rt.mq_open(("/" + mq_name.lstrip("/")).encode(), os.O_WRONLY | os.O_NONBLOCK)
    if mqd < 0:
        log("mq_open failed: errno %d" % ctypes.get_errno())
    n = 0
    last_mq = 0.0
    while True:
        n += 1
        body = ("job %d: resize /uploads/img-%04d.jpg" % (n, n)).encode()
        buf = MsgBuf(1, body)
        libc.msgsnd(msqid, ctypes.byref(buf), len(body), IPC_NOWAIT)
        if mqd >= 0 and time.time() - last_mq >= float(mq_interval):
            last_mq = time.time()
            note = ("notify user %d: thumbnail ready" % n).encode()
            rt.mq_send(mqd, note, len(note), 0)
        time.sleep(1)


def queue_worker(msqid):
    """Drains the SysV job queue, a little slower than the web process fills it at peak."""
    msqid = int(msqid)
    buf = MsgBuf()
    while True:
        libc.msgrcv(msqid, ctypes.byref(buf), 256, 0, 0)
        time.sleep(1.2)


def stalled_reader():
    """Rule 1 (blocked writer): a producer child writes 4 KiB records into a pipe that this
    process reads — but this process stops itself (SIGSTOP), so the pipe fills and the producer
    sleeps in write(). SIGCONT (offered by the Problems view) lets it drain, and the problem goes."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG: ends with the reader
        set_name("ipc-demo-produc")
        record = b"r" * 4096
        try:
            while True:
                os.write(w, record)  # blocks while the pipe is full
                time.sleep(0.05)
        except OSError:
            os._exit(0)
    os.close(w)
    log("producer %d writes to a pipe this process (%d) reads; stopping myself: SIGCONT resumes the reader" % (pid, os.getpid()))
    os.kill(os.getpid(), signal.SIGSTOP)
    while True:
        if not os.read(r, 65536):
            os._exit(0)


def no_reader():
    """Rule 2 (nobody at the other end): holds only the write end of a pipe whose read end is
    closed; every write fails with EPIPE (Python ignores SIGPIPE, so it only sees the error)."""
    r, w = os.pipe()
    os.close(r)
    told = False
    while True:
        try:
            os.write(w, b"tick\n")
        except BrokenPipeError:
            if not told:
                log("write to a pipe with no reader: EPIPE (and again every 5 s)")
                told = True
        time.sleep(5)


def stale_socket(path):
    """Rule 3 (stale socket path): binds a Unix socket and exits without unlinking it, as a
    crashed server does: the file stays, and a connect() to it gets ECONNREFUSED."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os._exit(0)


def mq_unlink(name):
    rt = libc
    try:
        rt.mq_unlink
    except AttributeError:
        rt = ctypes.CDLL("librt.so.1", use_errno=True)
    rt.mq_unlink(("/" + name.lstrip("/")).encode())
    os._exit(0)


ROLE = sys.argv[1] if len(sys.argv) > 1 else ""
ROLES = {
    "logger": logger,
    "log-client": log_client,
    "ignore-term": ignore_term,
    "catch-usr1": catch_usr1,
    "blocked-pending": blocked_pending,
    "web": web,
    "queue-worker": queue_worker,
    "mq-unlink": mq_unlink,
    "stalled-reader": stalled_reader,
    "no-reader": no_reader,
    "stale-socket": stale_socket,
}

if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: end quietly, the demo cleans up
    if ROLE not in ROLES:
        sys.exit("usage: roles.py {%s} ARGS..." % "|".join(ROLES))
    if ROLE == "mq-unlink":
        mq_unlink(*sys.argv[2:])
    if ROLE == "stale-socket":
        stale_socket(*sys.argv[2:])
    if ROLE == "blocked-pending":
        signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])  # before any thread exists
    set_name(os.environ.get("DEMO_NAME", "ipc-demo-" + ROLE))
    die_with_parent()
    ROLES[ROLE](*sys.argv[2:])
