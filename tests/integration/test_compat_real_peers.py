#!/usr/bin/env python3
"""authd against the real Debian Postfix and Dovecot client tools: doveadm
auth test / auth login over the client (SASL) socket, doveadm user over the
userdb (auth-master) socket, postmap -q over the socketmap socket (found,
not found, errors, Postfix's own lookup keys), Postfix's recursive virtual
alias expansion over the map "alias" compared with authd's "resolve", and
(as root) a real Postfix smtpd doing SMTP AUTH through authd.
The tools come from the packages postfix and dovecot-core (make check
installs them); without them the test fails, or, when not root (nothing can
be installed), prints skip lines and exits 0."""
import base64
import os
import shutil
import socket
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402

EX_NOPERM = 77    # doveadm: authentication failed
EX_NOUSER = 67    # doveadm user: no such user
TOOLS = {}        # name -> path, filled by find_tools()
WORK = {}         # private config dirs for doveadm / postmap / smtpd


# ---------------------------------------------------------------- helpers

def run(cmd, timeout=30.0, env=None, stdin_text=None):
    """Run a tool; a timeout gives returncode -999 instead of raising."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=env, input=stdin_text,
                              stdin=None if stdin_text is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, -999, e.stdout or "",
                                           "timeout after %.0fs" % timeout)


def show(r):
    return "rc=%r stdout=%r stderr=%r" % (r.returncode, r.stdout[-600:], r.stderr[-600:])


def find_tools():
    """Locate doveadm, doveconf, postmap, postconf and Postfix's smtpd."""
    for name in ("doveadm", "doveconf", "postmap", "postconf"):
        TOOLS[name] = shutil.which(name) or next(
            (p for p in ("/usr/bin/" + name, "/usr/sbin/" + name) if os.access(p, os.X_OK)),
            None)
    smtpd = None
    if TOOLS["postconf"]:
        r = run([TOOLS["postconf"], "-h", "daemon_directory"], 10)
        d = r.stdout.strip() if r.returncode == 0 else ""
        for cand in (os.path.join(d, "smtpd") if d else "", "/usr/lib/postfix/sbin/smtpd"):
            if cand and os.access(cand, os.X_OK):
                smtpd = cand
                break
    TOOLS["smtpd"] = smtpd


def need(t, names, section):
    """True when the tools are there. Missing: FAIL as root (make check
    installs them), skip otherwise."""
    missing = [n for n in names if not TOOLS.get(n)]
    if not missing:
        return True
    why = "%s not installed (Debian packages postfix, dovecot-core; `make check` " \
          "installs them)" % ", ".join(missing)
    if h.IS_ROOT:
        t.ok("%s: tools present" % section, False, why)
    else:
        t.skip(section, why + "; not root, cannot install")
    return False


def setup_configs(tern):
    """A minimal dovecot.conf (doveadm must not depend on /etc/dovecot) and a
    minimal Postfix config directory, both inside the installation dir."""
    dv = tern.path("dovecot")
    os.makedirs(os.path.join(dv, "base"), exist_ok=True)
    os.chmod(dv, 0o755)
    conf = tern.write_file(os.path.join(dv, "dovecot.conf"),
                           "# for doveadm only\nbase_dir = %s/base\nssl = no\n" % dv)
    WORK["doveadm"] = [TOOLS["doveadm"]]
    if TOOLS.get("doveconf"):
        r = run([TOOLS["doveconf"], "-c", conf, "-n"], 20)
        if r.returncode == 0:
            WORK["doveadm"] = [TOOLS["doveadm"], "-c", conf]
        else:  # e.g. a Dovecot that wants another config syntax: use its own
            print("# private dovecot.conf refused (%s); using the system config"
                  % r.stderr.strip()[:200], flush=True)
    pf = tern.path("postfix")
    for d in ("", "queue", "queue/public", "data"):
        os.makedirs(os.path.join(pf, d), exist_ok=True)
        os.chmod(os.path.join(pf, d), 0o755)
    os.chmod(os.path.join(pf, "queue", "public"), 0o777)
    WORK["postfix"] = pf
    tern.write_file(os.path.join(pf, "main.cf"), "\n".join([
        "# minimal Postfix config for tern's compat test",
        "compatibility_level = 3.6",
        "queue_directory = %s/queue" % pf,
        "data_directory = %s/data" % pf,
        "myhostname = mx.tern.test",
        "mydomain = tern.test",
        "mydestination =",
        "local_recipient_maps =",
        "relay_recipient_maps =",
        "alias_maps =",
        "recipient_delimiter = +",
        # daemons log to $queue_directory/public/postlog, read by the test
        "maillog_file = /dev/stdout",
        "smtpd_tls_security_level = none",
        "smtpd_sasl_auth_enable = yes",
        "smtpd_sasl_type = dovecot",
        "smtpd_sasl_path = %s" % tern.client_sock,
        "smtpd_error_sleep_time = 0",
        "virtual_mailbox_domains = socketmap:unix:%s:domain" % tern.socketmap_sock,
        "virtual_mailbox_maps = socketmap:unix:%s:mailbox" % tern.socketmap_sock,
        "virtual_alias_maps = socketmap:unix:%s:alias" % tern.socketmap_sock,
    ]) + "\n")


