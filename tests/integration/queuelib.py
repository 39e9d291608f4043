"""queuelib: helpers for the queue's integration tests (test_queue_*.py):
a client of the submit protocol (lib/queue_proto.h, with the spool fd
received by SCM_RIGHTS), a fake LMTP server whose per-recipient replies a
test scripts, spool file parsing, and the tern.conf service block."""
import os
import socket
import threading
import time

import ternharness as h

QUEUE_USER = "tern"


def queue_block(extra=()):
    lines = ["service queue {",
             "    listen = submit unix:queue-submit mode=0666",
             "    listen = control unix:queue-control mode=0600"]
    lines += ["    " + x for x in extra]
    lines.append("}")
    return "\n".join(lines) + "\n"


def queue_settings(d, **kw):
    s = {"lmtp_destination": "unix:%s/lmtp.sock" % d,
         "minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
         "queue_run_delay": "1s", "myhostname": "mx.example.test"}
    s.update(kw)
    return s


def make_tern(t, name, **settings):
    if h.IS_ROOT:
        h.ensure_system_user(QUEUE_USER)
    tern = h.Tern(t, name=name)
    tern.settings.update(queue_settings(tern.dir, **settings))
    tern.write_conf(tail=queue_block())
    tern.submit_sock = os.path.join(tern.run_dir, "queue-submit")
    tern.lmtp_path = os.path.join(tern.dir, "lmtp.sock")
    return tern


def wait_queue(tern, timeout=10.0):
    def up():
        try:
            s = h.unix_connect(tern.submit_sock, 1.0)
            s.close()
            return True
        except OSError:
            return False
    return h.wait_until(up, timeout, 0.05)


# ---------------------------------------------------------------- submit

class Submit:
    """One source connection speaking lib/queue_proto.h."""

    def __init__(self, path, timeout=10.0):
        self.s = h.unix_connect(path, timeout)
        self.s.settimeout(timeout)
        self.buf = b""
        self.fds = []

    def _recv(self):
        data, fds, _, _ = socket.recv_fds(self.s, 65536, 4)
        self.fds.extend(fds)
        if not data and not fds:
            raise EOFError("queue closed the connection")
        self.buf += data

    def line(self):
        while b"\n" not in self.buf:
            self._recv()
        ln, _, self.buf = self.buf.partition(b"\n")
        return ln.decode()

    def send(self, *fields):
        self.s.sendall(("\t".join(fields) + "\n").encode())

    def begin(self, ip="192.0.2.7", helo="client.example", proto="ESMTP"):
        """-> (reply fields, fd or None)"""
        self.send("BEGIN", ip, helo, proto)
        r = self.line().split("\t")
        if r[0] != "OK":
            return r, None
        while not self.buf.startswith(b"F") or not self.fds:
            self._recv()
        self.buf = self.buf[1:]
        return r, self.fds.pop(0)

    def submit(self, sender, rcpts, data, mail_kv=(), rcpt_kv=None, size=None):
        """Whole transaction -> (COMMIT reply fields, queue id)."""
        r, fd = self.begin()
        if fd is None:
            return r, None
        qid = r[1]
        self.send("MAIL", sender, *mail_kv)
        for i, a in enumerate(rcpts):
            self.send("RCPT", a, *((rcpt_kv or {}).get(a, ())))
        if isinstance(data, str):
            data = data.encode()
        os.write(fd, data)
        os.close(fd)
        self.send("COMMIT", str(len(data) if size is None else size))
        return self.line().split("\t"), qid

    def close(self):
        self.s.close()


def message(subject="test", body="hello\r\n", extra=""):
    return ("Received: from client.example\r\nFrom: a@sender.test\r\nTo: x@example.test\r\n"
            "Subject: %s\r\n%s\r\n%s" % (subject, extra, body))


def submit(tern, sender, rcpts, data=None, **kw):
    c = Submit(tern.submit_sock)
    try:
        return c.submit(sender, rcpts, data if data is not None else message(), **kw)
    finally:
        c.close()


# ---------------------------------------------------------------- fake LMTP

