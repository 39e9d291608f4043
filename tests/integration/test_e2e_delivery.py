#!/usr/bin/env python3
"""End to end: swaks and Python's smtplib -> smtpd -> queue -> lmtpd ->
Maildir, with the real master and authd. A plain mailbox, an alias with
several targets (one copy each), an alias domain, a catch-all, user+detail
(folder when it exists, else INBOX), over plain SMTP and STARTTLS; the file
contents (Return-Path, Delivered-To, both Received lines, LF line ends) and
the ,S= ,W= sizes in the names; 550 unknown user and 554 relay denied; one
message to two of our domains; over quota -> RFC 3464 DSN in the local
sender's Maildir."""
import email
import email.utils
import os
import re
import shutil
import smtplib
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import e2elib as E  # noqa: E402

SWAKS = shutil.which("swaks")
BODY = "line one\r\n.leading dot\r\n..two dots\r\nlast line\r\n"


def wait_msgs(md, mid, n=1, timeout=15.0):
    """Messages with X-E2E-Id mid once at least n are there (then a short
    settle so extra copies would show up too)."""
    got = h.wait_until(lambda: len(E.find(md, "X-E2E-Id", mid)) >= n, timeout)
    if got:
        time.sleep(0.3)
    return E.find(md, "X-E2E-Id", mid)


def check_file(t, what, msgs, sender, delivered_to, tls=False, folder_sub="new"):
    """One copy; its content and name as lmtpd writes them."""
    if not t.eq("%s: exactly one copy" % what, len(msgs), 1):
        return None
    sub, name, data = msgs[0]
    t.eq("%s: in %s/" % (what, folder_sub), sub, folder_sub)
    t.ok("%s: name <secs>.Q<queue-id>R<n>.<host>,S=,W=" % what,
         re.match(r"^\d+\.Q[0-9A-Z]{12}R\d+\.[^.,:]+", name), name)
    t.ok("%s: ,S= is the file size and ,W= the CRLF size" % what, E.sizes_ok(name, data), name)
    head = ("Return-Path: <%s>\nDelivered-To: %s\nReceived: " % (sender, delivered_to)).encode()
    t.ok("%s: Return-Path, Delivered-To, Received first" % what, data.startswith(head),
         data[:160])
    rcvd = E.headers(data, "Received")
    t.ok("%s: Received by lmtpd and by smtpd" % what, len(rcvd) == 2 and "with LMTP" in rcvd[0]
         and "from client" in rcvd[1], rcvd)
    if len(rcvd) == 2:
        proto = "ESMTPS" if tls else "ESMTP"
        t.ok("%s: smtpd's Received says %s with the queue id and client IP" % (what, proto),
             re.search(r"\[127\.0\.0\.1\].* with %s id [0-9A-Z]{12}\b" % proto,
                       " ".join(rcvd[1].split())), rcvd[1])
        if tls:
            t.ok("%s: Received names the TLS version and cipher" % what,
                 re.search(r"using TLSv1\.[23] with cipher \S+", rcvd[1]), rcvd[1])
    t.ok("%s: stored with LF line ends" % what, b"\r\n" not in data)
    return data


def test_plain_smtplib(t, tern):
    mid = "plain-smtplib"
    refused, err = E.smtp_send(tern, "sender@remote.test", ["demo@example.test"],
                               E.message(mid, body=BODY))
    t.eq("smtplib plain: accepted", (refused, err), ({}, None))
    data = check_file(t, "smtplib plain", wait_msgs(tern.maildir("demo"), mid),
                      "sender@remote.test", "demo@example.test")
    if data:
        t.ok("smtplib plain: body intact, dots unstuffed",
             data.endswith(b"\n\nline one\n.leading dot\n..two dots\nlast line\n"), data[-80:])
    for d in (".Drafts", ".Sent", ".Trash", ".Junk"):
        t.ok("first delivery created folder %s" % d,
             os.path.isdir(os.path.join(tern.maildir("demo"), d, "new")))


def test_starttls_smtplib(t, tern):
    mid = "tls-smtplib"
    refused, err = E.smtp_send(tern, "sender@remote.test", ["crypt@example.test"],
                               E.message(mid), tls=True)
    t.eq("smtplib STARTTLS: accepted", (refused, err), ({}, None))
    check_file(t, "smtplib STARTTLS", wait_msgs(tern.maildir("crypt"), mid),
               "sender@remote.test", "crypt@example.test", tls=True)


