#!/usr/bin/env python3
"""End to end when parts fail (real master, authd, smtpd, queue, lmtpd):
lmtpd down (SIGSTOP): accepted mail stays in the queue, listed by
`ternctl queue list`, and is delivered once after SIGCONT + queue flush;
the directory down (authd SIGSTOP): RCPT answers 451 4.3.0, mail accepted
just as it went down stays queued and is delivered after SIGCONT with no
loss and no duplicate; the spool disk full (root only: a 2 MB tmpfs on the
spool directory): 4xx for the message that does not fit, every 250 is in
the queue, and once the queue has drained a new message is accepted."""
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import e2elib as E  # noqa: E402


def copies(tern, user, mid):
    return len(E.find(tern.maildir(user), "X-E2E-Id", mid))


def wait_copies(tern, user, mid, n=1, timeout=20.0):
    h.wait_until(lambda: copies(tern, user, mid) >= n, timeout, 0.1)
    time.sleep(0.3)
    return copies(tern, user, mid)


def send(tern, mid, rcpts, body="fault test\r\n", timeout=60):
    """One message; -> (ok, queue id or error)."""
    try:
        with smtplib.SMTP("127.0.0.1", tern.port, timeout=timeout) as s:
            s.ehlo("client.e2e.test")
            s.mail("sender@remote.test")
            for r in rcpts:
                code, text = s.rcpt(r)
                if code != 250:
                    return False, "%d %s" % (code, text.decode())
            code, text = s.data(E.message(mid, body=body))
            if code != 250:
                return False, "%d %s" % (code, text.decode(errors="replace"))
            return True, text.decode().rsplit(" ", 1)[-1]
    except smtplib.SMTPResponseException as e:
        return False, "%d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace"))
    except (smtplib.SMTPException, OSError) as e:
        return False, "%s: %s" % (type(e).__name__, e)


def user_for(i):
    return "demo" if i % 3 else "bare"


def test_lmtpd_down(t, tern):
    pid = tern.pid_of("lmtpd")
    if not t.ok("lmtpd pid from ternctl status", pid):
        return
    os.kill(pid, signal.SIGSTOP)
    n = 10
    qids, mids = [], ["lmtpd-down-%d" % i for i in range(n)]
    since = tern.log_size()
    try:
        for i, mid in enumerate(mids):
            ok, qid = send(tern, mid, [user_for(i) + "@example.test"])
            t.ok("lmtpd stopped: message %d accepted (250)" % i, ok, qid)
            qids.append(qid)
        time.sleep(2.5)
        out = tern.ternctl("queue", "list").stdout
        t.ok("queue list shows all %d, pending" % n, all(q in out for q in qids)
             and out.count("status=pending") >= n, out)
        t.eq("nothing delivered while lmtpd is stopped",
             [m for i, m in enumerate(mids) if copies(tern, user_for(i), m)], [])
    finally:
        os.kill(pid, signal.SIGCONT)
    t.eq("ternctl queue flush", tern.ternctl("queue", "flush").returncode, 0)
    for i, mid in enumerate(mids):
        t.eq("after SIGCONT + flush: message %d delivered exactly once" % i,
             wait_copies(tern, user_for(i), mid), 1)
    # the queue's parallel LMTP connections were all waiting: lmtpd now
    # makes the fresh Maildirs of demo and bare from several workers at once
    fails = [x for x in tern.log_text()[since:].splitlines() if "delivery-failed" in x]
    t.eq("concurrent first deliveries to a new Maildir: no delivery-failed", fails[:3], [])
    t.ok("queue empty again", h.wait_until(tern.queue_empty, 20, 0.2),
         tern.ternctl("queue", "list").stdout)
    t.eq("lmtpd was not restarted (it was only stopped)", tern.pid_of("lmtpd"), pid)


def test_directory_down(t, tern):
    pid = tern.authd_pid()
    if not t.ok("authd pid known", pid):
        return
    mid = "dir-down-accepted"
    s = smtplib.SMTP("127.0.0.1", tern.port, timeout=60)
    stopped = False
    try:
        s.ehlo("client.e2e.test")
        s.mail("sender@remote.test")
        t.eq("directory up: RCPT team@ (an alias) 250", s.rcpt("team@example.test")[0], 250)
        # the directory goes down while the message is being transferred:
        # smtpd still accepts it, the queue cannot expand the alias yet
        code, _ = s.docmd("DATA")
        t.eq("DATA 354", code, 354)
        os.kill(pid, signal.SIGSTOP)
        stopped = True
        msg = E.message(mid).replace("\r\n.", "\r\n..")
        s.send(msg.encode() + b".\r\n")
        code, text = s.getreply()
        t.eq("message accepted just as the directory went down: 250", code, 250)
        qid = text.decode().rsplit(" ", 1)[-1]
        s.quit()
        t0 = time.monotonic()
        with smtplib.SMTP("127.0.0.1", tern.port, timeout=60) as s2:
            s2.ehlo("client.e2e.test")
            s2.mail("sender@remote.test")
            code, text = s2.rcpt("crypt@example.test")
            took = time.monotonic() - t0
            t.ok("directory down: RCPT 451 4.3.0", code == 451 and text.startswith(b"4.3.0"),
                 (code, text))
            t.ok("... after smtpd's lookup timeout, not forever", took < 40, took)
        t.ok("rejection logged with code 451", tern.wait_log(
            r"reject service=smtpd rip=127\.0\.0\.1 .*to=crypt@example\.test code=451", 2))
        out = tern.ternctl("queue", "list").stdout
        t.ok("the accepted message is still queued", qid in out, out)
        t.eq("and not delivered yet", [u for u in ("crypt", "bare", "demo")
                                       if copies(tern, u, mid)], [])
    finally:
        if stopped:
            os.kill(pid, signal.SIGCONT)
        s.close()
    tern.ternctl("queue", "flush")
    for u in ("crypt", "bare", "demo"):
        t.eq("directory back: alias target %s got the message exactly once" % u,
             wait_copies(tern, u, mid, timeout=30), 1)
    ok, qid = send(tern, "dir-back", ["crypt@example.test"])
    t.ok("directory back: new mail accepted", ok, qid)
    t.eq("and delivered", wait_copies(tern, "crypt", "dir-back"), 1)
    t.ok("queue empty again", h.wait_until(tern.queue_empty, 20, 0.2),
         tern.ternctl("queue", "list").stdout)