class FakeLMTP:
    """A threaded LMTP server on a unix socket. replies maps a recipient
    address (lowercase) to a list of codes, one per attempt (the last one
    repeats), default 250. Deliveries are recorded."""

    def __init__(self, path, xternid=True):
        self.path = path
        self.replies = {}
        self.attempts = {}
        self.deliveries = []   # (sender, [(rcpt, params)], data, [codes])
        self.rcpt_log = []     # (rcpt, params, code) for every RCPT
        self.xternid = xternid
        self.lock = threading.Lock()
        self.stopping = False
        self.connections = 0
        self.seen_ids = {}     # XTERNID (without ;R) -> copies written
        self.dedup_hits = 0
        if os.path.exists(path):
            os.unlink(path)
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        os.chmod(path, 0o777)
        self.ls.listen(64)
        self.ls.settimeout(0.2)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def code_for(self, rcpt):
        with self.lock:
            n = self.attempts.get(rcpt, 0)
            self.attempts[rcpt] = n + 1
            seq = self.replies.get(rcpt.lower(), [250])
            return seq[min(n, len(seq) - 1)]

    def _serve(self):
        while not self.stopping:
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._session, args=(c,), daemon=True).start()

    def _session(self, c):
        f = c.makefile("rwb")
        try:
            self._talk(f)
        except (OSError, ValueError):
            pass
        finally:
            try:
                f.close()
                c.close()
            except OSError:
                pass

    def _talk(self, f):
        def say(s):
            f.write(s.encode() + b"\r\n")
            f.flush()
        say("220 fake LMTP")
        sender, rcpts, codes, dups = None, [], [], []
        while True:
            ln = f.readline()
            if not ln:
                return
            cmd = ln.decode().rstrip("\r\n")
            up = cmd.upper()
            if up.startswith("LHLO"):
                exts = ["PIPELINING", "ENHANCEDSTATUSCODES", "SIZE", "DSN", "8BITMIME"]
                if self.xternid:
                    exts.append("XTERNID")
                say("250-fake")
                for e in exts[:-1]:
                    say("250-" + e)
                say("250 " + exts[-1])
            elif up.startswith("MAIL FROM:"):
                sender, rcpts, codes, dups = cmd[10:], [], [], []
                say("250 2.1.0 ok")
            elif up.startswith("RCPT TO:"):
                rest = cmd[8:]
                addr, _, params = rest.partition(" ")
                addr = addr.strip("<>")
                code = self.code_for(addr)
                with self.lock:
                    self.rcpt_log.append((addr, params, code))
                    xid = params.partition("XTERNID=")[2].split(" ")[0]
                    dup = xid.endswith(";R") and xid[:-2] in self.seen_ids and code == 250
                if dup:  # like lmtpd: accepted, then 250 after DATA without a copy
                    dups.append(addr)
                    say("250 2.1.5 ok")
                    continue
                if code == 250:
                    rcpts.append((addr, params))
                    say("250 2.1.5 ok")
                elif code == 451:
                    say("451 4.2.0 <%s> try again later" % addr)
                else:
                    say("550 5.1.1 <%s> no such user" % addr)
            elif up == "DATA":
                if not rcpts and not dups:
                    say("503 5.5.1 no valid recipients")
                    continue
                say("354 go ahead")
                data = b""
                while True:
                    dl = f.readline()
                    if not dl:
                        return
                    if dl == b".\r\n":
                        break
                    if dl.startswith(b"."):
                        dl = dl[1:]
                    data += dl
                with self.lock:
                    self.dedup_hits += len(dups)
                    if rcpts:
                        self.deliveries.append((sender, list(rcpts), data))
                    for _, p in rcpts:
                        x = p.partition("XTERNID=")[2].split(" ")[0]
                        if x:
                            self.seen_ids[x[:-2] if x.endswith(";R") else x] = \
                                self.seen_ids.get(x[:-2] if x.endswith(";R") else x, 0) + 1
                for a, _ in rcpts:
                    say("250 2.0.0 <%s> delivered" % a)
                for a in dups:
                    say("250 2.0.0 <%s> already delivered" % a)
                sender, rcpts, dups = None, [], []
            elif up == "RSET":
                sender, rcpts = None, []
                say("250 2.0.0 ok")
            elif up == "QUIT":
                say("221 bye")
                return
            else:
                say("500 5.5.2 what")

    def delivered_to(self, addr):
        with self.lock:
            return [d for d in self.deliveries if any(a.lower() == addr.lower() for a, _ in d[1])]

    def stop(self):
        self.stopping = True
        try:
            self.ls.close()
        except OSError:
            pass
        self.thread.join(2)


# ---------------------------------------------------------------- spool

def spool_files(tern, sub="incoming"):
    p = os.path.join(tern.spool_dir, sub)
    try:
        return sorted(os.listdir(p))
    except OSError:
        return []


def read_trailer(path):
    """-> (data bytes, trailer records list, end fields) or None."""
    with open(path, "rb") as f:
        b = f.read()
    if not b.endswith(b"\n"):
        return None
    i = b.rfind(b"\n", 0, len(b) - 1)
    end = b[i + 1:-1].split(b"\t")
    if end[0] != b"end":
        return None
    dsize, tlen = int(end[1]), int(end[2])
    t = b[dsize:dsize + tlen]
    return b[:dsize], [x.split(b"\t") for x in t.split(b"\n") if x], end


def queue_pid(tern):
    st = tern.status().get("queue", {})
    return st.get("pid") if isinstance(st.get("pid"), int) else None


def wait_for(pred, timeout=10.0):
    return h.wait_until(pred, timeout, 0.05)


def now():
    return time.monotonic()
