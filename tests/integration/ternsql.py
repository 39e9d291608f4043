"""ternsql: a private MariaDB server holding a PostfixAdmin database, for
tern's SQL integration tests.

MariaDB(dir) runs a throw-away server through tests/tools/mariadb-private.sh
(start/stop/kill9; socket DIR/sock, no network unless asked). PostfixAdminDB
loads etc/postfixadmin/schema-3.3.sql into database `postfix`, creates the
user `postfix`, inserts the fixture (domains, an alias domain, mailboxes with
passwords hashed by independent tools in every scheme tern verifies, aliases
as PostfixAdmin writes them) and writes copies of etc/postfix/sql/*.cf and a
dovecot-sql.conf.ext pointing at the server. Standard library only; the
mariadb command-line client runs the SQL.
"""
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import warnings

import ternharness as h

TOOL = os.path.join(h.SRC, "tests", "tools", "mariadb-private.sh")
ETC = os.path.join(h.SRC, "etc")
CLIENT = shutil.which("mariadb") or "/usr/bin/mariadb"
DB_NAME = "postfix"
DB_USER = "postfix"


def available():
    """None when a private server can be run here, else why not."""
    for p in ("/usr/sbin/mariadbd", "/usr/bin/mariadb-install-db", CLIENT):
        if not os.access(p, os.X_OK):
            return "%s not installed (Debian: mariadb-server mariadb-client)" % p
    if not os.access(TOOL, os.R_OK):
        return "%s missing" % TOOL
    return None


def sql_str(s):
    """s as a single-quoted SQL string literal (backslash escapes on)."""
    s = s.replace("\\", "\\\\").replace("'", "\\'").replace("\0", "\\0")
    s = s.replace("\n", "\\n").replace("\r", "\\r").replace("\x1a", "\\Z")
    return "'" + s + "'"