def test_disk_full(t):
    if not h.IS_ROOT:
        t.skip("spool disk full", "needs root to mount a small tmpfs on the spool")
        return
    tern = E.E2ETern(t, "e2e-full")
    os.makedirs(tern.spool_dir)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs",
                        tern.spool_dir], capture_output=True, text=True)
    if r.returncode != 0:
        t.skip("spool disk full", "cannot mount a tmpfs: %s" % r.stderr.strip())
        tern.cleanup()
        return
    try:
        with tern:
            if tern.start():
                disk_full_body(t, tern)
    finally:
        subprocess.run(["umount", "-l", tern.spool_dir], capture_output=True)
        if os.environ.get("TERN_KEEP") != "1":
            shutil.rmtree(tern.dir, ignore_errors=True)


def disk_full_body(t, tern):
    pid = tern.pid_of("lmtpd")
    os.kill(pid, signal.SIGSTOP)   # nothing leaves the spool meanwhile
    body = "".join("%06d filler filler filler filler filler filler filler filler\r\n" % i
                   for i in range(2500))   # ~160 KB
    accepted, refusal, failed_mid = [], None, None
    try:
        for i in range(40):
            mid = "full-%d" % i
            ok, res = send(tern, mid, ["demo@example.test"], body)
            if ok:
                accepted.append((mid, res))
                continue
            refusal, failed_mid = res, mid
            break
        print("# disk full after %d accepted messages: %s" % (len(accepted), refusal),
              flush=True)
        t.ok("some messages fit before the disk is full", len(accepted) >= 3, len(accepted))
        t.ok("the message that does not fit: 4xx (451/452)",
             refusal and refusal[:3] in ("451", "452"), refusal)
        t.ok("disk full is 452 4.3.1 (insufficient system storage, RFC 3463), as smtpd "
             "answers a queue TEMP for a full disk", refusal and refusal.startswith("452 4.3.1"),
             refusal)
        ids = tern.queue_ids() or []
        t.eq("every 250'd message is in the queue (and nothing else)",
             sorted(ids), sorted(q for _, q in accepted))
        inc = os.path.join(tern.spool_dir, "incoming")
        t.eq("the spool holds exactly the 250'd messages (the refused one's file is gone)",
             sorted(f for f in os.listdir(inc) if not f.startswith(".")),
             sorted(q for _, q in accepted))
        t.ok("the log names the cause of the refusal (No space left on device)",
             tern.wait_log(r"(smtpd|queue)\[\d+\]: .*(No space left|disk.?full|ENOSPC)", 2),
             tern.wait_log(r"reject service=smtpd .*code=4", 1))
        ok, res = send(tern, "full-again", ["demo@example.test"], body)
        t.ok("still full: the next one gets 4xx too", not ok and res[:1] == "4", res)
    finally:
        os.kill(pid, signal.SIGCONT)
    tern.ternctl("queue", "flush")
    drained = h.wait_until(tern.queue_empty, 30, 0.2)
    t.ok("lmtpd back: the queue drains", drained, tern.ternctl("queue", "list").stdout)
    t.eq("every accepted message delivered exactly once",
         [m for m, _ in accepted if copies(tern, "demo", m) != 1], [])
    t.eq("the refused messages were not delivered",
         copies(tern, "demo", failed_mid or "x") + copies(tern, "demo", "full-again"), 0)
    inc = os.path.join(tern.spool_dir, "incoming")
    t.eq("no partial file left in the spool", sorted(os.listdir(inc)) if os.path.isdir(inc)
         else [], [])
    ok, res = send(tern, "full-after", ["demo@example.test"], body)
    t.ok("space again: a new message is accepted", ok, res)
    t.eq("and delivered", wait_copies(tern, "demo", "full-after"), 1)


def main():
    t = h.Checker("e2e_faults")
    with E.E2ETern(t, "e2e-faults") as tern:
        if tern.start():
            for fn in (test_lmtpd_down, test_directory_down):
                t.run(fn, t, tern)
    print("# test_disk_full", flush=True)
    try:
        test_disk_full(t)
    except Exception:
        import traceback
        t.ok("test_disk_full completed without exception", False, traceback.format_exc())
    t.finish()


if __name__ == "__main__":
    main()
