/* postfix_alias: the answer of authd's socketmap "alias" map, shaped so
 * that a Postfix using it as virtual_alias_maps (Postfix recurses itself)
 * ends where tern's own resolution ends. Like PostfixAdmin's map set:
 *   - an alias entry -> its targets;
 *   - a mailbox -> itself (so a catch-all of its domain does not take its
 *     mail: Postfix stops at an address that maps to itself);
 *   - user@alias-domain -> user@target-domain, when that address exists
 *     (alias_domain_maps in PostfixAdmin's files);
 *   - @alias-domain -> the target domain's catch-all targets.
 * Invariants: one level only, never recursion here; TEMP is passed on. */
#include <stdio.h>
#include <string.h>

#include "directory.h"
#include "postfix_alias.h"

/* user@alias.domain -> user@target.domain when the latter resolves. */
static enum dir_result via_alias_domain(struct directory *dir, const char *key, char *out,
					size_t outsize)
{
	const char *at = strrchr(key, '@');
	char target[DIR_MAX_ADDRESS + 1], rewritten[2 * DIR_MAX_ADDRESS + 2];
	if (at == NULL)
		return DIR_NOTFOUND;
	enum dir_result r = directory_alias_domain(dir, at + 1, target);
	if (r != DIR_FOUND)
		return r;
	int n = snprintf(rewritten, sizeof(rewritten), "%.*s@%s", (int)(at - key), key, target);
	if (n < 0 || (size_t)n > DIR_MAX_ADDRESS)
		return DIR_NOTFOUND;
	if (at == key) /* "@alias.domain": the target's catch-all */
		return directory_alias(dir, rewritten, out, outsize);
	char expansion[8192];
	r = directory_resolve(dir, rewritten, expansion, sizeof(expansion));
	if (r != DIR_FOUND)
		return r;
	if ((size_t)n >= outsize)
		return DIR_TEMP;
	memcpy(out, rewritten, (size_t)n + 1);
	return DIR_FOUND;
}

enum dir_result postfix_alias_lookup(struct directory *dir, const char *key, char *out,
				     size_t outsize)
{
	enum dir_result r = directory_alias(dir, key, out, outsize);
	if (r != DIR_NOTFOUND)
		return r;
	if (key[0] != '@') {
		r = directory_mailbox(dir, key);
		if (r == DIR_TEMP)
			return r;
		if (r == DIR_FOUND) {
			size_t len = strlen(key);
			if (len >= outsize)
				return DIR_TEMP;
			for (size_t i = 0; i <= len; i++)
				out[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
			return DIR_FOUND;
		}
	}
	return via_alias_domain(dir, key, out, outsize);
}
