#!/usr/bin/env python3
"""master: status and pid file, restart of a crashed authd (kill -9) with
restart counting, SIGHUP reloads (data files re-read without dropping
clients; a changed authd setting restarts authd, an unrelated one does
not), config checking (ternctl config check, master refusing a bad file),
and graceful stop by SIGTERM, SIGINT and ternctl stop leaving no process."""
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402

SHUTDOWN_TIMEOUT = 5.0


def authd_changed(tern, old):
    def f():
        st = tern.status().get("authd", {})
        p = st.get("pid")
        if isinstance(p, int) and p != old and h.pid_alive(p) and st.get("state") == "running":
            return st
        return None
    return f


def test_status(t, tern):
    r = tern.ternctl("status")
    t.eq("ternctl status exit code", r.returncode, 0)
    line = next((x for x in r.stdout.splitlines() if x.startswith("authd ")), "")
    t.ok("status line format 'authd pid=N uptime=Ns restarts=N state=running'",
         re.fullmatch(r"authd pid=\d+ uptime=\d+s restarts=0 state=running", line.strip()),
         repr(r.stdout) + repr(r.stderr))
    st = tern.status().get("authd", {})
    c = h.AuthClient(tern.client_sock)
    t.eq("status pid = the SPID authd announces", st.get("pid"), c.spid)
    c.close()
    ps = h.proc_status(st["pid"]) if isinstance(st.get("pid"), int) else None
    t.ok("authd is a child of master", ps and ps.get("PPid") == str(tern.pid), ps and ps.get("PPid"))
    try:
        exe = os.readlink("/proc/%d/exe" % st["pid"])
    except (OSError, KeyError, TypeError) as e:
        exe = str(e)
    t.eq("authd runs from daemon_directory", exe, os.path.realpath(os.path.join(h.BIN, "authd")))
    pidfile = os.path.join(tern.run_dir, "master.pid")
    t.eq("run_directory/master.pid holds master's pid", tern.read_file(pidfile).strip(),
         str(tern.pid))
    t.ok("spool_directory created", os.path.isdir(tern.spool_dir))
    t.ok("control socket exists", os.path.exists(tern.ctl_sock))


def test_kill9_restart(t, tern):
    old = tern.authd_pid()
    t.ok("authd pid known before kill", isinstance(old, int), old)
    if not isinstance(old, int):
        return
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    st = h.wait_until(authd_changed(tern, old), 5.0, 0.1)
    t.ok("master restarts authd after kill -9 (new pid within 5s)", st, tern.status())
    if not st:
        return
    t.eq("status shows restarts=1", st.get("restarts"), 1)
    t.ok("restart waited at least restart_delay", time.monotonic() - t0 >= 0.19)
    t.ok("wait_ready after restart", tern.wait_ready(5.0))
    c = h.AuthClient(tern.client_sock)
    r = c.auth_plain("demo@example.test", "demo")
    t.eq("service resumes after restart", r.cmd, "OK")
    t.eq("new authd announces the new pid", c.spid, st.get("pid"))
    c.close()
    r = h.socketmap(tern.socketmap_sock, "domain", "example.test")
    t.eq("socketmap resumes after restart", r, "OK example.test")
    old = st["pid"]
    t0 = time.monotonic()
    os.kill(old, signal.SIGKILL)
    st = h.wait_until(authd_changed(tern, old), 6.0, 0.05)
    t.ok("second kill -9: restarted again", st, tern.status())
    if st:
        t.eq("status shows restarts=2", st.get("restarts"), 2)
        t.ok("second restart delay doubled (>= 400ms)", time.monotonic() - t0 >= 0.39,
             "%.3fs" % (time.monotonic() - t0))
    tern.wait_ready(5.0)
    t.ok("master still running after crashes", tern.proc.poll() is None)


def test_sighup_passwd(t, tern):
    old = tern.authd_pid()
    c = h.AuthClient(tern.client_sock)
    try:
        r = c.auth_plain("fresh@example.test", "freshpw")
        t.eq("before reload: new user unknown", r.cmd, "FAIL")
        tern.add_user("fresh@example.test:{PLAIN}freshpw")
        tern.signal(signal.SIGHUP)

        def new_user_ok():
            return c.auth_plain("fresh@example.test", "freshpw").cmd == "OK"
        t.ok("after SIGHUP: new user authenticates on a connection opened before",
             h.wait_until(new_user_ok, 5.0, 0.2))
        r = c.auth_plain("demo@example.test", "demo")
        t.eq("after SIGHUP: old connection still serves existing users", r.cmd, "OK")
    finally:
        c.close()
    c = h.AuthClient(tern.client_sock)
    r = c.auth_plain("fresh@example.test", "freshpw")
    t.eq("after SIGHUP: new user authenticates on a new connection", r.cmd, "OK")
    c.close()
    u = h.UserdbClient(tern.userdb_sock)
    r = u.user(1, "fresh@example.test")
    t.eq("after SIGHUP: userdb knows the new user", r.cmd, "USER")
    u.close()
    t.eq("data reload did not restart authd", tern.authd_pid(), old)
    t.ok("master still running after SIGHUP", tern.proc.poll() is None)


