#!/usr/bin/env python3
"""authd on a PostfixAdmin database: a private MariaDB (ternsql) with
PostfixAdmin's schema and map files, tern configured with the mysql: maps
and a dovecot-sql.conf.ext. Checks SASL logins for every password scheme
(hashes made by doveadm/openssl/libxcrypt), inactive mailbox and domain,
userdb lookups, the socketmap maps, case-insensitivity, hostile keys (no
injection, DB unchanged), the database killed and restarted under a running
authd, failover to a second host, and alias/alias-domain/catch-all
resolution compared with what real Postfix computes from the same .cf
files (postmap -q, recursion emulated as cleanup(8) does)."""
import os
import pwd
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import ternsql as S  # noqa: E402

FX = {}      # "fx": PostfixAdminDB, "db": MariaDB, "pf": postfix config dir
POSTMAP = shutil.which("postmap") or "/usr/sbin/postmap"
OUTAGE_USER = "late@example.test"   # never looked up before the outage test


def q(tern, name, key, timeout=10.0):
    return h.socketmap(tern.socketmap_sock, name, key, timeout)


def is_notfound(r):
    return r in ("NOTFOUND ", "NOTFOUND")


def tabescape(s):
    return s.replace("\x01", "\x011").replace("\t", "\x01t").replace(
        "\r", "\x01r").replace("\n", "\x01n")


def login_ok_users(fx):
    """Mailboxes that must log in: active, in an active domain."""
    dead = {d for d, a in fx.DOMAINS if not a}
    return [mb for mb in fx.mailboxes.values()
            if mb.active and mb.domain not in dead and mb.username != OUTAGE_USER]


def pipelined_auth(c, pairs, **kw):
    """Send every AUTH PLAIN at once, then collect the replies by id."""
    ids = []
    for user, pw in pairs:
        rid = c.new_id()
        ids.append(rid)
        c.send_line(c.auth_line(rid, "PLAIN", h.plain_resp(user, pw), **kw))
    return [c.read_reply(rid, 60.0) for rid in ids]


# ---------------------------------------------------------------- logins

def test_scheme_logins(t, tern):
    fx = FX["fx"]
    for label, why in fx.skipped:
        t.skip("scheme %s" % label, why)
    users = login_ok_users(fx)
    t.ok("fixture has mailboxes in at least 40 password formats", len(users) >= 40, len(users))
    c = h.AuthClient(tern.client_sock)
    try:
        good = pipelined_auth(c, [(mb.username, mb.password) for mb in users])
        for mb, r in zip(users, good):
            t.ok("login %s (%s, %s...): right password -> OK"
                 % (mb.username, mb.label, mb.stored[:24]), r.cmd == "OK", r)
            if r.cmd == "OK" and "user" in r.fields:
                t.eq("login %s: user= is the canonical name" % mb.username,
                     r.fields["user"], mb.username)
        bad = pipelined_auth(c, [(mb.username, "wrong-" + mb.password[::-1]) for mb in users])
        for mb, r in zip(users, bad):
            t.ok("login %s (%s): wrong password -> FAIL, not temp" % (mb.username, mb.label),
                 r.cmd == "FAIL" and "temp" not in r.flags, r)
        # a prefix and an extension of the right password
        mb = fx.mailboxes["u-sha512-crypt@example.test"] if \
            "u-sha512-crypt@example.test" in fx.mailboxes else users[0]
        for pw in (mb.password[:-1], mb.password + "x", ""):
            r = c.auth_plain(mb.username, pw)
            t.ok("login %s with %r -> FAIL" % (mb.username, pw), r.cmd == "FAIL", r)
    finally:
        c.close()


