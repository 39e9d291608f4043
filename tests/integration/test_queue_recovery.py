#!/usr/bin/env python3
"""queue: recovery. kill -9 of the queue with deferred messages (requeued,
delivered once, XTERNID ;R after the unclean stop), corrupt and truncated
spool files moved to corrupt/, kill -9 during a concurrent submit load
(every acknowledged message delivered exactly once), and a full spool
disk (TEMP, file removed; root only: tmpfs)."""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import queuelib as ql  # noqa: E402


def restart_queue(t, tern, what):
    old = ql.queue_pid(tern)
    if not isinstance(old, int):
        t.ok("queue pid known (%s)" % what, False)
        return False
    os.kill(old, signal.SIGKILL)
    new = ql.wait_for(lambda: (lambda p: p if isinstance(p, int) and p != old else None)(
        ql.queue_pid(tern)), 10)
    return t.ok("queue restarted after kill -9 (%s)" % what, new and ql.wait_queue(tern))


def test_kill_deferred(t, tern, lmtp):
    lmtp.replies["crypt@example.test"] = [451]
    qids = []
    for i in range(3):
        r, qid = ql.submit(tern, "k%d@sender.test" % i, ["crypt@example.test"])
        t.eq("committed %d" % i, r[0], "OK")
        qids.append(qid)
    ql.wait_for(lambda: lmtp.attempts.get("crypt@example.test", 0) >= 3, 10)
    lmtp.replies["crypt@example.test"] = [250]
    lmtp.attempts.clear()
    since = tern.log_size()
    if not restart_queue(t, tern, "deferred"):
        return
    t.ok("recovery logged as unclean", tern.wait_log(r"recovered .*unclean=yes", 5, since))
    ok = ql.wait_for(lambda: len(lmtp.delivered_to("crypt@example.test")) >= 3, 15)
    t.ok("the three messages are delivered after the restart", ok)
    time.sleep(1)
    ds = lmtp.delivered_to("crypt@example.test")
    t.eq("each exactly once", sorted(d[0] for d in ds),
         sorted("<k%d@sender.test> SIZE=96" % i for i in range(3)))
    params = [p for d in ds for _, p in d[1]]
    t.ok("first attempts after the crash carry XTERNID ;R",
         params and all(p.endswith(";R") for p in params), params)
    t.eq("spool empty", ql.spool_files(tern), [])


def test_corrupt(t, tern, lmtp):
    inc = os.path.join(tern.spool_dir, "incoming")
    lmtp.replies["bare@example.test"] = [451]
    r, qid = ql.submit(tern, "c@sender.test", ["bare@example.test"])
    ql.wait_for(lambda: lmtp.attempts.get("bare@example.test"), 5)
    good = open(os.path.join(inc, qid), "rb").read()
    files = {"00000000000A": b"garbage without a trailer\n",
             "00000000000B": good[:-10],            # torn trailer
             "00000000000C": good[:20] + b"X" + good[21:],   # data changed: sizes still fit
             "00000000000D": good.replace(b"TERNQ\t1", b"TERNQ\t2"),  # bad magic/CRC
             "not-an-id": b"x"}
    for name, data in files.items():
        with open(os.path.join(inc, name), "wb") as f:
            f.write(data)
    since = tern.log_size()
    lmtp.replies["bare@example.test"] = [250]
    if not restart_queue(t, tern, "corrupt files"):
        return
    want = ["00000000000A", "00000000000B", "00000000000C", "00000000000D", "not-an-id"]
    corrupt = ql.wait_for(lambda: ql.spool_files(tern, "corrupt") == want, 5)
    t.eq("invalid files moved to corrupt/", ql.spool_files(tern, "corrupt"), want)
    t.ok("each logged", tern.wait_log(r"corrupt-spool-file id=00000000000B reason=no-trailer", 5,
                                      since))
    t.ok("the valid message is still delivered", ql.wait_for(
        lambda: lmtp.delivered_to("bare@example.test"), 10))
    # 0000000000C has a valid trailer (the CRC covers the trailer only) but
    # another message's id: an id mismatch, so corrupt/ too


