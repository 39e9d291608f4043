/* resolve: directory_resolve, the full recipient expansion described in
 * directory.h, built only on the single-level lookups.
 * Invariants: each address is expanded at most once (diamonds are
 * deduplicated, not re-walked); an address met again on its own expansion
 * path is a loop (TEMP); depth and the number of final addresses are
 * bounded by the configured limits; the output lists each final address
 * once, lowercased, in discovery order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "directory_int.h"
#include "log.h"
#include "strmap.h"
#include "texthash.h"

struct rctx {
	struct directory *dir;
	struct dir_limits lim;
	struct strmap *expanded; /* addresses whose expansion has started */
	struct strmap *finals;	 /* addresses already in out */
	struct buf out;
	const char **path;	 /* the chain being expanded, path[0] = the recipient */
	size_t depth;
	const char *reason;	 /* why TEMP */
};

#define VALUE_SIZE (TEXTHASH_MAX_LINE + 1)

/* Per-level scratch, on the heap so deep chains stay off the stack. */
struct frame {
	char value[VALUE_SIZE];		  /* an alias's targets */
	char base[DIR_MAX_ADDRESS + 1];	  /* the address without +detail */
	char target[DIR_MAX_ADDRESS + 2]; /* alias-domain rewrite or "@domain" */
};

static enum dir_result expand_addr(struct rctx *c, const char *addr, size_t depth);

static enum dir_result fail(struct rctx *c, const char *reason)
{
	if (!c->reason)
		c->reason = reason;
	return DIR_TEMP;
}

static enum dir_result add_final(struct rctx *c, const char *addr)
{
	int r;

	if (strmap_find(c->finals, addr, NULL))
		return DIR_FOUND;
	if (strmap_count(c->finals) >= c->lim.expansion)
		return fail(c, "alias-expansion-limit");
	if ((r = strmap_add(c->finals, addr, NULL, NULL)) < 0)
		return fail(c, "out-of-memory");
	if (c->out.len > 0)
		buf_append_char(&c->out, ',');
	buf_append_str(&c->out, addr);
	return buf_error(&c->out) ? fail(c, "result-too-long") : DIR_FOUND;
}

/* Expand each target of the alias `key`; a target equal to key means the
 * mailbox `self` (the address with its +detail, when looked up without). */
static enum dir_result expand_targets(struct rctx *c, const char *key, const char *self,
				      char *list, size_t depth)
{
	char *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum dir_result r;

		if (dir_key_lower(t, t) < 0) /* in place: same length */
			return fail(c, "alias-target-too-long");
		if (self && strcmp(t, key) == 0)
			r = add_final(c, self);
		else if ((r = expand_addr(c, t, depth + 1)) == DIR_NOTFOUND)
			r = add_final(c, t); /* ours but unknown: bounces at delivery */
		if (r == DIR_TEMP)
			return DIR_TEMP;
	}
	return DIR_FOUND;
}

/* Steps 2-3 for one spelling `key` of the address; the result is `self`. */
static enum dir_result try_key(struct rctx *c, const char *key, const char *self, char *value,
			       size_t depth)
{
	enum dir_result r = directory_alias(c->dir, key, value, VALUE_SIZE);

	if (r == DIR_FOUND)
		return expand_targets(c, key, self, value, depth);
	if (r == DIR_TEMP)
		return fail(c, "directory-unavailable");
	r = directory_mailbox(c->dir, key);
	if (r == DIR_FOUND)
		return add_final(c, self);
	return r == DIR_TEMP ? fail(c, "directory-unavailable") : DIR_NOTFOUND;
}

/* "user+detail@d" -> "user@d" into base; false when addr has no detail. */
static bool strip_detail(const struct rctx *c, const char *addr, char *base)
{
	const char *at = strrchr(addr, '@');
	size_t local = at ? (size_t)(at - addr) : strlen(addr);
	size_t cut = c->lim.delimiters[0] ? strcspn(addr, c->lim.delimiters) : local;

	if (cut == 0 || cut >= local)
		return false;
	memcpy(base, addr, cut);
	strcpy(base + cut, addr + local);
	return true;
}

