#!/usr/bin/env python3
"""authd userdb socket (Dovecot auth-master protocol): handshake, USER with
its fields (home from mail_home, uid/gid, mail, quota_rule), NOTFOUND, PASS
(never exposing the hash), LIST, pipelining, and malformed input."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402


def mail_ids():
    if h.IS_ROOT:
        pw = h.pwd.getpwnam(h.MAIL_USER)
        try:
            gid = h.grp.getgrnam(h.MAIL_USER).gr_gid
        except KeyError:
            gid = pw.pw_gid
        return str(pw.pw_uid), str(gid)
    return str(os.getuid()), str(os.getgid())


def test_handshake(t, tern):
    c = h.UserdbClient(tern.userdb_sock)
    try:
        t.eq("userdb handshake VERSION 1 1", c.handshake_lines[0], "VERSION\t1\t1")
        t.ok("userdb handshake SPID", c.spid and h.pid_alive(c.spid), c.handshake_lines)
    finally:
        c.close()


def test_user_fields(t, tern):
    uid, gid = mail_ids()
    c = h.UserdbClient(tern.userdb_sock)
    try:
        r = c.user(1, "demo@example.test")
        t.eq("USER demo -> USER", r.cmd, "USER")
        t.eq("USER reply echoes the id", r.id, "1")
        t.eq("USER reply names the user", r.args[0] if r.args else None, "demo@example.test")
        t.eq("demo home from mail_home template", r.fields.get("home"),
             tern.path("mail", "example.test", "demo"))
        t.eq("demo uid = mail_uid", r.fields.get("uid"), uid)
        t.eq("demo gid = mail_gid", r.fields.get("gid"), gid)
        t.eq("demo quota_rule from userdb_quota_rule", r.fields.get("quota_rule"),
             "*:storage=1G")
        t.ok("demo mail location (mail_location default maildir)",
             r.fields.get("mail", "maildir:").startswith("maildir:"), r)
        t.ok("USER reply does not carry the password", "password" not in r.fields
             and "{PLAIN}" not in r.line, r)

        r = c.user(2, "other@other.test")
        t.eq("USER other -> USER", r.cmd, "USER")
        t.eq("other home from passwd", r.fields.get("home"), "/srv/other")
        t.eq("other uid from passwd", r.fields.get("uid"), "1234")
        t.eq("other gid from passwd", r.fields.get("gid"), "1234")
        t.eq("other mail from userdb_mail", r.fields.get("mail"), "maildir:/srv/other/Maildir")
        t.ok("other has no quota_rule", "quota_rule" not in r.fields, r)

        r = c.user(3, "Demo@EXAMPLE.test")
        t.eq("USER is case-insensitive", r.cmd, "USER")
        t.eq("USER mixed case: home is lower case", r.fields.get("home"),
             tern.path("mail", "example.test", "demo"))

        r = c.user(4, "crypt@example.test")
        t.eq("USER crypt home", r.fields.get("home"), tern.path("mail", "example.test", "crypt"))
    finally:
        c.close()


def test_notfound(t, tern):
    c = h.UserdbClient(tern.userdb_sock)
    try:
        for i, u in enumerate(("nobody@example.test", "info@example.test", "demo@other.test",
                               "demo", "demo@example.test.", "x" * 300 + "@example.test")):
            r = c.user(10 + i, u)
            t.eq("USER %s -> NOTFOUND" % u[:40], r.line, "NOTFOUND\t%d" % (10 + i))
    finally:
        c.close()


def test_pass(t, tern):
    c = h.UserdbClient(tern.userdb_sock)
    try:
        r = c.passdb(20, "demo@example.test")
        t.eq("PASS demo -> PASS", r.cmd, "PASS")
        t.eq("PASS reply has user=", r.fields.get("user"), "demo@example.test")
        t.ok("PASS reply does not expose the stored password",
             "password" not in r.fields and "{PLAIN}" not in r.line, r)
        r = c.passdb(21, "crypt@example.test")
        t.eq("PASS crypt -> PASS", r.cmd, "PASS")
        t.ok("PASS crypt does not expose the hash", "$6$" not in r.line, r)
        r = c.passdb(22, "nobody@example.test")
        t.eq("PASS unknown -> NOTFOUND", r.line, "NOTFOUND\t22")
    finally:
        c.close()


def test_list(t, tern):
    want = set(h.PASSWORDS)
    if not tern.argon_hash:
        want.discard("argon@example.test")
    c = h.UserdbClient(tern.userdb_sock)
    try:
        users, end = c.list_users(30)
        t.eq("LIST ends with DONE", end.line, "DONE\t30")
        t.eq("LIST returns every user once", sorted(users), sorted(want))
        r = c.user(31, "demo@example.test")
        t.eq("connection usable after LIST", r.cmd, "USER")
    finally:
        c.close()


def test_pipelined(t, tern):
    c = h.UserdbClient(tern.userdb_sock)
    try:
        reqs = []
        want = {}
        for i in range(40):
            rid = 100 + i
            if i % 4 == 0:
                reqs.append("USER\t%d\tdemo@example.test\tservice=lmtp" % rid)
                want[str(rid)] = "USER"
            elif i % 4 == 1:
                reqs.append("USER\t%d\tghost%d@example.test\tservice=imap" % (rid, i))
                want[str(rid)] = "NOTFOUND"
            elif i % 4 == 2:
                reqs.append("PASS\t%d\tother@other.test\tservice=smtp" % rid)
                want[str(rid)] = "PASS"
            else:
                reqs.append("USER\t%d\tother@other.test" % rid)  # no service= at all
                want[str(rid)] = "USER"
        c.send("\n".join(reqs) + "\n")
        got = {}
        for rid in want:
            got[rid] = c.read_reply(rid, 10.0).cmd
        bad = {k: (got[k], v) for k, v in want.items() if got[k] != v}
        t.ok("40 pipelined USER/PASS requests each answered correctly", not bad, bad)
    finally:
        c.close()


def expect_close(t, tern, name, payload, handshake=True):
    c = h.UserdbClient(tern.userdb_sock, handshake=handshake)
    try:
        try:
            c.send(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        t.ok("%s -> disconnected" % name, c.closed_by_peer(3.0), "still open, got %r"
             % c.buf[:200])
    finally:
        c.close()
    c = h.UserdbClient(tern.userdb_sock)
    try:
        r = c.user(1, "demo@example.test")
        t.eq("after %s: fresh userdb connection works" % name, r.cmd, "USER")
    finally:
        c.close()


def test_malformed(t, tern):
    expect_close(t, tern, "VERSION 2", "VERSION\t2\t0\n", handshake=False)
    expect_close(t, tern, "garbage instead of VERSION", "GET / HTTP/1.0\n", handshake=False)
    expect_close(t, tern, "USER without fields", "USER\n")
    expect_close(t, tern, "USER without user", "USER\t1\n")
    expect_close(t, tern, "USER with non-numeric id", "USER\tabc\tdemo@example.test\n")
    expect_close(t, tern, "PASS without user", "PASS\t1\n")
    expect_close(t, tern, "LIST with non-numeric id", "LIST\tx\n")
    expect_close(t, tern, "unknown command", "DELETE\t1\tdemo@example.test\n")
    expect_close(t, tern, "overlong line (100 KB)",
                 "USER\t1\t" + "a" * (100 * 1024) + "@example.test\n")
    expect_close(t, tern, "overlong line without newline", "USER\t1\t" + "a" * (100 * 1024))


def main():
    h.main_with("userdb", [test_handshake, test_user_fields, test_notfound, test_pass,
                           test_list, test_pipelined, test_malformed])


if __name__ == "__main__":
    main()
