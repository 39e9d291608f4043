#!/usr/bin/env python3
"""End to end, the hardest case of issue 3: 2,000 messages of 4 KiB sent by
8 concurrent smtplib clients through smtpd -> queue -> lmtpd -> Maildir
while the queue is killed with SIGKILL (at ~30%) and lmtpd too (at ~60%);
master restarts both. A client whose transaction fails (connection lost,
4xx) retries the message like an MTA would, as a new attempt. Every
message carries X-E2E-Id (the message) and X-E2E-Attempt (the attempt).
At the end, when the queue is empty: every attempt that got 250 is in each
recipient's Maildir exactly once, and no attempt at all is there twice.
An attempt that got no 250 may still be delivered (its outcome was unknown
to the client, as in any SMTP system); those are counted and printed."""
import os
import random
import re
import signal
import smtplib
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402
import e2elib as E  # noqa: E402

TOTAL = int(os.environ.get("E2E_CRASH_MESSAGES", "2000"))
CLIENTS = 8
MSG_SIZE = 4096
USERS = ("demo", "crypt", "bare")
MAX_ATTEMPTS = 60
HDR_RE = re.compile(rb"^X-E2E-Attempt: (\d+)\.(\d+)$", re.M)


def recipients(seq):
    """Every 10th message goes to two mailboxes, the rest to one."""
    if seq % 10 == 0:
        return ["demo@example.test", "crypt@example.test"]
    return ["%s@example.test" % USERS[seq % 3]]


