"""e2elib: helpers for the end-to-end tests (test_e2e_*.py): one installation
running the whole inbound path (master, authd, smtpd on a free TCP port with
STARTTLS, queue, lmtpd) with short retry timers, plus Maildir readers that
find messages by a header, pid lookups through `ternctl status`, and queue
list parsing. Standard library only."""
import email.parser
import os
import pwd
import re
import smtplib
import socket
import ssl

import ternharness as h
import smtpdlib as sl

NAME_RE = re.compile(r"^(?P<base>[^,:]+),S=(?P<s>\d+),W=(?P<w>\d+)(?P<info>:2,.*)?$")
QID_RE = re.compile(r"^([0-9A-Z]{12})[ *!]")

E2E_USERS = [
    "small@example.test:{PLAIN}x::::::userdb_quota_rule=*:bytes=600",
]
E2E_ALIASES = """\
team@example.test crypt@example.test, bare@example.test, demo@example.test
@catchall.test bare@example.test
"""


def services(port, queue_extra=()):
    q = "".join("    %s\n" % x for x in queue_extra)
    return ("service smtpd {\n    listen = smtp inet:127.0.0.1:%d\n}\n"
            "service queue {\n    listen = submit unix:queue-submit mode=0666\n"
            "    listen = control unix:queue-control mode=0600\n%s}\n"
            "service lmtpd {\n    listen = lmtp unix:lmtp mode=0666\n}\n" % (port, q))


class E2ETern(h.Tern):
    """master + authd + smtpd + queue + lmtpd in a temp directory."""

    def __init__(self, t, name, settings=None, queue_extra=(), **kw):
        kw.setdefault("argon", False)
        kw.setdefault("extra_users", E2E_USERS)
        kw.setdefault("extra_aliases", E2E_ALIASES)
        if h.IS_ROOT:
            h.ensure_system_user("tern")
        self.port = sl.free_port()
        self.queue_extra = list(queue_extra)
        super().__init__(t, name=name, **kw)
        self.mail_dir = self.path("mail")
        os.makedirs(self.mail_dir, exist_ok=True)
        if h.IS_ROOT:
            pw = pwd.getpwnam(h.MAIL_USER)
            os.chown(self.mail_dir, pw.pw_uid, pw.pw_gid)
        cert, key = sl.make_cert(self.dir)
        s = {"myhostname": "mx.example.test", "tls_cert_file": cert, "tls_key_file": key,
             "virtual_mailbox_domains": "example.test, other.test, catchall.test",
             "minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
             "queue_run_delay": "1s", "lmtp_save_to_detail_mailbox": "yes"}
        s.update(settings or {})
        self.settings.update(s)
        self.write_conf()

    def conf_text(self, settings=None, authd_extra=None, tail=""):
        text = super().conf_text(settings, authd_extra, tail + services(self.port,
                                                                        self.queue_extra))
        # lmtpd runs as the mail user and asks authd's userdb socket
        return text.replace("auth-userdb mode=0600", "auth-userdb mode=0666")

    def start(self, wait=True):
        ok = super().start(wait)
        if ok and wait:
            ok = self.t.ok("smtpd, queue and lmtpd up", h.wait_until(self.all_up, 15.0),
                           self.status())
        return ok

    def all_up(self):
        st = self.status()
        if not all(isinstance(st.get(s, {}).get("pid"), int) for s in ("smtpd", "queue", "lmtpd")):
            return False
        try:
            c = socket.create_connection(("127.0.0.1", self.port), 1.0)
            c.close()
            return os.path.exists(os.path.join(self.run_dir, "lmtp")) and \
                os.path.exists(os.path.join(self.run_dir, "queue-submit"))
        except OSError:
            return False

    def pid_of(self, service):
        p = self.status().get(service, {}).get("pid")
        return p if isinstance(p, int) and p > 0 else None

    def maildir(self, user, domain="example.test"):
        return os.path.join(self.mail_dir, domain, user, "Maildir")

    # -- the queue

    def queue_ids(self):
        """Queue ids in `ternctl queue list` (None when the command fails)."""
        r = self.ternctl("queue", "list")
        if r.returncode != 0:
            return None
        return [m.group(1) for m in (QID_RE.match(x) for x in r.stdout.splitlines()) if m]

    def queue_empty(self):
        r = self.ternctl("queue", "list")
        return r.returncode == 0 and "Mail queue is empty" in r.stdout


# ---------------------------------------------------------------- Maildir

def files(maildir, sub="new"):
    try:
        return sorted(os.listdir(os.path.join(maildir, sub)))
    except FileNotFoundError:
        return []


def read(maildir, sub, name):
    with open(os.path.join(maildir, sub, name), "rb") as f:
        return f.read()


def all_messages(maildir):
    """[(sub, name, bytes)] of new/ and cur/."""
    out = []
    for sub in ("new", "cur"):
        for n in files(maildir, sub):
            try:
                out.append((sub, n, read(maildir, sub, n)))
            except FileNotFoundError:
                pass
    return out


def header(data, name):
    """First value of a header (unfolded), or None."""
    msg = email.parser.BytesHeaderParser().parsebytes(data)
    v = msg.get(name)
    return str(v).strip() if v is not None else None


def headers(data, name):
    msg = email.parser.BytesHeaderParser().parsebytes(data)
    return [str(v).strip() for v in (msg.get_all(name) or [])]


def find(maildir, hname, value):
    """Messages in new/ and cur/ whose header hname equals value."""
    return [m for m in all_messages(maildir) if header(m[2], hname) == value]


def sizes_ok(name, data):
    m = NAME_RE.match(name)
    if not m:
        return False
    vsize = len(data) + data.count(b"\n") - data.count(b"\r\n")
    return int(m.group("s")) == len(data) and int(m.group("w")) == vsize


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def message(mid, subject="e2e", body="hello\r\n", extra=""):
    return ("From: Sender <sender@remote.test>\r\nTo: someone@example.test\r\n"
            "Subject: %s\r\nMessage-ID: <%s@e2e.test>\r\nX-E2E-Id: %s\r\n%s\r\n%s"
            % (subject, mid, mid, extra, body))


def smtp_send(tern, sender, rcpts, data, tls=False, timeout=30):
    """One smtplib transaction -> (dict of refused recipients, error or None)."""
    try:
        with smtplib.SMTP("127.0.0.1", tern.port, timeout=timeout) as s:
            s.ehlo("client.e2e.test")
            if tls:
                s.starttls(context=tls_context())
                s.ehlo("client.e2e.test")
            return s.sendmail(sender, rcpts, data), None
    except smtplib.SMTPRecipientsRefused as e:
        return e.recipients, e
    except (smtplib.SMTPException, OSError) as e:
        return None, e
