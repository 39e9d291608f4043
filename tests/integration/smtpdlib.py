"""smtpdlib: helpers for smtpd's integration tests (test_smtpd_*.py): a fake
queue speaking lib/queue_proto.h on a unix socket (passing a spool file fd
with socket.send_fds, recording committed and aborted transactions, and
answering TEMP/PERM on demand), a raw SMTP client for byte-exact input, and
an installation with smtpd on a free TCP port."""
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import ternharness as h


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class FakeQueue:
    """Threaded submit server. mode: "ok", "temp" (COMMIT -> TEMP disk
    full), "begin_temp" (BEGIN -> TEMP), "perm" (COMMIT -> PERM)."""

    def __init__(self, path, spool):
        self.path, self.spool = path, spool
        self.mode = "ok"
        self.committed = []   # dicts: id, begin, mail, rcpts, data
        self.aborted = 0
        self.lock = threading.Lock()
        self.seq = 0
        self.stopping = False
        if os.path.exists(path):
            os.unlink(path)
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        os.chmod(path, 0o666)
        self.ls.listen(128)
        self.ls.settimeout(0.2)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.ls.close()

    def _serve(self):
        while not self.stopping:
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._session, args=(c,), daemon=True).start()

    def _session(self, c):
        buf, txn, fpath = b"", None, None
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                buf += d
                while b"\n" in buf:
                    ln, _, buf = buf.partition(b"\n")
                    f = ln.decode("utf-8", "replace").split("\t")
                    if f[0] == "BEGIN":
                        if self.mode == "begin_temp":
                            c.sendall(b"TEMP\tcannot create a spool file: No space left on device\n")
                            continue
                        with self.lock:
                            self.seq += 1
                            qid = "FQ%04d" % self.seq
                        fpath = os.path.join(self.spool, qid)
                        fd = os.open(fpath, os.O_RDWR | os.O_CREAT, 0o600)
                        txn = {"id": qid, "begin": f[1:], "mail": None, "rcpts": []}
                        c.sendall(("OK\t%s\n" % qid).encode())
                        socket.send_fds(c, [b"F"], [fd])
                        os.close(fd)
                    elif f[0] == "MAIL" and txn:
                        txn["mail"] = f[1:]
                    elif f[0] == "RCPT" and txn:
                        txn["rcpts"].append(f[1:])
                    elif f[0] == "COMMIT" and txn:
                        with open(fpath, "rb") as fh:
                            txn["data"] = fh.read()
                        if self.mode == "temp":
                            c.sendall(b"TEMP\tNo space left on device\n")
                        elif self.mode == "perm":
                            c.sendall(b"PERM\tbad message\n")
                        elif int(f[1]) != len(txn["data"]):
                            c.sendall(b"PERM\tsize mismatch\n")
                        else:
                            with self.lock:
                                self.committed.append(txn)
                            c.sendall(("OK\t%s\n" % txn["id"]).encode())
                        txn = None
                    elif f[0] == "ABORT":
                        with self.lock:
                            self.aborted += 1
                        txn = None
        except OSError:
            pass
        finally:
            if txn is not None:
                with self.lock:
                    self.aborted += 1
            c.close()


class Raw:
    """A byte-exact SMTP client: send bytes, read complete replies."""

    def __init__(self, port, timeout=10.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout)
        self.buf = b""
        self.timeout = timeout

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def _fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("closed")
        self.buf += d

    def reply(self):
        """-> (code, text of all lines); (None, '') at EOF."""
        lines = []
        try:
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                ln, _, self.buf = self.buf.partition(b"\r\n")
                lines.append(ln.decode("utf-8", "replace"))
                if len(ln) < 4 or ln[3:4] != b"-":
                    return int(ln[:3]), "\n".join(lines)
        except (EOFError, OSError, ValueError):
            return None, "\n".join(lines)

    def codes(self, n):
        return [self.reply()[0] for _ in range(n)]

    def closed(self, timeout=5.0):
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except socket.timeout:
            return False
        except OSError:
            return True

    def starttls(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.s = ctx.wrap_socket(self.s, server_hostname="mx.example.test")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                    "/CN=mx.example.test", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def make_tern(t, name, authd=True, **settings):
    """An installation with smtpd on a free port and a FakeQueue."""
    if h.IS_ROOT:
        h.ensure_system_user("tern")
    tern = h.Tern(t, name=name)
    tern.port = free_port()
    tern.fq_path = os.path.join(tern.dir, "fake-queue.sock")
    os.makedirs(tern.path("fq-spool"), exist_ok=True)
    cert, key = make_cert(tern.dir)
    s = {"myhostname": "mx.example.test", "tls_cert_file": cert, "tls_key_file": key}
    s.update(settings)
    tern.settings.update(s)
    tail = ("service smtpd {\n    listen = smtp inet:127.0.0.1:%d\n}\n"
            "service queue {\n    enabled = no\n    listen = submit unix:%s\n}\n"
            % (tern.port, tern.fq_path))
    tern.write_conf(tail=tail, authd_extra=None if authd else ["enabled = no"])
    tern.fq = FakeQueue(tern.fq_path, tern.path("fq-spool"))
    return tern


def wait_smtpd(tern, timeout=10.0):
    def up():
        try:
            c = socket.create_connection(("127.0.0.1", tern.port), 1.0)
            c.close()
            return True
        except OSError:
            return False
    return h.wait_until(up, timeout, 0.05)
