/* lookup_cache: chained hash table plus an insertion-ordered list for
 * eviction, under one mutex (see lookup_cache.h). The bucket count scales
 * with max_bytes (about one bucket per 256 bytes), so chains stay short
 * even when the cache is full of small negative entries; each put also
 * drops a few expired entries from the old end. */
#include "lookup_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_BUCKETS 1024u
#define MAX_BUCKETS (1u << 20)
#define EXPIRE_PER_PUT 8

struct entry {
	struct entry *hnext;		/* bucket chain */
	struct entry *older, *newer;	/* insertion order */
	uint64_t expires_ms;
	size_t keylen, len;
	bool found;
	char data[];			/* key NUL value */
};

struct lookup_cache {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets; /* power of two */
	struct entry *oldest, *newest;
	size_t bytes, max_bytes;
	uint64_t ttl_ms, negative_ttl_ms, hits, misses;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static size_t bucket_of(const struct lookup_cache *c, const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return (size_t)(h & (c->nbuckets - 1));
}

static size_t entry_size(const struct entry *e)
{
	return sizeof(*e) + e->keylen + 1 + e->len;
}

static void unlink_entry(struct lookup_cache *c, struct entry *e)
{
	struct entry **pp = &c->buckets[bucket_of(c, e->data, e->keylen)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->bytes -= entry_size(e);
	free(e);
}

static struct entry *find(struct lookup_cache *c, const char *key, size_t keylen)
{
	for (struct entry *e = c->buckets[bucket_of(c, key, keylen)]; e; e = e->hnext)
		if (e->keylen == keylen && memcmp(e->data, key, keylen) == 0)
			return e;
	return NULL;
}

struct lookup_cache *lookup_cache_new(size_t max_bytes, uint64_t ttl_ms, uint64_t negative_ttl_ms)
{
	if (max_bytes == 0 || (ttl_ms == 0 && negative_ttl_ms == 0))
		return NULL;
	struct lookup_cache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->nbuckets = MIN_BUCKETS;
	while (c->nbuckets < MAX_BUCKETS && c->nbuckets * 256 < max_bytes)
		c->nbuckets *= 2;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (c->buckets == NULL) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->max_bytes = max_bytes;
	c->ttl_ms = ttl_ms;
	c->negative_ttl_ms = negative_ttl_ms;
	return c;
}

void lookup_cache_clear(struct lookup_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	while (c->oldest)
		unlink_entry(c, c->oldest);
	pthread_mutex_unlock(&c->lock);
}

void lookup_cache_free(struct lookup_cache **cachep)
{
	struct lookup_cache *c = *cachep;
	if (c == NULL)
		return;
	lookup_cache_clear(c);
	pthread_mutex_destroy(&c->lock);
	free(c->buckets);
	free(c);
	*cachep = NULL;
}

int lookup_cache_get(struct lookup_cache *c, const char *key, void *value, size_t *len_inout,
		     bool *found_r)
{
	if (c == NULL)
		return 0;
	size_t keylen = strlen(key);
	int hit = 0;
	pthread_mutex_lock(&c->lock);
	struct entry *e = find(c, key, keylen);
	if (e != NULL && e->expires_ms <= now_ms()) {
		unlink_entry(c, e);
		e = NULL;
	}
	if (e != NULL && (!e->found || e->len <= *len_inout)) {
		*found_r = e->found;
		if (e->found) {
			memcpy(value, e->data + keylen + 1, e->len);
			*len_inout = e->len;
		}
		hit = 1;
	}
	if (hit)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void lookup_cache_put(struct lookup_cache *c, const char *key, const void *value, size_t len,
		      bool found)
{
	uint64_t ttl = found ? (c ? c->ttl_ms : 0) : (c ? c->negative_ttl_ms : 0);
	if (c == NULL || ttl == 0)
		return;
	size_t keylen = strlen(key);
	if (!found)
		len = 0;
	struct entry *e = malloc(sizeof(*e) + keylen + 1 + len);
	if (e == NULL)
		return;
	*e = (struct entry){ .expires_ms = now_ms() + ttl, .keylen = keylen, .len = len,
			     .found = found };
	memcpy(e->data, key, keylen + 1);
	if (len)
		memcpy(e->data + keylen + 1, value, len);
	pthread_mutex_lock(&c->lock);
	uint64_t now = now_ms();
	for (int i = 0; i < EXPIRE_PER_PUT && c->oldest && c->oldest->expires_ms <= now; i++)
		unlink_entry(c, c->oldest);
	struct entry *old = find(c, key, keylen);
	if (old)
		unlink_entry(c, old);
	while (c->oldest && c->bytes + entry_size(e) > c->max_bytes)
		unlink_entry(c, c->oldest);
	if (entry_size(e) > c->max_bytes) {
		pthread_mutex_unlock(&c->lock);
		free(e);
		return;
	}
	size_t b = bucket_of(c, key, keylen);
	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	e->older = c->newest;
	if (c->newest)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->bytes += entry_size(e);
	pthread_mutex_unlock(&c->lock);
}

void lookup_cache_stats(struct lookup_cache *c, uint64_t *hits_r, uint64_t *misses_r)
{
	*hits_r = *misses_r = 0;
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	*hits_r = c->hits;
	*misses_r = c->misses;
	pthread_mutex_unlock(&c->lock);
}
