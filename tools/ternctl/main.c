/* ternctl: tern's admin tool. Commands: status, reload, stop,
 * auth test USER [PASS], user USER, user list [GLOB], lookup MAP KEY,
 * queue list|flush|hold|release|delete|show [ID],
 * config check, pw [-s SCHEME] [-p PASSWORD], migrate check [POSTFIX_DIR]
 * [DOVECOT_DIR] (needs no tern.conf). Exit status: 0 success, 1 negative answer
 * (auth failed, not found, bad config), 2 trouble (cannot connect). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "passwd_scheme.h"
#include "ternctl.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: ternctl [-c CONFIG] COMMAND\n"
		"  status | reload | stop\n"
		"  auth test USER [PASSWORD]   check a login through authd\n"
		"  user USER                   show a user's userdb fields\n"
		"  user list [GLOB]            list the directory's users (e.g. '*@example.com')\n"
		"  lookup MAP KEY              query authd's socketmap (domain, mailbox, alias, resolve)\n"
		"  queue list|flush            the mail queue (like mailq) / retry everything now\n"
		"  queue hold|release|delete|show ID\n"
		"  config check                validate the config file\n"
		"  pw [-s SCHEME] [-p PASSWORD] hash a password (schemes: %s)\n"
		"  migrate check [POSTFIX_DIR] [DOVECOT_DIR]\n"
		"                              what tern does with a Postfix + Dovecot config\n"
		"                              (report on stderr, suggested tern.conf on stdout)\n",
		pw_scheme_list());
	return 2;
}

/* Password from the terminal without echo, or one line of stdin. */
static int read_password(const char *prompt, char *out, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *r = fgets(out, (int)size, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (r == NULL)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int cmd_pw(int argc, char **argv)
{
	const char *scheme = "SHA512-CRYPT", *password = NULL;
	char buf[1024], hash[1024];
	int opt;
	optind = 1;
	while ((opt = getopt(argc, argv, "s:p:")) != -1) {
		if (opt == 's')
			scheme = optarg;
		else if (opt == 'p')
			password = optarg;
		else
			return usage();
	}
	if (password == NULL) {
		if (read_password("Enter new password: ", buf, sizeof(buf)) < 0)
			return 2;
		password = buf;
	}
	if (pw_make(scheme, password, hash, sizeof(hash)) < 0) {
		fprintf(stderr, "ternctl: cannot make a %s hash (schemes: %s)\n", scheme,
			pw_scheme_list());
		return 2;
	}
	printf("%s\n", hash);
	return 0;
}

static int with_conf(const char *path, int argc, char **argv)
{
	char err[1024];
	struct conf *conf = conf_load(path, err, sizeof(err));
	if (conf == NULL) {
		fprintf(stderr, "%s\n", err);
		return strcmp(argv[0], "config") == 0 ? 1 : 2;
	}
	int rc;
	const char *cmd = argv[0];
	if (strcmp(cmd, "config") == 0 && argc == 2 && strcmp(argv[1], "check") == 0) {
		printf("config ok: %s\n", conf_path(conf));
		rc = 0;
	} else if (strcmp(cmd, "status") == 0 && argc == 1) {
		rc = ctl_status(conf);
	} else if (strcmp(cmd, "reload") == 0 && argc == 1) {
		rc = ctl_reload(conf);
	} else if (strcmp(cmd, "stop") == 0 && argc == 1) {
		rc = ctl_stop(conf);
	} else if (strcmp(cmd, "auth") == 0 && (argc == 3 || argc == 4) &&
		   strcmp(argv[1], "test") == 0) {
		char buf[1024];
		const char *pass = argc == 4 ? argv[3] : NULL;
		if (pass == NULL && read_password("Password: ", buf, sizeof(buf)) == 0)
			pass = buf;
		rc = pass ? ctl_auth_test(conf, argv[2], pass) : 2;
	} else if (strcmp(cmd, "user") == 0 && (argc == 2 || argc == 3) &&
		   strcmp(argv[1], "list") == 0) {
		rc = ctl_user_list(conf, argc == 3 ? argv[2] : NULL);
	} else if (strcmp(cmd, "user") == 0 && argc == 2) {
		rc = ctl_user(conf, argv[1]);
	} else if (strcmp(cmd, "lookup") == 0 && argc == 3) {
		rc = ctl_lookup(conf, argv[1], argv[2]);
	} else if (strcmp(cmd, "queue") == 0 && (argc == 2 || argc == 3)) {
		rc = ctl_queue(conf, argv[1], argc == 3 ? argv[2] : NULL);
	} else {
		rc = usage();
	}
	conf_free(&conf);
	return rc;
}

int main(int argc, char **argv)
{
	const char *config = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			config = argv[++i];
		else
			return usage();
	}
	if (i >= argc)
		return usage();
	if (strcmp(argv[i], "pw") == 0)
		return cmd_pw(argc - i, argv + i);
	if (strcmp(argv[i], "migrate") == 0)
		return argc - i >= 2 && argc - i <= 4 && strcmp(argv[i + 1], "check") == 0 ?
			       ctl_migrate_check(argc - i - 2, argv + i + 2) :
			       usage();
	return with_conf(config, argc - i, argv + i);
}
