/* fsyncbench: the disk's raw durable-file ceiling for `make bench`
 * (bench/run-mail.sh): one by one, write a 4 KiB file under DIR, fsync it,
 * close it and rename it to its final name, as a queue or a Maildir
 * delivery does at the least, for -d seconds (-D also fsyncs DIR after each
 * rename). Invariants: one file at a time, nothing cached or batched; the
 * result is one "key=value ..." line on stdout; the files stay in DIR. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int one_file(const char *dir, int dirfd, unsigned long n, const char *data, size_t len)
{
	char tmp[4096], dst[4096];
	snprintf(tmp, sizeof(tmp), "%s/tmp.%lu", dir, n);
	snprintf(dst, sizeof(dst), "%s/new.%lu", dir, n);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) < 0) {
		close(fd);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, dst) < 0)
		return -1;
	return dirfd >= 0 ? fsync(dirfd) : 0;
}

int main(int argc, char **argv)
{
	double secs = 5;
	int dirsync = 0, opt;
	while ((opt = getopt(argc, argv, "d:D")) != -1) {
		if (opt == 'd')
			secs = strtod(optarg, NULL);
		else if (opt == 'D')
			dirsync = 1;
		else
			optind = argc + 1;
	}
	if (optind != argc - 1 || secs <= 0) {
		fprintf(stderr, "usage: fsyncbench [-d SECONDS] [-D] DIR\n");
		return 2;
	}
	const char *dir = argv[optind];
	int dirfd = dirsync ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dirsync && dirfd < 0) {
		perror("fsyncbench: open DIR");
		return 2;
	}
	char data[4096];
	memset(data, 'x', sizeof(data));
	unsigned long n = 0;
	double t0 = now_s(), t = t0;
	while (t - t0 < secs) {
		if (one_file(dir, dirfd, n, data, sizeof(data)) < 0) {
			perror("fsyncbench");
			return 1;
		}
		n++;
		t = now_s();
	}
	printf("files=%lu secs=%.3f rate=%.1f dirsync=%d\n", n, t - t0, (double)n / (t - t0),
	       dirsync);
	if (dirfd >= 0)
		close(dirfd);
	return 0;
}
