/* conf_impl: internals shared by conf.c (storage, getters), conf_parse.c
 * (lexer) and conf_value.c ($expansion, typing). Not for other modules.
 * Invariants: global[] and defaults[] are indexed like conf_settings[]; a
 * slot with line 0 holds a default (or computed) value, never file text. */
#ifndef TERN_CONF_IMPL_H
#define TERN_CONF_IMPL_H
#include <stdarg.h>
#include "conf.h"

#define CONF_LINE_MAX (64 * 1024)	 /* one physical or logical line */
#define CONF_VALUE_MAX (16 * 1024)	 /* a value, before and after expansion */
#define CONF_FILE_MAX (4 * 1024 * 1024) /* the whole file */
#define CONF_EXPAND_DEPTH 64 /* guard only: loops are caught by state */
#define CONF_QUOTE_MAX 100 /* quoted excerpt of input in error messages */

enum conf_state { CONF_TODO, CONF_BUSY, CONF_DONE };

struct conf_value {
	char *raw;	/* as written (unquoted, unexpanded); NULL = unset */
	char *text;	/* after $expansion; NULL = no value */
	unsigned line;	/* where it was set; 0 = default or computed */
	bool literal;	/* raw is not subject to $expansion */
	enum conf_state state;
	uint64_t num;	/* BOOL, INT, TIME (ms), SIZE (bytes), MODE */
	const char **items; /* LIST: one allocation, strings follow the array */
	size_t nitems;
};

struct conf_rawlisten {
	char *raw;
	char *text;
	unsigned line;
};

struct conf_service {
	bool defined;
	unsigned line;			/* of "service NAME {" */
	struct conf_value *vals;	/* [nsettings], service-scope keys only */
	struct conf_rawlisten *raws;	/* "listen" lines in file order */
	struct conf_listen *listens;	/* parsed, same order */
	size_t nlisten, listen_alloc;
};

struct conf {
	char *path;
	size_t nsettings;
	struct conf_value *global;   /* [nsettings], global keys only */
	struct conf_value *defaults; /* [nsettings], service-scope keys only */
	struct conf_service svc[CONF_SERVICE_COUNT];
	char *err; /* error sink while loading */
	size_t errsize;
};

/* A growable string bounded by `limit`; `error` is sticky. */
struct conf_sb {
	char *s;
	size_t len, size, limit;
	bool error;
};
void conf_sb_add(struct conf_sb *sb, const char *s, size_t len);
void conf_sb_printf(struct conf_sb *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write "path:line: message" (line 0: "path: message") to the error sink;
 * returns -1. */
int conf_error(struct conf *conf, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Render s[0..len) for an error message: double-quoted, non-printable bytes
 * as \xNN, cut with "..." to fit CONF_QUOTE_MAX. Returns buf. */
const char *conf_quote(char buf[CONF_QUOTE_MAX], const char *s, size_t len);
/* Index of a setting in conf_settings[], -1 when unknown. */
int conf_setting_index(const char *name, size_t len);
/* Index of a service in conf_service_names[], -1 when unknown. */
int conf_service_index(const char *name, size_t len);

/* Lexer: split text into settings and store their raw values. */
int conf_parse_text(struct conf *conf, const char *text, size_t len);
/* After parsing: expand every value, check it against its type, parse the
 * listeners. */
int conf_finish(struct conf *conf);
/* Type-check v->text and fill v->num or v->items; on error writes the
 * reason into why and returns -1. */
int conf_value_parse(enum conf_type type, struct conf_value *v, char *why, size_t whysize);
/* Parse a "listen" value. */
int conf_listen_parse(const char *text, struct conf_listen *l, char *why, size_t whysize);
/* Append the normalized text of a typed value (fingerprints). */
void conf_value_norm(struct conf_sb *sb, enum conf_type type, const struct conf_value *v);
void conf_listen_norm(struct conf_sb *sb, const struct conf_listen *l);
void conf_value_clear(struct conf_value *v);

#endif
