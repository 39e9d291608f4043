#!/usr/bin/env python3
"""Privilege separation: master keeps root, authd runs as tern-auth (real,
effective, saved and filesystem ids) with no supplementary groups and no
capabilities; socket and control-socket modes. Without root the same path
must leave authd running as the invoking user."""
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402


def ids(status, key):
    return [int(x) for x in status.get(key, "").split()]


def test_ids(t, tern):
    pid = tern.authd_pid()
    t.ok("authd pid from ternctl status", isinstance(pid, int), pid)
    if not isinstance(pid, int):
        return
    st = h.proc_status(pid)
    mst = h.proc_status(tern.pid)
    if h.IS_ROOT:
        pw = h.pwd.getpwnam(h.AUTH_USER)
        t.eq("authd Uid real/effective/saved/fs = tern-auth", ids(st, "Uid"), [pw.pw_uid] * 4)
        t.eq("authd Gid real/effective/saved/fs = tern-auth's group", ids(st, "Gid"),
             [pw.pw_gid] * 4)
        groups = ids(st, "Groups")
        t.ok("authd has no supplementary groups besides its own",
             set(groups) <= {pw.pw_gid}, groups)
        t.eq("authd has no effective capabilities", st.get("CapEff"), "0000000000000000")
        t.eq("authd has no permitted capabilities", st.get("CapPrm"), "0000000000000000")
        t.eq("master stays uid 0", ids(mst, "Uid")[:2], [0, 0])
        c = h.AuthClient(tern.client_sock)
        r = c.auth_plain("crypt@example.test", "secret")
        t.eq("unprivileged authd still reads the passwd file", r.cmd, "OK")
        c.close()
    else:
        t.skip("authd runs as tern-auth", "not root")
        uid, gid = os.getuid(), os.getgid()
        t.eq("authd runs as the invoking uid", ids(st, "Uid"), [uid] * 4)
        t.eq("authd runs as the invoking gid", ids(st, "Gid"), [gid] * 4)
        t.eq("master runs as the invoking uid", ids(mst, "Uid"), [uid] * 4)


def test_socket_modes(t, tern):
    for path, mode in ((tern.client_sock, 0o666), (tern.userdb_sock, 0o600),
                       (tern.socketmap_sock, 0o666)):
        s = os.stat(path)
        t.ok("%s is a socket" % os.path.basename(path), stat.S_ISSOCK(s.st_mode))
        t.eq("%s mode" % os.path.basename(path), oct(stat.S_IMODE(s.st_mode)), oct(mode))
        if h.IS_ROOT:
            t.eq("%s owned by tern-auth (the service user)" % os.path.basename(path),
                 s.st_uid, h.pwd.getpwnam(h.AUTH_USER).pw_uid)
    if os.path.exists(tern.ctl_sock):
        s = os.stat(tern.ctl_sock)
        if h.IS_ROOT:
            t.eq("master.ctl mode 0600", oct(stat.S_IMODE(s.st_mode)), oct(0o600))
            t.eq("master.ctl owned by root", s.st_uid, 0)
        else:
            t.eq("master.ctl owned by the invoking user", s.st_uid, os.getuid())
    else:
        t.ok("master.ctl exists", False, tern.ctl_sock)


def test_unprivileged_client(t, tern):
    """As tern-auth's peer 'nobody': the 0666 sockets accept it, the 0600
    userdb socket and master.ctl refuse it."""
    if not h.IS_ROOT:
        t.skip("unprivileged client checks", "not root")
        return
    nobody = h.pwd.getpwnam("nobody")
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups([])
            os.setresgid(nobody.pw_gid, nobody.pw_gid, nobody.pw_gid)
            os.setresuid(nobody.pw_uid, nobody.pw_uid, nobody.pw_uid)
            try:
                c = h.AuthClient(tern.client_sock)
                if c.auth_plain("demo@example.test", "demo").cmd != "OK":
                    code |= 1
                c.close()
            except OSError:
                code |= 1
            try:
                h.UserdbClient(tern.userdb_sock).close()
                code |= 2
            except (OSError, ConnectionError):
                pass
            for p in (tern.ctl_sock,):
                s = h.socket.socket(h.socket.AF_UNIX, h.socket.SOCK_STREAM)
                try:
                    s.connect(p)
                    code |= 4
                except OSError:
                    pass
                s.close()
        except Exception:
            code |= 8
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    t.ok("user nobody can authenticate on the 0666 client socket", not code & 1, code)
    t.ok("user nobody cannot connect to the 0600 userdb socket", not code & 2, code)
    t.ok("user nobody cannot connect to master.ctl", not code & 4, code)
    t.ok("unprivileged probe ran", not code & 8, code)


def test_after_restart(t, tern):
    """The restarted authd (after kill -9) drops privileges too."""
    old = tern.authd_pid()
    if not isinstance(old, int):
        t.ok("authd pid known", False)
        return
    os.kill(old, h.signal.SIGKILL)

    def new():
        p = tern.authd_pid()
        return p if isinstance(p, int) and p != old and h.pid_alive(p) else None
    pid = h.wait_until(new, 5.0, 0.1)
    t.ok("authd restarted", pid)
    if not pid:
        return
    tern.wait_ready(5.0)
    st = h.proc_status(pid)
    want = h.pwd.getpwnam(h.AUTH_USER).pw_uid if h.IS_ROOT else os.getuid()
    t.eq("restarted authd Uid", ids(st, "Uid"), [want] * 4)


def main():
    h.main_with("privileges", [test_ids, test_socket_modes, test_unprivileged_client,
                               test_after_restart])


if __name__ == "__main__":
    main()
