/* log: one line per event to syslog (facility mail), stderr or a file.
 * Invariants: a stderr/file line is "<UTC time> <ident>[<pid>]: <msg>\n",
 * warnings and errors carry a "warning: " / "error: " prefix, the whole line
 * is at most LOG_LINE_MAX bytes and leaves in one write(2); a control byte
 * that reaches log_msg is replaced by '?'; errno is preserved. Before the
 * first log_open, lines go to stderr with ident "tern". */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

enum log_dest { DEST_NONE, DEST_SYSLOG, DEST_FD };

static struct {
	enum log_dest dest;
	int fd;
	bool own_fd;
	enum log_level level;
	char ident[64];
} lg = { DEST_FD, STDERR_FILENO, false, LOG_LEVEL_INFO, "tern" };

static void log_set_ident(const char *ident)
{
	snprintf(lg.ident, sizeof(lg.ident), "%s", ident && *ident ? ident : "tern");
}

void log_close(void)
{
	if (lg.dest == DEST_SYSLOG)
		closelog();
	else if (lg.dest == DEST_FD && lg.own_fd)
		close(lg.fd);
	lg.dest = DEST_NONE;
	lg.fd = -1;
	lg.own_fd = false;
}

int log_open(const char *ident, const char *dest)
{
	int fd = -1;
	if (!dest || !*dest)
		dest = "stderr";
	if (strcmp(dest, "syslog") != 0 && strcmp(dest, "stderr") != 0) {
		fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd < 0)
			return -1;
	}
	log_close();
	log_set_ident(ident);
	if (fd >= 0) {
		lg.dest = DEST_FD;
		lg.fd = fd;
		lg.own_fd = true;
	} else if (strcmp(dest, "stderr") == 0) {
		lg.dest = DEST_FD;
		lg.fd = STDERR_FILENO;
	} else {
		openlog(lg.ident, LOG_NDELAY | LOG_PID, LOG_MAIL);
		lg.dest = DEST_SYSLOG;
	}
	return 0;
}

void log_use_fd(const char *ident, int fd)
{
	log_close();
	log_set_ident(ident);
	lg.dest = DEST_FD;
	lg.fd = fd;
}

void log_set_level(enum log_level level)
{
	lg.level = level;
}

int log_level_parse(const char *s)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* "2024-05-01T12:34:56.789Z" into out (at least 32 bytes). */
static size_t log_timestamp(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	int m = snprintf(out + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000L);
	return n + (m > 0 ? (size_t)m : 0);
}

static const char *log_prefix(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_WARNING: return "warning: ";
	case LOG_LEVEL_ERROR: return "error: ";
	default: return "";
	}
}

/* Format the message part into out (size `size`, >= 8): prefix, text,
 * control bytes replaced, cut with "..." when it does not fit. */
static size_t log_format(char *out, size_t size, enum log_level level, const char *fmt,
			 va_list ap) __attribute__((format(printf, 4, 0)));

static size_t log_format(char *out, size_t size, enum log_level level, const char *fmt,
			 va_list ap)
{
	int p = snprintf(out, size, "%s", log_prefix(level));
	size_t pos = (size_t)p;
	int n = vsnprintf(out + pos, size - pos, fmt, ap);
	if (n < 0)
		n = 0;
	size_t len = pos + (size_t)n;
	if (len >= size) {
		len = size - 1;
		memcpy(out + len - 3, "...", 3);
	}
	out[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)out[i];
		if (ch < 0x20 || ch == 0x7f)
			out[i] = '?';
	}
	return len;
}

static int log_syslog_priority(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_DEBUG: return LOG_DEBUG;
	case LOG_LEVEL_INFO: return LOG_INFO;
	case LOG_LEVEL_WARNING: return LOG_WARNING;
	default: return LOG_ERR;
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;
	if (level < lg.level || lg.dest == DEST_NONE)
		return;
	int saved_errno = errno;
	if (lg.dest == DEST_SYSLOG) {
		va_start(ap, fmt);
		log_format(line, sizeof(line), level, fmt, ap);
		va_end(ap);
		syslog(log_syslog_priority(level), "%s", line);
		errno = saved_errno;
		return;
	}
	size_t pos = log_timestamp(line, 40);
	int h = snprintf(line + pos, sizeof(line) - pos, " %s[%ld]: ", lg.ident, (long)getpid());
	pos += (size_t)h;
	/* the newline takes the NUL's place: the line is <= LOG_LINE_MAX */
	va_start(ap, fmt);
	pos += log_format(line + pos, sizeof(line) - pos, level, fmt, ap);
	va_end(ap);
	line[pos++] = '\n';
	ssize_t w;
	do
		w = write(lg.fd, line, pos);
	while (w < 0 && errno == EINTR);
	errno = saved_errno;
}

static bool log_plain_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\';
}

/* Quoted rendering; returns false when it had to cut. */
static bool log_quote(char *out, size_t size, const char *value, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	out[o++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)value[i];
		char esc[4];
		size_t n = 0;
		if (ch == '"' || ch == '\\') {
			esc[n++] = '\\';
			esc[n++] = (char)ch;
		} else if (ch < 0x20 || ch >= 0x7f) {
			esc[n++] = '\\';
			esc[n++] = 'x';
			esc[n++] = hex[ch >> 4];
			esc[n++] = hex[ch & 15];
		} else {
			esc[n++] = (char)ch;
		}
		/* room for this, the closing quote and the NUL */
		if (o + n + 2 > size) {
			out[o] = '\0';
			return false;
		}
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o++] = '"';
	out[o] = '\0';
	return true;
}

const char *log_value(char *out, size_t size, const char *value, size_t len)
{
	if (size == 0)
		return out;
	bool plain = len > 0;
	for (size_t i = 0; i < len && plain; i++)
		plain = log_plain_char((unsigned char)value[i]);
	if (plain && len < size) {
		memcpy(out, value, len);
		out[len] = '\0';
		return out;
	}
	if (size < 8) {
		/* too small for anything meaningful: a (possibly cut) marker */
		snprintf(out, size, "%s", "\"...\"");
		return out;
	}
	if (plain) {
		memcpy(out, value, size - 4);
		memcpy(out + size - 4, "...", 4);
		return out;
	}
	if (!log_quote(out, size, value, len)) {
		/* cut to leave room for `..."` (the closing quote's place was
		 * already kept), so the field stays one token */
		log_quote(out, size - 3, value, len);
		size_t n = strlen(out);
		memcpy(out + n, "...\"", 5);
	}
	return out;
}

const char *log_str(const char *value)
{
	static char slots[4][512];
	static unsigned next;
	char *out = slots[next++ % 4];
	if (!value)
		value = "";
	return log_value(out, sizeof(slots[0]), value, strlen(value));
}
