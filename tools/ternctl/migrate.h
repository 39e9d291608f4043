/* migrate: "ternctl migrate check": reads a Postfix (main.cf, master.cf) and
 * Dovecot (dovecot.conf with its includes, dovecot-sql.conf.ext) install and
 * says, setting by setting, what tern does with it. migrate_table.c holds
 * the knowledge (one row per known setting), migrate_postfix.c and
 * migrate_dovecot.c the readers, migrate_report.c the items and the
 * suggested tern.conf snippet, migrate.c the command. */
#ifndef TERN_MIGRATE_H
#define TERN_MIGRATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum mig_verdict {
	MIG_SAME,      /* tern reads it unchanged under the same name */
	MIG_MAPPED,    /* tern has it in another form */
	MIG_ATTENTION, /* tern does not do it (yet), or it is risky */
	MIG_IGNORED,   /* cosmetic or internal to Postfix/Dovecot */
};
#define MIG_VERDICTS 4

/* Where a setting was written: selects the table rows that apply. */
enum mig_source {
	MIG_SRC_POSTFIX = 1u << 0, /* main.cf, and master.cf -o overrides */
	MIG_SRC_DOVECOT = 1u << 1, /* dovecot.conf and its includes */
	MIG_SRC_SQL = 1u << 2,     /* dovecot-sql.conf.ext */
};

/* A judgement of one value: verdict, explanation, and the value tern.conf
 * gets (NULL = the value as written). */
struct mig_judgement {
	enum mig_verdict verdict;
	const char *note;
	char *value; /* malloc'd or NULL */
};

struct mig_rule;
/* Value-dependent rules refine the row's verdict; they may set j->value. */
typedef void mig_judge_fn(const struct mig_rule *rule, const char *value,
			  struct mig_judgement *j);

/* One row of the knowledge table. `name` ending in '*' matches a prefix;
 * Dovecot settings inside a section are named "<section type>/<key>". */
struct mig_rule {
	const char *name;
	unsigned sources;      /* MIG_SRC_* bits */
	enum mig_verdict verdict;
	const char *tern_key;  /* the tern.conf key it becomes, NULL = none */
	const char *note;      /* what tern does */
	mig_judge_fn *judge;   /* NULL = the row's verdict and note */
};

extern const struct mig_rule mig_table[];
/* The row for a setting, NULL when tern does not know it. */
const struct mig_rule *mig_rule_find(unsigned source, const char *name);
/* Judge one setting: the row's verdict, refined by its judge function and
 * by whether tern_key exists in this tern's settings table. Unknown
 * settings -> attention "unknown to tern". */
void mig_judge(unsigned source, const char *name, const char *value,
	       const struct mig_rule **rule_r, struct mig_judgement *j);
const char *mig_verdict_name(enum mig_verdict v);
/* True when tern.conf has this global key (settings.c). */
bool mig_tern_has(const char *key);
/* Verdict of a Postfix table list: mysql:/texthash: (proxy: fine) same,
 * hash:-like mapped to texthash:, anything else attention. */
mig_judge_fn mig_judge_maps;
/* The other judges (migrate_judge.c), named after what they judge. */
mig_judge_fn mig_judge_unset_ignored, mig_judge_transport, mig_judge_mynetworks,
	mig_judge_sasl_type, mig_judge_mechanisms, mig_judge_restrictions, mig_judge_static_id,
	mig_judge_strip_lt, mig_judge_sql_driver, mig_judge_plugins, mig_judge_protocols,
	mig_judge_yes;

/* One reported line. */
struct mig_item {
	char *file;
	unsigned line;
	enum mig_verdict verdict;
	char *setting;
	char *value;
	char *note;
};

/* One line of the suggested tern.conf: global (service NULL) or inside
 * "service NAME { }"; a commented one is shown with "# " and its reason. */
struct mig_snip {
	char *service;
	char *key;
	char *value;
	char *comment; /* NULL, or why the line is commented out */
};

#define MIG_MAX_DEPTH 8	     /* !include nesting */
#define MIG_MAX_FILES 256    /* files read in one check */
#define MIG_MAX_LINE (4u << 20) /* longest logical line */

struct mig_report {
	const char *postfix_dir, *dovecot_dir;
	struct mig_item *items;
	size_t count, cap;
	struct mig_snip *snips;
	size_t snip_count, snip_cap;
	unsigned counts[MIG_VERDICTS];
	unsigned files_read;
	bool oom;
	/* gathered for the listen lines */
	char *inet_interfaces;	   /* main.cf, NULL = all */
	char *dovecot_listen;	   /* dovecot.conf listen, NULL = * */
	bool proto_imap, proto_pop3, proto_lmtp, protocols_seen;
	int port_imap, port_imaps, port_pop3, port_pop3s; /* 0 = disabled */
	char *smtp_ports;	   /* smtpd "smtp" listener ports, space-separated */
	char *submission_ports, *submissions_ports;
};

void mig_report_init(struct mig_report *r, const char *postfix_dir, const char *dovecot_dir);
void mig_report_free(struct mig_report *r);
/* Record one item; strings are copied (value shown truncated). */
void mig_add(struct mig_report *r, const char *file, unsigned line, enum mig_verdict v,
	     const char *setting, const char *value, const char *note);
/* Judge and record a setting; same/mapped ones with a tern key go into the
 * snippet. Returns the verdict. */
enum mig_verdict mig_setting(struct mig_report *r, unsigned source, const char *file,
			     unsigned line, const char *name, const char *value, bool to_snippet);
/* Add (or replace: the last one wins, as in Postfix) a snippet line. */
void mig_snip(struct mig_report *r, const char *service, const char *key, const char *value,
	      const char *comment);
/* Add one more snippet line even when the key is there (listen lines). */
void mig_snip_add(struct mig_report *r, const char *service, const char *key,
		  const char *value, const char *comment);
/* Derive the listen lines from what was gathered; call once, after reading. */
void mig_report_finish(struct mig_report *r);
void mig_report_print(const struct mig_report *r, FILE *report, FILE *snippet);

/* A file of the old install: a relative path is under base_dir; an
 * absolute one under /etc/postfix or /etc/dovecot is taken from the
 * checked dirs when they hold it (a copied tree). Returns a malloc'd path. */
char *mig_locate(const struct mig_report *r, const char *path, const char *base_dir);
/* Read one physical line (getline); NULL at EOF or error. *len_r = length. */
char *mig_getline(FILE *f, char **buf, size_t *cap, size_t *len_r);
/* Trim spaces and tabs in place; returns the start. */
char *mig_trim(char *s);

/* The readers. 0 = read, -1 = the file cannot be read (reported). */
int mig_read_main_cf(struct mig_report *r, const char *path);
int mig_read_master_cf(struct mig_report *r, const char *path);
int mig_read_dovecot(struct mig_report *r, const char *path);
int mig_read_dovecot_sql(struct mig_report *r, const char *path);

/* The whole check: 0 = report made, -1 = main.cf or dovecot.conf could
 * not be read (what could be read is still reported). */
int mig_check(struct mig_report *r);

#endif