def test_sighup_unchanged(t, tern):
    old = tern.authd_pid()
    c = h.AuthClient(tern.client_sock)
    tern.signal(signal.SIGHUP)
    time.sleep(1.5)
    t.eq("SIGHUP with nothing changed keeps authd", tern.authd_pid(), old)
    tern.settings["restart_delay"] = "250ms"  # read by master only
    tern.write_conf()
    r = tern.ternctl("reload")
    t.eq("ternctl reload exit code", r.returncode, 0)
    time.sleep(1.5)
    t.eq("a change authd does not read keeps authd (same pid)", tern.authd_pid(), old)
    r = c.auth_plain("demo@example.test", "demo")
    t.eq("connection opened before both reloads still works", r.cmd, "OK")
    c.close()


def test_sighup_changed(t, tern):
    old = tern.authd_pid()
    tern.settings["auth_failure_delay"] = "700ms"
    tern.write_conf()
    tern.signal(signal.SIGHUP)
    st = h.wait_until(authd_changed(tern, old), 6.0, 0.1)
    t.ok("changing auth_failure_delay restarts authd (new pid)", st, tern.status())
    t.ok("old authd exits", h.wait_until(lambda: not h.pid_alive(old), 7.0), old)
    tern.wait_ready(5.0)
    c = h.AuthClient(tern.client_sock)
    r = c.auth_plain("demo@example.test", "wrong")
    t.ok("new auth_failure_delay in effect (>= 0.7s)", r.cmd == "FAIL" and r.elapsed >= 0.68, r)
    c.close()
    st = tern.status().get("authd", {})
    print("# note: after a config-change restart status says: %s" % st, flush=True)


def test_sighup_bad_config(t, tern):
    old = tern.authd_pid()
    good = tern.read_file(tern.conf_path)
    tern.write_file(tern.conf_path, good + "bogus_setting_on_reload = 1\n")
    since = tern.log_size()
    tern.signal(signal.SIGHUP)
    time.sleep(1.0)
    t.ok("SIGHUP with a broken config: master keeps running", tern.proc.poll() is None)
    t.eq("SIGHUP with a broken config: authd untouched", tern.authd_pid(), old)
    line = tern.wait_log(re.escape(tern.conf_path) + r":\d+:", 2.0, since)
    t.ok("SIGHUP with a broken config: the error (file:line) is logged", line,
         tern.log_text()[since:][-500:])
    c = h.AuthClient(tern.client_sock)
    t.eq("SIGHUP with a broken config: service goes on", c.auth_plain(
        "demo@example.test", "demo").cmd, "OK")
    c.close()
    tern.write_file(tern.conf_path, good)
    tern.signal(signal.SIGHUP)
    time.sleep(0.5)
    t.ok("config repaired: master still running", tern.proc.poll() is None)


def test_sighup_storm(t, tern):
    old = tern.authd_pid()
    c = h.AuthClient(tern.client_sock)
    for _ in range(25):
        tern.signal(signal.SIGHUP)
        time.sleep(0.01)
    time.sleep(1.0)
    t.ok("25 SIGHUPs in a row: master survives", tern.proc.poll() is None)
    t.eq("25 SIGHUPs in a row: authd survives (same pid)", tern.authd_pid(), old)
    t.eq("25 SIGHUPs in a row: old connection still works",
         c.auth_plain("demo@example.test", "demo").cmd, "OK")
    c.close()
    st = tern.status().get("authd", {})
    t.eq("25 SIGHUPs in a row: authd state=running", st.get("state"), "running")


def write_bad(tern, name, text):
    return tern.write_file(name, text)


def ternctl_with(conf, *args):
    return subprocess.run([os.path.join(h.BIN, "ternctl"), "-c", conf] + list(args),
                          capture_output=True, text=True, timeout=20)


