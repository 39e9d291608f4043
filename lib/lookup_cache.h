/* lookup_cache: a thread-safe cache of lookup results with a time to live,
 * positive and negative (Dovecot's auth_cache_ttl / auth_cache_negative_ttl
 * / auth_cache_size). Keys are strings, values opaque bytes.
 * Invariants: an entry older than its TTL is never returned; the memory
 * held (keys + values + overhead) stays under max_bytes by evicting the
 * oldest entries; a TTL of 0 disables that kind of entry; temporary
 * failures are never cached (callers simply don't put them). */
#ifndef TERN_LOOKUP_CACHE_H
#define TERN_LOOKUP_CACHE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lookup_cache;

/* NULL when max_bytes is 0 or both TTLs are 0 (no cache). */
struct lookup_cache *lookup_cache_new(size_t max_bytes, uint64_t ttl_ms, uint64_t negative_ttl_ms);
void lookup_cache_free(struct lookup_cache **cachep);

/* Hit: returns 1 and sets *found_r; for a found entry copies the value
 * into value (size *len_inout; a value that does not fit is a miss) and
 * sets *len_inout to its length. Miss: 0. A NULL cache always misses. */
int lookup_cache_get(struct lookup_cache *c, const char *key, void *value, size_t *len_inout,
		     bool *found_r);
/* Store a result (replaces an existing entry for key). */
void lookup_cache_put(struct lookup_cache *c, const char *key, const void *value, size_t len,
		      bool found);
/* Forget everything (e.g. on reload). */
void lookup_cache_clear(struct lookup_cache *c);
/* Counters for logs and benchmarks. */
void lookup_cache_stats(struct lookup_cache *c, uint64_t *hits_r, uint64_t *misses_r);

#endif
