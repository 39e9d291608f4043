#!/usr/bin/env python3
"""queue: submit protocol (fd passing, size check, abort, durability when
OK arrives), delivery over LMTP with alias expansion and XTERNID, retries
after 451, bounces (RFC 3464 DSN) after 550 and after lifetime expiry,
NOTIFY=NEVER and the null sender never bounced, remote recipients kept
deferred, ternctl queue commands."""
import email
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import queuelib as ql  # noqa: E402


def test_submit_and_deliver(t, tern, lmtp):
    c = ql.Submit(tern.submit_sock)
    r, fd = c.begin()
    t.eq("BEGIN answers OK with a queue id", (r[0], len(r) == 2 and len(r[1])), ("OK", 12))
    t.ok("BEGIN passes the spool fd", fd is not None)
    qid = r[1]
    path = os.path.join(tern.spool_dir, "incoming", qid)
    t.ok("spool file exists at BEGIN, mode 0600", os.path.exists(path)
         and (os.stat(path).st_mode & 0o777) == 0o600)
    c.send("MAIL", "alice@sender.test", "ret=HDRS", "envid=E1")
    c.send("RCPT", "demo@example.test", "notify=FAILURE")
    data = ql.message("first", ".leading dot\r\n..two dots\r\nend\r\n").encode()
    os.write(fd, data)
    os.close(fd)
    c.send("COMMIT", str(len(data)))
    r = c.line().split("\t")
    exists = os.path.exists(path)
    tr = ql.read_trailer(path) if exists else None
    t.eq("COMMIT answers OK with the same id", r, ["OK", qid])
    t.ok("when OK arrives the file holds data + a complete trailer",
         tr is not None and tr[0] == data, tr and tr[2])
    if tr:
        recs = {x[0]: x for x in tr[1]}
        t.eq("trailer magic", tr[1][0], [b"TERNQ", b"1"])
        t.eq("trailer sender", recs.get(b"sender"), [b"sender", b"alice@sender.test"])
        t.eq("trailer recipient with notify", recs.get(b"rcpt"),
             [b"rcpt", b"demo@example.test", b"", b"FAILURE"])
        t.eq("trailer client", recs.get(b"client"),
             [b"client", b"192.0.2.7", b"client.example", b"ESMTP"])
    c.close()
    ok = ql.wait_for(lambda: lmtp.delivered_to("demo@example.test"))
    t.ok("delivered over LMTP", ok)
    if ok:
        d = ok[0]
        t.eq("LMTP sender", d[0].split(" ")[0], "<alice@sender.test>")
        t.ok("MAIL carries SIZE, RET and ENVID", "SIZE=%d" % len(data) in d[0]
             and "RET=HDRS" in d[0] and "ENVID=E1" in d[0], d[0])
        t.eq("data arrives byte for byte (dot-stuffing undone)", d[2], data)
        params = d[1][0][1]
        t.ok("RCPT carries XTERNID=<arrival>.<id>.<index>",
             re.fullmatch(r"XTERNID=\d+\.%s\.0" % qid, params), params)
    t.ok("spool file removed after delivery",
         ql.wait_for(lambda: not os.path.exists(path), 5))
    t.ok("log: queued and delivered lines",
         tern.wait_log(r"queued id=%s" % qid) and tern.wait_log(r"delivered id=%s" % qid))


def test_submit_errors(t, tern, lmtp):
    c = ql.Submit(tern.submit_sock)
    r, _ = c.submit("a@sender.test", ["demo@example.test"], "abc\r\n", size=3)
    t.eq("size mismatch -> PERM", r[0], "PERM")
    t.ok("size mismatch: file removed", not os.path.exists(
        os.path.join(tern.spool_dir, "incoming", _ or "x")))
    c.close()
    c = ql.Submit(tern.submit_sock)
    r, fd = c.begin()
    qid = r[1]
    os.write(fd, b"partial")
    os.close(fd)
    c.send("MAIL", "a@sender.test")
    c.close()
    p = os.path.join(tern.spool_dir, "incoming", qid)
    t.ok("connection closed before COMMIT: file removed",
         ql.wait_for(lambda: not os.path.exists(p), 5))
    c = ql.Submit(tern.submit_sock)
    r, fd = c.begin()
    qid = r[1]
    os.close(fd)
    c.send("ABORT")
    p = os.path.join(tern.spool_dir, "incoming", qid)
    t.ok("ABORT: file removed", ql.wait_for(lambda: not os.path.exists(p), 5))
    r, fd = c.begin()
    t.eq("connection reusable after ABORT", r[0], "OK")
    os.close(fd)
    c.send("COMMIT", "0")
    t.eq("COMMIT without MAIL/RCPT -> PERM", c.line().split("\t")[0], "PERM")
    c.close()