def bad_configs(tern):
    """(name, path, line number or None) of broken configs using run2/."""
    other = dict(tern.settings, run_directory=tern.path("run2"),
                 spool_directory=tern.path("spool2"))
    good = tern.conf_text(settings=other)
    lines = good.splitlines()
    out = []
    # unknown key on a known line
    bad = lines[:3] + ["bogus_setting = 1"] + lines[3:]
    out.append(("unknown key", write_bad(tern, "bad1.conf", "\n".join(bad) + "\n"), 4))
    # malformed time value
    bad = [("auth_failure_delay = soon" if x.startswith("auth_failure_delay") else x)
           for x in lines]
    ln = next(i for i, x in enumerate(bad) if x.startswith("auth_failure_delay")) + 1
    out.append(("bad time value", write_bad(tern, "bad2.conf", "\n".join(bad) + "\n"), ln))
    # unknown key inside the service block
    i = lines.index("service authd {")
    bad = lines[:i + 1] + ["    frobnicate = yes"] + lines[i + 1:]
    out.append(("unknown service key", write_bad(tern, "bad3.conf", "\n".join(bad) + "\n"),
                i + 2))
    # unterminated block
    bad = [x for x in lines if x != "}"]
    out.append(("unterminated service block",
                write_bad(tern, "bad4.conf", "\n".join(bad) + "\n"), None))
    # line without '='
    bad = lines[:2] + ["this is not a setting"] + lines[2:]
    out.append(("line without '='", write_bad(tern, "bad5.conf", "\n".join(bad) + "\n"), 3))
    return out


def test_config_check(t, tern):
    r = tern.ternctl("config", "check")
    t.eq("config check on the good config: exit 0", r.returncode, 0)
    t.ok("config check prints 'config ok'", "config ok" in r.stdout, repr(r.stdout))
    for name, path, ln in bad_configs(tern):
        r = ternctl_with(path, "config", "check")
        t.eq("config check, %s: exit 1" % name, r.returncode, 1)
        want = "%s:%d:" % (path, ln) if ln else "%s:" % path
        t.ok("config check, %s: stderr names %s" % (name, want), want in r.stderr,
             repr(r.stderr))
        t.ok("config check, %s: no 'config ok'" % name, "config ok" not in r.stdout)


