#!/usr/bin/env python3
"""authd socketmap socket (Postfix socketmap protocol): the domain, mailbox,
alias and resolve maps (several targets, alias domains, catch-all,
user+detail, loops, dedup, case), unknown maps, malformed netstrings,
pipelining and byte-by-byte requests."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402


def q(tern, name, key):
    return h.socketmap(tern.socketmap_sock, name, key)


def is_notfound(r):
    return r in ("NOTFOUND ", "NOTFOUND")


def test_domain(t, tern):
    for d in ("example.test", "other.test"):
        t.eq("domain %s -> OK" % d, q(tern, "domain", d), "OK " + d)
    r = q(tern, "domain", "alias.test")
    t.eq("alias domain alias.test counts as ours", r, "OK alias.test")
    r = q(tern, "domain", "EXAMPLE.Test")
    t.ok("domain lookup is case-insensitive", r is not None and r.lower() == "ok example.test", r)
    for d in ("nope.test", "test", "sub.example.test", "example.test.evil"):
        r = q(tern, "domain", d)
        t.ok("domain %r -> NOTFOUND" % d, is_notfound(r), r)
    r = q(tern, "domain", "")
    t.ok("domain '' (empty key) -> NOTFOUND or PERM",
         r is not None and (is_notfound(r) or r.startswith("PERM")), r)


def test_mailbox(t, tern):
    r = q(tern, "mailbox", "demo@example.test")
    home = tern.path("mail", "example.test", "demo")
    t.ok("mailbox demo -> OK <maildir path under its home %s>" % home,
         r is not None and r.startswith("OK " + home), r)
    r2 = q(tern, "mailbox", "DEMO@example.TEST")
    t.eq("mailbox lookup is case-insensitive", r2, r)
    r = q(tern, "mailbox", "other@other.test")
    t.ok("mailbox other -> OK with its own maildir",
         r is not None and r.startswith("OK ") and "/srv/other/Maildir" in r, r)
    for a in ("nobody@example.test", "info@example.test", "demo@nope.test", "demo"):
        r = q(tern, "mailbox", a)
        t.ok("mailbox %s -> NOTFOUND" % a, is_notfound(r), r)


def test_alias(t, tern):
    r = q(tern, "alias", "info@example.test")
    t.eq("alias info -> two targets", h.split_targets(r),
         ["demo@example.test", "other@other.test"])
    r = q(tern, "alias", "@other.test")
    t.eq("alias @other.test (catch-all key)", h.split_targets(r), ["demo@example.test"])
    r = q(tern, "alias", "loop1@example.test")
    t.eq("alias is one level only (loop1 -> loop2)", h.split_targets(r), ["loop2@example.test"])
    r = q(tern, "alias", "INFO@Example.Test")
    t.eq("alias lookup is case-insensitive", h.split_targets(r),
         ["demo@example.test", "other@other.test"])
    r = q(tern, "alias", "mixed@example.test")
    t.eq("alias keys are lowercased on load", h.split_targets(r), ["crypt@example.test"])
    for k in ("nobody@example.test", "@example.test", "nobody@alias.test"):
        r = q(tern, "alias", k)
        t.ok("alias %s -> NOTFOUND" % k, is_notfound(r), r)
    # Postfix-shaped answers (Postfix recurses over this map itself):
    t.eq("alias of a mailbox is the mailbox itself (beats a catch-all)",
         q(tern, "alias", "other@other.test"), "OK other@other.test")
    t.eq("alias of a mailbox, mixed case -> lowercased",
         q(tern, "alias", "Demo@Example.TEST"), "OK demo@example.test")
    t.eq("alias domain address -> the target domain's address",
         q(tern, "alias", "demo@alias.test"), "OK demo@example.test")


def test_resolve(t, tern):
    cases = [
        ("mailbox resolves to itself", "demo@example.test", ["demo@example.test"]),
        ("alias with several targets", "info@example.test",
         ["demo@example.test", "other@other.test"]),
        ("alias domain", "demo@alias.test", ["demo@example.test"]),
        ("alias domain then alias", "info@alias.test",
         ["demo@example.test", "other@other.test"]),
        ("catch-all", "nobody@other.test", ["demo@example.test"]),
        ("mailbox wins over catch-all", "other@other.test", ["other@other.test"]),
        ("self-target keeps the mailbox", "self@example.test",
         ["self@example.test", "demo@example.test"]),
        ("dedup", "dup@example.test", ["demo@example.test", "other@other.test"]),
        ("chain of aliases with a foreign target", "chain1@example.test",
         ["crypt@example.test", "external@elsewhere.test"]),
        ("foreign address resolves to itself", "someone@elsewhere.test",
         ["someone@elsewhere.test"]),
        ("case-insensitive", "Info@EXAMPLE.test", ["demo@example.test", "other@other.test"]),
    ]
    for name, addr, want in cases:
        r = q(tern, "resolve", addr)
        got = h.split_targets(r)
        t.ok("resolve %s: %s" % (name, addr),
             got is not None and sorted(got) == sorted(want),
             "expected OK %s, got %r" % (",".join(want), r))
        if got:
            t.ok("resolve %s: no duplicates" % addr, len(got) == len(set(got)), r)
    r = q(tern, "resolve", "demo+news@example.test")
    got = h.split_targets(r)
    t.ok("resolve user+detail -> the user's mailbox",
         got in (["demo@example.test"], ["demo+news@example.test"]), r)
    r = q(tern, "resolve", "info+x@example.test")
    got = h.split_targets(r)
    t.ok("resolve alias+detail -> the alias targets",
         got is not None and sorted(x.replace("+x@", "@") for x in got)
         == ["demo@example.test", "other@other.test"], r)
    for a in ("nobody@example.test", "nobody@alias.test", "nobody+x@example.test"):
        r = q(tern, "resolve", a)
        t.ok("resolve unknown %s in our domain -> NOTFOUND" % a, is_notfound(r), r)
    r = q(tern, "resolve", "loop1@example.test")
    t.ok("resolve alias loop -> TEMP", r is not None and r.startswith("TEMP"), r)
    r = q(tern, "resolve", "info@example.test")
    t.ok("resolve still works after a loop", h.split_targets(r) is not None, r)


def test_unknown_map(t, tern):
    for name in ("nosuchmap", "DOMAIN_x", "passwd"):
        r = q(tern, name, "example.test")
        t.ok("unknown map %s -> PERM" % name, r is not None and r.startswith("PERM"), r)
    c = h.SocketmapClient(tern.socketmap_sock)
    try:
        c.send(h.netstring("domain"))  # no space, no key
        r = c.read_reply()
        t.ok("request without a key -> PERM or NOTFOUND (or close)",
             r is None or r.startswith("PERM") or is_notfound(r), r)
    finally:
        c.close()


def test_pipelined(t, tern):
    c = h.SocketmapClient(tern.socketmap_sock)
    try:
        reqs = []
        want = []
        for i in range(50):
            if i % 5 == 0:
                reqs.append(("domain", "example.test"))
                want.append("OK example.test")
            elif i % 5 == 1:
                reqs.append(("domain", "nope%d.test" % i))
                want.append("NOTFOUND")
            elif i % 5 == 2:
                reqs.append(("alias", "@other.test"))
                want.append("OK demo@example.test")
            elif i % 5 == 3:
                reqs.append(("resolve", "loop2@example.test"))
                want.append("TEMP")
            else:
                reqs.append(("bogus", "x"))
                want.append("PERM")
        c.send(b"".join(h.netstring("%s %s" % r) for r in reqs))
        got = [c.read_reply(10.0) for _ in reqs]
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want))
               if g is None or not g.startswith(w)]
        t.ok("50 pipelined requests answered in order", not bad, bad[:5])
        # byte by byte
        for b in h.netstring("domain other.test"):
            c.send(bytes([b]))
            time.sleep(0.002)
        t.eq("request sent byte by byte", c.read_reply(), "OK other.test")
    finally:
        c.close()


def expect_close(t, tern, name, payload):
    c = h.SocketmapClient(tern.socketmap_sock)
    try:
        try:
            c.send(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        closed = c.closed_by_peer(3.0)
        t.ok("malformed %s -> connection closed" % name, closed, "still open")
        if c.buf:
            t.ok("malformed %s: anything sent first is PERM" % name,
                 c.buf.split(b":", 1)[-1].startswith(b"PERM"), c.buf[:100])
    finally:
        c.close()
    r = q(tern, "domain", "example.test")
    t.eq("after malformed %s: fresh connection works" % name, r, "OK example.test")


def test_malformed(t, tern):
    expect_close(t, tern, "'abc'", b"abc")
    expect_close(t, tern, "'5:hello!'", b"5:hello!")
    expect_close(t, tern, "'99999999999:'", b"99999999999:")
    expect_close(t, tern, "length > 100000", b"100001:" + b"a" * 1000)
    expect_close(t, tern, "empty length ':x,'", b":x,")
    expect_close(t, tern, "negative length", b"-5:hello,")
    expect_close(t, tern, "length with spaces", b" 5:hello,")
    expect_close(t, tern, "NUL in length", b"1\x002:domain x,")
    # a valid netstring with a NUL inside the key: answered, not crashed
    c = h.SocketmapClient(tern.socketmap_sock)
    try:
        c.send(h.netstring(b"domain exa\x00mple.test"))
        try:
            r = c.read_reply(3.0)
        except (ValueError, socket.timeout) as e:
            r = "error: %s" % e
        t.ok("NUL inside key -> NOTFOUND, PERM or close",
             r is None or is_notfound(r) or r.startswith("PERM"), r)
    finally:
        c.close()
    r = q(tern, "domain", "example.test")
    t.eq("socketmap still serves after all malformed input", r, "OK example.test")
    # a huge but legal key
    r = q(tern, "resolve", "a" * 5000 + "@example.test")
    t.ok("5000-char address -> NOTFOUND or PERM", r is not None and
         (is_notfound(r) or r.startswith("PERM")), r)


def test_idle_and_concurrent(t, tern):
    conns = [h.SocketmapClient(tern.socketmap_sock) for _ in range(30)]
    try:
        for c in conns:
            c.send(h.netstring("domain alias.test"))
        res = [c.read_reply(10.0) for c in conns]
        t.eq("30 concurrent socketmap connections", set(res), {"OK alias.test"})
    finally:
        for c in conns:
            c.close()


def test_big_expansion(t, tern):
    r = q(tern, "alias", "big@example.test")
    got = h.split_targets(r)
    t.ok("alias with %d targets: all of them or TEMP, never a cut list" % BIG,
         (got is not None and len(got) == BIG) or (r or "").startswith("TEMP"),
         "%d targets" % len(got) if got else r)
    r = q(tern, "resolve", "big@example.test")
    got = h.split_targets(r)
    t.ok("resolve to %d addresses: all of them or TEMP, never a cut list" % BIG,
         (got is not None and len(got) == BIG) or (r or "").startswith("TEMP"),
         "%d targets" % len(got) if got else r)
    r = q(tern, "resolve", "huge@example.test")
    t.ok("resolve beyond virtual_alias_expansion_limit (1000) -> TEMP",
         (r or "").startswith("TEMP"), (r or "")[:100])
    r = q(tern, "resolve", "deep0@example.test")
    t.ok("alias chain deeper than virtual_alias_recursion_limit (100) -> TEMP",
         (r or "").startswith("TEMP"), (r or "")[:100])


BIG = 600


def extra_aliases():
    lines = ["big@example.test " + ", ".join("u%d@elsewhere.test" % i for i in range(BIG)),
             "huge@example.test " + ", ".join("h%d@elsewhere.test" % i for i in range(1200))]
    lines += ["deep%d@example.test deep%d@example.test" % (i, i + 1) for i in range(150)]
    lines.append("deep150@example.test demo@example.test")
    return "\n".join(lines) + "\n"


def main():
    h.main_with("socketmap", [test_domain, test_mailbox, test_alias, test_resolve,
                              test_unknown_map, test_pipelined, test_malformed,
                              test_idle_and_concurrent, test_big_expansion],
                extra_aliases=extra_aliases())


if __name__ == "__main__":
    main()
