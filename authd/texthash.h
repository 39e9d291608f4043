/* texthash: Postfix "texthash:" tables and plain name lists, parsed from
 * text into memory. Table format: "key whitespace value" per logical line;
 * a line starting with whitespace continues the previous one; blank lines
 * and lines whose first non-blank byte is '#' are skipped.
 * Invariants: keys are lowercased; the first definition of a key wins (a
 * later duplicate is logged and ignored, as postmap does); a malformed line
 * is logged with file:line and skipped, never fatal. */
#ifndef TERN_TEXTHASH_H
#define TERN_TEXTHASH_H
#include <stdbool.h>
#include <stddef.h>

#define TEXTHASH_MAX_LINE 65536 /* longest logical line kept */

enum texthash_mode {
	TH_MAP,	     /* key whitespace value; a key without value is malformed */
	TH_KEYS,     /* key [value]: a key alone maps to "" (domain tables) */
	TH_LIST,     /* names separated by whitespace or commas, each -> "" */
};

struct texthash;

/* Parse text (len bytes, may hold anything) named `name` in log lines.
 * Returns NULL only when out of memory. */
struct texthash *texthash_parse(const char *text, size_t len, const char *name,
				enum texthash_mode mode);
void texthash_free(struct texthash **thp);
/* The value of key (already lowercased by the caller), NULL when absent. */
const char *texthash_get(const struct texthash *th, const char *key);
size_t texthash_count(const struct texthash *th);

#endif