def test_master_refuses_bad_config(t, tern):
    for name, path, ln in bad_configs(tern)[:2]:
        try:
            r = subprocess.run([os.path.join(h.BIN, "master"), "-c", path],
                               capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            t.ok("master with %s exits" % name, False, "still running after 10s")
            for p in h.pids_with_cmdline(path):
                os.kill(p, signal.SIGKILL)
            continue
        t.ok("master refuses %s (exit non-zero)" % name, r.returncode != 0, r.returncode)
        want = "%s:%d:" % (path, ln)
        t.ok("master's error names %s" % want, want in r.stderr + r.stdout,
             repr(r.stderr + r.stdout))
    t.ok("master -c missing-file exits non-zero",
         subprocess.run([os.path.join(h.BIN, "master"), "-c", tern.path("nonexistent.conf")],
                        capture_output=True, timeout=10).returncode != 0)
    t.ok("the running master is unaffected", tern.proc.poll() is None)
    c = h.AuthClient(tern.client_sock)
    t.eq("the running authd still serves", c.auth_plain("demo@example.test", "demo").cmd, "OK")
    c.close()


def check_stopped(t, tern, how, rc, elapsed, kids):
    t.eq("%s: master exits 0" % how, rc, 0)
    t.ok("%s: master exits within shutdown_timeout+2s" % how,
         elapsed <= SHUTDOWN_TIMEOUT + 2.0, "%.1fs" % elapsed)
    t.ok("%s: no child of master remains" % how, not [k for k in kids if h.pid_alive(k)],
         kids)
    left = h.pids_with_cmdline(tern.dir)
    t.ok("%s: no process of the installation remains" % how, not left,
         [(p, h.proc_cmdline(p)) for p in left])


def test_sigterm(t, tern):
    kids = h.children_of(tern.pid)
    t.ok("master has children before SIGTERM", kids)
    idle = h.AuthClient(tern.client_sock)
    pending = h.AuthClient(tern.client_sock)
    pending.send_line(pending.auth_line(1, "PLAIN", None))
    pending.read_reply(1)
    before = len(tern.sanitizer_reports())
    rc, elapsed = tern.stop(timeout=SHUTDOWN_TIMEOUT + 5)
    check_stopped(t, tern, "SIGTERM", rc, elapsed, kids)
    new = tern.sanitizer_reports()[before:]
    t.ok("SIGTERM with clients connected: no sanitizer report (e.g. leaked connections)",
         not new, "\n".join(new[:5]))
    idle.close()
    pending.close()


def restart(t, tern, what):
    ok = tern.start()
    if not ok:
        t.ok("master starts again for the %s test" % what, False)
    return ok


def test_sigint(t, tern):
    if not restart(t, tern, "SIGINT"):
        return
    kids = h.children_of(tern.pid)
    t0 = time.monotonic()
    tern.signal(signal.SIGINT)
    try:
        rc = tern.proc.wait(SHUTDOWN_TIMEOUT + 5)
    except subprocess.TimeoutExpired:
        rc = None
    check_stopped(t, tern, "SIGINT", rc, time.monotonic() - t0, kids)


def test_ternctl_stop(t, tern):
    if not restart(t, tern, "ternctl stop"):
        return
    kids = h.children_of(tern.pid)
    # Run ternctl in the background and reap master as soon as it exits:
    # ternctl polls kill(pid, 0), and an unreaped child of ours would look
    # alive to it (under systemd master is reaped at once).
    t0 = time.monotonic()
    ctl = subprocess.Popen([os.path.join(h.BIN, "ternctl"), "-c", tern.conf_path, "stop"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    master_gone_at = ctl_done_at = None
    master_gone_when_ctl_done = None
    while time.monotonic() - t0 < SHUTDOWN_TIMEOUT + 10:
        if master_gone_at is None and tern.proc.poll() is not None:
            master_gone_at = time.monotonic()
        if ctl_done_at is None and ctl.poll() is not None:
            ctl_done_at = time.monotonic()
            # master's exit closes the control connection a moment before
            # it becomes reapable: allow 200ms for that
            master_gone_when_ctl_done = h.wait_until(
                lambda: tern.proc.poll() is not None, 0.2, 0.005)
        if master_gone_at is not None and ctl_done_at is not None:
            break
        time.sleep(0.01)
    if ctl_done_at is None:
        ctl.kill()
    out, err = ctl.communicate()
    t.eq("ternctl stop exit code", ctl.returncode, 0)
    t.ok("master has exited when ternctl stop returns", master_gone_when_ctl_done,
         "ternctl out=%r err=%r" % (out, err))
    if tern.proc.poll() is None:
        try:
            tern.proc.wait(SHUTDOWN_TIMEOUT + 5)
        except subprocess.TimeoutExpired:
            pass
    elapsed = (master_gone_at or time.monotonic()) - t0
    check_stopped(t, tern, "ternctl stop", tern.proc.poll(), elapsed, kids)


def test_sigterm_during_restart_delay(t, tern):
    if not restart(t, tern, "SIGTERM during restart delay"):
        return
    pid = tern.authd_pid()
    kids = h.children_of(tern.pid)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.05)  # master has seen the crash and waits restart_delay
    rc, elapsed = tern.stop(timeout=SHUTDOWN_TIMEOUT + 5)
    check_stopped(t, tern, "SIGTERM during restart delay", rc, elapsed, kids)


def test_start_over_stale_sockets(t, tern):
    if not restart(t, tern, "master crash"):
        return
    kids = h.children_of(tern.pid)
    tern.proc.kill()
    tern.proc.wait()
    time.sleep(0.5)
    orphans = [k for k in kids if h.pid_alive(k)]
    print("# note: after master was SIGKILLed, its children still alive: %s" % orphans,
          flush=True)
    for k in orphans:  # ours: started by our master
        os.kill(k, signal.SIGKILL)
    print("# note: stale client socket present: %s" % os.path.exists(tern.client_sock),
          flush=True)
    ok = tern.start()
    t.ok("master starts again over stale sockets and pid file", ok)
    if ok:
        c = h.AuthClient(tern.client_sock)
        t.eq("service works after the crash restart",
             c.auth_plain("demo@example.test", "demo").cmd, "OK")
        c.close()
        rc, elapsed = tern.stop()
        t.eq("and stops cleanly", rc, 0)


def test_enabled_no(t, tern):
    tern.authd_extra = ["enabled = no"]
    tern.write_conf()
    r = tern.ternctl("config", "check")
    t.eq("config with enabled = no passes config check", r.returncode, 0)
    if not tern.start(wait=False):
        return
    time.sleep(1.0)
    t.ok("enabled = no: master runs", tern.proc.poll() is None)
    kids = [k for k in h.children_of(tern.pid) if h.pid_alive(k)]
    t.ok("enabled = no: authd not spawned", not kids, [(k, h.proc_cmdline(k)) for k in kids])
    st = tern.status().get("authd", {})
    t.ok("enabled = no: status shows no running authd", st.get("state") != "running", st)
    tern.authd_extra = []
    tern.write_conf()
    tern.signal(signal.SIGHUP)
    t.ok("enabled back to yes + SIGHUP: authd starts and serves", tern.wait_ready(5.0))
    rc, elapsed = tern.stop()
    t.eq("enabled toggle: master stops cleanly", rc, 0)


def main():
    h.main_with("master", [
        test_status, test_kill9_restart, test_sighup_passwd, test_sighup_unchanged,
        test_sighup_changed, test_sighup_bad_config, test_sighup_storm, test_config_check,
        test_master_refuses_bad_config, test_sigterm, test_sigint, test_ternctl_stop,
        test_sigterm_during_restart_delay, test_start_over_stale_sockets, test_enabled_no,
    ])


if __name__ == "__main__":
    main()