def swaks(tern, to, mid, tls=False, sender="swaks@remote.test"):
    cmd = [SWAKS, "--server", "127.0.0.1", "--port", str(tern.port), "--from", sender,
           "--to", to, "--helo", "client.swaks.test", "--header", "X-E2E-Id: " + mid,
           "--timeout", "30"]
    if tls:
        cmd.append("--tls")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_swaks(t, tern):
    if not SWAKS:
        t.skip("swaks", "swaks not installed (make check installs it)")
        return
    for tls in (False, True):
        what = "swaks %s" % ("--tls" if tls else "plain")
        mid = "swaks-tls" if tls else "swaks-plain"
        r = swaks(tern, "bare@example.test", mid, tls)
        t.ok("%s: exit 0 and 250 after DATA" % what,
             r.returncode == 0 and re.search(r"<[~-]  250 2\.0\.0 .*queued as", r.stdout),
             r.stdout[-600:] + r.stderr[-300:])
        if tls:
            t.ok("swaks --tls: TLS started", "TLS started" in r.stdout, r.stdout[-600:])
        data = check_file(t, what, wait_msgs(tern.maildir("bare"), mid), "swaks@remote.test",
                          "bare@example.test", tls=tls)
        if data:
            t.ok("%s: swaks' body arrived" % what, b"This is a test mailing" in data)
    r = swaks(tern, "team@example.test,demo@alias.test", "swaks-multi")
    t.eq("swaks two recipients (alias, alias domain): exit 0", r.returncode, 0)
    t.eq("swaks alias + alias domain: demo has one copy (deduplicated)",
         len(wait_msgs(tern.maildir("demo"), "swaks-multi")), 1)
    for u in ("crypt", "bare"):
        t.eq("swaks alias: %s has one copy" % u, len(wait_msgs(tern.maildir(u), "swaks-multi")), 1)
    r = swaks(tern, "nobody@example.test", "swaks-unknown")
    t.ok("swaks unknown user: 550 5.1.1", r.returncode != 0 and
         re.search(r"^<\S*\s+550 5\.1\.1 ", r.stdout, re.M), r.stdout[-400:])


def test_alias_targets(t, tern):
    mid = "alias-team"
    refused, err = E.smtp_send(tern, "sender@remote.test", ["team@example.test"], E.message(mid))
    t.eq("alias team@: accepted", (refused, err), ({}, None))
    for u in ("crypt", "bare", "demo"):
        check_file(t, "alias team@ -> %s" % u, wait_msgs(tern.maildir(u), mid),
                   "sender@remote.test", "%s@example.test" % u)


def test_alias_domain_and_catchall(t, tern):
    mid = "alias-domain"
    refused, err = E.smtp_send(tern, "sender@remote.test", ["Crypt@Alias.Test"], E.message(mid))
    t.eq("alias domain: accepted", (refused, err), ({}, None))
    check_file(t, "alias domain crypt@alias.test", wait_msgs(tern.maildir("crypt"), mid),
               "sender@remote.test", "crypt@example.test")
    mid = "catch-all"
    refused, err = E.smtp_send(tern, "sender@remote.test", ["whoever@catchall.test"],
                               E.message(mid), tls=True)
    t.eq("catch-all (over STARTTLS): accepted", (refused, err), ({}, None))
    check_file(t, "catch-all @catchall.test -> bare", wait_msgs(tern.maildir("bare"), mid),
               "sender@remote.test", "bare@example.test", tls=True)


def make_folder(md, name):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(md, "." + name, sub), exist_ok=True)
    if h.IS_ROOT:
        import pwd
        pw = pwd.getpwnam(h.MAIL_USER)
        for root, dirs, _ in os.walk(os.path.join(md, "." + name)):
            for d in [root] + [os.path.join(root, x) for x in dirs]:
                os.chown(d, pw.pw_uid, pw.pw_gid)


def test_detail(t, tern):
    md = tern.maildir("demo")
    h.wait_until(lambda: os.path.isdir(md), 5)
    make_folder(md, "work")
    refused, err = E.smtp_send(tern, "sender@remote.test",
                               ["demo+work@example.test", "demo+nosuch@example.test"],
                               E.message("detail"))
    t.eq("user+detail: both accepted", (refused, err), ({}, None))
    work = wait_msgs(os.path.join(md, ".work"), "detail")
    check_file(t, "demo+work -> folder work", work, "sender@remote.test",
               "demo+work@example.test")
    inbox = wait_msgs(md, "detail")
    check_file(t, "demo+nosuch (no such folder) -> INBOX", inbox, "sender@remote.test",
               "demo+nosuch@example.test")


def test_rejections(t, tern):
    before = E.all_messages(tern.maildir("demo"))
    with smtplib.SMTP("127.0.0.1", tern.port, timeout=30) as s:
        s.ehlo("client.e2e.test")
        t.eq("MAIL", s.mail("sender@remote.test")[0], 250)
        code, text = s.rcpt("nobody@example.test")
        t.ok("unknown user: 550 5.1.1", code == 550 and text.startswith(b"5.1.1"), (code, text))
        code, text = s.rcpt("someone@other.example")
        t.ok("relay denied: 554 5.7.1", code == 554 and text.startswith(b"5.7.1"), (code, text))
        code, text = s.rcpt("someone%other.example@example.test")
        t.ok("relay via %-hack denied: 554 5.7.1", code == 554, (code, text))
        try:
            code = s.data(E.message("rejected"))[0]
        except smtplib.SMTPDataError as e:
            code = e.smtp_code
        t.eq("DATA without an accepted recipient: 503 5.5.1", code, 503)
    refused, err = E.smtp_send(tern, "sender@remote.test", ["someone@other.example"],
                               E.message("relay"), tls=True)
    t.ok("relay denied over STARTTLS too: 554",
         refused and refused.get("someone@other.example", (0,))[0] == 554, refused)
    time.sleep(1.0)
    t.eq("nothing delivered from the rejected transactions",
         len(E.all_messages(tern.maildir("demo"))), len(before))
    t.ok("rejections logged with the client IP",
         tern.wait_log(r"reject service=smtpd rip=127\.0\.0\.1 .*to=nobody@example\.test code=550")
         and tern.wait_log(r"reject service=smtpd rip=127\.0\.0\.1 .*to=someone@other\.example "
                           r"code=554"))


