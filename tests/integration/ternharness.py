"""ternharness: shared helpers for tern's integration tests.

Each test script builds a throw-away installation in a fresh temp directory
(tern.conf, passwd, aliases, alias_domains), runs $TERN_BIN/master on it in
the foreground, talks to authd's three sockets with the small clients below,
and always stops master and removes the directory at the end (kept when
TERN_KEEP=1). Standard library only. Output: one line per check
("ok   ...", "FAIL ...", "skip ..."), then "N passed, N failed".
"""
import base64
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("TERN_SRC") or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("TERN_BIN") or os.path.join(SRC, "build", "bin")
IS_ROOT = os.geteuid() == 0
AUTH_USER = "tern-auth"
MAIL_USER = "vmail"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "AddressSanitizer:DEADLYSIGNAL", "ERROR: UndefinedBehaviorSanitizer")

# Passwords of the standard users (plain text, for the tests).
PASSWORDS = {
    "demo@example.test": "demo",
    "crypt@example.test": "secret",
    "bare@example.test": "barepw",
    "argon@example.test": "argonpw",
    "other@other.test": "x",
    "self@example.test": "selfpw",
}

ALIASES = """\
# virtual_alias_maps (texthash)
info@example.test demo@example.test, other@other.test
@other.test demo@example.test
loop1@example.test loop2@example.test
loop2@example.test loop1@example.test
self@example.test self@example.test, demo@example.test
dup@example.test demo@example.test, info@example.test, DEMO@example.test
chain1@example.test chain2@example.test
chain2@example.test crypt@example.test, external@elsewhere.test
Mixed@Example.TEST crypt@example.test
"""

ALIAS_DOMAINS = """\
# alias_domain_maps (texthash)
alias.test example.test
"""


# ---------------------------------------------------------------- checks

class Checker:
    """Counts checks, prints one line each, exits with the summary."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   %s" % name, flush=True)
        else:
            self.failed += 1
            msg = "FAIL %s" % name
            if detail:
                msg += ": " + str(detail)
            print(msg, flush=True)
        return bool(cond)

    def eq(self, name, got, want):
        return self.ok(name, got == want, "expected %r, got %r" % (want, got))

    def skip(self, name, why):
        self.skipped += 1
        print("skip %s: %s" % (name, why), flush=True)

    def run(self, fn, *args):
        """Run one test function; an exception counts as a failure."""
        print("# %s" % fn.__name__, flush=True)
        try:
            fn(*args)
        except Exception:
            self.ok("%s completed without exception" % fn.__name__, False,
                    "\n" + traceback.format_exc())

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        sys.exit(0 if self.failed == 0 and self.passed > 0 else 1)


def wait_until(pred, timeout=5.0, step=0.05):
    """Poll pred() until it returns a true value or timeout; return the value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


# ---------------------------------------------------------------- system

def ensure_system_user(name):
    """Root only: make sure a system user (and its group) exists."""
    if subprocess.run(["getent", "passwd", name], stdout=subprocess.DEVNULL).returncode == 0:
        return
    r = subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                        "/usr/sbin/nologin", name], capture_output=True, text=True)
    # 9 = already exists (another test script raced us)
    if r.returncode not in (0, 9):
        raise RuntimeError("useradd %s failed: %s" % (name, r.stderr.strip()))