def doveadm(*args, timeout=30.0):
    return run(WORK["doveadm"] + list(args), timeout)


def smap(tern, name):
    return "socketmap:unix:%s:%s" % (tern.socketmap_sock, name)


def postmap_q(tern, mapname, key):
    return run([TOOLS["postmap"], "-c", WORK["postfix"], "-q", key, smap(tern, mapname)], 20)


def user_table(stdout):
    """doveadm user's 'field<TAB>value' table -> dict."""
    out = {}
    for line in stdout.splitlines():
        k, sep, v = line.partition("\t")
        if sep and k != "field":
            out[k] = v
    return out


# ---------------------------------------------------------------- doveadm auth

def test_doveadm_auth_test(t, tern):
    sock = tern.client_sock
    users = [("demo@example.test", "{PLAIN}"), ("crypt@example.test", "{SHA512-CRYPT}"),
             ("bare@example.test", "bare $6$")]
    if t.ok("ARGON2ID fixture user was generated (ternctl pw -s ARGON2ID)",
            tern.argon_hash is not None):
        users.append(("argon@example.test", "{ARGON2ID}"))
    for user, scheme in users:
        pw = tern.passwords[user]
        r = doveadm("auth", "test", "-a", sock, user, pw)
        t.ok("doveadm auth test %s (%s) right password -> exit 0, 'auth succeeded'"
             % (user, scheme),
             r.returncode == 0 and ("passdb: %s auth succeeded" % user) in r.stdout, show(r))
        t.ok("doveadm auth test %s: extra field user=%s" % (user, user),
             ("user=%s" % user) in r.stdout, show(r))
        r = doveadm("auth", "test", "-a", sock, user, pw + "x")
        t.ok("doveadm auth test %s wrong password -> exit 77, 'auth failed'" % user,
             r.returncode == EX_NOPERM and "auth failed" in r.stdout
             and "succeeded" not in r.stdout, show(r))
    for user, pw in (("nobody@example.test", "demo"), ("demo@nope.test", "demo"),
                     ("demo", "demo")):
        r = doveadm("auth", "test", "-a", sock, user, pw)
        t.ok("doveadm auth test unknown user %s -> exit 77, 'auth failed'" % user,
             r.returncode == EX_NOPERM and "auth failed" in r.stdout, show(r))
    r = doveadm("auth", "test", "-a", sock, "demo@example.test", "")
    t.ok("doveadm auth test with an empty password -> exit 77",
         r.returncode == EX_NOPERM and "auth failed" in r.stdout, show(r))
    since = tern.log_size()
    r = doveadm("auth", "test", "-a", sock, "-x", "service=imap", "-x", "rip=192.0.2.7",
                "-x", "lip=192.0.2.1", "demo@example.test", "demo")
    t.ok("doveadm auth test -x service=imap -x rip=... succeeds", r.returncode == 0, show(r))
    line = tern.wait_log(r"auth-ok .*service=imap .*user=demo@example\.test .*rip=192\.0\.2\.7",
                         since=since)
    t.ok("authd saw doveadm's service=imap and rip=192.0.2.7 (tern.log)", line is not None,
         tern.log_text()[since:][-600:])