def test_two_domains(t, tern):
    mid = "two-domains"
    refused, err = E.smtp_send(tern, "sender@remote.test",
                               ["demo@example.test", "someone@catchall.test"], E.message(mid))
    t.eq("two recipients in two of our domains: accepted", (refused, err), ({}, None))
    a = check_file(t, "two domains: demo@example.test", wait_msgs(tern.maildir("demo"), mid),
                   "sender@remote.test", "demo@example.test")
    b = check_file(t, "two domains: someone@catchall.test -> bare",
                   wait_msgs(tern.maildir("bare"), mid), "sender@remote.test",
                   "bare@example.test")
    if a and b:
        ida = re.search(r"with ESMTP id (\w+)", E.headers(a, "Received")[1])
        idb = re.search(r"with ESMTP id (\w+)", E.headers(b, "Received")[1])
        t.ok("both copies come from one queued message",
             ida and idb and ida.group(1) == idb.group(1), (ida, idb))


def test_bounce(t, tern):
    mid = "over-quota"
    big = "".join("quota filler line %04d .........................................\r\n" % i
                  for i in range(60))
    refused, err = E.smtp_send(tern, "demo@example.test", ["small@example.test"],
                               E.message(mid, subject="too big for small", body=big))
    t.eq("message for the small mailbox accepted by smtpd", (refused, err), ({}, None))
    md = tern.maildir("demo")

    def dsn():
        for m in E.all_messages(md):
            if m[2].startswith(b"Return-Path: <>\n") and mid.encode() in m[2]:
                return m
        return None
    m = h.wait_until(dsn, 20)
    t.ok("the local sender got a DSN in its Maildir (Return-Path <>)", m)
    t.ok("over-quota failure logged by the queue",
         tern.wait_log(r"(bounced|failed).*small@example\.test.*5\.2\.2"), tern.log_text()[-300:])
    t.eq("nothing stored for the over-quota recipient",
         E.all_messages(tern.maildir("small")), [])
    if not m:
        return
    t.ok("DSN file sizes in its name", E.sizes_ok(m[1], m[2]), m[1])
    msg = email.message_from_bytes(m[2])
    t.eq("DSN: multipart/report; report-type=delivery-status",
         (msg.get_content_type(), msg.get_param("report-type")),
         ("multipart/report", "delivery-status"))
    t.ok("DSN: From MAILER-DAEMON", "mailer-daemon" in (msg.get("From") or "").lower(),
         msg.get("From"))
    t.eq("DSN: To the sender", email.utils.parseaddr(msg.get("To") or "")[1],
         "demo@example.test")
    parts = msg.get_payload() if msg.is_multipart() else []
    t.eq("DSN: text/plain, message/delivery-status, returned message",
         [p.get_content_type() for p in parts][:2], ["text/plain", "message/delivery-status"])
    if len(parts) < 3:
        return
    fields = {}
    for block in parts[1].get_payload():
        for k, v in block.items():
            fields.setdefault(k.lower(), []).append(v)
    t.eq("DSN: Reporting-MTA", fields.get("reporting-mta"), ["dns; mx.example.test"])
    t.eq("DSN: Final-Recipient", fields.get("final-recipient"), ["rfc822; small@example.test"])
    t.eq("DSN: Action failed", fields.get("action"), ["failed"])
    t.eq("DSN: Status 5.2.2", fields.get("status"), ["5.2.2"])
    t.ok("DSN: Diagnostic-Code carries lmtpd's 552",
         any("552" in v for v in fields.get("diagnostic-code", [])), fields)
    t.ok("DSN: original message returned", mid.encode() in parts[2].as_bytes(),
         parts[2].get_content_type())


def test_queue_drained(t, tern):
    t.ok("queue empty at the end", h.wait_until(tern.queue_empty, 15),
         tern.ternctl("queue", "list").stdout)


def main():
    t = h.Checker("e2e_delivery")
    with E.E2ETern(t, "e2e-delivery") as tern:
        if tern.start():
            for fn in (test_plain_smtplib, test_starttls_smtplib, test_swaks, test_alias_targets,
                       test_alias_domain_and_catchall, test_detail, test_rejections,
                       test_two_domains, test_bounce, test_queue_drained):
                t.run(fn, t, tern)
    t.finish()


if __name__ == "__main__":
    main()