/* Steps 4-6: alias domain, catch-all, ours or foreign. */
static enum dir_result by_domain(struct rctx *c, const char *addr, struct frame *f,
				 size_t depth)
{
	const char *at = strrchr(addr, '@');
	char *target = f->target;
	enum dir_result r;

	if (!at || !at[1])
		return DIR_NOTFOUND;
	r = directory_alias_domain(c->dir, at + 1, target);
	if (r == DIR_FOUND) {
		size_t local = (size_t)(at - addr);

		if (local + 1 + strlen(target) > DIR_MAX_ADDRESS)
			return DIR_NOTFOUND;
		memmove(target + local + 1, target, strlen(target) + 1);
		memcpy(target, addr, local);
		target[local] = '@';
		return expand_addr(c, target, depth + 1);
	}
	if (r == DIR_TEMP)
		return fail(c, "directory-unavailable");
	memcpy(target, at, strlen(at) + 1); /* the catch-all "@domain" */
	r = directory_alias(c->dir, target, f->value, VALUE_SIZE);
	if (r == DIR_FOUND)
		return expand_targets(c, target, NULL, f->value, depth);
	if (r == DIR_TEMP)
		return fail(c, "directory-unavailable");
	r = directory_domain(c->dir, at + 1);
	if (r == DIR_NOTFOUND)
		return add_final(c, addr); /* not ours: a forward target */
	return r == DIR_TEMP ? fail(c, "directory-unavailable") : DIR_NOTFOUND;
}

static enum dir_result expand_inner(struct rctx *c, const char *addr, size_t depth)
{
	struct frame *f = malloc(sizeof(*f));
	enum dir_result r;

	if (!f)
		return fail(c, "out-of-memory");
	r = try_key(c, addr, addr, f->value, depth);
	if (r == DIR_NOTFOUND && strip_detail(c, addr, f->base))
		r = try_key(c, f->base, addr, f->value, depth);
	if (r == DIR_NOTFOUND)
		r = by_domain(c, addr, f, depth);
	free(f);
	return r;
}

static enum dir_result expand_addr(struct rctx *c, const char *addr, size_t depth)
{
	enum dir_result r;

	if (depth > c->lim.recursion)
		return fail(c, "alias-recursion-limit");
	for (size_t i = 0; i < c->depth; i++)
		if (strcmp(c->path[i], addr) == 0)
			return fail(c, "alias-loop");
	if (strmap_find(c->expanded, addr, NULL))
		return DIR_FOUND; /* done already via another branch */
	if (strmap_add(c->expanded, addr, NULL, NULL) < 0)
		return fail(c, "out-of-memory");
	c->path[c->depth++] = addr;
	r = expand_inner(c, addr, depth);
	c->depth--;
	return r;
}

enum dir_result directory_resolve(struct directory *dir, const char *address, char *out,
				  size_t outsize)
{
	struct rctx c = { .dir = dir };
	char key[DIR_MAX_ADDRESS + 1];
	enum dir_result r;

	if (outsize == 0)
		return DIR_TEMP;
	out[0] = '\0';
	if (dir_key_lower(address, key) < 0 || !key[0])
		return DIR_NOTFOUND;
	directory_limits(dir, &c.lim);
	buf_init(&c.out, outsize - 1);
	c.expanded = strmap_new();
	c.finals = strmap_new();
	c.path = calloc(c.lim.recursion + 2, sizeof(*c.path));
	if (!c.expanded || !c.finals || !c.path)
		r = fail(&c, "out-of-memory");
	else
		r = expand_addr(&c, key, 0);
	if (r == DIR_TEMP) {
		if (!dir_cache_only_active()) /* a cache miss is retried, not a failure */
			log_warning("directory-resolve-failed address=%s reason=%s", log_str(key),
				    c.reason);
		snprintf(out, outsize, "%s", c.reason);
	} else if (r == DIR_FOUND) {
		memcpy(out, buf_str(&c.out), c.out.len + 1);
	}
	buf_free(&c.out);
	strmap_free(&c.expanded, NULL);
	strmap_free(&c.finals, NULL);
	free(c.path);
	return r;
}