def test_doveadm_auth_login(t, tern):
    """passdb over the client socket, then userdb over the auth-master socket
    (doveadm sends REQUEST <id> <pid> <client-id> <cookie> for the second
    half: the login-process handoff, which tern's auth-master does not offer)."""
    since = tern.log_size()
    r = doveadm("auth", "login", "-a", tern.client_sock, "-m", tern.userdb_sock,
                "demo@example.test", "demo")
    t.ok("doveadm auth login demo: passdb half -> 'auth succeeded'",
         "passdb: demo@example.test auth succeeded" in r.stdout, show(r))
    if r.returncode == 0:
        t.ok("doveadm auth login demo: userdb half prints the home",
             tern.path("mail", "example.test", "demo") in r.stdout, show(r))
    elif tern.wait_log(r"userdb-protocol-error .*bad request", 2.0, since):
        t.skip("doveadm auth login: userdb half",
               "doveadm sends the auth-master REQUEST command (login handoff with the "
               "client's cookie), which tern's authd does not implement (rc=%d)"
               % r.returncode)
    else:
        t.ok("doveadm auth login demo exits 0", False, show(r))
    r = doveadm("auth", "login", "-a", tern.client_sock, "-m", tern.userdb_sock,
                "demo@example.test", "wrong")
    t.ok("doveadm auth login wrong password -> 'auth failed', exit != 0",
         r.returncode != 0 and "auth failed" in r.stdout and "succeeded" not in r.stdout,
         show(r))


# ---------------------------------------------------------------- doveadm user

def test_doveadm_user(t, tern):
    sock = tern.userdb_sock
    uid = "%d" % (h.pwd.getpwnam(h.MAIL_USER).pw_uid if h.IS_ROOT else os.getuid())
    gid = "%d" % (h.pwd.getpwnam(h.MAIL_USER).pw_gid if h.IS_ROOT else os.getgid())
    r = doveadm("user", "-a", sock, "demo@example.test")
    f = user_table(r.stdout)
    t.ok("doveadm user demo -> exit 0", r.returncode == 0, show(r))
    t.eq("doveadm user demo: home", f.get("home"), tern.path("mail", "example.test", "demo"))
    t.eq("doveadm user demo: uid (mail_uid)", f.get("uid"), uid)
    t.eq("doveadm user demo: gid (mail_gid)", f.get("gid"), gid)
    t.ok("doveadm user demo: mail is a maildir location",
         f.get("mail", "").startswith("maildir:"), f)
    t.eq("doveadm user demo: quota_rule from userdb_quota_rule", f.get("quota_rule"),
         "*:storage=1G")
    # the same fields as a raw auth-master USER request gives
    c = h.UserdbClient(sock)
    try:
        raw = c.user(1, "demo@example.test", service="doveadm")
    finally:
        c.close()
    t.ok("doveadm user demo: every field equals the raw USER reply's",
         raw.cmd == "USER" and all(f.get(k) == v for k, v in raw.fields.items()
                                   if k != "user"), "doveadm %r, raw %r" % (f, raw.line))
    r = doveadm("user", "-a", sock, "other@other.test")
    f = user_table(r.stdout)
    t.ok("doveadm user other -> exit 0", r.returncode == 0, show(r))
    t.eq("doveadm user other: uid/gid/home/mail from its passwd line",
         (f.get("uid"), f.get("gid"), f.get("home"), f.get("mail")),
         ("1234", "1234", "/srv/other", "maildir:/srv/other/Maildir"))
    r = doveadm("user", "-a", sock, "-f", "home", "demo@example.test")
    t.eq("doveadm user -f home demo", r.stdout.strip(), tern.path("mail", "example.test", "demo"))
    r = doveadm("user", "-a", sock, "-u", "demo@example.test")
    t.ok("doveadm user -u demo (userdb only) -> exit 0 with the home",
         r.returncode == 0 and tern.path("mail", "example.test", "demo") in r.stdout, show(r))
    for user in ("nobody@example.test", "info@example.test", "demo@nope.test"):
        r = doveadm("user", "-a", sock, user)
        t.ok("doveadm user %s -> exit 67 (EX_NOUSER), \"doesn't exist\"" % user,
             r.returncode == EX_NOUSER and "doesn't exist" in (r.stdout + r.stderr), show(r))


