/* test_maildir: Maildir++ layout creation (also racing), folder name
 * validation and mapping, user+detail folders, delivery file names and
 * ,S=/,W= sizes for LF/CRLF/odd inputs, fd and memory sources, prepended
 * headers, concurrent delivery from two processes, group delivery with
 * hard links, and cleanup after a write failure (EFBIG via RLIMIT_FSIZE). */
#include "maildir_fixture.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "maildir.h"

/* The test user's Maildir (own buffer: fx_path() buffers rotate). */
static const char *root(void)
{
	static char buf[1024];

	snprintf(buf, sizeof(buf), "%s/home/u/Maildir", fx_dir);
	return buf;
}

START_TEST(test_create_layout)
{
	static const char *const dirs[] = { "", "/.Drafts", "/.Sent", "/.Trash", "/.Junk" };
	struct maildir_err err;
	size_t len;
	char *subs;
	struct stat st;

	ck_assert_int_eq(maildir_create(root(), &err), 1);
	for (size_t i = 0; i < 5; i++) {
		ck_assert(fx_is_dir(fx_path("home/u/Maildir%s", dirs[i])));
		ck_assert(fx_is_dir(fx_path("home/u/Maildir%s/cur", dirs[i])));
		ck_assert(fx_is_dir(fx_path("home/u/Maildir%s/new", dirs[i])));
		ck_assert(fx_is_dir(fx_path("home/u/Maildir%s/tmp", dirs[i])));
		if (i > 0) {
			ck_assert_int_eq(stat(fx_path("home/u/Maildir%s/maildirfolder", dirs[i]), &st), 0);
			ck_assert(S_ISREG(st.st_mode));
			ck_assert_int_eq(st.st_size, 0);
		}
	}
	ck_assert_int_ne(access(fx_path("home/u/Maildir/maildirfolder"), F_OK), 0);
	subs = fx_read(fx_path("home/u/Maildir/subscriptions"), &len);
	ck_assert_str_eq(subs, "V\t2\n\nDrafts\nSent\nTrash\nJunk\n");
	free(subs);
	/* cur new tmp, 4 folders, subscriptions: no temp files left */
	ck_assert_int_eq(fx_count(root()), 8);
	ck_assert_int_eq(maildir_create(root(), &err), 0);
	/* an existing Maildir is not completed: a deleted Junk stays deleted */
	ck_assert_int_eq(rmdir(fx_path("home/u/Maildir/.Junk/cur")), 0);
	ck_assert_int_eq(maildir_create(root(), &err), 0);
	ck_assert_int_eq(maildir_folder_exists(root(), "Junk"), 0);
	/* a file where a directory must be */
	fx_write(fx_path("file"), "x");
	ck_assert_int_eq(maildir_create(fx_path("file/Maildir"), &err), -1);
	ck_assert_int_eq(err.kind, MAILDIR_FAIL_TEMP);
	ck_assert_int_eq(err.errnum, ENOTDIR);
}
END_TEST

