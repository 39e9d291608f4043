#!/usr/bin/env python3
"""smtpd against real master + authd, with a fake queue (smtpdlib.FakeQueue)
so smtpd's own behaviour is checked: delivery to the queue only on COMMIT,
recipient checks (unknown user, relay attempts in every disguise), and the
bad-input cases of issue 3: overlong command and header lines, NUL bytes,
garbage before EHLO, pipelining abuse, DATA without RCPT, BDAT with wrong
sizes, a 10 MB message against a 5 MB limit, the client gone mid-DATA,
bare-LF/bare-CR end-of-data, STARTTLS with pipelined plaintext, 1,000 RCPTs,
the queue saying TEMP (disk full), the per-IP connection limit and the
timeout. Directory down is a second installation with authd disabled."""
import os
import smtplib
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import smtpdlib as sl  # noqa: E402

OURS = "example.test"


def greet(tern, ehlo=True):
    c = sl.Raw(tern.port)
    code, _ = c.reply()
    assert code == 220, code
    if ehlo:
        c.send("EHLO client.test\r\n")
        code, text = c.reply()
        assert code == 250, (code, text)
        c.ehlo_text = text
    return c


def committed(tern):
    with tern.fq.lock:
        return list(tern.fq.committed)


def test_delivery(t, tern):
    n0 = len(committed(tern))
    with smtplib.SMTP("127.0.0.1", tern.port, timeout=10) as s:
        code, text = s.ehlo("client.test")
        t.eq("EHLO 250", code, 250)
        for ext in ("pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes",
                    "chunking", "starttls", "dsn"):
            t.ok("EHLO offers %s" % ext, s.has_extn(ext))
        t.eq("SIZE is message_size_limit", s.esmtp_features.get("size"), "5242880")
        r = s.sendmail("sender@remote.test", ["demo@example.test", "info@example.test"],
                       "Subject: hi\r\n\r\nhello\r\n.dot\r\n")  # smtplib stuffs it
        t.eq("both recipients accepted", r, {})
    msgs = committed(tern)
    t.eq("one message committed", len(msgs), n0 + 1)
    m = msgs[-1]
    t.eq("BEGIN carries ip and helo", m["begin"][:3], ["127.0.0.1", "client.test", "ESMTP"])
    t.eq("MAIL sender", m["mail"][0], "sender@remote.test")
    t.eq("RCPTs", [r[0] for r in m["rcpts"]], ["demo@example.test", "info@example.test"])
    data = m["data"].decode()
    t.ok("Received: first, naming the queue id",
         data.startswith("Received: from client.test (unknown [127.0.0.1])\r\n")
         and ("with ESMTP id %s" % m["id"]) in data, data[:300])
    t.ok("body unstuffed with CRLF", data.endswith("\r\n\r\nhello\r\n.dot\r\n"), data[-40:])
    t.ok("queued log line", tern.wait_log(r"queued service=smtpd id=%s from=sender@remote.test "
                                          r"nrcpt=2 size=\d+ rip=127.0.0.1 tls=no" % m["id"]))


def test_recipients(t, tern):
    c = greet(tern)
    c.send("MAIL FROM:<a@remote.test>\r\n")
    t.eq("MAIL", c.reply()[0], 250)
    cases = [
        ("<nobody@example.test>", 550, "5.1.1"),
        ("<demo+tag@example.test>", 250, "2.1.5"),
        ("<Demo@EXAMPLE.test>", 250, "2.1.5"),
        ("<user@other.example>", 554, "5.7.1"),
        ("<user%other.example@example.test>", 554, "5.7.1"),
        ("<@example.test:user@other.example>", 554, "5.7.1"),
        ("<@other.example:demo@example.test>", 250, "2.1.5"),
        ('<"user@other.example"@example.test>', 554, "5.7.1"),
        ('<"user%other"@example.test>', 554, "5.7.1"),
        ("<other.example!user@example.test>", 554, "5.7.1"),
        ("<user@[192.0.2.1]>", 554, "5.7.1"),
        ("<info@example.test>", 250, "2.1.5"),
    ]
    for addr, code, enh in cases:
        c.send("RCPT TO:%s\r\n" % addr)
        got, text = c.reply()
        t.ok("RCPT %s -> %d %s" % (addr, code, enh), got == code and text[4:9] == enh, text)
    t.ok("relay rejection logged with rip, from and to",
         tern.wait_log(r"reject service=smtpd rip=127.0.0.1 from=a@remote.test "
                       r"to=user@other.example code=554"))
    t.ok("unknown user logged", tern.wait_log(r"reject service=smtpd rip=127.0.0.1 .*"
                                              r"to=nobody@example.test code=550"))
    c.close()