def proc_status(pid):
    """/proc/PID/status as a dict, or None when the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            out = {}
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
            return out
    except (FileNotFoundError, ProcessLookupError):
        return None


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return None


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children_of(pid):
    kids = []
    for p in all_pids():
        st = proc_status(p)
        if st and st.get("PPid") == str(pid):
            kids.append(p)
    return kids


def pids_with_cmdline(substr, exclude_zombies=True):
    out = []
    for p in all_pids():
        if p == os.getpid():
            continue
        c = proc_cmdline(p)
        if c and substr in c:
            st = proc_status(p)
            if exclude_zombies and st and st.get("State", "").startswith("Z"):
                continue
            out.append(p)
    return out


def pid_alive(pid):
    st = proc_status(pid)
    return st is not None and not st.get("State", "").startswith("Z")


def openssl_sha512(password):
    r = subprocess.run(["openssl", "passwd", "-6", password], capture_output=True,
                       text=True, check=True)
    return r.stdout.strip()


# ---------------------------------------------------------------- sockets

def unix_connect(path, timeout=5.0):
    """Connect to a unix stream socket; a full listen backlog (EAGAIN, as a
    socket with a timeout is non-blocking) is retried until timeout, like a
    blocking connect would wait."""
    end = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() >= end:
                raise
            time.sleep(0.005)
        except OSError:
            s.close()
            raise


class LineSock:
    """A unix stream socket read line by line (\\n-terminated)."""

    def __init__(self, path, timeout=5.0):
        self.path = path
        self.s = unix_connect(path, timeout)
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def send_line(self, line):
        self.send(line + "\n")

    def _fill(self, timeout):
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            d = b""
        if not d:
            self.eof = True
        self.buf += d

    def readline(self, timeout=5.0):
        """Next line without its \\n; None at EOF; raises socket.timeout."""
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof:
                return None
            left = end - time.monotonic()
            if left <= 0:
                raise socket.timeout("no line within %.1fs" % timeout)
            self._fill(left)
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode("utf-8", "replace")

    def closed_by_peer(self, timeout=5.0):
        """True when the server closes the connection within timeout
        (whatever it sends first is discarded)."""
        end = time.monotonic() + timeout
        while not self.eof:
            left = end - time.monotonic()
            if left <= 0:
                return False
            try:
                self._fill(left)
            except socket.timeout:
                return False
            except OSError:
                return True
        return True

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


class Reply:
    """One tab-separated reply: cmd, id, key=value fields, bare flags."""

    def __init__(self, line, elapsed=0.0):
        self.line = line
        self.elapsed = elapsed
        parts = line.split("\t") if line is not None else []
        self.cmd = parts[0] if parts else None
        self.id = parts[1] if len(parts) > 1 else None
        self.args = parts[2:]
        self.fields = {}
        self.flags = set()
        for a in self.args:
            if "=" in a:
                k, _, v = a.partition("=")
                self.fields[k] = v
            elif a:
                self.flags.add(a)

    @property
    def data(self):
        """The base64 challenge of a CONT reply (may be empty)."""
        return self.args[0] if self.args else ""

    def __repr__(self):
        return "Reply(%r, %.3fs)" % (self.line, self.elapsed)


def b64(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.b64encode(s).decode()


def plain_resp(user, password, authzid=""):
    return b64(authzid.encode() + b"\0" + user.encode() + b"\0" + password.encode())


class AuthClient(LineSock):
    """Client side of the Dovecot auth (SASL) protocol on the client socket."""

    def __init__(self, path, handshake=True, timeout=5.0):
        super().__init__(path, timeout)
        self.handshake_lines = []
        self.spid = None
        self.cookie = None
        self.mechs = []
        self.server_version = None
        self.pending = {}
        self.next_id = 1
        if handshake:
            self.send("VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
            self.read_handshake()

    def read_handshake(self, timeout=5.0):
        while True:
            line = self.readline(timeout)
            if line is None:
                raise ConnectionError("auth server closed during handshake: %r"
                                      % self.handshake_lines)
            self.handshake_lines.append(line)
            p = line.split("\t")
            if p[0] == "VERSION":
                self.server_version = p[1:]
            elif p[0] == "SPID":
                self.spid = int(p[1])
            elif p[0] == "COOKIE":
                self.cookie = p[1]
            elif p[0] == "MECH":
                self.mechs.append(p[1])
            elif p[0] == "DONE":
                return self.handshake_lines

    def new_id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def read_reply(self, rid, timeout=5.0):
        """The next reply for request id rid (others are kept for later)."""
        rid = str(rid)
        end = time.monotonic() + timeout
        while not self.pending.get(rid):
            line = self.readline(max(0.0, end - time.monotonic()))
            if line is None:
                return Reply(None)
            r = Reply(line)
            self.pending.setdefault(r.id, []).append(r)
        return self.pending[rid].pop(0)

    def request(self, line, rid, timeout=5.0):
        t0 = time.monotonic()
        self.send_line(line)
        r = self.read_reply(rid, timeout)
        r.elapsed = time.monotonic() - t0
        return r

    def auth_line(self, rid, mech, resp=None, service="smtp", rip="127.0.0.9",
                  lip="127.0.0.1", extra=()):
        f = ["AUTH", str(rid), mech, "service=" + service]
        if lip:
            f.append("lip=" + lip)
        if rip:
            f.append("rip=" + rip)
        f.extend(extra)
        if resp is not None:
            f.append("resp=" + resp)
        return "\t".join(f)

    def auth_plain(self, user, password, rid=None, authzid="", **kw):
        rid = self.new_id() if rid is None else rid
        timeout = kw.pop("timeout", 10.0)
        line = self.auth_line(rid, "PLAIN", plain_resp(user, password, authzid), **kw)
        return self.request(line, rid, timeout)

    def auth_login(self, user, password, rid=None, **kw):
        """LOGIN mechanism; returns (list of CONT replies, final reply)."""
        rid = self.new_id() if rid is None else rid
        conts = []
        t0 = time.monotonic()
        r = self.request(self.auth_line(rid, "LOGIN", None, **kw), rid)
        for answer in (user, password):
            if r.cmd != "CONT":
                return conts, r
            conts.append(r)
            r = self.request("CONT\t%s\t%s" % (rid, b64(answer)), rid, 10.0)
        r.elapsed = time.monotonic() - t0
        return conts, r


class UserdbClient(LineSock):
    """Client side of the Dovecot auth-master protocol (userdb socket)."""

    def __init__(self, path, handshake=True, timeout=5.0):
        super().__init__(path, timeout)
        self.spid = None
        self.handshake_lines = []
        self.pending = {}
        if handshake:
            self.send("VERSION\t1\t1\n")
            for _ in range(2):
                line = self.readline(timeout)
                if line is None:
                    raise ConnectionError("userdb closed during handshake")
                self.handshake_lines.append(line)
                p = line.split("\t")
                if p[0] == "SPID":
                    self.spid = int(p[1])

    def read_reply(self, rid, timeout=5.0):
        rid = str(rid)
        end = time.monotonic() + timeout
        while not self.pending.get(rid):
            line = self.readline(max(0.0, end - time.monotonic()))
            if line is None:
                return Reply(None)
            r = Reply(line)
            self.pending.setdefault(r.id, []).append(r)
        return self.pending[rid].pop(0)

    def user(self, rid, user, service="lmtp"):
        self.send_line("USER\t%s\t%s\tservice=%s" % (rid, user, service))
        return self.read_reply(rid)

    def passdb(self, rid, user, service="smtp"):
        self.send_line("PASS\t%s\t%s\tservice=%s" % (rid, user, service))
        return self.read_reply(rid)

    def list_users(self, rid, timeout=5.0):
        """Users of a LIST, and the final reply (DONE, or what came instead)."""
        self.send_line("LIST\t%s" % rid)
        users = []
        while True:
            r = self.read_reply(rid, timeout)
            if r.cmd == "LIST":
                users.append(r.args[0] if r.args else "")
            else:
                return users, r


def netstring(data):
    if isinstance(data, str):
        data = data.encode()
    return str(len(data)).encode() + b":" + data + b","


class SocketmapClient:
    """Postfix socketmap client: netstring requests and replies."""

    def __init__(self, path, timeout=5.0):
        self.s = unix_connect(path, timeout)
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def _need(self, n, end):
        while len(self.buf) < n:
            if self.eof:
                return False
            left = end - time.monotonic()
            if left <= 0:
                raise socket.timeout("socketmap reply timed out")
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                d = b""
            if not d:
                self.eof = True
            self.buf += d
        return True

    def read_reply(self, timeout=5.0):
        """The next netstring payload as str; None at EOF; ValueError if the
        reply is not a valid netstring."""
        end = time.monotonic() + timeout
        i = 0
        while True:
            if not self._need(i + 1, end):
                return None
            c = self.buf[i:i + 1]
            if c == b":":
                break
            if not c.isdigit() or i > 9:
                raise ValueError("bad netstring reply %r" % self.buf[:40])
            i += 1
        if i == 0:
            raise ValueError("bad netstring reply %r" % self.buf[:40])
        n = int(self.buf[:i])
        if not self._need(i + 1 + n + 1, end):
            raise ValueError("truncated netstring reply %r" % self.buf[:80])
        payload = self.buf[i + 1:i + 1 + n]
        if self.buf[i + 1 + n:i + 2 + n] != b",":
            raise ValueError("netstring reply without comma %r" % self.buf[:80])
        self.buf = self.buf[i + 2 + n:]
        return payload.decode("utf-8", "replace")

    def query(self, name, key, timeout=5.0):
        self.send(netstring("%s %s" % (name, key)))
        return self.read_reply(timeout)

    def closed_by_peer(self, timeout=5.0):
        end = time.monotonic() + timeout
        while not self.eof:
            left = end - time.monotonic()
            if left <= 0:
                return False
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return False
            except OSError:
                return True
            if not d:
                self.eof = True
            self.buf += d
        return True

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def socketmap(path, name, key, timeout=5.0):
    """One socketmap query on a fresh connection -> reply payload."""
    c = SocketmapClient(path, timeout)
    try:
        return c.query(name, key, timeout)
    finally:
        c.close()


def split_targets(reply):
    """'OK a@b,c@d' -> ['a@b', 'c@d'] (lowercased, spaces ignored)."""
    if reply is None or not reply.startswith("OK "):
        return None
    return [x.strip().lower() for x in reply[3:].split(",") if x.strip()]


# ---------------------------------------------------------------- the installation

class Tern:
    """One temporary installation and its running master."""

    def __init__(self, t, name="tern", settings=None, authd_extra=(), extra_users=(),
                 argon=True, extra_aliases=""):
        self.t = t
        self.failed_at_start = t.failed
        self.dir = tempfile.mkdtemp(prefix="tern-it-%s-" % name)
        os.chmod(self.dir, 0o755)
        self.conf_path = os.path.join(self.dir, "tern.conf")
        self.run_dir = os.path.join(self.dir, "run")
        self.spool_dir = os.path.join(self.dir, "spool")
        self.log_path = os.path.join(self.dir, "tern.log")
        self.passwd_path = os.path.join(self.dir, "passwd")
        self.client_sock = os.path.join(self.run_dir, "auth-client")
        self.userdb_sock = os.path.join(self.run_dir, "auth-userdb")
        self.socketmap_sock = os.path.join(self.run_dir, "auth-socketmap")
        self.ctl_sock = os.path.join(self.run_dir, "master.ctl")
        self.proc = None
        self.out_path = os.path.join(self.dir, "master.out")
        self.err_path = os.path.join(self.dir, "master.err")
        self.settings = dict(settings or {})
        self.authd_extra = list(authd_extra)
        self.passwords = dict(PASSWORDS)
        self.argon_hash = None
        self.argon = argon
        self.extra_users = list(extra_users)
        self.extra_aliases = extra_aliases
        if IS_ROOT:
            ensure_system_user(AUTH_USER)
            ensure_system_user(MAIL_USER)
        self.write_data()
        self.write_conf()

    # -- files

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def write_file(self, name, text, mode=0o644):
        p = name if os.path.isabs(name) else self.path(name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def passwd_lines(self):
        lines = [
            "# users (Dovecot passwd-file)",
            "demo@example.test:{PLAIN}demo::::::userdb_quota_rule=*:storage=1G",
            "crypt@example.test:{SHA512-CRYPT}%s" % openssl_sha512("secret"),
            "bare@example.test:%s" % openssl_sha512("barepw"),
            "other@other.test:{PLAIN}x:1234:1234::/srv/other::userdb_mail=maildir:/srv/other/Maildir",
            "self@example.test:{PLAIN}selfpw",
        ]
        if self.argon:
            self.argon_hash = self.make_argon("argonpw")
            if self.argon_hash:
                lines.append("argon@example.test:%s" % self.argon_hash)
        lines.extend(self.extra_users)
        return lines

    def make_argon(self, password):
        try:
            r = subprocess.run([os.path.join(BIN, "ternctl"), "pw", "-s", "ARGON2ID",
                                "-p", password], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            print("# ternctl pw failed: %s" % e, flush=True)
            return None
        h = r.stdout.strip()
        if r.returncode != 0 or not h.startswith("{ARGON2ID}"):
            print("# ternctl pw -s ARGON2ID gave rc=%d out=%r err=%r"
                  % (r.returncode, r.stdout, r.stderr), flush=True)
            return None
        return h

    def write_data(self):
        self.write_file("passwd", "\n".join(self.passwd_lines()) + "\n")
        self.write_file("aliases", ALIASES + self.extra_aliases)
        self.write_file("alias_domains", ALIAS_DOMAINS)

    def add_user(self, line):
        with open(self.passwd_path, "a") as f:
            f.write(line + "\n")

    def conf_text(self, settings=None, authd_extra=None, tail=""):
        d = self.dir
        s = {
            "run_directory": d + "/run",
            "spool_directory": d + "/spool",
            "daemon_directory": BIN,
            "log_path": d + "/tern.log",
            "log_level": "debug",
            "passwd_file": d + "/passwd",
            "virtual_mailbox_domains": "example.test, other.test",
            "virtual_alias_maps": "texthash:%s/aliases" % d,
            "alias_domain_maps": "texthash:%s/alias_domains" % d,
            "mail_home": d + "/mail/%d/%n",
            "auth_failure_delay": "300ms",
            "restart_delay": "200ms",
            "shutdown_timeout": "5s",
        }
        if not IS_ROOT:
            s["mail_uid"] = str(os.getuid())
            s["mail_gid"] = str(os.getgid())
        s.update(self.settings if settings is None else settings)
        lines = ["# generated by tests/integration/ternharness.py"]
        lines += ["%s = %s" % (k, v) for k, v in s.items() if v is not None]
        lines.append("service authd {")
        if IS_ROOT:
            lines.append("    user = %s" % AUTH_USER)
        lines += [
            "    listen = client unix:auth-client mode=0666",
            "    listen = userdb unix:auth-userdb mode=0600",
            "    listen = socketmap unix:auth-socketmap mode=0666",
        ]
        lines += ["    " + x for x in (self.authd_extra if authd_extra is None else authd_extra)]
        lines.append("}")
        return "\n".join(lines) + "\n" + tail

    def write_conf(self, **kw):
        self.write_file(self.conf_path, self.conf_text(**kw))

    # -- master

    def start(self, wait=True):
        exe = os.path.join(BIN, "master")
        if not os.access(exe, os.X_OK):
            self.t.ok("master binary exists", False, exe)
            return False
        for f in ("out_f", "err_f"):
            if hasattr(self, f):
                getattr(self, f).close()
        self.out_f = open(self.out_path, "ab")
        self.err_f = open(self.err_path, "ab")
        self.proc = subprocess.Popen([exe, "-c", self.conf_path], stdin=subprocess.DEVNULL,
                                     stdout=self.out_f, stderr=self.err_f)
        if not wait:
            return True
        ok = self.wait_ready(10.0)
        self.t.ok("master started and authd sockets accept connections", ok,
                  "not ready after 10s (master exit=%r)" % (self.proc.poll(),))
        return ok

    def sockets_ready(self):
        for p in (self.client_sock, self.userdb_sock, self.socketmap_sock):
            if not os.path.exists(p):
                return False
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(1.0)
            try:
                s.connect(p)
            except OSError:
                return False
            finally:
                s.close()
        return True

    def wait_ready(self, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            if self.sockets_ready():
                # a full handshake proves authd itself (not only master) is up
                try:
                    AuthClient(self.client_sock, timeout=2.0).close()
                    return True
                except (OSError, ConnectionError):
                    pass
            time.sleep(0.05)
        return False

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10.0):
        """SIGTERM, then SIGKILL after timeout. Returns (exit code, seconds)."""
        if not self.proc or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None), 0.0
        t0 = time.monotonic()
        try:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
            print("# master did not exit within %.0fs of SIGTERM; killed" % timeout,
                  flush=True)
        return rc, time.monotonic() - t0

    def kill_leftovers(self):
        """Kill (by pid) processes of this installation still alive, e.g.
        daemons master failed to stop. Returns their pids."""
        left = pids_with_cmdline(self.dir)
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left

    # -- observing

    def ternctl(self, *args, timeout=20.0):
        exe = os.path.join(BIN, "ternctl")
        try:
            return subprocess.run([exe, "-c", self.conf_path] + list(args),
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(e.cmd, -999, e.stdout or "",
                                               "timeout after %.0fs" % timeout)

    def status(self):
        """ternctl status -> {service: {pid, uptime, restarts, state}}."""
        r = self.ternctl("status")
        out = {}
        for line in r.stdout.splitlines():
            p = line.split()
            if not p:
                continue
            d = {}
            for kv in p[1:]:
                k, _, v = kv.partition("=")
                d[k] = v
            if "pid" in d:
                try:
                    d["pid"] = int(d["pid"])
                except ValueError:
                    pass
            if "restarts" in d:
                try:
                    d["restarts"] = int(d["restarts"])
                except ValueError:
                    pass
            out[p[0]] = d
        return out

    def authd_pid(self):
        """authd's pid: from ternctl status, else from master's children."""
        st = self.status().get("authd", {})
        if isinstance(st.get("pid"), int) and st["pid"] > 0:
            return st["pid"]
        return self.authd_pid_proc()

    def authd_pid_proc(self):
        if not self.proc:
            return None
        for p in children_of(self.proc.pid):
            c = proc_cmdline(p) or ""
            if "authd" in c and pid_alive(p):
                return p
        return None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log_path)
        except OSError:
            return 0

    def wait_log(self, regex, timeout=3.0, since=0):
        """First log line (after byte offset since) matching regex, or None."""
        rx = re.compile(regex)

        def find():
            for line in self.log_text()[since:].splitlines():
                if rx.search(line):
                    return line
            return None
        return wait_until(find, timeout)

    def read_file(self, p):
        try:
            with open(p, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sanitizer_reports(self):
        hits = []
        for p in (self.out_path, self.err_path, self.log_path):
            for line in self.read_file(p).splitlines():
                if any(m in line for m in SANITIZER_MARKS):
                    hits.append("%s: %s" % (os.path.basename(p), line.strip()))
        return hits

    def dump(self, lines=120):
        for p in (self.log_path, self.err_path, self.out_path):
            text = self.read_file(p).splitlines()
            print("# ---- %s (last %d of %d lines)" % (p, min(lines, len(text)), len(text)))
            for line in text[-lines:]:
                print("# | " + line)
        sys.stdout.flush()

    def cleanup(self):
        """Stop master, check for leftovers and sanitizer reports, dump the
        logs if any check failed, remove the directory."""
        if self.proc and self.proc.poll() is None:
            # let authd see the close of the tests' last connections first:
            # open connections at SIGTERM are tested on purpose in test_master
            time.sleep(0.3)
            self.stop()
        left = self.kill_leftovers()
        self.t.ok("no process of the installation left at the end", not left,
                  "killed leftovers: %s" % left)
        for f in ("out_f", "err_f"):
            if hasattr(self, f):
                getattr(self, f).close()
        san = self.sanitizer_reports()
        self.t.ok("no sanitizer report in logs", not san, "\n".join(san[:20]))
        if self.t.failed > self.failed_at_start:
            self.dump()
        if os.environ.get("TERN_KEEP") == "1":
            print("# kept %s" % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            self.t.ok("test body completed", False,
                      "".join(traceback.format_exception(*exc)))
        self.cleanup()
        return True


def main_with(name, tests, **tern_kw):
    """Common main: start one installation, run the test functions against it,
    clean up, print the summary and exit."""
    t = Checker(name)
    with Tern(t, name=name, **tern_kw) as tern:
        if tern.start():
            for fn in tests:
                t.run(fn, t, tern)
    t.finish()
