#!/usr/bin/env python3
"""authd client socket (Dovecot auth protocol): the handshake, PLAIN and
LOGIN with every stored scheme, failures and their delay, the CONT flow,
cancel, authzid, case folding, unknown mechanisms, pipelining, and the
auth-ok / auth-fail log lines fail2ban depends on."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402

DELAY = 0.3   # auth_failure_delay in the generated config
SLACK = 0.02  # timer granularity


def test_handshake(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        hs = c.handshake_lines
        t.eq("handshake starts with VERSION 1 2", hs[0] if hs else None, "VERSION\t1\t2")
        t.ok("handshake offers PLAIN plaintext", "MECH\tPLAIN\tplaintext" in hs, hs)
        t.ok("handshake offers LOGIN plaintext", "MECH\tLOGIN\tplaintext" in hs, hs)
        t.ok("handshake has SPID = a live process", c.spid and h.pid_alive(c.spid), hs)
        t.ok("handshake has CUID", any(re.fullmatch(r"CUID\t\d+", x) for x in hs), hs)
        t.ok("handshake has COOKIE of 32 hex digits",
             c.cookie is not None and re.fullmatch(r"[0-9a-f]{32}", c.cookie), hs)
        t.eq("handshake ends with DONE", hs[-1], "DONE")
        c2 = h.AuthClient(tern.client_sock)
        cuid1 = [x for x in hs if x.startswith("CUID\t")]
        cuid2 = [x for x in c2.handshake_lines if x.startswith("CUID\t")]
        t.ok("each connection gets its own CUID", cuid1 != cuid2, (cuid1, cuid2))
        c2.close()
    finally:
        c.close()


def test_plain_schemes(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        for user, scheme in (("demo@example.test", "{PLAIN}"),
                             ("crypt@example.test", "{SHA512-CRYPT}"),
                             ("bare@example.test", "bare $6$"),
                             ("argon@example.test", "{ARGON2ID}")):
            if user.startswith("argon") and not tern.argon_hash:
                t.ok("ARGON2ID hash made by ternctl pw", False, "no hash, user not created")
                continue
            r = c.auth_plain(user, h.PASSWORDS[user])
            t.eq("PLAIN %s password (%s) -> OK" % (scheme, user), r.cmd, "OK")
            t.eq("PLAIN %s reply carries user=" % scheme, r.fields.get("user"), user)
            r = c.auth_plain(user, h.PASSWORDS[user] + "x")
            t.eq("PLAIN %s wrong password -> FAIL" % scheme, r.cmd, "FAIL")
            t.ok("PLAIN %s wrong password is not temp" % scheme, "temp" not in r.flags, r)
    finally:
        c.close()


def test_plain_failures(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("demo@example.test", "demo")
        t.eq("PLAIN ok", r.cmd, "OK")
        t.ok("success is not delayed by auth_failure_delay", r.elapsed < DELAY, r)
        r = c.auth_plain("demo@example.test", "wrong-pass-Zq9")
        t.eq("wrong password -> FAIL", r.cmd, "FAIL")
        t.eq("wrong password FAIL echoes id", r.id, str(c.next_id - 1))
        t.eq("wrong password FAIL names the user", r.fields.get("user"), "demo@example.test")
        t.ok("wrong password answered after >= auth_failure_delay",
             r.elapsed >= DELAY - SLACK, "%.3fs" % r.elapsed)
        t.ok("wrong password answered in reasonable time", r.elapsed < DELAY + 2.0,
             "%.3fs" % r.elapsed)
        r = c.auth_plain("nobody@example.test", "whatever")
        t.eq("unknown user -> FAIL", r.cmd, "FAIL")
        t.ok("unknown user is not temp", "temp" not in r.flags, r)
        t.ok("unknown user answered after >= auth_failure_delay",
             r.elapsed >= DELAY - SLACK, "%.3fs" % r.elapsed)
        r = c.auth_plain("demo@example.test", "")
        t.eq("empty password -> FAIL", r.cmd, "FAIL")
        r = c.auth_plain("", "demo")
        t.eq("empty user -> FAIL", r.cmd, "FAIL")
        r = c.auth_plain("info@example.test", "demo")
        t.eq("an alias is not a login -> FAIL", r.cmd, "FAIL")
        r = c.auth_plain("demo@example.test", "demo\x00extra")
        t.eq("password with embedded NUL (4 fields) -> FAIL", r.cmd, "FAIL")
        r = c.auth_plain("demo@example.test", "demo")
        t.eq("connection still usable after failures", r.cmd, "OK")
    finally:
        c.close()


def test_malformed_base64(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        for i, bad in enumerate(("!!!notbase64!!!", "AGRlbW8", "%%%%", "AGRl=bW8AZGVtbw")):
            rid = 100 + i
            r = c.request(c.auth_line(rid, "PLAIN", bad), rid, 10.0)
            t.eq("malformed base64 %r -> FAIL" % bad, r.cmd, "FAIL")
            t.ok("malformed base64 %r FAIL has reason=" % bad, "reason" in r.fields, r)
        # resp decodes but is not user\0pass
        r = c.request(c.auth_line(110, "PLAIN", h.b64("no-nuls-here")), 110, 10.0)
        t.eq("PLAIN response without NULs -> FAIL", r.cmd, "FAIL")
        r = c.auth_plain("demo@example.test", "demo")
        t.eq("connection still usable after malformed base64", r.cmd, "OK")
    finally:
        c.close()


def test_login(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        conts, r = c.auth_login("demo@example.test", "demo")
        t.eq("LOGIN sends two CONT challenges", len(conts), 2)
        if len(conts) == 2:
            t.eq("LOGIN first challenge is Username:",
                 h.base64.b64decode(conts[0].data), b"Username:")
            t.eq("LOGIN second challenge is Password:",
                 h.base64.b64decode(conts[1].data), b"Password:")
        t.eq("LOGIN good password -> OK", r.cmd, "OK")
        t.eq("LOGIN OK carries user=", r.fields.get("user"), "demo@example.test")
        conts, r = c.auth_login("crypt@example.test", "secret")
        t.eq("LOGIN SHA512-CRYPT user -> OK", r.cmd, "OK")
        conts, r = c.auth_login("demo@example.test", "bad")
        t.eq("LOGIN wrong password -> FAIL", r.cmd, "FAIL")
        conts, r = c.auth_login("nobody@example.test", "bad")
        t.eq("LOGIN unknown user -> FAIL", r.cmd, "FAIL")
        # LOGIN with an initial response (the user name) skips the first CONT
        rid = c.new_id()
        r = c.request(c.auth_line(rid, "LOGIN", h.b64("demo@example.test")), rid)
        t.ok("LOGIN with initial response asks Password:",
             r.cmd == "CONT" and h.base64.b64decode(r.data) == b"Password:", r)
        if r.cmd == "CONT":
            r = c.request("CONT\t%d\t%s" % (rid, h.b64("demo")), rid)
            t.eq("LOGIN with initial response -> OK", r.cmd, "OK")
    finally:
        c.close()


def test_plain_cont_flow(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        rid = c.new_id()
        r = c.request(c.auth_line(rid, "PLAIN", None), rid)
        t.eq("PLAIN without resp= -> CONT", r.cmd, "CONT")
        t.eq("PLAIN CONT has an empty challenge", r.line, "CONT\t%d\t" % rid)
        r = c.request("CONT\t%d\t%s" % (rid, h.plain_resp("demo@example.test", "demo")), rid)
        t.eq("PLAIN CONT response -> OK", r.cmd, "OK")
        t.eq("PLAIN CONT OK user=", r.fields.get("user"), "demo@example.test")
        rid = c.new_id()
        c.request(c.auth_line(rid, "PLAIN", None), rid)
        r = c.request("CONT\t%d\t%s" % (rid, h.plain_resp("demo@example.test", "no")), rid)
        t.eq("PLAIN CONT wrong password -> FAIL", r.cmd, "FAIL")
        # PLAIN with an empty initial response ("resp=" = "=" in SASL) also asks
        rid = c.new_id()
        r = c.request(c.auth_line(rid, "PLAIN", ""), rid)
        t.ok("PLAIN with empty resp= -> CONT or FAIL, not OK", r.cmd in ("CONT", "FAIL"), r)
        if r.cmd == "CONT":
            c.request("CONT\t%d\t*" % rid, rid)
        r = c.auth_plain("demo@example.test", "demo")
        t.eq("connection still fine", r.cmd, "OK")
    finally:
        c.close()


def test_cancel(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        rid = c.new_id()
        r = c.request(c.auth_line(rid, "PLAIN", None), rid)
        t.eq("cancel: request pending with CONT", r.cmd, "CONT")
        r = c.request("CONT\t%d\t*" % rid, rid)
        t.eq("CONT * cancels -> FAIL", r.cmd, "FAIL")
        rid = c.new_id()
        c.request(c.auth_line(rid, "LOGIN", None), rid)
        r = c.request("CONT\t%d\t%s" % (rid, h.b64("demo@example.test")), rid)
        t.eq("cancel LOGIN at Password: step: CONT first", r.cmd, "CONT")
        r = c.request("CONT\t%d\t*" % rid, rid)
        t.eq("cancel LOGIN at Password: step -> FAIL", r.cmd, "FAIL")
        # the id is free again after the cancel
        r = c.auth_plain("demo@example.test", "demo", rid=rid)
        t.eq("id reusable after cancel", r.cmd, "OK")
    finally:
        c.close()


def test_authzid(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("demo@example.test", "demo", authzid="other@other.test")
        t.eq("PLAIN authzid != authcid -> FAIL (no master users)", r.cmd, "FAIL")
        r = c.auth_plain("demo@example.test", "demo", authzid="demo@example.test")
        t.eq("PLAIN authzid == authcid -> OK", r.cmd, "OK")
    finally:
        c.close()


def test_case_insensitive(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("Demo@Example.TEST", "demo")
        t.eq("Demo@Example.TEST logs in", r.cmd, "OK")
        t.eq("user= is normalized to lower case", r.fields.get("user"), "demo@example.test")
        r = c.auth_plain("CRYPT@EXAMPLE.TEST", "secret")
        t.eq("CRYPT@EXAMPLE.TEST logs in", r.cmd, "OK")
        r = c.auth_plain("demo@example.test", "DEMO")
        t.eq("passwords stay case-sensitive", r.cmd, "FAIL")
    finally:
        c.close()


def test_unknown_mech(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        for mech in ("CRAM-MD5", "XOAUTH2", "plainx"):
            rid = c.new_id()
            r = c.request(c.auth_line(rid, mech, h.b64("x")), rid, 10.0)
            t.eq("unknown mechanism %s -> FAIL" % mech, r.cmd, "FAIL")
        rid = c.new_id()
        r = c.request(c.auth_line(rid, "plain", h.plain_resp("demo@example.test", "demo")),
                      rid, 10.0)
        t.ok("mechanism name 'plain' (lower case): OK or FAIL, answered", r.cmd in ("OK", "FAIL"), r)
        r = c.auth_plain("demo@example.test", "demo")
        t.eq("connection still usable after unknown mechanisms", r.cmd, "OK")
    finally:
        c.close()


def test_pipelined(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        want = {}
        lines = []
        for i in range(1, 31):
            rid = 1000 + i
            if i % 3 == 0:
                user, pw, res = "demo@example.test", "wrong", "FAIL"
            elif i % 3 == 1:
                user, pw, res = "demo@example.test", "demo", "OK"
            else:
                user, pw, res = "crypt@example.test", "secret", "OK"
            want[str(rid)] = (res, user)
            lines.append(c.auth_line(rid, "PLAIN", h.plain_resp(user, pw)))
        t0 = h.time.monotonic()
        c.send("\n".join(lines) + "\n")
        got = {}
        dup = []
        while len(got) < len(want):
            line = c.readline(15.0)
            if line is None:
                break
            r = h.Reply(line)
            if r.id in got:
                dup.append(r.id)
            got[r.id] = (r.cmd, r.fields.get("user"))
        elapsed = h.time.monotonic() - t0
        t.eq("30 pipelined requests: every id answered", sorted(got), sorted(want))
        t.ok("no id answered twice", not dup, dup)
        wrong = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
        t.ok("each pipelined id gets its own result", not wrong, wrong)
        t.ok("10 delayed failures do not serialize (took %.2fs)" % elapsed,
             elapsed < 10 * DELAY, "%.2fs" % elapsed)
    finally:
        c.close()


def test_concurrent_connections(t, tern):
    conns = [h.AuthClient(tern.client_sock) for _ in range(20)]
    try:
        for i, c in enumerate(conns):
            c.send_line(c.auth_line(1, "PLAIN", h.plain_resp("demo@example.test",
                                                             "demo" if i % 2 else "bad")))
        res = [c.read_reply(1, 10.0).cmd for c in conns]
        t.eq("20 concurrent connections each answered",
             res, ["FAIL" if i % 2 == 0 else "OK" for i in range(20)])
    finally:
        for c in conns:
            c.close()


def test_log_lines(t, tern):
    since = tern.log_size()
    c = h.AuthClient(tern.client_sock)
    try:
        c.auth_plain("crypt@example.test", "Wr0ngSecret-Log", rip="127.0.0.9")
        c.auth_plain("ghost@example.test", "Gh0stPass-Log", rip="127.0.0.9")
        c.auth_plain("demo@example.test", "demo", rip="127.0.0.9")
        conts, r = c.auth_login("crypt@example.test", "L0ginWrong-Log")
    finally:
        c.close()
    line = tern.wait_log(r"auth-fail .*user=crypt@example\.test", since=since)
    t.ok("log: auth-fail line for a wrong password", line, "none found")
    if line:
        t.ok("log: auth-fail has service=smtp", "service=smtp" in line, line)
        t.ok("log: auth-fail has mech=PLAIN", "mech=PLAIN" in line, line)
        t.ok("log: auth-fail has rip=127.0.0.9", "rip=127.0.0.9" in line, line)
        t.ok("log: auth-fail has reason=", "reason=" in line, line)
    line = tern.wait_log(r"auth-fail .*user=ghost@example\.test.*rip=127\.0\.0\.9|"
                         r"auth-fail .*rip=127\.0\.0\.9.*user=ghost@example\.test", since=since)
    t.ok("log: auth-fail line for an unknown user with user= and rip=", line, "none found")
    line = tern.wait_log(r"auth-fail .*mech=LOGIN", since=since)
    t.ok("log: auth-fail line for LOGIN with mech=LOGIN", line, "none found")
    line = tern.wait_log(r"auth-ok .*user=demo@example\.test", since=since)
    t.ok("log: auth-ok line for a success", line, "none found")
    if line:
        for k in ("service=smtp", "mech=PLAIN", "rip=127.0.0.9"):
            t.ok("log: auth-ok has %s" % k, k in line, line)
    text = tern.log_text()
    for secret in ("Wr0ngSecret-Log", "Gh0stPass-Log", "L0ginWrong-Log",
                   h.b64("L0ginWrong-Log")):
        t.ok("log never contains the password %r" % secret, secret not in text)
    t.ok("log never contains a PLAIN resp", h.plain_resp("demo@example.test", "demo") not in text)


def test_hostile_user_in_log(t, tern):
    since = tern.log_size()
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("evil\nauth-ok user=admin@example.test rip=6.6.6.6", "x")
        t.eq("user name with newline -> FAIL", r.cmd, "FAIL")
    finally:
        c.close()
    tern.wait_log(r"auth-fail", since=since)
    text = tern.log_text()[since:]
    forged = [x for x in text.splitlines()
              if re.search(r"(^|\s)auth-ok user=admin@example\.test", x)]
    t.ok("a newline in the user name cannot forge a log line", not forged, forged)


def test_extra_fields(t, tern):
    """passwd extra fields from the directory contract: nologin, nodelay,
    nopassword."""
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("nologin@example.test", "nl")
        t.eq("nologin user with the right password -> FAIL", r.cmd, "FAIL")
        r = c.auth_plain("nodelay@example.test", "wrong")
        t.eq("nodelay user, wrong password -> FAIL", r.cmd, "FAIL")
        t.ok("nodelay user: failure not delayed", r.elapsed < DELAY - 0.05, r)
        r = c.auth_plain("nodelay@example.test", "nd")
        t.eq("nodelay user, right password -> OK", r.cmd, "OK")
        r = c.auth_plain("nopw@example.test", "anything at all")
        t.eq("nopassword user -> OK with any password", r.cmd, "OK")
    finally:
        c.close()


EXTRA_USERS = [
    "nologin@example.test:{PLAIN}nl::::::nologin",
    "nodelay@example.test:{PLAIN}nd::::::nodelay",
    "nopw@example.test:::::::nopassword",
]


def main():
    h.main_with("auth_sasl", [
        test_handshake, test_plain_schemes, test_plain_failures, test_malformed_base64,
        test_login, test_plain_cont_flow, test_cancel, test_authzid, test_case_insensitive,
        test_unknown_mech, test_pipelined, test_concurrent_connections, test_log_lines,
        test_hostile_user_in_log, test_extra_fields,
    ], extra_users=EXTRA_USERS)


if __name__ == "__main__":
    main()