def test_case_and_sources(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("Demo@Example.TEST", "demo-sql-pw")
        t.eq("login Demo@Example.TEST (mixed case) -> OK", r.cmd, "OK")
        if "user" in r.fields:
            t.eq("mixed-case login: user= is the canonical lowercase name",
                 r.fields["user"], "demo@example.test")
        r = c.auth_plain("demo@example.test", "demo")
        t.ok("the passwd_file password of demo is not used (SQL is the source)",
             r.cmd == "FAIL" and "temp" not in r.flags, r)
        r = c.auth_plain("crypt@example.test", "secret")
        t.ok("a passwd_file-only user does not exist with dovecot_sql_file",
             r.cmd == "FAIL" and "temp" not in r.flags, r)
        r = c.auth_plain("demo@example.test", "DEMO-SQL-PW")
        t.ok("passwords are case-sensitive", r.cmd == "FAIL", r)
    finally:
        c.close()


def test_refused(t, tern):
    fx = FX["fx"]
    c = h.AuthClient(tern.client_sock)
    try:
        cases = [
            ("inactive mailbox off@example.test", "off@example.test", "off-pw"),
            ("active mailbox in inactive domain dead.test", "ghost@dead.test", "ghost-pw"),
            ("unknown user", "nobody@example.test", "x"),
            ("alias address (not a mailbox)", "info@example.test", "demo-sql-pw"),
            ("alias-domain address", "demo@alias.test", "demo-sql-pw"),
        ]
        for name, user, pw in cases:
            r = c.auth_plain(user, pw)
            t.ok("%s: right password refused (FAIL, not temp)" % name,
                 r.cmd == "FAIL" and "temp" not in r.flags, r)
        t.ok("fixture: off@ and ghost@ exist in the database",
             "off@example.test" in fx.mailboxes and "ghost@dead.test" in fx.mailboxes)
    finally:
        c.close()


# ---------------------------------------------------------------- userdb

def test_userdb(t, tern):
    fx = FX["fx"]
    u = h.UserdbClient(tern.userdb_sock)
    try:
        for i, user in enumerate(("demo@example.test", "other@other.test",
                                  "u-ssha@example.test", "ghost@dead.test")):
            mb = fx.mailboxes.get(user)
            if not mb:
                continue
            r = u.user(10 + i, user)
            t.eq("USER %s -> USER" % user, r.cmd, "USER")
            t.eq("USER %s: home from user_query" % user, r.fields.get("home"),
                 "%s/%s" % (FX["home_base"], mb.maildir))
            t.eq("USER %s: uid" % user, r.fields.get("uid"), str(FX["uid"]))
            t.eq("USER %s: gid" % user, r.fields.get("gid"), str(FX["gid"]))
            t.eq("USER %s: quota_rule (bytes)" % user, r.fields.get("quota_rule"),
                 "*:bytes=%d" % mb.quota)
        r = u.user(20, "DEMO@Example.Test")
        t.ok("USER DEMO@Example.Test (case) -> USER", r.cmd == "USER", r)
        for i, user in enumerate(("off@example.test", "nobody@example.test",
                                  "info@example.test")):
            r = u.user(30 + i, user)
            t.eq("USER %s -> NOTFOUND" % user, r.cmd, "NOTFOUND")
        users, end = u.list_users(40)
        want = sorted(mb.username for mb in fx.mailboxes.values() if mb.active)
        t.eq("LIST ends with DONE", end.cmd, "DONE")
        t.eq("LIST -> the active mailboxes (iterate_query)", sorted(users), want)
    finally:
        u.close()


# ---------------------------------------------------------------- socketmap

def test_socketmap(t, tern):
    for d in ("example.test", "other.test", "alias.test", "EXAMPLE.Test"):
        r = q(tern, "domain", d)
        t.ok("domain %s -> OK" % d, r is not None and r.lower() == "ok " + d.lower(), r)
    for d in ("dead.test", "nope.test", "example.test.evil", "sub.example.test"):
        t.ok("domain %s -> NOTFOUND" % d, is_notfound(q(tern, "domain", d)),
             q(tern, "domain", d))
    for a in ("demo@example.test", "Demo@Example.TEST", "demo@alias.test", "other@other.test",
              "fwd@example.test"):
        r = q(tern, "mailbox", a)
        t.ok("mailbox %s -> OK" % a, r is not None and r.startswith("OK "), r)
    for a in ("off@example.test", "info@example.test", "nobody@example.test",
              "off@alias.test", "demo@deadalias.test", "demo"):
        r = q(tern, "mailbox", a)
        t.ok("mailbox %s -> NOTFOUND" % a, is_notfound(r), r)
    cases = [
        ("mailbox (self-alias)", "demo@example.test", ["demo@example.test"]),
        ("several targets", "info@example.test", ["demo@example.test", "other@other.test"]),
        ("case-insensitive", "INFO@Example.Test", ["demo@example.test", "other@other.test"]),
        ("forward-only mailbox", "fwd@example.test",
         ["demo@example.test", "external@elsewhere.test"]),
        ("forward and keep", "kf@example.test",
         ["kf@example.test", "external2@elsewhere.test"]),
        ("alias-domain address", "demo@alias.test", ["demo@example.test"]),
        ("alias-domain alias", "info@alias.test", ["demo@example.test", "other@other.test"]),
        ("catch-all key", "@other.test", ["demo@example.test"]),
        ("alias-domain catch-all", "nobody@aliasother.test", ["demo@example.test"]),
        ("mixed-case row", "mixed@example.test", ["late@example.test"]),
    ]
    for name, key, want in cases:
        r = q(tern, "alias", key)
        got = h.split_targets(r)
        t.ok("alias %s: %s" % (name, key), got is not None and sorted(got) == sorted(want),
             "expected %s, got %r" % (want, r))
    for key in ("nobody@example.test", "oldalias@example.test", "off@example.test",
                "nobody@deadalias.test", "someone@elsewhere.test"):
        r = q(tern, "alias", key)
        t.ok("alias %s -> NOTFOUND" % key, is_notfound(r), r)
    rcases = [
        ("mailbox", "demo@example.test", ["demo@example.test"]),
        ("several targets", "info@example.test", ["demo@example.test", "other@other.test"]),
        ("alias of an alias", "sales@example.test", ["demo@example.test", "other@other.test"]),
        ("forward-only", "fwd@example.test", ["demo@example.test", "external@elsewhere.test"]),
        ("alias domain", "demo@alias.test", ["demo@example.test"]),
        ("catch-all", "nobody@other.test", ["demo@example.test"]),
        ("mailbox beats catch-all", "other@other.test", ["other@other.test"]),
        ("alias-domain catch-all", "nobody@aliasother.test", ["demo@example.test"]),
        ("case-insensitive", "Demo@Example.TEST", ["demo@example.test"]),
    ]
    for name, key, want in rcases:
        r = q(tern, "resolve", key)
        got = h.split_targets(r)
        t.ok("resolve %s: %s" % (name, key), got is not None and sorted(got) == sorted(want),
             "expected %s, got %r" % (want, r))
    for key in ("nobody@example.test", "off@example.test", "nobody@alias.test",
                "oldalias@example.test", "demo@deadalias.test"):
        r = q(tern, "resolve", key)
        t.ok("resolve %s -> NOTFOUND" % key, is_notfound(r), r)


# ---------------------------------------------------------------- hostile input

HOSTILE = [
    "x' OR '1'='1",
    "' OR 1=1 -- ",
    "demo@example.test' OR '1'='1",
    "demo@example.test'-- ",
    "demo@example.test'#",
    "demo@example.test\\",
    "demo@example.test\\'",
    "\\' OR 1=1 #",
    "'; DELETE FROM mailbox; -- ",
    "x'); DROP TABLE alias; -- @example.test",
    "%",
    "%@example.test",
    "_emo@example.test",
    "d%@example.test",
    "%' OR '%'='",
    "\"demo\"@example.test",
    "demo@example.test\" OR \"1\"=\"1",
    "x\x01y@example.test",
    "\x01",
    "demo@example.test\x1a",
    "A" * 10240,
    "a" * 5000 + "@example.test",
    "demo@%s" % ("x" * 10000),
    "@",
    "@@",
    "demo@",
    "%s%s%s%d%u",
]


def test_hostile(t, tern):
    fx = FX["fx"]
    ours = {d for d, active in fx.DOMAINS if active}
    before = fx.checksum()
    pid = tern.authd_pid()
    for key in HOSTILE + ["demo@example.test\x00x", "\x00"]:
        short = repr(key[:40]) + ("...(%d)" % len(key) if len(key) > 40 else "")
        for name in ("domain", "mailbox", "alias", "resolve"):
            try:
                r = q(tern, name, key)
            except (OSError, ValueError) as e:
                r = "exception %s" % e
            ok = is_notfound(r) or (r is not None and r.startswith("PERM"))
            local, at, dom = key.lower().rpartition("@")
            if name == "resolve" and r is not None and r.startswith("OK ") and at \
                    and dom not in ours:
                # an address of a foreign domain resolves to itself: only that
                ok = h.split_targets(r) == [key.lower()]
            t.ok("socketmap %s %s -> NOTFOUND (or PERM)" % (name, short), ok, r)
    c = h.AuthClient(tern.client_sock)
    try:
        pairs = [(k, "x") for k in HOSTILE] + [(k, "demo-sql-pw") for k in HOSTILE[:10]]
        pairs += [("demo@example.test", "x' OR '1'='1"), ("demo@example.test", "' OR ''='")]
        for (user, pw), r in zip(pairs, pipelined_auth(c, pairs)):
            short = repr(user[:40]) + ("...(%d)" % len(user) if len(user) > 40 else "")
            t.ok("login %s / %r -> FAIL, not temp" % (short, pw[:20]),
                 r.cmd == "FAIL" and "temp" not in r.flags, r)
    finally:
        c.close()
    u = h.UserdbClient(tern.userdb_sock)
    try:
        for i, key in enumerate(HOSTILE):
            short = repr(key[:40]) + ("...(%d)" % len(key) if len(key) > 40 else "")
            r = u.user(100 + i, tabescape(key))
            t.ok("USER %s -> NOTFOUND (or FAIL, not temp)" % short,
                 r.cmd == "NOTFOUND" or (r.cmd == "FAIL" and "temp" not in r.flags), r)
    finally:
        u.close()
    t.eq("database unchanged after the hostile lookups (CHECKSUM TABLE)", fx.checksum(), before)
    t.eq("authd did not restart", tern.authd_pid(), pid)
    c = h.AuthClient(tern.client_sock)
    try:
        t.eq("demo still logs in after the hostile input",
             c.auth_plain("demo@example.test", "demo-sql-pw").cmd, "OK")
    finally:
        c.close()


# ---------------------------------------------------------------- real Postfix

class PostfixMaps:
    """postmap -q - over the .cf files, memoized: what Postfix finds."""

    def __init__(self, t, pf_dir, maps):
        self.t = t
        self.pf = pf_dir
        self.maps = maps
        self.memo = {}   # (cf name, key) -> value or None
        self.errors = []

    def prefetch(self, name, keys):
        keys = [k for k in dict.fromkeys(keys) if (name, k) not in self.memo]
        if not keys:
            return
        r = subprocess.run([POSTMAP, "-c", self.pf, "-q", "-", "mysql:" + self.maps[name]],
                           input="".join(k + "\n" for k in keys), capture_output=True,
                           text=True, timeout=120)
        if r.returncode not in (0, 1) or "warning" in r.stderr or "fatal" in r.stderr:
            self.errors.append("%s: rc=%d %s" % (name, r.returncode, r.stderr.strip()[:300]))
        found = {}
        for line in r.stdout.splitlines():
            k, _, v = line.partition("\t")
            found[k.lower()] = v
        for k in keys:
            self.memo[(name, k)] = found.get(k.lower())

    def get(self, name, key):
        if (name, key) not in self.memo:
            self.prefetch(name, [key])
        return self.memo[(name, key)]


ALIAS_CF = ["mysql_virtual_alias_maps.cf", "mysql_virtual_alias_domain_maps.cf",
            "mysql_virtual_alias_domain_catchall_maps.cf"]
MAILBOX_CF = ["mysql_virtual_mailbox_maps.cf", "mysql_virtual_alias_domain_mailbox_maps.cf"]
DOMAIN_CF = "mysql_virtual_domains_maps.cf"


def alias_keys(addr):
    """Postfix's virtual_alias_maps probe order for addr (no recipient
    delimiter in the fixture, domain not in mydestination)."""
    local, at, dom = addr.rpartition("@")
    if not at:
        return [addr]
    return [addr, "@" + dom] if local else [addr]


def postfix_table(pm, key):
    """virtual_alias_maps (the three .cf) for exactly this key: the first
    map that has it. This is what tern's alias socketmap stands for: Postfix
    itself then tries user@domain and @domain against it."""
    for cf in ALIAS_CF:
        v = pm.get(cf, key)
        if v is not None:
            return [x.strip().lower() for x in v.split(",") if x.strip()]
    return None


def postfix_one_level(pm, addr):
    """First hit over keys x maps, as mail_addr_find: list or None."""
    for k in alias_keys(addr):
        v = postfix_table(pm, k)
        if v is not None:
            return v
    return None


def postfix_expand(pm, addr, depth=0, seen=None):
    """cleanup(8)'s recursive virtual alias expansion (an address that maps
    to itself stops; duplicates dropped)."""
    if depth > 100:
        raise RuntimeError("alias loop at %s" % addr)
    res = postfix_one_level(pm, addr)
    if res is None:
        return [addr]
    out = []
    for r in res:
        if r == addr.lower():
            out.append(r)
        else:
            out.extend(postfix_expand(pm, r, depth + 1))
    return list(dict.fromkeys(out))


def postfix_setup(dir):
    pf = os.path.join(dir, "postfix")
    for d in ("", "queue", "data"):
        os.makedirs(os.path.join(pf, d), exist_ok=True)
    with open(os.path.join(pf, "main.cf"), "w") as f:
        f.write("\n".join([
            "# minimal Postfix config for postmap -q in tern's SQL test",
            "compatibility_level = 3.6",
            "queue_directory = %s/queue" % pf,
            "data_directory = %s/data" % pf,
            "myhostname = mx.tern.test",
            "mydomain = tern.test",
            "mydestination =",
            "alias_maps =",
            "maillog_file = /dev/stdout",
        ]) + "\n")
    return pf


def fixture_addresses(fx):
    addrs = set()
    for mb in fx.mailboxes.values():
        addrs.add(mb.username.lower())
        if mb.local.startswith("u-") and mb.local != "u-ssha":
            continue  # the scheme matrix adds nothing new in alias domains
        for ad, _, _ in fx.ALIAS_DOMAINS:
            addrs.add("%s@%s" % (mb.local, ad))
    for a in fx.aliases:
        if not a.startswith("@") and not a.startswith("u-"):
            addrs.add(a.lower())
            local = a.split("@")[0].lower()
            for ad, _, _ in fx.ALIAS_DOMAINS:
                addrs.add("%s@%s" % (local, ad))
    for d, _ in fx.DOMAINS:
        addrs.add("nobody@" + d)
    addrs.update(["someone@elsewhere.test", "external@elsewhere.test"])
    addrs.discard(OUTAGE_USER)
    return sorted(addrs)


def test_postfix_equivalence(t, tern):
    fx = FX["fx"]
    if not os.access(POSTMAP, os.X_OK):
        t.ok("postmap installed (Debian package postfix)", False, POSTMAP)
        return
    mods = subprocess.run(["postconf", "-c", FX["pf"], "-m"], capture_output=True, text=True)
    if "mysql" not in mods.stdout.split():
        t.ok("Postfix has the mysql map type (Debian package postfix-mysql)", False,
             mods.stdout.replace("\n", " "))
        return
    pm = PostfixMaps(t, FX["pf"], FX["maps"])
    addrs = fixture_addresses(fx)
    # fetch every key Postfix's expansion will need, map by map
    frontier = set(addrs)
    done = set()
    while frontier:
        keys = sorted({k for a in frontier for k in alias_keys(a)})
        for cf in ALIAS_CF:
            pm.prefetch(cf, keys)
        done |= frontier
        nxt = set()
        for a in frontier:
            for r in postfix_one_level(pm, a) or []:
                if r not in done:
                    nxt.add(r)
        frontier = nxt
    for cf in MAILBOX_CF:
        pm.prefetch(cf, sorted(done))
    domains = sorted({a.rpartition("@")[2] for a in done} | {d for d, _ in fx.DOMAINS})
    pm.prefetch(DOMAIN_CF, domains)
    t.eq("postmap ran without warnings or errors", pm.errors, [])
    t.ok("postmap finds the self-alias of demo (the .cf files work)",
         pm.get(ALIAS_CF[0], "demo@example.test") == "demo@example.test",
         pm.get(ALIAS_CF[0], "demo@example.test"))

    def ours(addr):
        return pm.get(DOMAIN_CF, addr.rpartition("@")[2]) is not None

    def is_mailbox(addr):
        return any(pm.get(cf, addr) is not None for cf in MAILBOX_CF)

    for d in domains:
        r = q(tern, "domain", d)
        want = pm.get(DOMAIN_CF, d)
        t.ok("domain %s: same as Postfix (%s)" % (d, "found" if want else "not found"),
             (r is not None and r.startswith("OK ")) if want else is_notfound(r), r)
    for a in addrs:
        want_mb = is_mailbox(a)
        r = q(tern, "mailbox", a)
        t.ok("mailbox %s: same as Postfix (%s)" % (a, "found" if want_mb else "not found"),
             (r is not None and r.startswith("OK ")) if want_mb else is_notfound(r), r)
        one = postfix_table(pm, a)
        r = q(tern, "alias", a)
        got = h.split_targets(r)
        t.ok("alias %s: what Postfix's virtual_alias_maps give for this key: %s" % (a, one),
             (got is not None and sorted(got) == sorted(one)) if one else is_notfound(r), r)
        exp = postfix_expand(pm, a)
        # Postfix then rejects a final address of our domains that is no mailbox
        unknown = [x for x in exp if ours(x) and not is_mailbox(x)]
        r = q(tern, "resolve", a)
        got = h.split_targets(r)
        if exp == [a.lower()] and unknown:
            t.ok("resolve %s: Postfix rejects it (unknown in our domain) -> NOTFOUND" % a,
                 is_notfound(r), r)
        elif unknown:
            t.ok("resolve %s: Postfix expands to %s (with unknown %s): tern -> NOTFOUND "
                 "or the same list" % (a, exp, unknown),
                 is_notfound(r) or (got is not None and sorted(got) == sorted(exp)), r)
        else:
            t.ok("resolve %s: same as Postfix's expansion %s" % (a, sorted(exp)),
                 got is not None and sorted(got) == sorted(exp), r)


# ---------------------------------------------------------------- the DB dies

def test_db_outage(t, tern):
    db = FX["db"]
    pid = tern.authd_pid()
    t.ok("private MariaDB killed with SIGKILL", db.kill9())
    time.sleep(0.2)
    sm_checks = [("domain", "outage1.test"), ("mailbox", "outage2@example.test"),
                 ("alias", "outage3@example.test"), ("resolve", "outage4@example.test"),
                 ("resolve", "outage5@other.test")]
    for name, key in sm_checks:
        t0 = time.monotonic()
        try:
            r = q(tern, name, key, timeout=20.0)
        except OSError as e:
            r = "exception %s" % e
        dt = time.monotonic() - t0
        t.ok("DB down: socketmap %s %s -> TEMP" % (name, key),
             r is not None and r.startswith("TEMP"), r)
        t.ok("DB down: socketmap %s answered within 8s (%.1fs)" % (name, dt), dt < 8.0)
    c = h.AuthClient(tern.client_sock)
    try:
        t0 = time.monotonic()
        r = c.auth_plain(OUTAGE_USER, "late-pw", timeout=20.0)
        dt = time.monotonic() - t0
        t.ok("DB down: AUTH -> FAIL with temp", r.cmd == "FAIL" and "temp" in r.flags, r)
        t.ok("DB down: AUTH answered within 8s (%.1fs)" % dt, dt < 8.0)
        r = c.auth_plain("outage6@example.test", "x", timeout=20.0)
        t.ok("DB down: unknown user also temp, not 'unknown user'",
             r.cmd == "FAIL" and "temp" in r.flags, r)
    finally:
        c.close()
    u = h.UserdbClient(tern.userdb_sock)
    try:
        t0 = time.monotonic()
        r = u.user(1, OUTAGE_USER)
        dt = time.monotonic() - t0
        t.eq("DB down: USER -> FAIL (not NOTFOUND)", r.cmd, "FAIL")
        t.ok("DB down: USER answered within 8s (%.1fs)" % dt, dt < 8.0)
        users, end = u.list_users(2, timeout=20.0)
        t.eq("DB down: LIST -> FAIL, not an empty DONE", end.cmd, "FAIL")
    except OSError as e:
        t.ok("DB down: userdb answers", False, e)
    finally:
        u.close()
    t.eq("DB down: authd still the same process", tern.authd_pid(), pid)

    db.start()
    t0 = time.monotonic()

    def recovered():
        r = q(tern, "resolve", "outage4@example.test")
        return r if not (r or "").startswith("TEMP") else None
    r = h.wait_until(recovered, 90.0, 0.5)
    t.ok("DB back: socketmap answers again without restarting authd (after %.1fs)"
         % (time.monotonic() - t0), r is not None and is_notfound(r), r)
    for name, key in sm_checks:
        r = q(tern, name, key)
        if key == "outage5@other.test":  # the catch-all of other.test
            t.eq("DB back: resolve %s -> the catch-all's target" % key, r,
                 "OK demo@example.test")
        else:
            t.ok("DB back: %s %s -> NOTFOUND" % (name, key), is_notfound(r), r)
    t.eq("DB back: info resolves", sorted(h.split_targets(q(tern, "resolve", "info@example.test"))
                                          or []), ["demo@example.test", "other@other.test"])
    c = h.AuthClient(tern.client_sock)
    try:
        ok = h.wait_until(lambda: c.auth_plain(OUTAGE_USER, "late-pw").cmd == "OK", 60.0, 0.5)
        t.ok("DB back: the login that was TEMP now succeeds", ok)
        r = c.auth_plain(OUTAGE_USER, "wrong")
        t.ok("DB back: a wrong password is a plain FAIL again",
             r.cmd == "FAIL" and "temp" not in r.flags, r)
    finally:
        c.close()
    u = h.UserdbClient(tern.userdb_sock)
    try:
        r = u.user(3, OUTAGE_USER)
        t.eq("DB back: USER found", r.cmd, "USER")
        t.eq("DB back: USER quota_rule", r.fields.get("quota_rule"), "*:bytes=2048")
    finally:
        u.close()
    t.eq("DB back: authd was never restarted", tern.authd_pid(), pid)


# ---------------------------------------------------------------- failover

def test_failover(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        for i in range(3):
            r = c.auth_plain("demo@example.test", "demo-sql-pw")
            t.eq("failover: login #%d with a dead first host -> OK" % i, r.cmd, "OK")
        t.ok("failover: login answered within 8s", r.elapsed < 8.0, r.elapsed)
    finally:
        c.close()
    u = h.UserdbClient(tern.userdb_sock)
    try:
        r = u.user(1, "demo@example.test")
        t.eq("failover: USER demo -> USER", r.cmd, "USER")
    finally:
        u.close()
    for i in range(3):
        t.eq("failover: domain example.test #%d" % i, q(tern, "domain", "example.test"),
             "OK example.test")
        t.eq("failover: resolve info #%d" % i,
             sorted(h.split_targets(q(tern, "resolve", "info@example.test")) or []),
             ["demo@example.test", "other@other.test"])
        t.ok("failover: mailbox demo #%d" % i,
             (q(tern, "mailbox", "demo@example.test") or "").startswith("OK "))


# ---------------------------------------------------------------- main

def mail_ids():
    if h.IS_ROOT:
        h.ensure_system_user(h.MAIL_USER)
        p = pwd.getpwnam(h.MAIL_USER)
        return p.pw_uid, p.pw_gid
    return os.getuid(), os.getgid()


def settings_for(fx, hosts, name, dsql_hosts=None, port=None, mode=None):
    maps = fx.write_maps(hosts, subdir="postfix-sql-" + name)
    dsql = fx.write_dovecot_sql(dsql_hosts or hosts, FX["home_base"], FX["uid"], FX["gid"],
                                name="dovecot-sql-%s.conf.ext" % name, port=port)
    if mode is not None:  # as installed: root-owned, not readable by others
        for p in list(maps.values()) + [dsql]:
            os.chmod(p, mode)
    s = fx.tern_settings(maps, dsql)
    return maps, s


def test_other_setup(t, tern):
    """A short check of an installation with other connection settings."""
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("demo@example.test", "demo-sql-pw")
        t.eq("%s: login demo -> OK" % FX["setup"], r.cmd, "OK")
        r = c.auth_plain("demo@example.test", "bad")
        t.ok("%s: wrong password -> FAIL, not temp" % FX["setup"],
             r.cmd == "FAIL" and "temp" not in r.flags, r)
    finally:
        c.close()
    u = h.UserdbClient(tern.userdb_sock)
    try:
        r = u.user(1, "demo@example.test")
        t.eq("%s: USER demo -> USER" % FX["setup"], r.cmd, "USER")
    finally:
        u.close()
    t.eq("%s: domain example.test" % FX["setup"], q(tern, "domain", "example.test"),
         "OK example.test")
    t.eq("%s: resolve sales@alias.test" % FX["setup"],
         sorted(h.split_targets(q(tern, "resolve", "sales@alias.test")) or []),
         ["demo@example.test", "other@other.test"])


def main():
    t = h.Checker("sql_directory")
    why = S.available()
    if why:
        if h.IS_ROOT:
            t.ok("MariaDB server available", False, why)
        else:
            t.skip("sql_directory", why)
        t.finish()
    port = S.free_tcp_port()
    db = S.MariaDB(tcp_port=port)
    FX["db"] = db
    try:
        db.start()
        work = os.path.join(db.dir, "work")
        fx = S.PostfixAdminDB(db, work)
        fx.load()
        FX["fx"] = fx
        FX["home_base"] = os.path.join(work, "vmail")
        FX["uid"], FX["gid"] = mail_ids()
        FX["pf"] = postfix_setup(work)
        maps, settings = settings_for(fx, [db.socket], "main")
        FX["maps"] = maps
        with h.Tern(t, name="sql", settings=settings, argon=False) as tern:
            if tern.start():
                for fn in (test_scheme_logins, test_case_and_sources, test_refused,
                           test_userdb, test_socketmap, test_hostile,
                           test_postfix_equivalence, test_db_outage):
                    t.run(fn, t, tern)
        dead, keep = S.dead_socket(db.dir)
        missing = os.path.join(db.dir, "no-such.sock")
        _, settings = settings_for(fx, [missing, dead, db.socket], "failover")
        with h.Tern(t, name="sqlfo", settings=settings, argon=False) as tern:
            if tern.start():
                t.run(test_failover, t, tern)
        keep.close()
        FX["setup"] = "TCP (inet:127.0.0.1:%d, host=127.0.0.1 port=%d)" % (port, port)
        _, settings = settings_for(fx, ["inet:127.0.0.1:%d" % port], "tcp",
                                   dsql_hosts=["127.0.0.1"], port=port)
        with h.Tern(t, name="sqltcp", settings=settings, argon=False) as tern:
            if tern.start():
                t.run(test_other_setup, t, tern)
        if h.IS_ROOT:
            FX["setup"] = "map files and dovecot-sql.conf.ext root-owned, mode 0600"
            print("# %s (Dovecot opens its SQL file as root; Postfix's proxymap opens "
                  "maps before dropping privileges)" % FX["setup"], flush=True)
            _, settings = settings_for(fx, [db.socket], "perm", mode=0o600)
            with h.Tern(t, name="sqlperm", settings=settings, argon=False) as tern:
                if tern.start():
                    t.run(test_other_setup, t, tern)
    except Exception:
        import traceback
        t.ok("SQL test setup", False, traceback.format_exc())
        print("# mariadb err.log tail:\n" + db.err_log()[-1500:], flush=True)
    finally:
        db.remove()
    t.finish()


if __name__ == "__main__":
    main()
