#!/usr/bin/env python3
"""Drop-in compatibility: requests exactly as the real clients send them.
Postfix smtpd (xsasl_dovecot_server.c) sends VERSION 1 0 and AUTH lines
with bare flags (nologin, secured); Dovecot's login processes add session=,
lport=, rport=, local_name=, ...; Dovecot's lmtp/imap use the auth-master
protocol with VERSION 1 0 and extra USER fields; Postfix keeps socketmap
connections open for many lookups."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ternharness as h  # noqa: E402


def test_postfix_smtpd(t, tern):
    c = h.AuthClient(tern.client_sock, handshake=False)
    try:
        c.send("VERSION\t1\t0\nCPID\t4242\n")
        c.read_handshake()
        t.ok("VERSION 1 0 client (Postfix) gets the handshake", c.mechs, c.handshake_lines)
        resp = h.plain_resp("demo@example.test", "demo")
        r = c.request("AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=192.0.2.1\trip=198.51.100.7"
                      "\tsecured\tresp=" + resp, 1)
        t.eq("Postfix AUTH line with nologin/secured flags -> OK", r.cmd, "OK")
        t.eq("Postfix gets user=", r.fields.get("user"), "demo@example.test")
        r = c.request("AUTH\t2\tPLAIN\tservice=smtp\tnologin\tlip=192.0.2.1\trip=198.51.100.7"
                      "\tresp=" + h.plain_resp("demo@example.test", "bad"), 2)
        t.eq("Postfix AUTH with a wrong password -> FAIL", r.cmd, "FAIL")
        r = c.request("AUTH\t3\tLOGIN\tservice=smtp\tnologin\tlip=192.0.2.1"
                      "\trip=198.51.100.7", 3)
        t.eq("Postfix LOGIN without initial response -> CONT", r.cmd, "CONT")
        r = c.request("CONT\t3\t" + h.b64("crypt@example.test"), 3)
        r = c.request("CONT\t3\t" + h.b64("secret"), 3)
        t.eq("Postfix LOGIN -> OK", r.cmd, "OK")
    finally:
        c.close()
    line = tern.wait_log(r"auth-fail .*rip=198\.51\.100\.7")
    t.ok("failure from Postfix logged with its rip", line, "none")


def test_dovecot_login(t, tern):
    c = h.AuthClient(tern.client_sock)
    try:
        extra = ("session=AbCdEf012345", "lport=143", "rport=54321", "local_name=mail.example.test",
                 "real_rip=198.51.100.8", "real_lip=192.0.2.1", "real_rport=54321",
                 "real_lport=143", "transport=TLS", "secured", "no-penalty", "ssl_cipher=X",
                 "client_id=name\\tFoo", "debug")
        r = c.request(c.auth_line(1, "PLAIN", h.plain_resp("demo@example.test", "demo"),
                                  service="imap", extra=extra), 1)
        t.eq("Dovecot imap-login style AUTH with many parameters -> OK", r.cmd, "OK")
        r = c.request(c.auth_line(2, "PLAIN", h.plain_resp("Demo@Example.Test", "demo"),
                                  service="pop3", rip="2001:db8::7", lip="2001:db8::1"), 2)
        t.eq("IPv6 rip/lip -> OK", r.cmd, "OK")
    finally:
        c.close()


def test_auth_master_clients(t, tern):
    u = h.UserdbClient(tern.userdb_sock, handshake=False)
    try:
        u.send("VERSION\t1\t0\n")
        lines = [u.readline(), u.readline()]
        t.ok("auth-master VERSION 1 0 client gets VERSION and SPID",
             lines[0].startswith("VERSION\t1\t") and lines[1].startswith("SPID\t"), lines)
        u.send_line("USER\t1\tdemo@example.test\tservice=lmtp\tprotocol=lmtp"
                    "\tlip=127.0.0.1\trip=127.0.0.1\tsession=S1")
        r = u.read_reply(1)
        t.eq("USER with Dovecot lmtp parameters -> USER", r.cmd, "USER")
        u.send_line("USER\t2\tdemo@example.test")
        t.eq("USER without any parameters -> USER", u.read_reply(2).cmd, "USER")
        u.send_line("PASS\t3\tdemo@example.test\tservice=doveadm")
        t.eq("PASS for doveadm -> PASS", u.read_reply(3).cmd, "PASS")
        users, end = u.list_users(4)
        t.eq("LIST (doveadm user '*') ends with DONE", end.cmd, "DONE")
    finally:
        u.close()


def test_postfix_socketmap_session(t, tern):
    c = h.SocketmapClient(tern.socketmap_sock)
    try:
        seq = [("domain", "example.test", "OK example.test"),
               ("mailbox", "nobody@example.test", "NOTFOUND"),
               ("alias", "@other.test", "OK demo@example.test"),
               ("domain", "alias.test", "OK alias.test")] * 25
        bad = []
        for name, key, want in seq:
            r = c.query(name, key)
            if r is None or not r.startswith(want):
                bad.append((name, key, r))
        t.ok("100 lookups on one kept-open socketmap connection", not bad, bad[:3])
    finally:
        c.close()


def main():
    h.main_with("compat", [test_postfix_smtpd, test_dovecot_login, test_auth_master_clients,
                           test_postfix_socketmap_session])


if __name__ == "__main__":
    main()