def test_kill_under_load(t, tern, lmtp):
    acked, lock = [], threading.Lock()
    stop = threading.Event()

    def worker(n):
        i = 0
        while not stop.is_set():
            try:
                r, qid = ql.submit(tern, "load%d.%d@sender.test" % (n, i), ["demo@example.test"])
                if r[0] == "OK":
                    with lock:
                        acked.append(qid)
            except (OSError, EOFError):
                time.sleep(0.02)
            i += 1
    ths = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for th in ths:
        th.start()
    time.sleep(1.5)
    restart_queue(t, tern, "under load")
    time.sleep(1.5)
    stop.set()
    for th in ths:
        th.join()
    t.ok("some messages acknowledged", len(acked) > 50, len(acked))

    def all_in():
        return all(lmtp.seen_ids.get(k) for k in ids()) or None

    def ids():
        with lock:
            return [x for x in lmtp.seen_ids if x.split(".")[1] in acked_set]
    acked_set = set(acked)
    got = ql.wait_for(lambda: acked_set <= {x.split(".")[1] for x in lmtp.seen_ids}, 30)
    missing = acked_set - {x.split(".")[1] for x in lmtp.seen_ids}
    t.ok("every acknowledged message delivered", got, "%d missing" % len(missing))
    dup = {k: v for k, v in lmtp.seen_ids.items() if v > 1}
    t.eq("no message written twice", dup, {})
    ql.wait_for(lambda: not ql.spool_files(tern), 10)
    t.eq("spool empty after the load", ql.spool_files(tern), [])


def test_disk_full(t, tern, lmtp):
    t.skip("disk full", "runs in its own installation (see main)")


def disk_full_main(t):
    if not h.IS_ROOT:
        t.skip("spool disk full", "needs root to mount a small tmpfs")
        return
    tern = ql.make_tern(t, "queue-full")
    os.makedirs(tern.spool_dir)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tern.spool_dir],
                       capture_output=True, text=True)
    if r.returncode != 0:
        t.skip("spool disk full", "cannot mount tmpfs: %s" % r.stderr.strip())
        return
    lmtp = ql.FakeLMTP(tern.lmtp_path)
    try:
        with tern:
            if tern.start() and ql.wait_queue(tern):
                c = ql.Submit(tern.submit_sock)
                res, fd = c.begin()
                qid = res[1]
                written = 0
                chunk = b"x" * 1000 + b"\r\n"
                try:
                    while True:
                        written += os.write(fd, chunk)
                except OSError:
                    pass
                os.close(fd)
                c.send("MAIL", "full@sender.test")
                c.send("RCPT", "demo@example.test")
                c.send("COMMIT", str(written))
                rep = c.line().split("\t")
                t.eq("disk full at COMMIT -> TEMP", rep[0], "TEMP")
                t.ok("TEMP names the full disk", "disk full" in "\t".join(rep), rep)
                t.ok("the file is removed", not os.path.exists(
                    os.path.join(tern.spool_dir, "incoming", qid)))
                res, qid2 = c.submit("ok@sender.test", ["demo@example.test"], ql.message())
                t.eq("space again: the next message commits", res[0], "OK")
                c.close()
                t.ok("and is delivered", ql.wait_for(
                    lambda: [d for d in lmtp.deliveries if d[0].startswith("<ok@")], 10))
    finally:
        lmtp.stop()
        subprocess.run(["umount", "-l", tern.spool_dir], capture_output=True)


def main():
    t = h.Checker("queue-recovery")
    tern = ql.make_tern(t, "queue-rec", maximal_queue_lifetime="1h")
    lmtp = ql.FakeLMTP(tern.lmtp_path)
    with tern:
        if tern.start() and t.ok("queue listening", ql.wait_queue(tern)):
            for fn in (test_kill_deferred, test_corrupt, test_kill_under_load):
                t.run(fn, t, tern, lmtp)
    lmtp.stop()
    disk_full_main(t)
    t.finish()


if __name__ == "__main__":
    main()
