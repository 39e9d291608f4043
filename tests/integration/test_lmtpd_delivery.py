#!/usr/bin/env python3
"""lmtpd against a real master + authd: LHLO extensions, per-recipient
replies (known, unknown, over quota, uid mismatch), Maildir file names
with ,S= and ,W=, Return-Path and Delivered-To, the default folders made
on first delivery, +detail to an existing folder, XTERNID names and the
;R duplicate check, quota_full_tempfail on reload, many recipients in one
transaction, a client gone mid-DATA, and real Dovecot reading the mail."""
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import lmtptest as L  # noqa: E402

MSG = "From: a@x.test\r\nSubject: test\r\n\r\nline one\r\n.leading dot\r\nend\r\n"
EXTRA_USERS = [
    "small@example.test:{PLAIN}x::::::userdb_quota_rule=*:bytes=600",
]


def test_lhlo(t, tern):
    c = L.LmtpClient(tern.lmtp_sock)
    try:
        t.ok("greeting is 220 LMTP", c.greeting[0] == 220 and "LMTP" in c.greeting[1],
             c.greeting)
        code, text = c.lhlo()
        t.eq("LHLO 250", code, 250)
        for ext in ("XTERNID", "PIPELINING", "ENHANCEDSTATUSCODES", "8BITMIME"):
            t.ok("LHLO advertises %s" % ext, ext in text.split("\n"), text)
        t.eq("EHLO is refused in LMTP", c.cmd("EHLO x")[0] // 100, 5)
    finally:
        c.close()


def test_per_recipient(t, tern):
    mail, rr, data, done = L.deliver(tern, "sender@x.test",
                                     ["demo@example.test", "nobody@example.test",
                                      "small@example.test"], MSG * 20)
    t.eq("MAIL 250", mail[0], 250)
    t.eq("RCPT known 250", rr[0][0], 250)
    t.ok("RCPT unknown 550 5.1.1", rr[1][0] == 550 and rr[1][1].startswith("5.1.1"), rr[1])
    t.eq("RCPT small (quota) accepted at RCPT", rr[2][0], 250)
    t.eq("DATA 354", data[0], 354)
    t.eq("one reply per accepted recipient", len(done), 2)
    t.ok("demo: 250 2.0.0 ... Saved", done[0][0] == 250 and done[0][1].startswith("2.0.0 <demo")
         and done[0][1].endswith("Saved"), done[0])
    t.ok("small: 552 5.2.2 quota", done[1][0] == 552 and done[1][1].startswith("5.2.2"),
         done[1])
    md = tern.maildir("demo")
    names = L.files(md)
    t.eq("demo: one file in new/", len(names), 1)
    if not names:
        return
    name = names[0]
    m = L.NAME_RE.match(name)
    t.ok("Dovecot-style name <secs>.M<usecs>P<pid>.<host>,S=,W=",
         m and re.match(r"^\d+\.M\d+P\d+\.[^.,:]", m.group("base")), name)
    t.ok(",S= is the stored size and ,W= the CRLF size", L.sizes_ok(md, "new", name), name)
    data = L.read(md, "new", name)
    t.ok("Return-Path then Delivered-To first",
         data.startswith(b"Return-Path: <sender@x.test>\nDelivered-To: demo@example.test\n"
                         b"Received: "), data[:120])
    t.ok("stored with LF line ends, dot-unstuffed", b"\r\n" not in data and
         b"\n.leading dot\n" in data, data[-80:])
    t.eq("small: nothing stored", L.files(tern.maildir("small")), [])
    for f in (".Drafts", ".Sent", ".Trash", ".Junk"):
        t.ok("first delivery created %s" % f,
             all(os.path.isdir(os.path.join(md, f, s)) for s in ("cur", "new", "tmp")))
    subs = L.read(md, "", "subscriptions") if os.path.exists(os.path.join(md, "subscriptions")) else b""
    t.ok("subscriptions lists the default folders", b"Sent" in subs and b"Trash" in subs, subs)
    t.ok("maildirsize written for the 1G quota", os.path.exists(os.path.join(md, "maildirsize")))


def test_uid_mismatch(t, tern):
    _, rr, _, _ = L.deliver(tern, "s@x.test", ["other@other.test", "demo@example.test"], MSG)
    t.ok("user with another uid: 451 4.3.0 at RCPT",
         rr[0][0] == 451 and rr[0][1].startswith("4.3.0"), rr[0])
    t.ok("uid mismatch logged", tern.wait_log(r"rcpt-uid-mismatch rcpt=other@other.test"))


def test_detail(t, tern):
    md = tern.maildir("demo")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, ".work", sub), exist_ok=True)
    if h.IS_ROOT:
        for root, dirs, _ in os.walk(os.path.join(md, ".work")):
            for d in [root] + [os.path.join(root, x) for x in dirs]:
                os.chown(d, *L.pwd_ids())
    before = len(L.files(md))
    _, rr, _, done = L.deliver(tern, "s@x.test", ["demo+work@example.test",
                                                  "demo+nosuch@example.test"], MSG)
    t.ok("both +detail recipients saved", [c for c, _ in done] == [250, 250], (rr, done))
    work = L.files(os.path.join(md, ".work"))
    t.eq("demo+work -> folder work", len(work), 1)
    t.eq("demo+nosuch -> INBOX", len(L.files(md)), before + 1)
    if work:
        data = L.read(os.path.join(md, ".work"), "new", work[0])
        t.ok("Delivered-To keeps the detail",
             b"Delivered-To: demo+work@example.test\n" in data, data[:100])