class MariaDB:
    """One private mariadbd in dir (created when None)."""

    def __init__(self, dir=None, tcp_port=None):
        self.dir = dir or tempfile.mkdtemp(prefix="ternsql-")
        os.chmod(self.dir, 0o755)  # daemons under other users reach sock and work/
        self.tcp_port = tcp_port
        self.socket = os.path.join(self.dir, "sock")
        self.running = False

    def _tool(self, *args, timeout=120):
        return subprocess.run(["sh", TOOL] + list(args), capture_output=True, text=True,
                              timeout=timeout)

    def start(self):
        args = ["start", self.dir]
        if self.tcp_port:
            args += ["tcp", str(self.tcp_port)]
        r = self._tool(*args)
        if r.returncode != 0:
            raise RuntimeError("mariadb-private start failed: %s %s\n%s"
                               % (r.stdout, r.stderr, self.err_log()[-2000:]))
        self.socket = r.stdout.strip().splitlines()[-1]
        self.running = True
        return self.socket

    def stop(self):
        self._tool("stop", self.dir)
        self.running = False

    def kill9(self):
        r = self._tool("kill9", self.dir)
        self.running = False
        return r.returncode == 0

    def pid(self):
        try:
            with open(os.path.join(self.dir, "pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def err_log(self):
        try:
            with open(os.path.join(self.dir, "err.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def sql(self, text, db=None, timeout=60):
        """Run statements as root; rows of the last result as lists of str
        (tab-separated batch output, NULL as 'NULL'). Raises on error."""
        cmd = [CLIENT, "--no-defaults", "--socket=" + self.socket, "-uroot", "-N", "-B",
               "--default-character-set=utf8mb4"]
        if db:
            cmd.append(db)
        r = subprocess.run(cmd, input=text, capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0:
            raise RuntimeError("SQL failed (%s): %s" % (r.returncode, r.stderr.strip()))
        return [line.split("\t") for line in r.stdout.splitlines()]

    def remove(self):
        if self.running:
            self.stop()
        if os.environ.get("TERN_KEEP") == "1":
            print("# kept %s" % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- password hashes

def _run(cmd, timeout=60):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


class Hasher:
    """Hashes from tools independent of tern: doveadm pw, openssl passwd,
    Python's crypt module (libxcrypt)."""

    def __init__(self, work_dir):
        self.doveadm = shutil.which("doveadm") or (
            "/usr/bin/doveadm" if os.access("/usr/bin/doveadm", os.X_OK) else None)
        self.doveadm_cmd = None
        if self.doveadm:
            base = os.path.join(work_dir, "dovecot-base")
            os.makedirs(base, exist_ok=True)
            conf = os.path.join(work_dir, "dovecot.conf")
            with open(conf, "w") as f:
                f.write("# for doveadm pw only\nbase_dir = %s\nssl = no\n" % base)
            for cmd in ([self.doveadm, "-c", conf], [self.doveadm]):
                if _run(cmd + ["pw", "-s", "PLAIN", "-p", "x"]) == "{PLAIN}x":
                    self.doveadm_cmd = cmd
                    break

    def doveadm_pw(self, scheme, password):
        if not self.doveadm_cmd:
            return None
        out = _run(self.doveadm_cmd + ["pw", "-s", scheme, "-p", password])
        if out and out.upper().startswith("{" + scheme.upper() + "}"):
            return out
        return None

    @staticmethod
    def openssl(flag, password):
        return _run(["openssl", "passwd", flag, password])

    @staticmethod
    def pycrypt(method, password):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                import crypt
            except ImportError:
                return None
            salt = crypt.mksalt(method) if not isinstance(method, str) else method
            out = crypt.crypt(password, salt)
        return out or None


# (local part, how the hash is made) for each mailbox of the scheme matrix.
# ("doveadm", SCHEME) | ("openssl", flag, prefix) | ("bcrypt-2y",) | ("des",)
DOVEADM_SCHEMES = [
    "ARGON2I", "ARGON2ID", "SHA512-CRYPT", "SHA256-CRYPT", "MD5-CRYPT", "BLF-CRYPT",
    "CRYPT", "SSHA512", "SSHA256", "SSHA", "SMD5", "SHA512", "SHA256", "SHA1", "SHA",
    "PLAIN-MD5", "LDAP-MD5", "CRAM-MD5", "PLAIN", "CLEAR", "CLEARTEXT",
    "SHA512-CRYPT.B64", "SHA512-CRYPT.HEX", "SHA256-CRYPT.B64", "MD5-CRYPT.B64",
    "BLF-CRYPT.B64", "ARGON2I.B64", "ARGON2ID.B64", "SSHA512.HEX", "SSHA256.HEX",
    "SSHA.HEX", "SHA512.HEX", "SHA256.HEX", "SHA1.HEX", "PLAIN-MD5.B64",
    "CRAM-MD5.B64", "PLAIN.B64", "PLAIN.HEX",
]


def scheme_local(label):
    return "u-" + label.lower().replace(".", "-").replace("$", "")


class Mailbox:
    def __init__(self, username, password, stored, label, active=True, quota=0, name=""):
        self.username = username
        self.password = password
        self.stored = stored
        self.label = label
        self.active = active
        self.quota = quota
        self.name = name or username
        self.local, _, self.domain = username.partition("@")

    @property
    def maildir(self):
        return "%s/%s/" % (self.domain, self.local)


class PostfixAdminDB:
    """The PostfixAdmin database of the tests, on a running MariaDB."""

    DOMAINS = [  # domain, active
        ("example.test", 1), ("other.test", 1), ("dead.test", 0),
        ("alias.test", 1), ("aliasother.test", 1), ("deadalias.test", 1),
    ]
    ALIAS_DOMAINS = [("alias.test", "example.test", 1), ("aliasother.test", "other.test", 1),
                     ("deadalias.test", "example.test", 0)]

    def __init__(self, db, work_dir, schema="schema-3.3.sql"):
        self.db = db
        self.dir = work_dir
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.schema = os.path.join(ETC, "postfixadmin", schema)
        self.password = "pfa-" + secrets.token_hex(8)
        self.mailboxes = {}      # username -> Mailbox
        self.aliases = {}        # address -> (goto, active)
        self.skipped = []        # (label, why) schemes no tool could make
        self.hasher = Hasher(self.dir)

    # -- fixture

    def _add(self, mb):
        self.mailboxes[mb.username] = mb
        # PostfixAdmin's self-alias, active like its mailbox
        self.aliases[mb.username] = (mb.username, mb.active)

    def build_mailboxes(self):
        G = 1024 * 1024 * 1024
        self._add(Mailbox("demo@example.test", "demo-sql-pw", "{PLAIN}demo-sql-pw",
                          "PLAIN", quota=G, name="Demo User"))
        self._add(Mailbox("other@other.test", "other-pw",
                          self.hasher.openssl("-6", "other-pw") or "{PLAIN}other-pw",
                          "bare-6", quota=500 * 1024000))
        self._add(Mailbox("off@example.test", "off-pw", "{PLAIN}off-pw", "PLAIN",
                          active=False))
        self._add(Mailbox("ghost@dead.test", "ghost-pw", "{PLAIN}ghost-pw", "PLAIN"))
        self._add(Mailbox("fwd@example.test", "fwd-pw", "{PLAIN}fwd-pw", "PLAIN"))
        self._add(Mailbox("kf@example.test", "kf-pw", "{PLAIN}kf-pw", "PLAIN"))
        self._add(Mailbox("late@example.test", "late-pw", "{PLAIN}late-pw", "PLAIN",
                          quota=2048))
        for i, scheme in enumerate(DOVEADM_SCHEMES):
            pw = "Pw%d-%s:%%_x" % (i, scheme.lower())
            stored = self.hasher.doveadm_pw(scheme, pw)
            if not stored:
                self.skipped.append((scheme, "doveadm pw -s %s failed or missing" % scheme))
                continue
            self._add(Mailbox(scheme_local(scheme) + "@example.test", pw, stored, scheme,
                              quota=(i + 1) * 1024000))
        # PostfixAdmin 3.3's md5crypt (bare $1$), php_crypt SHA256/SHA512 (bare $5$/$6$)
        for flag, label in (("-1", "bare-1"), ("-5", "bare-5"), ("-6", "bare-6")):
            pw = "Bare%s-pw" % flag
            stored = self.hasher.openssl(flag, pw)
            if stored:
                self._add(Mailbox("u-%s@example.test" % label, pw, stored, label))
            else:
                self.skipped.append((label, "openssl passwd %s failed" % flag))
        # {MD5-CRYPT} / {CRYPT} prefixes in front of openssl's strings
        for flag, prefix, label in (("-1", "{MD5-CRYPT}", "pfx-md5-crypt"),
                                    ("-6", "{CRYPT}", "pfx-crypt-6")):
            pw = "Pfx%s-pw" % flag
            stored = self.hasher.openssl(flag, pw)
            if stored:
                self._add(Mailbox("u-%s@example.test" % label, pw, prefix + stored, label))
        # PHP password_hash(PASSWORD_BCRYPT) / PostfixAdmin 4.x php_crypt: bare $2y$
        import_ok = self.hasher.pycrypt("$2b$10$" + "a" * 22, "x")
        if import_ok and import_ok.startswith("$2b$"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                import crypt
                pw = "Bcrypt-2y-pw"
                s = crypt.crypt(pw, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 10))
            self._add(Mailbox("u-bare-2y@example.test", pw, "$2y$" + s[4:], "bare-2y"))
        else:
            self.skipped.append(("bare-2y", "python crypt has no bcrypt"))
        # traditional DES crypt under {CRYPT}, when libxcrypt still makes it
        des = self.hasher.pycrypt("ab", "Des-pw12")
        if des and len(des) == 13:
            self._add(Mailbox("u-des@example.test", "Des-pw12", "{CRYPT}" + des, "des"))
        else:
            self.skipped.append(("des", "crypt() makes no DES hashes here"))

    def build_aliases(self):
        a = self.aliases
        a["info@example.test"] = ("demo@example.test,other@other.test", True)
        a["sales@example.test"] = ("info@example.test", True)          # alias -> alias
        a["fwd@example.test"] = ("demo@example.test,external@elsewhere.test", True)
        a["kf@example.test"] = ("kf@example.test,external2@elsewhere.test", True)
        a["@other.test"] = ("demo@example.test", True)                  # catch-all
        a["oldalias@example.test"] = ("demo@example.test", False)      # inactive
        a["Mixed@Example.TEST"] = ("late@example.test", True)

    def insert_sql(self):
        out = ["SET NAMES utf8mb4;"]
        for d, active in self.DOMAINS:
            out.append("INSERT INTO domain (domain, description, aliases, mailboxes, maxquota, "
                       "quota, transport, backupmx, created, modified, active) VALUES "
                       "(%s, %s, 0, 0, 0, 0, 'virtual', 0, NOW(), NOW(), %d);"
                       % (sql_str(d), sql_str("domain " + d), active))
        for ad, target, active in self.ALIAS_DOMAINS:
            out.append("INSERT INTO alias_domain (alias_domain, target_domain, created, "
                       "modified, active) VALUES (%s, %s, NOW(), NOW(), %d);"
                       % (sql_str(ad), sql_str(target), active))
        for mb in self.mailboxes.values():
            out.append("INSERT INTO mailbox (username, password, name, maildir, quota, "
                       "local_part, domain, created, modified, active) VALUES "
                       "(%s, %s, %s, %s, %d, %s, %s, NOW(), NOW(), %d);"
                       % (sql_str(mb.username), sql_str(mb.stored), sql_str(mb.name),
                          sql_str(mb.maildir), mb.quota, sql_str(mb.local),
                          sql_str(mb.domain), 1 if mb.active else 0))
        for addr, (goto, active) in self.aliases.items():
            dom = addr.partition("@")[2].lower()
            out.append("INSERT INTO alias (address, goto, domain, created, modified, active) "
                       "VALUES (%s, %s, %s, NOW(), NOW(), %d);"
                       % (sql_str(addr), sql_str(goto), sql_str(dom), 1 if active else 0))
        return "\n".join(out) + "\n"

    def load(self):
        """Database, user, schema and fixture rows."""
        self.db.sql("CREATE DATABASE %s CHARACTER SET latin1 COLLATE latin1_general_ci;\n"
                    "CREATE USER '%s'@'localhost' IDENTIFIED BY '%s';\n"
                    "CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s';\n"
                    "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'localhost';\n"
                    "GRANT ALL PRIVILEGES ON %s.* TO '%s'@'127.0.0.1';\n"
                    "FLUSH PRIVILEGES;\n"
                    % (DB_NAME, DB_USER, self.password, DB_USER, self.password,
                       DB_NAME, DB_USER, DB_NAME, DB_USER))
        with open(self.schema) as f:
            self.db.sql(f.read(), db=DB_NAME)
        self.build_mailboxes()
        self.build_aliases()
        self.db.sql(self.insert_sql(), db=DB_NAME)
        for mb in self.mailboxes.values():
            row = self.db.sql("SELECT password FROM mailbox WHERE username=%s;"
                              % sql_str(mb.username), db=DB_NAME)
            if not row or row[0][0] != mb.stored:
                raise RuntimeError("stored hash of %s changed in the database: %r"
                                   % (mb.username, row))

    def checksum(self):
        """CHECKSUM TABLE of every fixture table, to prove nothing changed."""
        rows = self.db.sql("CHECKSUM TABLE mailbox, alias, domain, alias_domain, config, admin;",
                           db=DB_NAME)
        counts = self.db.sql("SELECT (SELECT COUNT(*) FROM mailbox), (SELECT COUNT(*) FROM "
                             "alias), (SELECT COUNT(*) FROM domain);", db=DB_NAME)
        return [tuple(r) for r in rows] + [tuple(r) for r in counts]

    # -- config files

    CF_FILES = [
        "mysql_virtual_domains_maps.cf", "mysql_virtual_mailbox_maps.cf",
        "mysql_virtual_alias_domain_mailbox_maps.cf", "mysql_virtual_alias_maps.cf",
        "mysql_virtual_alias_domain_maps.cf", "mysql_virtual_alias_domain_catchall_maps.cf",
        "mysql_relay_domains.cf", "mysql_transport_maps.cf", "mysql_mailbox_maps.cf",
    ]

    def write_maps(self, hosts, subdir="postfix-sql"):
        """Copies of etc/postfix/sql/*.cf with hosts (list of sockets or
        "inet:..." strings) and the real credentials; {name: path}."""
        d = os.path.join(self.dir, subdir)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        hosts_v = " ".join(x if x.startswith("inet:") or x.startswith("unix:")
                           else "unix:" + x for x in hosts)
        out = {}
        for name in self.CF_FILES:
            with open(os.path.join(ETC, "postfix", "sql", name)) as f:
                lines = f.read().splitlines()
            new = []
            for line in lines:
                k = line.split("=", 1)[0].strip()
                if k == "hosts":
                    line = "hosts = " + hosts_v
                elif k == "password":
                    line = "password = " + self.password
                elif k == "user":
                    line = "user = " + DB_USER
                elif k == "dbname":
                    line = "dbname = " + DB_NAME
                new.append(line)
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write("\n".join(new) + "\n")
            os.chmod(p, 0o644)
            out[name] = p
        return out

    def write_dovecot_sql(self, hosts, home_base, uid, gid, name="dovecot-sql.conf.ext",
                          port=None):
        """PostfixAdmin's queries, the password query also refusing
        mailboxes of inactive domains (PostfixAdmin issue #736)."""
        p = os.path.join(self.dir, name)
        host_args = " ".join("host=" + x for x in hosts)
        if port:
            host_args += " port=%d" % port
        with open(p, "w") as f:
            f.write("\n".join([
                "# generated by tests/integration/ternsql.py",
                "driver = mysql",
                "connect = %s dbname=%s user=%s password=%s connect_timeout=3"
                % (host_args, DB_NAME, DB_USER, self.password),
                "default_pass_scheme = MD5-CRYPT",
                "password_query = SELECT mailbox.username AS user, mailbox.password \\",
                "  FROM mailbox JOIN domain ON domain.domain = mailbox.domain \\",
                "  WHERE mailbox.username = '%u' AND mailbox.active = '1' \\",
                "  AND domain.active = '1'",
                "user_query = SELECT CONCAT('%s/', maildir) AS home, %d AS uid, %d AS gid, \\"
                % (home_base, uid, gid),
                "  CONCAT('*:bytes=', quota) AS quota_rule FROM mailbox \\",
                "  WHERE username = '%u' AND active = '1'",
                "iterate_query = SELECT username AS user FROM mailbox WHERE active = '1'",
            ]) + "\n")
        os.chmod(p, 0o644)
        return p

    def tern_settings(self, maps, dovecot_sql, proxy=False):
        """tern.conf settings for ternharness.Tern(settings=...)."""
        pre = "proxy:mysql:" if proxy else "mysql:"
        return {
            "dovecot_sql_file": dovecot_sql,
            "virtual_mailbox_domains": pre + maps["mysql_virtual_domains_maps.cf"],
            "virtual_mailbox_maps": ", ".join(pre + maps[n] for n in (
                "mysql_virtual_mailbox_maps.cf",
                "mysql_virtual_alias_domain_mailbox_maps.cf")),
            "virtual_alias_maps": ", ".join(pre + maps[n] for n in (
                "mysql_virtual_alias_maps.cf", "mysql_virtual_alias_domain_maps.cf",
                "mysql_virtual_alias_domain_catchall_maps.cf")),
            "alias_domain_maps": None,
        }


def dead_socket(dir, name="dead.sock"):
    """A unix socket path nobody listens on (bound, never listening: connect
    gets ECONNREFUSED at once). Returns (path, socket object to keep)."""
    p = os.path.join(dir, name)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(p)
    return p, s


def free_tcp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_db(db, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            db.sql("SELECT 1;")
            return True
        except RuntimeError:
            time.sleep(0.2)
    return False
