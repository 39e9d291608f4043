#!/usr/bin/env python3
"""lmtpd when things break: the directory down (authd stopped: 451 4.3.0
after the lookup timeout, then recovery), authd killed and restarted
(lookups keep working), the mail file system full (root only, a small
tmpfs: 452 4.3.1, nothing left in tmp/), and a large message spooled
and delivered whole."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import lmtptest as L  # noqa: E402

MSG = "Subject: fault test\r\n\r\nbody\r\n"


def test_directory_down(t, tern):
    pid = tern.authd_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        _, rr, data, _ = L.deliver(tern, "s@x.test", ["demo@example.test"], MSG, timeout=30)
        took = time.monotonic() - t0
        t.ok("directory down: RCPT 451 4.3.0", rr[0][0] == 451 and rr[0][1].startswith("4.3.0"),
             rr[0])
        t.ok("... after the lookup timeout, not at once or forever", 8.0 < took < 20.0, took)
        t.ok("no recipient, no DATA", data[0] // 100 == 5, data)
    finally:
        os.kill(pid, signal.SIGCONT)
    _, rr, _, done = L.deliver(tern, "s@x.test", ["demo@example.test"], MSG)
    t.ok("directory back: delivered", rr[0][0] == 250 and done and done[0][0] == 250, (rr, done))


def test_authd_restart(t, tern):
    L.deliver(tern, "s@x.test", ["demo@example.test"], MSG)  # a live userdb connection
    pid = tern.authd_pid()
    os.kill(pid, signal.SIGKILL)
    _, rr, _, done = L.deliver(tern, "s@x.test", ["demo@example.test", "crypt@example.test"],
                               MSG)
    t.ok("authd killed: lookups wait for its restart and succeed",
         [c for c, _ in rr] == [250, 250] and [c for c, _ in done] == [250, 250], (rr, done))
    t.ok("authd was restarted", h.wait_until(lambda: tern.authd_pid() not in (None, pid), 5))


def test_large_message(t, tern):
    md = tern.maildir("bare")
    body = "".join("line %06d of a large message with some text\r\n" % i
                   for i in range(120000))  # about 5.5 MB
    _, rr, _, done = L.deliver(tern, "s@x.test", ["bare@example.test"],
                               "Subject: big\r\n\r\n" + body)
    t.ok("large message saved", done and done[0][0] == 250, (rr, done))
    names = L.files(md)
    t.ok("large message: sizes in the name are right", names and L.sizes_ok(md, "new", names[0]),
         names)


def test_disk_full(t, tern):
    if not h.IS_ROOT:
        t.skip("disk full", "needs root to mount a tmpfs")
        return
    mnt = tern.path("small-fs")
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0777", "tmpfs", mnt],
                       capture_output=True, text=True)
    if r.returncode != 0:
        t.skip("disk full", "cannot mount a tmpfs: %s" % r.stderr.strip())
        return
    try:
        md = os.path.join(mnt, "full", "Maildir")
        _, rr, _, done = L.deliver(tern, "s@x.test", ["full@example.test"], MSG)
        t.ok("small fs: first delivery works", done and done[0][0] == 250, (rr, done))
        fd = os.open(os.path.join(mnt, "filler"), os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"x" * 4096) > 0:
                pass
        except OSError:
            pass
        os.close(fd)
        _, rr, _, done = L.deliver(tern, "s@x.test", ["full@example.test"],
                                   MSG + "y" * 200000 + "\r\n")
        t.ok("disk full: 452 4.3.1", done and done[0][0] == 452 and
             done[0][1].startswith("4.3.1"), (rr, done))
        t.eq("disk full: nothing left in tmp/", L.files(md, "tmp"), [])
        t.eq("disk full: only the first message in new/", len(L.files(md)), 1)
    finally:
        subprocess.run(["umount", "-l", mnt])


def main():
    t = h.Checker("lmtpd_faults")
    with L.LmtpTern(t, name="lmtpdf", argon=False) as tern:
        tern.add_user("full@example.test:{PLAIN}x::::%s/small-fs/full::" % tern.dir)
        if tern.start():
            for fn in (test_directory_down, test_authd_restart, test_large_message,
                       test_disk_full):
                t.run(fn, t, tern)
    t.finish()


if __name__ == "__main__":
    main()