def test_doveadm_user_list(t, tern):
    """doveadm user '*' iterates: it sends LIST <id> user=<mask> service=doveadm."""
    sock = tern.userdb_sock
    want = sorted(u for u in tern.passwords if u != "argon@example.test" or tern.argon_hash)
    r = doveadm("user", "-a", sock, "*")
    got = sorted(x.strip() for x in r.stdout.splitlines() if x.strip())
    t.ok("doveadm user '*' -> exit 0", r.returncode == 0, show(r))
    t.eq("doveadm user '*' lists every user of the passwd file", got, want)
    r = doveadm("user", "-a", sock, "d*")
    t.eq("doveadm user 'd*' lists only demo", r.stdout.split(), ["demo@example.test"])
    r = doveadm("user", "-a", sock, "*@other.test")
    t.eq("doveadm user '*@other.test' lists only other", r.stdout.split(), ["other@other.test"])


# ---------------------------------------------------------------- postmap

def test_postmap_maps(t, tern):
    def found(mapname, key, want):
        r = postmap_q(tern, mapname, key)
        t.ok("postmap -q %s %s -> exit 0, %r" % (key, mapname, want),
             r.returncode == 0 and r.stdout.strip() == want, show(r))

    def notfound(mapname, key, why=""):
        r = postmap_q(tern, mapname, key)
        t.ok("postmap -q %s %s -> not found (exit 1, no output, no warning)%s"
             % (key, mapname, why),
             r.returncode == 1 and r.stdout == "" and r.stderr.strip() == "", show(r))

    found("domain", "example.test", "example.test")
    found("domain", "alias.test", "alias.test")
    r = postmap_q(tern, "domain", "EXAMPLE.test")
    t.ok("postmap -q EXAMPLE.test domain -> found (case-insensitive)",
         r.returncode == 0 and r.stdout.strip().lower() == "example.test", show(r))
    notfound("domain", "nope.test")
    notfound("domain", ".example.test", " (Postfix's parent-domain key)")
    home = tern.path("mail", "example.test", "demo")
    r = postmap_q(tern, "mailbox", "demo@example.test")
    t.ok("postmap -q demo@example.test mailbox -> the maildir under its home",
         r.returncode == 0 and r.stdout.strip().startswith(home + "/"), show(r))
    r = postmap_q(tern, "mailbox", "other@other.test")
    t.ok("postmap -q other@other.test mailbox -> its own maildir /srv/other/Maildir",
         r.returncode == 0 and r.stdout.strip().rstrip("/") == "/srv/other/Maildir", show(r))
    notfound("mailbox", "nobody@example.test")
    notfound("mailbox", "@example.test", " (Postfix's catch-all key)")
    notfound("mailbox", "demo", " (Postfix's bare-user key)")
    r = postmap_q(tern, "alias", "info@example.test")
    t.eq("postmap -q info@example.test alias -> both targets",
         sorted(h.split_targets("OK " + r.stdout.strip()) or []),
         ["demo@example.test", "other@other.test"])
    found("alias", "@other.test", "demo@example.test")
    # a mailbox maps to itself, so a catch-all of its domain cannot take its mail
    found("alias", "demo@example.test", "demo@example.test")
    found("alias", "other@other.test", "other@other.test")
    found("alias", "demo@alias.test", "demo@example.test")
    notfound("alias", "nobody@alias.test", " (alias domain, unknown user)")
    notfound("alias", "nobody@example.test")
    notfound("alias", "@example.test", " (catch-all key of a domain without one)")
    r = postmap_q(tern, "resolve", "loop1@example.test")
    t.ok("postmap -q loop1 resolve -> Postfix reports a temporary error (exit 1)",
         r.returncode == 1 and "temporary error" in r.stderr, show(r))
    r = postmap_q(tern, "nosuchmap", "x")
    t.ok("postmap -q x on an unknown map -> Postfix reports a permanent error",
         r.returncode != 0 and "permanent error" in r.stderr, show(r))


def test_postmap_batch(t, tern):
    """postmap -q - keeps one socketmap connection for many keys."""
    keys = ["example.test", "nope.test", "other.test", "x.test", "alias.test"] * 20
    r = run([TOOLS["postmap"], "-c", WORK["postfix"], "-q", "-", smap(tern, "domain")], 30,
            stdin_text="\n".join(keys) + "\n")
    got = [line.split("\t") for line in r.stdout.splitlines()]
    want = [[k, k] for k in keys if k in ("example.test", "other.test", "alias.test")]
    t.ok("postmap -q - (100 keys on one connection) -> exit 0", r.returncode == 0, show(r))
    t.eq("postmap -q -: exactly the found keys, in order", got, want)


# ---------------------------------------------------------------- Postfix alias semantics

