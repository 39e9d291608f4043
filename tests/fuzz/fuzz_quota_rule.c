/* fuzz_quota_rule: libFuzzer harness for lib/maildir_quota_rule.c (Dovecot
 * quota_rule and quota_grace values) and lib/mutf7.c (mailbox names).
 * The bytes up to the first NUL go to maildir_quota_rule_parse,
 * maildir_quota_grace_parse, mutf7_encode and mutf7_decode.
 * Invariants checked: an accepted rule re-spelled canonically parses to
 * the same rule; defaults are never negative nor percentages; accepted
 * grace is canonical too; mutf7: decode(encode(x)) == x, encode(decode(y))
 * == y (one spelling per name), lengths are strlen, and a buffer one byte
 * short fails with ENAMETOOLONG. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maildir.h"
#include "mutf7.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_quota_rule: invariant failed: %s\n", what);
		abort();
	}
}

static bool rule_eq(const struct maildir_quota_rule *a, const struct maildir_quota_rule *b)
{
	return strcmp(a->mailbox, b->mailbox) == 0 && a->is_default == b->is_default &&
	       a->force == b->force && a->ignore == b->ignore && a->bytes == b->bytes &&
	       a->count == b->count && a->bytes_percent == b->bytes_percent &&
	       a->count_percent == b->count_percent;
}

/* One limit kind, canonically: "name=P%" (when P) then "name=V". */
static void spell(char *out, size_t size, const char *name, int percent, int64_t v)
{
	size_t n = strlen(out);
	if (percent)
		n += (size_t)snprintf(out + n, size - n, ":%s=%d%%", name, percent);
	snprintf(out + n, size - n, ":%s=%" PRId64, name, v);
}

static void rule(const char *def)
{
	struct maildir_quota_rule r, r2;
	const char *err = NULL;
	if (maildir_quota_rule_parse(def, &r, &err) < 0) {
		check(err != NULL, "rule error has a reason");
		return;
	}
	size_t mlen = strlen(r.mailbox);
	check(mlen > 0 && mlen <= MAILDIR_FOLDER_MAX && !strchr(r.mailbox, ':'), "mailbox");
	check(r.is_default == (strcmp(r.mailbox, "*") == 0 || strcmp(r.mailbox, "?") == 0) &&
		      r.force == (strcmp(r.mailbox, "*") == 0),
	      "default flags");
	if (r.is_default)
		check(r.bytes >= 0 && r.count >= 0 && r.bytes_percent == 0 && r.count_percent == 0,
		      "a default is neither negative nor a percentage");
	check(r.bytes_percent > -100 && r.count_percent > -100, "percent above -100");

	char canon[400];
	snprintf(canon, sizeof(canon), "%s", r.mailbox);
	if (r.ignore) {
		check(r.bytes == 0 && r.count == 0, "ignore has no limits");
		snprintf(canon + mlen, sizeof(canon) - mlen, ":ignore");
	} else {
		spell(canon, sizeof(canon), "bytes", r.bytes_percent, r.bytes);
		spell(canon, sizeof(canon), "messages", r.count_percent, r.count);
	}
	check(maildir_quota_rule_parse(canon, &r2, &err) == 0, "canonical rule parses");
	check(rule_eq(&r, &r2), "canonical rule is the same rule");
}

static void grace(const char *def)
{
	int64_t bytes, bytes2;
	int pct, pct2;
	char canon[64];
	if (maildir_quota_grace_parse(def, &bytes, &pct) < 0)
		return;
	check(bytes >= 0 && pct >= 0 && (pct == 0 || bytes == 0), "grace in range");
	if (pct)
		snprintf(canon, sizeof(canon), "%d%%", pct);
	else
		snprintf(canon, sizeof(canon), "%" PRId64, bytes);
	check(maildir_quota_grace_parse(canon, &bytes2, &pct2) == 0 && bytes2 == bytes && pct2 == pct,
	      "canonical grace is the same");
}

/* f(in) into a buffer of exactly the right size, and one byte less. */
static void tight(int (*f)(const char *, char *, size_t), const char *in, int n)
{
	char *out = malloc((size_t)n + 1);
	check(out != NULL, "out of memory");
	check(f(in, out, (size_t)n + 1) == n && strlen(out) == (size_t)n, "fits exactly");
	errno = 0;
	check(f(in, out, (size_t)n) == -1 && errno == ENAMETOOLONG, "one byte short fails");
	free(out);
}

static void mutf7(const char *in, size_t len)
{
	size_t size = 8 * len + 16; /* worst case: 1 byte -> "&" 3 letters "-" per char */
	char *enc = malloc(size), *dec = malloc(size), *back = malloc(size);
	check(enc && dec && back, "out of memory");
	int e = mutf7_encode(in, enc, size);
	check(e >= 0 || errno == EILSEQ, "encode fails only on bad UTF-8");
	if (e >= 0) {
		check(strlen(enc) == (size_t)e, "encode length");
		for (int i = 0; i < e; i++)
			check(enc[i] >= 0x20 && enc[i] < 0x7f, "encoding is printable ASCII");
		check(mutf7_decode(enc, back, size) == (int)len && memcmp(back, in, len + 1) == 0,
		      "decode(encode(x)) == x");
		tight(mutf7_encode, in, e);
	}
	int d = mutf7_decode(in, dec, size);
	check(d >= 0 || errno == EILSEQ, "decode fails only on bad input");
	if (d >= 0) {
		check(strlen(dec) == (size_t)d, "decode length");
		check(mutf7_encode(dec, back, size) == (int)len && strcmp(back, in) == 0,
		      "encode(decode(y)) == y");
		tight(mutf7_decode, in, d);
	}
	free(enc);
	free(dec);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *in = malloc(size + 1);
	check(in != NULL, "out of memory");
	memcpy(in, data, size);
	in[size] = '\0';
	rule(in);
	grace(in);
	mutf7(in, strlen(in));
	free(in);
	return 0;
}
