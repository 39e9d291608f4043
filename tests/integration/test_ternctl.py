#!/usr/bin/env python3
"""ternctl against a running installation: auth test, user, user list, lookup, pw,
status, and its behaviour without a running master or with bad usage."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402


def test_auth_test(t, tern):
    r = tern.ternctl("auth", "test", "demo@example.test", "demo")
    t.eq("auth test good password: exit 0", r.returncode, 0)
    t.ok("auth test prints 'auth succeeded'", "auth succeeded" in r.stdout, repr(r.stdout))
    r = tern.ternctl("auth", "test", "crypt@example.test", "secret")
    t.eq("auth test SHA512-CRYPT user: exit 0", r.returncode, 0)
    r = tern.ternctl("auth", "test", "demo@example.test", "nope")
    t.eq("auth test wrong password: exit 1", r.returncode, 1)
    t.ok("auth test prints 'auth failed: ...'", "auth failed" in r.stdout + r.stderr,
         repr(r.stdout + r.stderr))
    r = tern.ternctl("auth", "test", "ghost@example.test", "x")
    t.eq("auth test unknown user: exit 1", r.returncode, 1)


def test_user(t, tern):
    r = tern.ternctl("user", "demo@example.test")
    t.eq("user demo: exit 0", r.returncode, 0)
    t.ok("user demo prints home=", "home=%s" % tern.path("mail", "example.test", "demo")
         in r.stdout, repr(r.stdout))
    t.ok("user demo prints quota_rule=", "quota_rule=*:storage=1G" in r.stdout, repr(r.stdout))
    t.ok("user demo prints uid=", "uid=" in r.stdout, repr(r.stdout))
    t.ok("user demo does not print the password", "{PLAIN}" not in r.stdout, repr(r.stdout))
    r = tern.ternctl("user", "other@other.test")
    t.ok("user other prints mail=", "mail=maildir:/srv/other/Maildir" in r.stdout,
         repr(r.stdout))
    r = tern.ternctl("user", "ghost@example.test")
    t.eq("user unknown: exit 1", r.returncode, 1)


def test_lookup(t, tern):
    r = tern.ternctl("lookup", "domain", "example.test")
    t.eq("lookup domain example.test: exit 0", r.returncode, 0)
    t.eq("lookup domain prints the reply", r.stdout.strip(), "OK example.test")
    r = tern.ternctl("lookup", "resolve", "info@example.test")
    t.eq("lookup resolve info", h.split_targets(r.stdout.strip()) and
         sorted(h.split_targets(r.stdout.strip())), ["demo@example.test", "other@other.test"])
    r = tern.ternctl("lookup", "domain", "nope.test")
    t.ok("lookup unknown domain prints NOTFOUND", r.stdout.strip().startswith("NOTFOUND"),
         repr(r.stdout))
    r = tern.ternctl("lookup", "bogusmap", "x")
    t.ok("lookup unknown map prints PERM", r.stdout.strip().startswith("PERM"),
         repr(r.stdout + r.stderr))


def test_pw(t, tern):
    r = tern.ternctl("pw", "-s", "SHA512-CRYPT", "-p", "secret")
    t.eq("pw -s SHA512-CRYPT: exit 0", r.returncode, 0)
    out = r.stdout.strip()
    t.ok("pw -s SHA512-CRYPT prints {SHA512-CRYPT}$6$...", out.startswith("{SHA512-CRYPT}$6$"),
         repr(out))
    if out.startswith("{SHA512-CRYPT}$6$"):
        salt = out[len("{SHA512-CRYPT}$6$"):].split("$")[0]
        if salt.startswith("rounds="):
            t.skip("pw SHA512-CRYPT verifies with openssl", "hash uses rounds=")
        else:
            ref = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "secret"],
                                 capture_output=True, text=True).stdout.strip()
            t.eq("pw SHA512-CRYPT hash verifies with openssl", out[len("{SHA512-CRYPT}"):], ref)
    r2 = tern.ternctl("pw", "-s", "SHA512-CRYPT", "-p", "secret")
    t.ok("pw uses a fresh salt each time", r2.stdout.strip() != out, (out, r2.stdout))
    r = tern.ternctl("pw", "-s", "ARGON2ID", "-p", "secret")
    t.ok("pw -s ARGON2ID prints {ARGON2ID}$argon2id$",
         r.returncode == 0 and r.stdout.strip().startswith("{ARGON2ID}$argon2id$"),
         repr(r.stdout + r.stderr))
    t.ok("ARGON2ID hash made by harness authenticates (round trip)", tern.argon_hash and
         tern.ternctl("auth", "test", "argon@example.test", "argonpw").returncode == 0)
    r = tern.ternctl("pw", "-p", "secret")
    t.ok("pw without -s prints a {SCHEME} hash",
         r.returncode == 0 and r.stdout.strip().startswith("{"), repr(r.stdout + r.stderr))
    r = tern.ternctl("pw", "-s", "NO-SUCH-SCHEME", "-p", "secret")
    t.ok("pw with an unknown scheme fails", r.returncode != 0, repr(r.stdout))


def test_user_list(t, tern):
    want = set(h.PASSWORDS)
    if not tern.argon_hash:
        want.discard("argon@example.test")
    r = tern.ternctl("user", "list")
    t.eq("user list: exit 0", r.returncode, 0)
    got = r.stdout.split()
    t.eq("user list prints every user once", sorted(got), sorted(want))
    t.ok("user list prints no password", "{PLAIN}" not in r.stdout, repr(r.stdout))
    r = tern.ternctl("user", "list", "*@other.test")
    t.eq("user list '*@other.test': exit 0", r.returncode, 0)
    t.eq("user list '*@other.test' filters", r.stdout.split(), ["other@other.test"])
    r = tern.ternctl("user", "list", "D*@EXAMPLE.TEST")
    t.eq("user list glob is case-insensitive", r.stdout.split(), ["demo@example.test"])
    r = tern.ternctl("user", "list", "nobody-*")
    t.eq("user list with no match: exit 0, no output", (r.returncode, r.stdout), (0, ""))
    r = tern.ternctl("user", "demo@example.test")
    t.eq("user USER still works next to user list", r.returncode, 0)


def test_errors(t, tern):
    r = tern.ternctl("no-such-command")
    t.ok("unknown subcommand: non-zero exit", r.returncode not in (0, -999), r.returncode)
    t.ok("unknown subcommand: message on stderr", r.stderr.strip(), repr(r.stderr))
    other = dict(tern.settings, run_directory=tern.path("run-none"))
    conf = tern.write_file("nomaster.conf", tern.conf_text(settings=other))
    r = subprocess.run([os.path.join(h.BIN, "ternctl"), "-c", conf, "status"],
                       capture_output=True, text=True, timeout=20)
    t.ok("status without a running master: non-zero exit", r.returncode != 0, r.returncode)
    t.ok("status without a running master: says why on stderr", r.stderr.strip(),
         repr(r.stderr))


def main():
    h.main_with("ternctl", [test_auth_test, test_user, test_user_list, test_lookup, test_pw,
                            test_errors])


if __name__ == "__main__":
    main()