def test_overlong_and_nul(t, tern):
    c = greet(tern)
    c.send("NOOP " + "A" * 5000 + "\r\n")
    code, text = c.reply()
    t.ok("overlong command line: 500 5.5.2", code == 500 and "5.5.2" in text, text)
    c.send(b"NO\x00OP\r\nMAIL FROM:<a\x00b@remote.test>\r\n")
    t.eq("NUL bytes in commands: 500, 500", c.codes(2), [500, 500])
    c.send("NOOP\r\n")
    t.eq("session goes on", c.reply()[0], 250)
    # an overlong header line is message content: accepted whole
    n0 = len(committed(tern))
    hdr = "X-Long: " + "h" * 20000
    c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    t.eq("DATA", c.codes(3), [250, 250, 354])
    c.send(hdr + "\r\n\r\nbody\r\n.\r\n")
    t.eq("long header line accepted", c.reply()[0], 250)
    t.ok("header line kept whole", len(committed(tern)) == n0 + 1 and
         (hdr + "\r\n").encode() in committed(tern)[-1]["data"])
    c.close()


def test_garbage_and_order(t, tern):
    c = greet(tern, ehlo=False)
    c.send("MAIL FROM:<a@remote.test>\r\nxyzzy\r\n\x01\x02\r\nDATA\r\n")
    t.eq("before EHLO: 503 500 500 503", c.codes(4), [503, 500, 500, 503])
    c.send("EHLO x\r\nDATA\r\nMAIL FROM:<a@remote.test>\r\nDATA\r\n")
    t.eq("DATA without MAIL/RCPT: 503", c.codes(4), [250, 503, 250, 503])
    c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    t.eq("HTTP request: 221 and hang-up", c.reply()[0], 221)
    t.ok("closed", c.closed())


def test_pipelining_abuse(t, tern):
    c = greet(tern)
    cmds = ["NOOP", "RSET", "MAIL FROM:<a@remote.test>", "RCPT TO:<demo@example.test>",
            "RCPT TO:<nobody@example.test>", "RSET"] * 50
    c.send("".join(x + "\r\n" for x in cmds))
    want = [250, 250, 250, 250, 550, 250] * 50
    got = c.codes(len(cmds))
    # the 20th unknown user reaches smtpd_hard_error_limit: 421 and hang-up
    cut = [i for i, x in enumerate(want) if x == 550][19] + 1
    t.eq("pipelined commands answered in order up to the error limit",
         got[:cut + 2], want[:cut] + [421, None])
    t.ok("hard error limit ends the session", c.closed(10))


def test_bdat(t, tern):
    n0 = len(committed(tern))
    c = greet(tern)
    c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\n"
           "BDAT 6\r\nabc\r\nXBDAT 3 LAST\r\nyz\n")
    t.eq("BDAT chunks", c.codes(4), [250, 250, 250, 250])
    t.ok("BDAT bytes exact", committed(tern)[-1]["data"].endswith(b"\r\n\r\nabc\r\nXyz\n")
         or committed(tern)[-1]["data"].endswith(b"abc\r\nXyz\n"))
    c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\n"
           "BDAT 3 LAST\r\nabcdef\r\n")
    t.eq("BDAT shorter than the data: the rest is a command", c.codes(4), [250, 250, 250, 500])
    c.send("BDAT 5\r\nhello")
    t.eq("BDAT without MAIL: 503, chunk discarded", c.reply()[0], 503)
    c.send("BDAT -1\r\nBDAT 1 NOTLAST\r\n")
    t.eq("BDAT bad sizes: 501", c.codes(2), [501, 501])
    c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\nBDAT 2\r\nhiDATA\r\n")
    t.eq("DATA after BDAT: 503", c.codes(4), [250, 250, 250, 503])
    c.send("RSET\r\n")
    t.eq("RSET", c.reply()[0], 250)
    t.eq("three BDAT messages committed", len(committed(tern)), n0 + 2)
    c.close()


