"""lmtptest: helpers for the lmtpd integration tests (test_lmtpd_*.py).

LmtpTern is a ternharness installation that also runs lmtpd (listener
"lmtp" at run/lmtp) as the mail user, with a mail directory the mail user
owns and authd's userdb socket open to it. LmtpClient speaks LMTP on the
UNIX socket and returns every reply (one per recipient after DATA), which
smtplib.LMTP does not. Standard library only.
"""
import os
import pwd
import re
import subprocess

import ternharness as h

LMTPD_BLOCK = """service lmtpd {
    listen = lmtp unix:lmtp mode=0666
}
"""

# A Maildir file name as lmtpd writes it: base, then ,S= and ,W=.
NAME_RE = re.compile(r"^(?P<base>[^,:]+),S=(?P<s>\d+),W=(?P<w>\d+)(?P<info>:2,.*)?$")


class LmtpTern(h.Tern):
    """An installation with lmtpd; the mail user may use authd's userdb."""

    def __init__(self, t, **kw):
        super().__init__(t, **kw)
        self.lmtp_sock = os.path.join(self.run_dir, "lmtp")
        self.mail_dir = self.path("mail")
        os.makedirs(self.mail_dir, exist_ok=True)
        if h.IS_ROOT:
            pw = pwd.getpwnam(h.MAIL_USER)
            os.chown(self.mail_dir, pw.pw_uid, pw.pw_gid)

    def conf_text(self, settings=None, authd_extra=None, tail=""):
        text = super().conf_text(settings, authd_extra, tail + LMTPD_BLOCK)
        # tern's lmtpd runs as the mail user, like Dovecot's lmtp
        return text.replace("auth-userdb mode=0600", "auth-userdb mode=0666")

    def start(self, wait=True):
        ok = super().start(wait)
        if ok and wait:
            ok = self.t.ok("lmtpd socket accepts connections",
                           h.wait_until(self.lmtp_ready, 10.0), self.lmtp_sock)
        return ok

    def lmtp_ready(self):
        try:
            c = LmtpClient(self.lmtp_sock, timeout=2.0)
        except (OSError, ConnectionError):
            return False
        c.close()
        return True

    def maildir(self, user, domain="example.test"):
        return os.path.join(self.mail_dir, domain, user, "Maildir")

    def lmtpd_pid(self):
        pids = [p for p in h.pids_with_cmdline(self.dir) if "lmtpd" in (h.proc_cmdline(p) or "")]
        return pids[0] if pids else None


class LmtpClient:
    """LMTP over a UNIX socket: commands, replies, pipelined transactions."""

    def __init__(self, path, timeout=10.0):
        self.s = h.unix_connect(path, timeout)
        self.s.settimeout(timeout)
        self.buf = b""
        self.greeting = self.reply()
        if self.greeting[0] != 220:
            raise ConnectionError("greeting %r" % (self.greeting,))

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("lmtpd closed the connection")
            self.buf += d
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """(code, text) of one reply; continuation lines joined by '\\n'."""
        lines = []
        while True:
            ln = self.line()
            lines.append(ln[4:])
            if len(ln) < 4 or ln[3] != "-":
                return int(ln[:3]), "\n".join(lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def lhlo(self, name="client.test"):
        return self.cmd("LHLO " + name)

    def transaction(self, sender, rcpts, message):
        """Pipelined MAIL, RCPTs, DATA; then the message. rcpts: addresses
        or (address, "PARAMS"). Returns (mail reply, [rcpt replies],
        data reply, [per-recipient replies after the dot])."""
        out = "MAIL FROM:<%s>\r\n" % sender
        for r in rcpts:
            addr, params = (r, "") if isinstance(r, str) else r
            out += "RCPT TO:<%s>%s\r\n" % (addr, " " + params if params else "")
        self.send(out + "DATA\r\n")
        mail = self.reply()
        rr = [self.reply() for _ in rcpts]
        data = self.reply()
        if data[0] != 354:
            return mail, rr, data, []
        if isinstance(message, str):
            message = message.encode()
        body = b"\r\n".join(b"." + ln if ln.startswith(b".") else ln
                            for ln in message.replace(b"\r\n", b"\n").split(b"\n"))
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body + b".\r\n")
        accepted = sum(1 for c, _ in rr if 200 <= c < 300)
        return mail, rr, data, [self.reply() for _ in range(accepted)]

    def close(self):
        try:
            self.send("QUIT\r\n")
        except OSError:
            pass
        self.s.close()


def pwd_ids():
    """(uid, gid) lmtpd runs as: the mail user when root, else ours."""
    if h.IS_ROOT:
        pw = pwd.getpwnam(h.MAIL_USER)
        return pw.pw_uid, pw.pw_gid
    return os.getuid(), os.getgid()


def deliver(tern, sender, rcpts, message, lhlo=True, timeout=10.0):
    c = LmtpClient(tern.lmtp_sock, timeout)
    try:
        if lhlo:
            c.lhlo()
        return c.transaction(sender, rcpts, message)
    finally:
        c.close()


def files(maildir, sub="new"):
    d = os.path.join(maildir, sub)
    try:
        return sorted(os.listdir(d))
    except FileNotFoundError:
        return []


def read(maildir, sub, name):
    with open(os.path.join(maildir, sub, name), "rb") as f:
        return f.read()


def sizes_ok(maildir, sub, name):
    """Does the file's ,S= equal its size and ,W= its size with CRLF ends?"""
    m = NAME_RE.match(name)
    if not m:
        return False
    data = read(maildir, sub, name)
    vsize = len(data) + data.count(b"\n") - data.count(b"\r\n")
    return int(m.group("s")) == len(data) and int(m.group("w")) == vsize


def doveadm_fetch(tern, user, fields="size.virtual size.physical hdr"):
    """Read the user's INBOX with the real Dovecot (doveadm fetch), which
    finds the user through tern's authd userdb socket. None if no doveadm."""
    exe = "/usr/bin/doveadm"
    if not os.access(exe, os.X_OK):
        return None
    d = tern.path("dovecot")
    os.makedirs(os.path.join(d, "base"), exist_ok=True)
    link = os.path.join(d, "base", "auth-userdb")
    if not os.path.exists(link):
        os.symlink(tern.userdb_sock, link)
    conf = tern.write_file(os.path.join(d, "dovecot.conf"),
                           "base_dir = %s/base\nssl = no\n" % d)
    return subprocess.run([exe, "-c", conf, "-o", "mail_index_path=MEMORY", "fetch", "-u",
                           user, fields, "mailbox", "INBOX", "all"],
                          capture_output=True, text=True, timeout=30)


def wait_files(maildir, n, sub="new", timeout=5.0):
    return h.wait_until(lambda: len(files(maildir, sub)) >= n, timeout)

