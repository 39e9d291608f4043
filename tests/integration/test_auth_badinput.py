#!/usr/bin/env python3
"""authd client socket under hostile or broken clients: garbage before the
handshake, wrong VERSION, malformed AUTH lines, bad ids, duplicate ids,
overlong lines, NUL bytes, clients vanishing mid-request, byte-by-byte
input. After every case a fresh connection must still authenticate, and
authd must be the same process (no crash, no restart)."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402

CLOSE_WAIT = 3.0
STATE = {}


def raw(tern, version=True, read_handshake=True):
    c = h.AuthClient(tern.client_sock, handshake=False)
    if version:
        c.send("VERSION\t1\t2\nCPID\t%d\n" % os.getpid())
    if read_handshake:
        c.read_handshake()
    return c


def send_quietly(c, data):
    try:
        c.send(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def outcome(c, fail_id=None, timeout=CLOSE_WAIT):
    """'closed' when the server hangs up, 'fail' when it answers FAIL for
    fail_id (and stays open), else 'open'."""
    end = time.monotonic() + timeout
    while True:
        if fail_id is not None:
            for line in c.buf.decode("utf-8", "replace").split("\n"):
                if line.startswith("FAIL\t%s" % fail_id):
                    return "fail"
        if c.eof:
            return "closed"
        left = end - time.monotonic()
        if left <= 0:
            return "open"
        try:
            c._fill(left)
        except socket.timeout:
            return "open"
        except OSError:
            return "closed"


def fresh_ok(t, tern, after):
    try:
        c = h.AuthClient(tern.client_sock)
    except (OSError, ConnectionError) as e:
        t.ok("after %s: new connection gets a handshake" % after, False, e)
        return
    try:
        r = c.auth_plain("demo@example.test", "demo")
        t.eq("after %s: a fresh connection authenticates" % after, r.cmd, "OK")
        t.eq("after %s: authd is still the same process" % after, c.spid, STATE["spid"])
    finally:
        c.close()


def expect_close(t, tern, name, payload, version=True, read_handshake=True, fail_id=None):
    c = raw(tern, version, read_handshake)
    try:
        send_quietly(c, payload)
        res = outcome(c, fail_id)
        if fail_id is None:
            t.eq("%s -> disconnected" % name, res, "closed")
        else:
            t.ok("%s -> disconnected or FAIL %s" % (name, fail_id), res in ("closed", "fail"),
                 "got %s, buffer %r" % (res, c.buf[:200]))
    finally:
        c.close()
    fresh_ok(t, tern, name)


def test_baseline(t, tern):
    c = h.AuthClient(tern.client_sock)
    STATE["spid"] = c.spid
    r = c.auth_plain("demo@example.test", "demo")
    t.eq("baseline authentication", r.cmd, "OK")
    c.close()


def test_handshake_errors(t, tern):
    expect_close(t, tern, "garbage before VERSION", "HELLO there, garbage\n", version=False)
    expect_close(t, tern, "binary garbage before VERSION", b"\x16\x03\x01\x02\x00\x01\x00\xff\n",
                 version=False)
    expect_close(t, tern, "AUTH before VERSION",
                 "AUTH\t1\tPLAIN\tservice=smtp\tresp=%s\n"
                 % h.plain_resp("demo@example.test", "demo"), version=False)
    expect_close(t, tern, "VERSION 2", "VERSION\t2\t0\n", version=False)
    expect_close(t, tern, "VERSION without numbers", "VERSION\n", version=False)


def test_malformed_auth(t, tern):
    expect_close(t, tern, "AUTH without fields", "AUTH\n")
    expect_close(t, tern, "AUTH with empty id", "AUTH\t\tPLAIN\tservice=smtp\n")
    expect_close(t, tern, "AUTH with non-numeric id", "AUTH\tabc\tPLAIN\tservice=smtp\n")
    expect_close(t, tern, "AUTH with negative id", "AUTH\t-1\tPLAIN\tservice=smtp\n")
    expect_close(t, tern, "AUTH with 20-digit id",
                 "AUTH\t99999999999999999999\tPLAIN\tservice=smtp\n")
    expect_close(t, tern, "AUTH with id and no mechanism", "AUTH\t5\n", fail_id=5)
    expect_close(t, tern, "unknown command", "FROB\t1\tx\n")
    expect_close(t, tern, "empty command word", "\t1\tPLAIN\n")
    expect_close(t, tern, "CONT for an unknown id", "CONT\t999\tAAAA\n", fail_id=999)
    expect_close(t, tern, "CONT with non-numeric id", "CONT\txyz\tAAAA\n")
    expect_close(t, tern, "NUL byte inside an AUTH line",
                 b"AUTH\t6\tPLAIN\tservice=smtp\x00junk\tresp=AGRlbW8AZGVtbw==\n", fail_id=6)


def test_duplicate_id(t, tern):
    c = raw(tern)
    try:
        c.send_line("AUTH\t7\tPLAIN\tservice=smtp")
        r = c.read_reply(7)
        t.eq("duplicate id: first request pending (CONT)", r.cmd, "CONT")
        send_quietly(c, "AUTH\t7\tPLAIN\tservice=smtp\tresp=%s\n"
                     % h.plain_resp("demo@example.test", "demo"))
        t.eq("duplicate id in flight -> disconnected", outcome(c), "closed")
    finally:
        c.close()
    fresh_ok(t, tern, "duplicate id")


def test_overlong(t, tern):
    big = "AUTH\t1\tPLAIN\tservice=smtp\tresp=" + "A" * (100 * 1024) + "\n"
    expect_close(t, tern, "100 KB line", big)
    c = raw(tern)
    try:
        send_quietly(c, "AUTH\t2\tPLAIN\tservice=smtp\tresp=" + "A" * (100 * 1024))
        t.eq("100 KB without newline -> disconnected (no waiting for the newline)",
             outcome(c), "closed")
    finally:
        c.close()
    fresh_ok(t, tern, "100 KB without newline")
    # a long but legal line (about 13 KB < 16k) is answered normally
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("a" * 10000 + "@example.test", "pw", rid=3)
        t.eq("13 KB line under auth_max_request_size is answered with FAIL", r.cmd, "FAIL")
        r = c.auth_plain("demo@example.test", "demo", rid=4)
        t.eq("and the connection stays usable", r.cmd, "OK")
    finally:
        c.close()


def test_vanishing_clients(t, tern):
    # close while a failure delay is pending
    for i in range(5):
        c = raw(tern)
        c.send_line(c.auth_line(1, "PLAIN", h.plain_resp("demo@example.test", "wrong")))
        c.close()
    time.sleep(0.6)  # let the delayed failures fire on closed connections
    fresh_ok(t, tern, "clients closing with a delayed FAIL pending")
    # close in the middle of LOGIN
    c = raw(tern)
    c.send_line(c.auth_line(1, "LOGIN", None))
    c.read_reply(1)
    c.send_line("CONT\t1\t%s" % h.b64("demo@example.test"))
    c.close()
    fresh_ok(t, tern, "client closing in the middle of LOGIN")
    # half a line, then close
    c = raw(tern)
    c.send("AUTH\t1\tPLAIN\tserv")
    c.close()
    fresh_ok(t, tern, "client closing after half a line")
    # close before reading the handshake, many times
    for _ in range(50):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(tern.client_sock)
        s.close()
    fresh_ok(t, tern, "50 connections closed at once")
    # reset with unread data (SO_LINGER 0 -> RST)
    c = raw(tern)
    c.send_line(c.auth_line(1, "PLAIN", h.plain_resp("demo@example.test", "demo")))
    c.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()
    fresh_ok(t, tern, "client reset with a request in flight")


def test_slow_client_while_others_served(t, tern):
    slow = raw(tern)
    try:
        line = slow.auth_line(1, "PLAIN", h.plain_resp("demo@example.test", "demo")) + "\n"
        half = len(line) // 2
        for ch in line[:half]:
            slow.send(ch)
        fresh_ok(t, tern, "a slow client holding half a line")
        for ch in line[half:]:
            slow.send(ch)
        r = slow.read_reply(1)
        t.eq("request sent byte by byte -> OK", r.cmd, "OK")
    finally:
        slow.close()


def test_bad_bytes_in_user(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        for i, user in enumerate((b"\xff\xfe@example.test", b"demo@example.test\x01",
                                  b"\x1b[31mred@example.test", b"demo@@example.test",
                                  b"@example.test", b"demo@", b"%d%u%n@example.test")):
            resp = h.base64.b64encode(b"\0" + user + b"\0demo").decode()
            rid = 50 + i
            r = c.request(c.auth_line(rid, "PLAIN", resp), rid, 10.0)
            t.eq("user %r -> FAIL" % user, r.cmd, "FAIL")
    finally:
        c.close()
    fresh_ok(t, tern, "hostile bytes in user names")


def test_many_connections(t, tern):
    conns = []
    try:
        for _ in range(200):
            conns.append(h.AuthClient(tern.client_sock, handshake=False))
        for c in conns:
            c.send("VERSION\t1\t2\nCPID\t1\n" + c.auth_line(
                1, "PLAIN", h.plain_resp("demo@example.test", "demo")) + "\n")
        res = []
        for c in conns:
            try:
                c.read_handshake(10.0)
                res.append(c.read_reply(1, 10.0).cmd)
            except OSError as e:
                res.append(str(e))
        bad = [r for r in res if r != "OK"]
        t.ok("200 simultaneous connections all authenticate", not bad, bad[:5])
    finally:
        for c in conns:
            c.close()
    fresh_ok(t, tern, "200 simultaneous connections")


def main():
    h.main_with("auth_badinput", [
        test_baseline, test_handshake_errors, test_malformed_auth, test_duplicate_id,
        test_overlong, test_vanishing_clients, test_slow_client_while_others_served,
        test_bad_bytes_in_user, test_many_connections,
    ])


if __name__ == "__main__":
    main()