def test_alias_and_dedupe(t, tern, lmtp):
    # dup@ expands to demo, info (-> demo, other@other.test), DEMO: demo once
    r, qid = ql.submit(tern, "bob@sender.test", ["dup@example.test", "demo@example.test"])
    t.eq("committed", r[0], "OK")
    ok = ql.wait_for(lambda: [d for d in lmtp.deliveries if d[0].startswith("<bob@")])
    t.ok("delivered", ok)
    time.sleep(0.5)
    ds = [d for d in lmtp.deliveries if d[0].startswith("<bob@")]
    rcpts = sorted(a.lower() for d in ds for a, _ in d[1])
    t.eq("aliases expanded and deduplicated, one transaction",
         (rcpts, len(ds)), (["demo@example.test", "other@other.test"], 1))


def test_retry_after_451(t, tern, lmtp):
    lmtp.replies["crypt@example.test"] = [451, 451, 250]
    r, qid = ql.submit(tern, "carol@sender.test", ["crypt@example.test"])
    t.eq("committed", r[0], "OK")
    ok = ql.wait_for(lambda: lmtp.delivered_to("crypt@example.test"), 15)
    t.ok("delivered on the third attempt after two 451s", ok, lmtp.attempts)
    t.eq("three attempts", lmtp.attempts.get("crypt@example.test"), 3)
    t.ok("deferred logged", tern.wait_log(r"deferred id=%s .*status=4\.2\.0" % qid))


def dsn_for(lmtp, sender_addr, needle, timeout=15):
    """The DSN delivered to sender_addr that mentions needle."""
    def f():
        for d in lmtp.delivered_to(sender_addr):
            if d[0].startswith("<>") and needle.encode() in d[2]:
                return d
        return None
    return ql.wait_for(f, timeout)


def check_dsn(t, what, d, final, status):
    msg = email.message_from_bytes(d[2])
    t.eq(what + ": multipart/report", (msg.get_content_type(), msg.get_param("report-type")),
         ("multipart/report", "delivery-status"))
    parts = msg.get_payload()
    t.eq(what + ": three parts", [p.get_content_type() for p in parts],
         ["text/plain", "message/delivery-status",
          parts[2].get_content_type() if len(parts) > 2 else None])
    ds = parts[1].get_payload()
    fields = {}
    for block in ds:
        for k, v in block.items():
            fields.setdefault(k.lower(), []).append(v)
    t.ok(what + ": Reporting-MTA and Arrival-Date",
         fields.get("reporting-mta") == ["dns; mx.example.test"] and "arrival-date" in fields,
         fields)
    t.eq(what + ": Final-Recipient", fields.get("final-recipient"), ["rfc822; " + final])
    t.eq(what + ": Action", fields.get("action"), ["failed"])
    t.eq(what + ": Status", fields.get("status"), [status])
    return msg


def test_bounce_550(t, tern, lmtp):
    lmtp.replies["bare@example.test"] = [550]
    r, qid = ql.submit(tern, "demo@example.test", ["bare@example.test"])
    d = dsn_for(lmtp, "demo@example.test", "bare@example.test")
    t.ok("a DSN from <> reaches the sender over LMTP", d)
    if d:
        msg = check_dsn(t, "550 DSN", d, "bare@example.test", "5.1.1")
        t.ok("DSN has Diagnostic-Code with the LMTP reply",
             b"Diagnostic-Code: smtp; 550 5.1.1" in d[2])
        t.eq("original message returned whole", msg.get_payload()[2].get_content_type(),
             "message/rfc822")
    path = os.path.join(tern.spool_dir, "incoming", qid)
    t.ok("bounced message removed", ql.wait_for(lambda: not os.path.exists(path), 5))


def test_unknown_user(t, tern, lmtp):
    r, qid = ql.submit(tern, "demo@example.test", ["nosuchuser@example.test"],
                       mail_kv=("ret=HDRS",))
    d = dsn_for(lmtp, "demo@example.test", "nosuchuser@example.test")
    ok = d
    t.ok("unknown user (resolve NOTFOUND) bounces 5.1.1", ok)
    if ok:
        msg = check_dsn(t, "unknown-user DSN", d, "nosuchuser@example.test", "5.1.1")
        t.eq("RET=HDRS returns headers only", msg.get_payload()[2].get_content_type(),
             "text/rfc822-headers")


