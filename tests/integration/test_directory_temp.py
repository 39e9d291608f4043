#!/usr/bin/env python3
"""When the directory cannot answer (data file missing or unreadable) authd
must say so (FAIL ... temp, userdb FAIL, socketmap TEMP) and never turn it
into "wrong password" or NOTFOUND; it recovers once the file is back; a
reload that cannot read a file keeps the old data."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402


def test_missing_files(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("demo@example.test", "demo")
        t.eq("passwd missing: AUTH -> FAIL", r.cmd, "FAIL")
        t.ok("passwd missing: FAIL carries temp", "temp" in r.flags, r)
        r = c.auth_plain("nobody@example.test", "x")
        t.ok("passwd missing: unknown user also temp (not 'unknown user')", "temp" in r.flags, r)
    finally:
        c.close()
    u = h.UserdbClient(tern.userdb_sock)
    try:
        r = u.user(1, "demo@example.test")
        t.eq("passwd missing: USER -> FAIL (not NOTFOUND)", r.cmd, "FAIL")
        t.ok("passwd missing: USER FAIL has reason=", "reason" in r.fields, r)
        r = u.passdb(2, "demo@example.test")
        t.eq("passwd missing: PASS -> FAIL (not NOTFOUND)", r.cmd, "FAIL")
        users, end = u.list_users(3)
        t.eq("passwd missing: LIST -> FAIL, not an empty DONE", end.cmd, "FAIL")
    finally:
        u.close()
    sm = tern.socketmap_sock
    r = h.socketmap(sm, "mailbox", "demo@example.test")
    t.ok("passwd missing: socketmap mailbox -> TEMP", r and r.startswith("TEMP"), r)
    r = h.socketmap(sm, "alias", "info@example.test")
    t.ok("aliases missing: socketmap alias -> TEMP", r and r.startswith("TEMP"), r)
    r = h.socketmap(sm, "resolve", "info@example.test")
    t.ok("aliases missing: socketmap resolve -> TEMP", r and r.startswith("TEMP"), r)
    r = h.socketmap(sm, "resolve", "nobody@example.test")
    t.ok("files missing: resolve of an unknown address -> TEMP, not NOTFOUND",
         r and r.startswith("TEMP"), r)
    r = h.socketmap(sm, "domain", "example.test")
    t.eq("domains from the config still answer", r, "OK example.test")
    r = h.socketmap(sm, "domain", "alias.test")
    t.eq("alias domains file present: alias.test still ours", r, "OK alias.test")


def test_recovery(t, tern):
    os.rename(tern.path("passwd.later"), tern.path("passwd"))
    os.rename(tern.path("aliases.later"), tern.path("aliases"))
    tern.signal(signal.SIGHUP)
    c = h.AuthClient(tern.client_sock)
    try:
        ok = h.wait_until(lambda: c.auth_plain("demo@example.test", "demo").cmd == "OK", 5.0, 0.2)
        t.ok("files back + SIGHUP: demo authenticates", ok)
    finally:
        c.close()
    r = h.socketmap(tern.socketmap_sock, "resolve", "info@example.test")
    t.eq("files back: resolve works", sorted(h.split_targets(r) or []),
         ["demo@example.test", "other@other.test"])


def check_old_data(t, c, how):
    r = c.auth_plain("demo@example.test", "demo")
    t.eq("unreadable passwd, %s: old data kept, demo still OK" % how, r.cmd, "OK")
    r = c.auth_plain("demo@example.test", "wrong")
    t.ok("unreadable passwd, %s: wrong password is a normal FAIL" % how,
         r.cmd == "FAIL" and "temp" not in r.flags, r)


def test_failed_reload_keeps_data(t, tern):
    pid = tern.authd_pid()
    os.chmod(tern.path("passwd"), 0o000)
    os.utime(tern.path("passwd"))  # looks changed on disk
    c = h.AuthClient(tern.client_sock)
    try:
        h.time.sleep(1.2)  # authd's own change check runs at most once a second
        check_old_data(t, c, "automatic refresh")
        tern.signal(signal.SIGHUP)
        h.time.sleep(1.0)
        check_old_data(t, c, "SIGHUP")
    finally:
        c.close()
        os.chmod(tern.path("passwd"), 0o644)
    t.eq("failed reload did not restart authd", tern.authd_pid(), pid)


def main():
    t = h.Checker("directory_temp")
    with h.Tern(t, name="temp", argon=False) as tern:
        os.rename(tern.path("passwd"), tern.path("passwd.later"))
        os.rename(tern.path("aliases"), tern.path("aliases.later"))
        if tern.start():
            for fn in (test_missing_files, test_recovery, test_failed_reload_keeps_data):
                t.run(fn, t, tern)
    t.finish()


if __name__ == "__main__":
    main()