def make_message(seq, attempt):
    head = ("From: load@remote.test\r\nTo: %s\r\nSubject: load %d\r\n"
            "Message-ID: <load.%d.%d@e2e.test>\r\nX-E2E-Id: %d\r\nX-E2E-Attempt: %d.%d\r\n\r\n"
            % (", ".join(recipients(seq)), seq, seq, attempt, seq, seq, attempt))
    line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_=+*\r\n"
    body = line * ((MSG_SIZE - len(head)) // len(line) + 1)
    return (head + body)[:MSG_SIZE - 2] + "\r\n"


class Load:
    def __init__(self, tern):
        self.tern = tern
        self.lock = threading.Lock()
        self.next = 0
        self.acked = {}        # seq -> attempt that got 250
        self.failed_attempts = []   # (seq, attempt, why)
        self.permanent = []    # (seq, reply): 5xx, never expected
        self.given_up = []

    def take(self):
        with self.lock:
            if self.next >= TOTAL:
                return None
            self.next += 1
            return self.next - 1

    def n_acked(self):
        with self.lock:
            return len(self.acked)

    def client(self, n):
        s = None
        rnd = random.Random(n)
        while True:
            seq = self.take()
            if seq is None:
                break
            for attempt in range(MAX_ATTEMPTS):
                try:
                    if s is None:
                        s = smtplib.SMTP("127.0.0.1", self.tern.port, timeout=60)
                        s.ehlo("load%d.e2e.test" % n)
                    refused = s.sendmail("load@remote.test", recipients(seq),
                                         make_message(seq, attempt))
                    if refused:
                        raise smtplib.SMTPRecipientsRefused(refused)
                    with self.lock:
                        self.acked[seq] = attempt
                    break
                except smtplib.SMTPResponseException as e:
                    why = "%d %s" % (e.smtp_code, e.smtp_error[:60])
                    if e.smtp_code >= 500:
                        with self.lock:
                            self.permanent.append((seq, why))
                        break
                except smtplib.SMTPRecipientsRefused as e:
                    codes = [c for c, _ in e.recipients.values()]
                    why = "RCPT %s" % codes
                    if any(c >= 500 for c in codes):
                        with self.lock:
                            self.permanent.append((seq, why))
                        break
                except (smtplib.SMTPException, OSError) as e:
                    why = "%s: %s" % (type(e).__name__, e)
                with self.lock:
                    self.failed_attempts.append((seq, attempt, why))
                try:
                    if s is not None:
                        s.close()
                except OSError:
                    pass
                s = None
                time.sleep(0.05 + rnd.random() * 0.2)
            else:
                with self.lock:
                    self.given_up.append(seq)
        if s is not None:
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                pass


def kill_at(t, tern, load, service, fraction, killed):
    """Wait until fraction of the messages are acknowledged, then SIGKILL
    the service (pid from ternctl status)."""
    h.wait_until(lambda: load.n_acked() >= TOTAL * fraction or load.next >= TOTAL, 120, 0.02)
    pid = tern.pid_of(service)
    if not t.ok("%s pid known from ternctl status" % service, pid):
        return
    os.kill(pid, signal.SIGKILL)
    killed[service] = (pid, load.n_acked())
    print("# kill -9 %s pid=%d after %d acknowledged" % (service, pid, load.n_acked()),
          flush=True)
    new = h.wait_until(lambda: (lambda p: p if p and p != pid else None)(tern.pid_of(service)),
                       15)
    t.ok("master restarted %s after kill -9" % service, new, tern.status().get(service))


def count_copies(tern):
    """{(user, seq, attempt): copies} over new/ and cur/ of each INBOX."""
    copies = {}
    for u in USERS:
        md = tern.maildir(u)
        for sub in ("new", "cur"):
            for name in E.files(md, sub):
                try:
                    with open(os.path.join(md, sub, name), "rb") as f:
                        head = f.read(1024)
                except FileNotFoundError:
                    continue
                m = HDR_RE.search(head)
                key = (u, int(m.group(1)), int(m.group(2))) if m else (u, -1, name)
                copies[key] = copies.get(key, 0) + 1
    return copies


def test_crash_load(t, tern):
    load = Load(tern)
    killed = {}
    t0 = time.monotonic()
    threads = [threading.Thread(target=load.client, args=(n,)) for n in range(CLIENTS)]
    for th in threads:
        th.start()
    kill_at(t, tern, load, "queue", 0.3, killed)
    kill_at(t, tern, load, "lmtpd", 0.6, killed)
    for th in threads:
        th.join(180)
    sent_s = time.monotonic() - t0
    t.ok("clients finished", not any(th.is_alive() for th in threads))
    print("# load: %d messages acknowledged in %.1fs, %d failed attempts retried"
          % (len(load.acked), sent_s, len(load.failed_attempts)), flush=True)
    why = {}
    for _, _, w in load.failed_attempts:
        k = re.sub(r"\d{3,}", "N", w)[:70]
        why[k] = why.get(k, 0) + 1
    for k, v in sorted(why.items(), key=lambda x: -x[1])[:8]:
        print("#   failed attempt: %dx %s" % (v, k), flush=True)
    t.eq("no permanent (5xx) failure", load.permanent[:5], [])
    t.eq("no message given up after %d attempts" % MAX_ATTEMPTS, load.given_up[:5], [])
    t.eq("every message acknowledged in the end", len(load.acked), TOTAL)
    t.ok("both kills happened during the load",
         "queue" in killed and "lmtpd" in killed and killed["lmtpd"][1] < TOTAL, killed)

    drained = h.wait_until(tern.queue_empty, 120, 0.5)
    t.ok("queue list empty within 120s", drained, tern.ternctl("queue", "list").stdout[-800:])
    time.sleep(0.5)
    copies = count_copies(tern)
    want = {}
    for seq, att in load.acked.items():
        for r in recipients(seq):
            want[(r.split("@")[0], seq, att)] = 1
    missing = [k for k in want if copies.get(k, 0) == 0]
    dup_acked = [k for k in want if copies.get(k, 0) > 1]
    dup_any = [k for k, v in copies.items() if v > 1]
    foreign = [k for k in copies if k[1] == -1]
    unacked = [k for k in copies if k not in want and k[1] != -1]
    seqs_twice = {}
    for (u, seq, att) in copies:
        if seq >= 0:
            seqs_twice.setdefault((u, seq), set()).add(att)
    seqs_twice = {k: v for k, v in seqs_twice.items() if len(v) > 1}
    print("# accepted=%d (%d copies expected) delivered=%d copies duplicates=%d missing=%d "
          "unacknowledged-attempts-delivered=%d messages-delivered-by-two-attempts=%d"
          % (len(load.acked), len(want), sum(copies.values()), len(dup_any), len(missing),
             len(unacked), len(seqs_twice)), flush=True)
    t.eq("every acknowledged message is in its Maildir (missing)", missing[:10], [])
    t.eq("... exactly once (acknowledged attempts with more than one copy)", dup_acked[:10], [])
    t.eq("no attempt, acknowledged or not, is in a Maildir twice", dup_any[:10], [])
    t.eq("no unknown file in the Maildirs", foreign[:5], [])
    t.eq("nothing left in tmp/", [u for u in USERS if E.files(tern.maildir(u), "tmp")], [])
    inc = os.path.join(tern.spool_dir, "incoming")
    t.eq("spool incoming/ empty", sorted(os.listdir(inc)) if os.path.isdir(inc) else [], [])
    t.ok("queue recovered after its kill (log recovered ... unclean=yes)",
         tern.wait_log(r"queue\[\d+\]: .*recovered .*unclean=yes", 1))
    log = tern.log_text()
    rec = re.findall(r"recovered files=(\d+) queued=(\d+) unclean=yes", log)
    print("# queue recovery after the kill: %s; lmtp attempts with unknown outcome: %d; "
          "copies lmtpd skipped as already delivered (XTERNID ;R): %d"
          % (rec, log.count("outcome=unknown"), log.count("duplicate-skipped")), flush=True)
    st = tern.status()
    t.ok("ternctl status: queue and lmtpd restarted once each and running",
         st.get("queue", {}).get("restarts") == 1 and st.get("lmtpd", {}).get("restarts") == 1
         and st.get("queue", {}).get("state") == "running"
         and st.get("lmtpd", {}).get("state") == "running", st)
    print("# end to end: %.1fs for %d messages" % (time.monotonic() - t0, TOTAL), flush=True)


def main():
    t = h.Checker("e2e_crash")
    with E.E2ETern(t, "e2e-crash", settings={"maximal_queue_lifetime": "1h",
                                              "log_level": "info"}) as tern:
        if tern.start():
            t.run(test_crash_load, t, tern)
    t.finish()


if __name__ == "__main__":
    main()