START_TEST(test_create_race)
{
	struct maildir_err err;
	pid_t pids[6];
	int status;
	size_t len;
	char *subs;

	for (int i = 0; i < 6; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(maildir_create(root(), &err) < 0 ? 1 : 0);
	}
	for (int i = 0; i < 6; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert_int_eq(fx_count(root()), 8);
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/.Trash")), 4);
	subs = fx_read(fx_path("home/u/Maildir/subscriptions"), &len);
	ck_assert_str_eq(subs, "V\t2\n\nDrafts\nSent\nTrash\nJunk\n");
	free(subs);
}
END_TEST

static const struct {
	const char *name;
	bool valid;
	const char *dir; /* expected directory below root, "" = root */
} folders[] = {
	{ "INBOX", true, "" }, { "inbox", true, "" }, { "InBoX", true, "" },
	{ "Sent", true, "/.Sent" }, { "Archive.2024", true, "/.Archive.2024" },
	{ "Entw\xc3\xbcrfe", true, "/.Entw&APw-rfe" }, { "A&B", true, "/.A&-B" },
	{ "My Folder", true, "/.My Folder" }, { "INBOX.sub", true, "/.INBOX.sub" },
	{ "cur", true, "/.cur" }, { "~x", true, "/.~x" },
	{ "", false, NULL }, { "..", false, NULL }, { ".", false, NULL },
	{ "../x", false, NULL }, { ".x", false, NULL }, { "x.", false, NULL },
	{ "a..b", false, NULL }, { "a/b", false, NULL }, { "/etc", false, NULL },
	{ "INBOX/../../etc", false, NULL }, { "..DOVECOT-TRASHED", false, NULL },
	{ "a\tb", false, NULL }, { "a\nb", false, NULL }, { "\x01", false, NULL },
	{ "a\x7f", false, NULL }, { "a*", false, NULL }, { "50%", false, NULL },
	{ "\xff\xfe", false, NULL }, { "a\xc3", false, NULL }, { "\xed\xa0\x80", false, NULL },
};

START_TEST(test_folder_names)
{
	char path[1024], name[300];

	for (size_t i = 0; i < sizeof(folders) / sizeof(folders[0]); i++) {
		ck_assert_msg(maildir_folder_valid(folders[i].name) == folders[i].valid, "%s",
			      folders[i].name);
		if (!folders[i].valid && *folders[i].name != '\0') {
			errno = 0;
			ck_assert_int_eq(maildir_folder_path("/r", folders[i].name, path, sizeof(path)),
					 -1);
			ck_assert_int_eq(errno, EINVAL);
			continue;
		}
		ck_assert_int_eq(maildir_folder_path("/r", folders[i].name, path, sizeof(path)), 0);
		ck_assert_str_eq(path + 2, folders[i].valid ? folders[i].dir : ""); /* "" = INBOX */
	}
	ck_assert(!maildir_folder_valid(NULL));
	ck_assert_int_eq(maildir_folder_path("/r", NULL, path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/r");
	/* length limits: 255 bytes of name, and 254 on disk after the '.' */
	memset(name, 'a', 255);
	name[255] = '\0';
	ck_assert(!maildir_folder_valid(name)); /* ".aaa..." would be 256 */
	name[254] = '\0';
	ck_assert(maildir_folder_valid(name));
	ck_assert_int_eq(maildir_folder_path("/r", name, path, 100), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	memset(name, 0, sizeof(name));
	for (int i = 0; i < 60; i++)
		strcat(name, "\xc3\xbc"); /* 120 bytes, but 2+160+1 encoded */
	ck_assert(maildir_folder_valid(name));
	for (int i = 0; i < 40; i++)
		strcat(name, "\xc3\xbc");
	ck_assert(!maildir_folder_valid(name)); /* 200 bytes, 270 on disk */
}
END_TEST

START_TEST(test_detail_folder)
{
	struct maildir_err err;
	char folder[MAILDIR_FOLDER_MAX + 1];

	ck_assert_int_eq(maildir_detail_folder(root(), "Sent", folder), 0); /* no Maildir */
	ck_assert_int_eq(maildir_create(root(), &err), 1);
	ck_assert_int_eq(maildir_folder_exists(root(), "INBOX"), 1);
	ck_assert_int_eq(maildir_folder_exists(root(), NULL), 1);
	ck_assert_int_eq(maildir_folder_exists(root(), "Sent"), 1);
	ck_assert_int_eq(maildir_folder_exists(root(), "sent"), 0);
	ck_assert_int_eq(maildir_folder_exists(root(), "../Maildir"), 0);
	ck_assert_int_eq(maildir_detail_folder(root(), "Sent", folder), 1);
	ck_assert_str_eq(folder, "Sent");
	ck_assert_int_eq(maildir_detail_folder(root(), "sent", folder), 0);
	ck_assert_str_eq(folder, "INBOX");
	ck_assert_int_eq(maildir_detail_folder(root(), "Nope", folder), 0);
	ck_assert_str_eq(folder, "INBOX");
	ck_assert_int_eq(maildir_detail_folder(root(), "../../etc", folder), 0);
	ck_assert_int_eq(maildir_detail_folder(root(), "", folder), 0);
	ck_assert_int_eq(maildir_detail_folder(root(), NULL, folder), 0);
	ck_assert_int_eq(maildir_detail_folder(root(), "inbox", folder), 0);
	ck_assert_str_eq(folder, "INBOX");
	/* a .Name without cur/ is not a folder */
	ck_assert_int_eq(mkdir(fx_path("home/u/Maildir/.Half"), 0700), 0);
	ck_assert_int_eq(maildir_detail_folder(root(), "Half", folder), 0);
}
END_TEST

START_TEST(test_filename_sizes)
{
	static const struct {
		const char *name;
		int64_t s, w;
	} t[] = {
		{ "1700000000.M512345P4242.mx1,S=4542,W=4642:2,FSb", 4542, 4642 },
		{ "1.M1P1.h,S=5", 5, -1 }, { "1.M1P1.h,W=7,S=3", 3, 7 },
		{ "1.M1P1.h,S=5x", -1, -1 }, { "1.M1P1.h,S=", -1, -1 }, { "1.M1P1.h,S=:2,", 0, -1 },
		{ "1.M1P1.h", -1, -1 }, { "1.V1I2M3.h:2,S", -1, -1 },
		{ "1.h,S=12,W=14,Z=1:2,", 12, 14 }, { "x,S=1234567890123456789", -1, -1 },
		{ "", -1, -1 },
	};
	int64_t s, w;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		maildir_filename_sizes(t[i].name, &s, &w);
		ck_assert_msg(s == t[i].s && w == t[i].w, "%s: %lld %lld", t[i].name, (long long)s,
			      (long long)w);
	}
}
END_TEST

/* Check name shape "<secs>.M<usecs>P<pid>.<host>,S=<s>,W=<w>". */
static void check_name(const char *name, const char *host, uint64_t s, uint64_t w)
{
	char tail[300];
	unsigned long long secs, usecs;
	long pid;
	int n = 0;
	int64_t ps, pw;

	ck_assert_int_eq(sscanf(name, "%llu.M%lluP%ld.%n", &secs, &usecs, &pid, &n), 3);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_lt(usecs, 1000000);
	ck_assert_int_eq(pid, (long)getpid());
	snprintf(tail, sizeof(tail), "%s,S=%llu,W=%llu", host, (unsigned long long)s,
		 (unsigned long long)w);
	ck_assert_str_eq(name + n, tail);
	maildir_filename_sizes(name, &ps, &pw);
	ck_assert_int_eq(ps, (int64_t)s);
	ck_assert_int_eq(pw, (int64_t)w);
}

static const struct {
	const char *in, *stored;
	uint64_t vsize;
} convs[] = {
	{ "Subject: x\n\nbody\n", "Subject: x\n\nbody\n", 20 },
	{ "Subject: x\r\n\r\nbody\r\n", "Subject: x\n\nbody\n", 20 },
	{ "", "", 0 },
	{ "a\r\nb", "a\nb", 4 },         /* no final newline: none added */
	{ "a\rb\n", "a\rb\n", 5 },       /* lone CR kept */
	{ "a\r", "a\r", 2 },             /* CR at the very end */
	{ "a\r\r\n", "a\r\n", 3 },       /* CR CRLF: stored CRLF counts once */
	{ "\n\n\r\n", "\n\n\n", 6 },
	{ "x\r\n.\r\n", "x\n.\n", 6 },
};

START_TEST(test_deliver_sizes)
{
	struct maildir_target t = { .root = root() };
	struct maildir_source src = { .fd = -1 };
	char *data;
	size_t len;

	maildir_set_hostname("mx1.example.org");
	for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
		src.data = convs[i].in;
		src.len = strlen(convs[i].in);
		ck_assert_int_eq(maildir_deliver(&src, &t), 0);
		ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_NONE);
		ck_assert_uint_eq(t.size_r, strlen(convs[i].stored));
		ck_assert_uint_eq(t.vsize_r, convs[i].vsize);
		check_name(t.name_r, "mx1.example.org", t.size_r, t.vsize_r);
		data = fx_read(fx_path("home/u/Maildir/new/%s", t.name_r), &len);
		ck_assert_uint_eq(len, strlen(convs[i].stored));
		ck_assert_mem_eq(data, convs[i].stored, len);
		free(data);
	}
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/new")), (int)(sizeof(convs) / sizeof(convs[0])));
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/tmp")), 0);
	maildir_set_hostname("a/b:c");
	src.data = "x";
	src.len = 1;
	ck_assert_int_eq(maildir_deliver(&src, &t), 0);
	check_name(t.name_r, "a\\057b\\072c", 1, 1);
	maildir_set_hostname(NULL);
}
END_TEST

/* An fd source read from an offset: three 1 MB CRLF lines, a set mtime. */
START_TEST(test_deliver_fd_big_lines)
{
	struct maildir_target t = { .root = root(), .prepend = "Return-Path: <a@b.example>\r\n" };
	struct maildir_source src = { .offset = 5, .mtime = 1000000000 };
	const size_t line = 1024 * 1024;
	char *buf = malloc(line + 2), *data;
	size_t len, hlen = strlen("Return-Path: <a@b.example>\n");
	struct stat st;
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(f);
	fputs("JUNK!", f);
	for (int i = 0; i < 3; i++) {
		memset(buf, 'a' + i, line);
		memcpy(buf + line, "\r\n", 2);
		ck_assert_uint_eq(fwrite(buf, 1, line + 2, f), line + 2);
	}
	fflush(f);
	src.fd = fileno(f);
	ck_assert_int_eq(maildir_deliver(&src, &t), 0);
	ck_assert_uint_eq(t.size_r, hlen + 3 * (line + 1));
	ck_assert_uint_eq(t.vsize_r, hlen + 1 + 3 * (line + 2));
	data = fx_read(fx_path("home/u/Maildir/new/%s", t.name_r), &len);
	ck_assert_uint_eq(len, t.size_r);
	ck_assert_mem_eq(data, "Return-Path: <a@b.example>\naaaa", hlen + 4);
	for (int i = 0; i < 3; i++) {
		const char *l = data + hlen + (size_t)i * (line + 1);

		ck_assert_int_eq(l[0], 'a' + i);
		ck_assert_int_eq(l[line - 1], 'a' + i);
		ck_assert_int_eq(l[line], '\n');
	}
	free(data);
	ck_assert_int_eq(stat(fx_path("home/u/Maildir/new/%s", t.name_r), &st), 0);
	ck_assert_int_eq(st.st_mtime, 1000000000);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	/* an unreadable source is a temporary failure and leaves nothing */
	src.fd = 9999;
	ck_assert_int_eq(maildir_deliver(&src, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_TEMP);
	ck_assert_int_eq(t.err_r.errnum, EBADF);
	ck_assert_str_eq(t.name_r, "");
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/new")), 1);
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/tmp")), 0);
	fclose(f);
	free(buf);
}
END_TEST

START_TEST(test_deliver_folders)
{
	struct maildir_source src = { .fd = -1, .data = "x\n", .len = 2 };
	struct maildir_target t = { .root = root(), .folder = "Sent" };

	ck_assert_int_eq(maildir_deliver(&src, &t), 0);
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/.Sent/new")), 1);
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/new")), 0);
	t.folder = "inbox";
	ck_assert_int_eq(maildir_deliver(&src, &t), 0);
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/new")), 1);
	/* missing folder: permanent unless creation is asked for */
	t.folder = "Entw\xc3\xbcrfe.2024";
	ck_assert_int_eq(maildir_deliver(&src, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_PERM);
	ck_assert_int_eq(access(fx_path("home/u/Maildir/.Entw&APw-rfe.2024"), F_OK), -1);
	t.flags = MAILDIR_CREATE_FOLDER;
	ck_assert_int_eq(maildir_deliver(&src, &t), 0);
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/.Entw&APw-rfe.2024/new")), 1);
	ck_assert_int_eq(access(fx_path("home/u/Maildir/.Entw&APw-rfe.2024/maildirfolder"), F_OK), 0);
	ck_assert_int_eq(maildir_folder_exists(root(), "Entw\xc3\xbcrfe.2024"), 1);
	/* hostile names never touch the disk, even with CREATE */
	static const char *const bad[] = { "../x", "..", ".x", "a/b", "INBOX/../../etc", "a\x01" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t.folder = bad[i];
		ck_assert_int_eq(maildir_deliver(&src, &t), -1);
		ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_PERM);
	}
	ck_assert_int_eq(fx_count(fx_dir), 1); /* only home/ */
	ck_assert_int_eq(fx_count(root()), 9);
	/* a prepended header must end in a line end */
	t.folder = NULL;
	t.prepend = "Delivered-To: u@example.org";
	ck_assert_int_eq(maildir_deliver(&src, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_PERM);
	t.root = NULL;
	ck_assert_int_eq(maildir_deliver(&src, &t), -1);
	ck_assert_int_eq(t.err_r.kind, MAILDIR_FAIL_PERM);
}
END_TEST

/* Names from one process are unique and strictly increasing in time. */
START_TEST(test_names_increase)
{
	struct maildir_source src = { .fd = -1, .data = "x\n", .len = 2 };
	struct maildir_target t = { .root = root() };
	unsigned long long prev = 0;

	for (int i = 0; i < 100; i++) {
		unsigned long long secs, usecs;

		ck_assert_int_eq(maildir_deliver(&src, &t), 0);
		ck_assert_int_eq(sscanf(t.name_r, "%llu.M%llu", &secs, &usecs), 2);
		ck_assert_uint_gt(secs * 1000000 + usecs, prev);
		prev = secs * 1000000 + usecs;
	}
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/new")), 100);
}
END_TEST

/* Two processes deliver 200 messages each into one Maildir at once. */
START_TEST(test_concurrent)
{
	pid_t pids[2];
	int status;
	struct dirent *de;
	DIR *d;
	int n = 0;

	for (int p = 0; p < 2; p++) {
		pids[p] = fork();
		ck_assert_int_ge(pids[p], 0);
		if (pids[p] == 0) {
			struct maildir_source src = { .fd = -1, .data = "a\r\nb\r\n", .len = 6 };
			struct maildir_target t = { .root = root() };

			for (int i = 0; i < 200; i++) {
				if (maildir_deliver(&src, &t) < 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int p = 0; p < 2; p++) {
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	d = opendir(fx_path("home/u/Maildir/new"));
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		ck_assert_ptr_nonnull(strstr(de->d_name, ",S=4,W=6"));
		n++;
	}
	closedir(d);
	ck_assert_int_eq(n, 400); /* distinct names: nothing overwritten */
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/tmp")), 0);
}
END_TEST

static ino_t inode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_ino;
}

START_TEST(test_deliver_many)
{
	struct maildir_source src = { .fd = -1, .data = "S: x\r\n\r\nhi\r\n", .len = 12 };
	char ra[1024], rb[1024];
	struct maildir_target t[5] = {
		{ .root = ra }, { .root = ra, .folder = "Sent" }, { .root = rb },
		{ .root = rb, .folder = "../a" }, { .root = rb, .folder = "Junk", .prepend = "X: 1\n" },
	};
	ino_t ino;

	snprintf(ra, sizeof(ra), "%s/a/Maildir", fx_dir);
	snprintf(rb, sizeof(rb), "%s/b/Maildir", fx_dir);
	ck_assert_int_eq(maildir_deliver_many(&src, t, 5), -1);
	for (int i = 0; i < 5; i++) {
		if (i == 3) {
			ck_assert_int_eq(t[i].err_r.kind, MAILDIR_FAIL_PERM);
			ck_assert_str_eq(t[i].name_r, "");
			continue;
		}
		ck_assert_int_eq(t[i].err_r.kind, MAILDIR_FAIL_NONE);
		ck_assert_uint_eq(t[i].size_r, i == 4 ? 14 : 9);
		ck_assert_uint_eq(t[i].vsize_r, i == 4 ? 18 : 12);
	}
	/* equal content on one file system is one inode, hard-linked */
	ino = inode_of(fx_path("a/Maildir/new/%s", t[0].name_r));
	ck_assert_uint_eq(inode_of(fx_path("a/Maildir/.Sent/new/%s", t[1].name_r)), ino);
	ck_assert_uint_eq(inode_of(fx_path("b/Maildir/new/%s", t[2].name_r)), ino);
	ck_assert_uint_ne(inode_of(fx_path("b/Maildir/.Junk/new/%s", t[4].name_r)), ino);
	ck_assert_str_ne(t[0].name_r, t[1].name_r);
	ck_assert_int_eq(fx_count(fx_path("a/Maildir/tmp")), 0);
	ck_assert_int_eq(fx_count(fx_path("a/Maildir/.Sent/tmp")), 0);
	ck_assert_int_eq(fx_count(fx_path("b/Maildir/tmp")), 0);
	ck_assert_int_eq(fx_count(fx_path("b/Maildir/.Junk/tmp")), 0);
	ck_assert_int_eq(maildir_deliver_many(&src, t, 3), 0);
	ck_assert_int_eq(maildir_deliver_many(&src, t, 0), 0);
}
END_TEST

/* A failing disk (EFBIG from RLIMIT_FSIZE in a child) is a temporary
 * failure that leaves neither tmp/ nor new/ files. */
START_TEST(test_write_failure)
{
	struct maildir_err err;
	int status;
	pid_t pid;

	ck_assert_int_ge(maildir_create(root(), &err), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		static char big[200000];
		struct maildir_source src = { .fd = -1, .data = big, .len = sizeof(big) };
		struct maildir_target t[2] = { { .root = root() }, { .root = root(), .prepend = "A: b\n" } };
		struct rlimit rl = { 100000, 100000 };

		memset(big, 'x', sizeof(big));
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		if (maildir_deliver_many(&src, t, 2) != -1)
			_exit(3);
		for (int i = 0; i < 2; i++) {
			if (t[i].err_r.kind != MAILDIR_FAIL_TEMP || t[i].err_r.errnum != EFBIG ||
			    t[i].name_r[0] != '\0')
				_exit(4);
		}
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/tmp")), 0);
	ck_assert_int_eq(fx_count(fx_path("home/u/Maildir/new")), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("maildir");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_create_layout);
	tcase_add_test(tc, test_create_race);
	tcase_add_test(tc, test_folder_names);
	tcase_add_test(tc, test_detail_folder);
	tcase_add_test(tc, test_filename_sizes);
	tcase_add_test(tc, test_deliver_sizes);
	tcase_add_test(tc, test_deliver_fd_big_lines);
	tcase_add_test(tc, test_deliver_folders);
	tcase_add_test(tc, test_names_increase);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_deliver_many);
	tcase_add_test(tc, test_write_failure);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