def test_size_limit(t, tern):
    n0, a0 = len(committed(tern)), tern.fq.aborted
    c = greet(tern)
    c.send("MAIL FROM:<a@remote.test> SIZE=10485760\r\n")
    code, text = c.reply()
    t.ok("SIZE=10MB against 5MB: 552 5.3.4 at MAIL", code == 552 and "5.3.4" in text, text)
    c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    t.eq("DATA", c.codes(3), [250, 250, 354])
    line = ("x" * 998 + "\r\n").encode()
    for _ in range(10 * 1024 * 1024 // len(line)):
        c.send(line)
    c.send(".\r\n")
    code, text = c.reply()
    t.ok("10MB DATA: 552 5.3.4 after the data", code == 552 and "5.3.4" in text, text)
    t.eq("nothing committed", len(committed(tern)), n0)
    t.ok("the queue transaction was aborted", h.wait_until(lambda: tern.fq.aborted > a0, 5))
    c.send("NOOP\r\n")
    t.eq("session goes on", c.reply()[0], 250)
    c.close()


def test_client_gone(t, tern):
    n0, a0 = len(committed(tern)), tern.fq.aborted
    c = greet(tern)
    c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    t.eq("DATA", c.codes(3), [250, 250, 354])
    c.send("Subject: half\r\n\r\npart of a message\r\n")
    c.close()
    t.ok("aborted at the queue", h.wait_until(lambda: tern.fq.aborted > a0, 5))
    t.eq("nothing committed", len(committed(tern)), n0)
    t.ok("lost connection logged", tern.wait_log(r"lost-connection service=smtpd rip=127.0.0.1 "
                                                 r"state=DATA"))


def test_bare_newlines(t, tern):
    n0 = len(committed(tern))
    for tail in (b"a\n.\nMAIL FROM:<x@y.test>\n", b"a\r.\rRSET\r", b"a\n.\r\nRSET\r\n"):
        c = greet(tern)
        c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
        t.eq("DATA", c.codes(3), [250, 250, 354])
        c.send(tail)
        c.s.settimeout(1.0)
        code, _ = c.reply()
        t.eq("%r does not end DATA" % tail, code, None)
        c = c if True else None
        c.s.settimeout(10)
        c.send(b"\r\n.\r\n")
        code, text = c.reply()
        t.ok("%r: rejected 550 5.6.0" % tail, code == 550 and "5.6.0" in text, text)
        c.close()
    t.eq("nothing committed", len(committed(tern)), n0)


def test_starttls(t, tern):
    c = greet(tern)
    c.send("STARTTLS\r\nMAIL FROM:<evil@remote.test>\r\n")
    t.eq("STARTTLS 220", c.reply()[0], 220)
    c.starttls()
    c.send("RCPT TO:<demo@example.test>\r\n")
    code, _ = c.reply()
    t.eq("pipelined MAIL was dropped and EHLO is required again", code, 503)
    c.send("EHLO again.test\r\n")
    code, text = c.reply()
    t.ok("EHLO over TLS without STARTTLS", code == 250 and "STARTTLS" not in text, text)
    n0 = len(committed(tern))
    c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
    t.eq("transaction over TLS", c.codes(3), [250, 250, 354])
    c.send("hi\r\n.\r\n")
    t.eq("queued", c.reply()[0], 250)
    data = committed(tern)[-1]["data"].decode() if len(committed(tern)) > n0 else ""
    t.ok("Received: says ESMTPS and the cipher", "with ESMTPS" in data and "(using TLSv1." in data,
         data[:300])
    t.ok("queued tls=yes", tern.wait_log(r"queued service=smtpd .* tls=yes"))
    c.close()
    with smtplib.SMTP("127.0.0.1", tern.port, timeout=10) as s:
        s.starttls()
        t.eq("smtplib over STARTTLS", s.sendmail("a@remote.test", ["demo@example.test"],
                                                 "Subject: tls\r\n\r\nx\r\n"), {})


def test_thousand_rcpts(t, tern):
    n0 = len(committed(tern))
    c = greet(tern)
    cmds = ["MAIL FROM:<a@remote.test>"] + ["RCPT TO:<demo+%d@example.test>" % i
                                              for i in range(1001)] + ["DATA"]
    c.send("".join(x + "\r\n" for x in cmds))
    got = c.codes(len(cmds))
    t.eq("1000 accepted, the 1001st 452, DATA 354",
         (got[0], got[1:1001].count(250), got[1001], got[1002]), (250, 1000, 452, 354))
    c.send("Subject: many\r\n\r\nx\r\n.\r\n")
    t.eq("queued", c.reply()[0], 250)
    t.eq("1000 RCPTs reached the queue", len(committed(tern)[-1]["rcpts"])
         if len(committed(tern)) > n0 else 0, 1000)
    c.close()


def test_queue_temp(t, tern):
    n0 = len(committed(tern))
    for mode, where, want in (("temp", "end", 452), ("begin_temp", "data", 452)):
        tern.fq.mode = mode
        c = greet(tern)
        c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\nDATA\r\n")
        got = c.codes(3)
        if where == "data":
            t.eq("queue TEMP at BEGIN: 4xx at DATA", got, [250, 250, want])
        else:
            c.send("x\r\n.\r\n")
            code, text = c.reply()
            t.ok("disk full at COMMIT: 452 4.3.1", code == want and "4.3.1" in text, text)
        c.close()
    tern.fq.mode = "ok"
    t.eq("nothing committed", len(committed(tern)), n0)


def test_connection_limit(t, tern):
    cs = [greet(tern, ehlo=False) for _ in range(3)]
    c = sl.Raw(tern.port)
    code, text = c.reply()
    t.ok("4th connection from one IP: 421 4.7.0", code == 421 and "4.7.0" in text, text)
    t.ok("and closed", c.closed())
    for x in cs:
        x.close()
    time.sleep(0.3)
    c = greet(tern, ehlo=False)
    t.ok("a slot is free again", True)
    c.close()


def test_timeout(t, tern):
    c = greet(tern)
    c.s.settimeout(10)
    t0 = time.monotonic()
    code, text = c.reply()
    t.ok("idle client: 421 4.4.2 after smtpd_timeout", code == 421 and "4.4.2" in text
         and 1.5 < time.monotonic() - t0 < 6, (code, text, time.monotonic() - t0))
    t.ok("and closed", c.closed())


def test_directory_down(t):
    tern = sl.make_tern(t, "smtpd-nodir", authd=False)
    with tern:
        tern.start(wait=False)
        if not t.ok("smtpd up without authd", sl.wait_smtpd(tern)):
            return
        c = greet(tern)
        c.send("MAIL FROM:<a@remote.test>\r\nRCPT TO:<demo@example.test>\r\n")
        got = c.codes(2)
        t.eq("directory down: RCPT 451", got, [250, 451])
        c.send("DATA\r\n")
        t.eq("nothing to send", c.reply()[0], 503)
        c.close()
        tern.fq.stop()


def main():
    t = h.Checker("smtpd_badinput")
    tern = sl.make_tern(t, "smtpd", message_size_limit="5242880",
                        smtpd_client_connection_count_limit="3", smtpd_timeout="2s")
    with tern:
        if tern.start() and t.ok("smtpd listening", sl.wait_smtpd(tern)):
            for fn in (test_delivery, test_recipients, test_overlong_and_nul,
                       test_garbage_and_order, test_pipelining_abuse, test_bdat,
                       test_size_limit, test_client_gone, test_bare_newlines, test_starttls,
                       test_thousand_rcpts, test_queue_temp, test_connection_limit,
                       test_timeout):
                t.run(fn, t, tern)
        tern.fq.stop()
    t.run(test_directory_down, t)
    t.finish()


if __name__ == "__main__":
    main()