class PostfixView:
    """What Postfix does with tern's maps under the README's main.cf
    (virtual_alias_maps = alias, virtual_mailbox_maps = mailbox,
    recipient_delimiter = +), emulated over real postmap -q lookups:
    mail_addr_find's key order (user+ext@dom, user@dom, @dom) and cleanup's
    recursive expansion (an address may expand into itself once; nesting
    beyond virtual_alias_recursion_limit defers)."""

    RECURSION_LIMIT = 1000

    def __init__(self, t, tern):
        self.t = t
        self.tern = tern
        self.cache = {}

    def table(self, mapname, key):
        """-> list of results, None (not found); raises on a map error."""
        ck = (mapname, key.lower())
        if ck not in self.cache:
            r = postmap_q(self.tern, mapname, key)
            if r.returncode == 0:
                self.cache[ck] = [x.strip() for x in r.stdout.strip().split(",") if x.strip()]
            elif r.returncode == 1 and not r.stderr.strip():
                self.cache[ck] = None
            else:
                raise LookupError("postmap -q %s %s: %s" % (key, mapname, show(r)))
        return self.cache[ck]

    def find(self, mapname, addr):
        local, _, dom = addr.rpartition("@")
        keys = [addr]
        if "+" in local:
            keys.append(local.split("+", 1)[0] + "@" + dom)
        keys.append("@" + dom)
        for k in keys:
            v = self.table(mapname, k)
            if v is not None:
                if v and v[0].startswith("@"):  # "@otherdomain": same user there
                    v = [local + v[0]] + v[1:]
                return v
        return None

    def expand(self, addr):
        """-> ('ok', [final recipients]) or ('defer', reason)."""
        argv = [addr]
        been = set()
        i = 0
        while i < len(argv):
            for count in range(self.RECURSION_LIMIT + 1):
                if argv[i].lower() in been:
                    break
                if count >= self.RECURSION_LIMIT:
                    return "defer", "unreasonable virtual_alias_maps map nesting"
                try:
                    found = self.find("alias", argv[i])
                except LookupError as e:
                    return "defer", str(e)
                if found is None:
                    break
                lhs = argv[i]
                for j, target in enumerate(found):
                    if j == 0:
                        argv[i] = target
                    else:
                        argv.append(target)
                    if target.lower() == lhs.lower():
                        been.add(lhs.lower())
            i += 1
        return "ok", argv

    def accepts(self, addr):
        """smtpd's recipient check in a virtual mailbox domain."""
        return self.find("alias", addr) is not None or self.find("mailbox", addr) is not None

    def deliverable(self, addr):
        """virtual(8): our domains need a mailbox, other domains go out."""
        dom = addr.rpartition("@")[2]
        if self.table("domain", dom) is None:
            return True
        return self.find("mailbox", addr) is not None


def norm(addrs):
    """Lowercased, address extension removed, deduplicated, sorted."""
    out = set()
    for a in addrs:
        local, _, dom = a.lower().rpartition("@")
        out.add(local.split("+", 1)[0] + "@" + dom)
    return sorted(out)