def test_xternid(t, tern):
    md = tern.maildir("demo")
    xid = "1700000000.0ABCDEFGHJK1.%d"
    base = "1700000000.Q0ABCDEFGHJK1R%d."
    _, rr, _, done = L.deliver(tern, "s@x.test", [("demo@example.test", "XTERNID=" + xid % 0),
                                                  ("demo@example.test", "XTERNID=" + xid % 1)],
                               MSG)
    t.ok("XTERNID recipients saved", [c for c, _ in done] == [250, 250], (rr, done))
    named = [n for n in L.files(md) if n.startswith(base % 0) or n.startswith(base % 1)]
    t.eq("files named <secs>.Q<queue-id>R<index>.<host>", len(named), 2)
    t.ok("XTERNID names carry ,S= and ,W=", all(L.sizes_ok(md, "new", n) for n in named), named)
    # the user reads R0: it moves to cur/ with flags
    r0 = [n for n in named if n.startswith(base % 0)]
    if r0:
        os.rename(os.path.join(md, "new", r0[0]), os.path.join(md, "cur", r0[0] + ":2,S"))
    count = len(L.files(md)) + len(L.files(md, "cur"))
    _, rr, _, done = L.deliver(tern, "s@x.test",
                               [("demo@example.test", "XTERNID=%s;R" % (xid % 0)),
                                ("demo@example.test", "XTERNID=%s;R" % (xid % 1)),
                                ("demo@example.test", "XTERNID=%s;R" % (xid % 2))], MSG)
    t.ok("retried recipients answered 250", [c for c, _ in done] == [250] * 3, done)
    t.eq("only the never-delivered R2 was written", len(L.files(md)) + len(L.files(md, "cur")),
         count + 1)
    t.ok("duplicates logged", tern.wait_log(r"duplicate-skipped .*R0\."))
    _, rr, _, _ = L.deliver(tern, "s@x.test", [("demo@example.test", "XTERNID=bad")], MSG)
    t.ok("malformed XTERNID: 501", rr[0][0] == 501, rr[0])


def test_many_recipients(t, tern):
    md = tern.maildir("demo")
    before = len(L.files(md))
    rcpts = ["demo@example.test"] * 40 + ["crypt@example.test"] * 10
    _, rr, _, done = L.deliver(tern, "s@x.test", rcpts, MSG)
    t.eq("50 recipients: 50 replies after DATA", len(done), 50)
    t.ok("all 250", all(c == 250 for c, _ in done), [d for d in done if d[0] != 250][:3])
    t.eq("40 more files for demo", len(L.files(md)), before + 40)
    t.eq("10 for crypt", len(L.files(tern.maildir("crypt"))), 10)


def test_client_gone_mid_data(t, tern):
    md = tern.maildir("bare")
    c = L.LmtpClient(tern.lmtp_sock)
    c.lhlo()
    c.send("MAIL FROM:<s@x.test>\r\nRCPT TO:<bare@example.test>\r\nDATA\r\n")
    codes = [c.reply()[0] for _ in range(3)]
    c.send("Subject: half\r\n\r\nonly half of it")
    c.s.close()
    h.time.sleep(0.5)
    t.eq("transaction accepted up to DATA", codes, [250, 250, 354])
    t.eq("client gone mid-DATA: nothing stored", L.files(md) + L.files(md, "tmp"), [])


def test_quota_tempfail_reload(t, tern):
    tern.settings["quota_full_tempfail"] = "yes"
    tern.write_conf()
    tern.signal(signal.SIGHUP)

    def tempfail():
        _, _, _, done = L.deliver(tern, "s@x.test", ["small@example.test"], MSG * 20)
        return done and done[0][0] == 452 and done[0][1].startswith("4.2.2")
    t.ok("quota_full_tempfail = yes (after reload): 452 4.2.2", h.wait_until(tempfail, 8, 0.5))


def test_dovecot_reads(t, tern):
    r = L.doveadm_fetch(tern, "demo@example.test", "size.virtual size.physical hdr.return-path")
    if r is None:
        t.skip("doveadm fetch", "doveadm not installed")
        return
    t.eq("doveadm fetch exit 0", r.returncode, 0)
    sizes = re.findall(r"size\.virtual: (\d+)\nsize\.physical: (\d+)", r.stdout)
    md = tern.maildir("demo")
    want = sorted((int(m.group("w")), int(m.group("s"))) for m in
                  (L.NAME_RE.match(n) for n in L.files(md) + L.files(md, "cur")) if m)
    t.eq("Dovecot sees every INBOX message with our W/S sizes",
         sorted((int(w), int(s)) for w, s in sizes), want)
    t.ok("Dovecot sees Return-Path", "<sender@x.test>" in r.stdout or "<s@x.test>" in r.stdout,
         r.stdout[:300])


def main():
    t = h.Checker("lmtpd_delivery")
    with L.LmtpTern(t, name="lmtpd", argon=False, extra_users=EXTRA_USERS,
                    settings={"lmtp_save_to_detail_mailbox": "yes"}) as tern:
        if tern.start():
            for fn in (test_lhlo, test_per_recipient, test_uid_mismatch, test_detail,
                       test_xternid, test_many_recipients, test_client_gone_mid_data,
                       test_quota_tempfail_reload, test_dovecot_reads):
                t.run(fn, t, tern)
    t.finish()


if __name__ == "__main__":
    main()
