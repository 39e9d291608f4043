/* log: one line per event, "<event> key=value ..." to syslog, stderr or a file.
 * Invariants: a line is written with one write(2) (atomic with O_APPEND and
 * pipes up to PIPE_BUF), never contains a raw newline or control byte (they
 * are escaped by log_value), and is at most LOG_LINE_MAX bytes (cut with
 * "..." marker). Every auth line carries user= and rip= so fail2ban can
 * match it. */
#ifndef TERN_LOG_H
#define TERN_LOG_H
#include <stdbool.h>
#include <stddef.h>

#define LOG_LINE_MAX 2048

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARNING, LOG_LEVEL_ERROR };

/* Where lines go. "syslog" (facility mail), "stderr", or a file path opened
 * for append (created 0640). `ident` is the program name, e.g. "authd".
 * Returns 0 or -1 (errno set) when the file cannot be opened. Safe to call
 * again (reopens). Call before chroot: syslog is connected at once. */
int log_open(const char *ident, const char *dest);
/* Use an already open fd (e.g. inherited stderr) as the destination. */
void log_use_fd(const char *ident, int fd);
void log_set_level(enum log_level level);
/* Parse "debug|info|warning|error"; -1 on anything else. */
int log_level_parse(const char *s);
/* Close the destination (no more output until log_open). */
void log_close(void);

/* printf-style event line. Callers write "event key=%s key2=%d"; values that
 * may hold spaces or hostile bytes go through log_value(). */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)

/* Render an untrusted value for a key=value field into `out` (size `size`):
 * printable ASCII without spaces, quotes or backslashes is copied as is;
 * otherwise the value is double-quoted with \" \\ and \xNN escapes. Output is
 * cut (ending in "...") to fit. Returns out. An empty value renders as "". */
const char *log_value(char *out, size_t size, const char *value, size_t len);
/* Same for a NUL-terminated string, into a rotating static buffer (4 slots of
 * 512 bytes) so several can appear in one log call. Not thread-safe. */
const char *log_str(const char *value);

#endif