def test_postfix_alias_semantics(t, tern):
    pf = PostfixView(t, tern)
    # the two map answers Postfix needs to see what tern's resolve sees
    r = postmap_q(tern, "alias", "other@other.test")
    t.ok("postmap -q other@other.test alias -> other@other.test (a mailbox in a domain "
         "with a catch-all must map to itself, or Postfix's @other.test catch-all "
         "takes its mail)", r.returncode == 0 and "other@other.test" in
         r.stdout.strip().lower().split(","), show(r))
    r1 = postmap_q(tern, "alias", "demo@alias.test")
    r2 = postmap_q(tern, "alias", "@alias.test")
    t.ok("postmap -q demo@alias.test alias -> demo@example.test, or @alias.test -> "
         "@example.test (else Postfix rejects every recipient of the alias domain)",
         (r1.returncode == 0 and r1.stdout.strip().lower() == "demo@example.test")
         or (r2.returncode == 0 and r2.stdout.strip().lower() == "@example.test"),
         "%s | %s" % (show(r1), show(r2)))
    addrs = ["demo@example.test", "info@example.test", "Info@EXAMPLE.test",
             "nobody@other.test", "self@example.test", "dup@example.test",
             "chain1@example.test", "mixed@example.test", "info+x@example.test",
             "demo+news@example.test", "someone@elsewhere.test",
             "other@other.test", "demo@alias.test", "info@alias.test"]
    for a in addrs:
        tr = h.socketmap(tern.socketmap_sock, "resolve", a)
        tern_targets = h.split_targets(tr)
        status, got = pf.expand(a)
        t.ok("Postfix expansion of %s completes" % a, status == "ok", got)
        if status != "ok":
            continue
        t.ok("Postfix accepts RCPT %s like tern (resolve %r)" % (a, tr),
             pf.accepts(a) or a.endswith("@elsewhere.test") or tern_targets is None,
             "Postfix would reject the recipient as unknown")
        t.eq("Postfix's virtual alias expansion of %s == tern resolve" % a,
             norm(got), norm(tern_targets or []))
        undeliverable = [x for x in got if not pf.deliverable(x)]
        t.ok("every recipient Postfix expands %s into has a mailbox" % a,
             not undeliverable, "no mailbox for %s" % undeliverable)
    for a in ("nobody@example.test", "nobody@alias.test", "nobody+x@example.test"):
        tr = h.socketmap(tern.socketmap_sock, "resolve", a)
        t.ok("tern resolve %s -> NOTFOUND" % a, tr in ("NOTFOUND", "NOTFOUND "), tr)
        t.ok("Postfix rejects RCPT %s as unknown too" % a, not pf.accepts(a))
    tr = h.socketmap(tern.socketmap_sock, "resolve", "loop1@example.test")
    status, why = pf.expand("loop1@example.test")
    t.ok("alias loop: tern resolve TEMP and Postfix defers (%s)" % why,
         tr is not None and tr.startswith("TEMP") and status == "defer", (tr, status, why))


# ---------------------------------------------------------------- Postfix smtpd

class PostlogReader:
    """Collects what Postfix daemons log to $queue_directory/public/postlog."""

    def __init__(self, path):
        self.path = path
        self.lines = []
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(path)
        os.chmod(path, 0o666)
        self.th = threading.Thread(target=self._run, daemon=True)
        self.th.start()

    def _run(self):
        while True:
            try:
                d = self.s.recv(65536)
            except OSError:
                return
            self.lines.append(d.decode("utf-8", "replace").strip())

    def close(self):
        self.s.close()


class Smtpd:
    """Postfix's smtpd in stand-alone mode (-S): the SMTP session runs over
    its stdin/stdout. It must run with mail_owner's uid, or it treats the
    session as local 'sendmail -bs' and turns SASL off."""

    def __init__(self, pf_dir):
        env = dict(os.environ, MAIL_CONFIG=pf_dir)
        cmd = ["setpriv", "--reuid=postfix", "--regid=postfix", "--init-groups",
               TOOLS["smtpd"], "-S"]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env)
        self.transcript = []

    def reply(self, timeout=20.0):
        """One (possibly multi-line) reply -> (code, [lines])."""
        lines = []
        timer = threading.Timer(timeout, self.p.kill)
        timer.start()
        try:
            while True:
                raw = self.p.stdout.readline()
                if not raw:
                    return None, lines
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                self.transcript.append("S: " + line)
                lines.append(line)
                if len(line) < 4 or line[3] != "-":
                    return int(line[:3]) if line[:3].isdigit() else None, lines
        finally:
            timer.cancel()

    def cmd(self, line, timeout=20.0):
        self.transcript.append("C: " + line)
        self.p.stdin.write(line.encode() + b"\r\n")
        self.p.stdin.flush()
        return self.reply(timeout)

    def close(self):
        try:
            self.cmd("QUIT", 5.0)
        except (OSError, ValueError):
            pass
        try:
            self.p.stdin.close()
            self.p.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()
        for f in (self.p.stdout, self.p.stderr):
            f.close()


def smtp_session(t, log, steps):
    """Run one smtpd session; steps: [(command, expected code, check name)]."""
    s = Smtpd(WORK["postfix"])
    try:
        code, lines = s.reply()
        if not t.ok("Postfix smtpd stand-alone greets with 220", code == 220,
                    "%r; postlog: %s" % (lines, log.lines[-10:])):
            return None
        results = []
        for line, want, name in steps:
            code, lines = s.cmd(line)
            results.append((code, lines))
            t.ok(name, code == want, "expected %d, got %r %r\n# transcript: %s\n# postlog: %s"
                 % (want, code, lines, s.transcript, log.lines[-10:]))
        return results
    finally:
        s.close()