def test_no_bounce(t, tern, lmtp):
    lmtp.replies["bare@example.test"] = [550]
    r, qid = ql.submit(tern, "", ["bare@example.test"])
    t.ok("null sender: failure logged, no DSN",
         tern.wait_log(r"bounce-suppressed id=%s .*reason=null-sender" % qid, 10))
    r, qid2 = ql.submit(tern, "demo@example.test", ["bare@example.test"],
                        rcpt_kv={"bare@example.test": ("notify=NEVER",)})
    t.ok("NOTIFY=NEVER: no DSN", tern.wait_log(r"bounce-suppressed id=%s .*reason=notify" % qid2, 10))
    time.sleep(0.5)
    t.eq("no DSN names these messages", [d for d in lmtp.deliveries if d[0].startswith("<>") and
                                        (qid.encode() in d[2] or qid2.encode() in d[2])], [])


def test_remote_deferred_and_expiry(t, tern, lmtp):
    r, qid = ql.submit(tern, "demo@example.test", ["someone@remote.example"])
    t.ok("remote recipient deferred: no remote delivery yet",
         tern.wait_log(r"id=%s" % qid) and ql.wait_for(
             lambda: "no remote delivery yet" in tern.ternctl("queue", "list").stdout, 10))
    d = dsn_for(lmtp, "demo@example.test", "someone@remote.example", 25)
    ok = d
    t.ok("after maximal_queue_lifetime the message bounces", ok)
    if ok:
        check_dsn(t, "expiry DSN", d, "someone@remote.example", "4.4.0")


def test_ternctl(t, tern, lmtp):
    lmtp.replies["argon@example.test"] = [451]
    r, qid = ql.submit(tern, "dave@sender.test", ["argon@example.test"])
    ql.wait_for(lambda: lmtp.attempts.get("argon@example.test"), 10)
    out = tern.ternctl("queue", "list")
    t.ok("queue list shows id, sender, recipient and reason",
         out.returncode == 0 and qid in out.stdout and "dave@sender.test" in out.stdout
         and "argon@example.test" in out.stdout and "451" in out.stdout, out)
    out = tern.ternctl("queue", "hold", qid)
    t.eq("hold", out.returncode, 0)
    t.ok("held shown with !", (qid + "!") in tern.ternctl("queue", "list").stdout)
    n = lmtp.attempts.get("argon@example.test")
    tern.ternctl("queue", "flush")
    time.sleep(1.5)
    t.eq("held message not tried", lmtp.attempts.get("argon@example.test"), n)
    out = tern.ternctl("queue", "show", qid)
    t.ok("show: envelope and headers", out.returncode == 0 and "sender: <dave@sender.test>"
         in out.stdout and "Subject: test" in out.stdout, out)
    lmtp.replies["argon@example.test"] = [250]
    t.eq("release", tern.ternctl("queue", "release", qid).returncode, 0)
    t.ok("released message delivered", ql.wait_for(
        lambda: lmtp.delivered_to("argon@example.test"), 10))
    lmtp.replies["chain1@example.test"] = [451]
    lmtp.replies["crypt@example.test"] = [451]
    r, qid = ql.submit(tern, "erin@sender.test", ["crypt@example.test"])
    ql.wait_for(lambda: "erin@" in tern.ternctl("queue", "list").stdout, 5)
    ql.wait_for(lambda: tern.ternctl("queue", "delete", qid).returncode == 0, 5)
    t.ok("deleted message gone", qid not in tern.ternctl("queue", "list").stdout and
         not os.path.exists(os.path.join(tern.spool_dir, "incoming", qid)))
    out = tern.ternctl("queue", "show", "0000000000ZZ")
    t.eq("unknown id -> exit 1", out.returncode, 1)


def main():
    t = h.Checker("queue-delivery")
    tern = ql.make_tern(t, "queue", maximal_queue_lifetime="8s", bounce_queue_lifetime="8s")
    lmtp = ql.FakeLMTP(tern.lmtp_path)
    with tern:
        if tern.start() and t.ok("queue listening", ql.wait_queue(tern)):
            for fn in (test_submit_and_deliver, test_submit_errors, test_alias_and_dedupe,
                       test_retry_after_451, test_bounce_550, test_unknown_user, test_no_bounce,
                       test_remote_deferred_and_expiry, test_ternctl):
                t.run(fn, t, tern, lmtp)
    lmtp.stop()
    t.finish()


if __name__ == "__main__":
    main()