def test_postfix_smtpd_auth(t, tern):
    if not h.IS_ROOT:
        t.skip("Postfix smtpd SMTP AUTH", "stand-alone smtpd must run as mail_owner: needs root")
        return
    if shutil.which("setpriv") is None:
        t.ok("setpriv (util-linux) present", False)
        return
    log = PostlogReader(os.path.join(WORK["postfix"], "queue", "public", "postlog"))
    try:
        def plain(u, p):
            return base64.b64encode(b"\0" + u.encode() + b"\0" + p.encode()).decode()

        res = smtp_session(t, log, [("EHLO client.test", 250, "EHLO -> 250")])
        if res:
            ehlo = res[0][1]
            auth = [x[4:] for x in ehlo if x[4:].upper().startswith("AUTH ")]
            t.ok("EHLO advertises AUTH with tern's mechanisms (PLAIN, LOGIN)",
                 auth and {"PLAIN", "LOGIN"} <= set(auth[0].upper().split()[1:]), ehlo)
        since = tern.log_size()
        smtp_session(t, log, [
            ("EHLO client.test", 250, "EHLO -> 250"),
            ("AUTH PLAIN " + plain("demo@example.test", "demo"), 235,
             "AUTH PLAIN demo/right password -> 235 through tern's authd"),
            ("AUTH PLAIN " + plain("demo@example.test", "demo"), 503,
             "second AUTH after success -> 503"),
        ])
        line = tern.wait_log(r"auth-ok service=smtp mech=PLAIN user=demo@example\.test",
                             since=since)
        t.ok("tern.log: auth-ok service=smtp for Postfix's request", line is not None,
             tern.log_text()[since:][-800:])
        smtp_session(t, log, [
            ("EHLO client.test", 250, "EHLO -> 250"),
            ("AUTH PLAIN " + plain("demo@example.test", "wrong"), 535,
             "AUTH PLAIN wrong password -> 535"),
            ("AUTH PLAIN " + plain("nobody@example.test", "demo"), 535,
             "AUTH PLAIN unknown user -> 535"),
            ("AUTH PLAIN " + plain("crypt@example.test", "secret"), 235,
             "AUTH PLAIN after failures, SHA512-CRYPT user -> 235"),
        ])
        b = base64.b64encode
        smtp_session(t, log, [
            ("EHLO client.test", 250, "EHLO -> 250"),
            ("AUTH LOGIN", 334, "AUTH LOGIN -> 334 (username challenge)"),
            (b(b"argon@example.test").decode(), 334, "AUTH LOGIN username -> 334"),
            (b(b"argonpw").decode(), 235, "AUTH LOGIN argon user, right password -> 235"),
        ])
        smtp_session(t, log, [
            ("EHLO client.test", 250, "EHLO -> 250"),
            ("AUTH LOGIN " + b(b"demo@example.test").decode(), 334,
             "AUTH LOGIN with initial response -> 334 (password challenge)"),
            (b(b"nope").decode(), 535, "AUTH LOGIN wrong password -> 535"),
            ("AUTH CRAM-MD5", 535,
             "AUTH with a mechanism tern does not offer -> 535 (Postfix checks the MECH list)"),
        ])
    finally:
        log.close()


# ---------------------------------------------------------------- main

def main():
    t = h.Checker("compat_real_peers")
    find_tools()
    have_dove = need(t, ["doveadm"], "doveadm (dovecot-core)")
    have_pf = need(t, ["postmap", "postconf"], "postmap (postfix)")
    have_smtpd = have_pf and need(t, ["smtpd"], "Postfix smtpd")
    if not (have_dove or have_pf) and not h.IS_ROOT:
        print("0 passed, 0 failed (skipped: tools not installed)", flush=True)
        sys.exit(0)
    with h.Tern(t, name="compat") as tern:
        if tern.start():
            setup_configs(tern)
            tests = []
            if have_dove:
                tests += [test_doveadm_auth_test, test_doveadm_auth_login,
                          test_doveadm_user, test_doveadm_user_list]
            if have_pf:
                tests += [test_postmap_maps, test_postmap_batch, test_postfix_alias_semantics]
            if have_smtpd:
                tests.append(test_postfix_smtpd_auth)
            for fn in tests:
                t.run(fn, t, tern)
    t.finish()


if __name__ == "__main__":
    main()
