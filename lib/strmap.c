/* strmap: open addressing with linear probing over a power-of-two table of
 * (hash, key, value) slots; a NULL key marks an empty slot.
 * Invariants: cap is a power of two >= 16; count * 2 <= cap, so a probe
 * always meets an empty slot; the stored full hash makes mismatching probes
 * cheap and lets growth rehash without recomputing SipHash. */
#include "strmap.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t hash;
	char *key;
	void *value;
};

struct strmap {
	struct slot *slots;
	size_t cap;
	size_t count;
	unsigned char seed[crypto_shorthash_KEYBYTES];
};

#define STRMAP_MIN_CAP 16

static uint64_t key_hash(const struct strmap *map, const char *key)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, (const unsigned char *)key, strlen(key), map->seed);
	memcpy(&h, out, sizeof(h));
	return h;
}

struct strmap *strmap_new(void)
{
	struct strmap *map;

	if (sodium_init() < 0)
		return NULL;
	map = calloc(1, sizeof(*map));
	if (!map)
		return NULL;
	map->slots = calloc(STRMAP_MIN_CAP, sizeof(*map->slots));
	if (!map->slots) {
		free(map);
		return NULL;
	}
	map->cap = STRMAP_MIN_CAP;
	randombytes_buf(map->seed, sizeof(map->seed));
	return map;
}

void strmap_free(struct strmap **mapp, void (*free_value)(void *value))
{
	struct strmap *map = mapp ? *mapp : NULL;

	if (!map)
		return;
	for (size_t i = 0; i < map->cap; i++) {
		if (!map->slots[i].key)
			continue;
		free(map->slots[i].key);
		if (free_value)
			free_value(map->slots[i].value);
	}
	free(map->slots);
	free(map);
	*mapp = NULL;
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *probe(const struct strmap *map, uint64_t hash, const char *key)
{
	size_t mask = map->cap - 1;

	for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
		struct slot *s = &map->slots[i];

		if (!s->key || (s->hash == hash && strcmp(s->key, key) == 0))
			return s;
	}
}

static int grow(struct strmap *map)
{
	size_t newcap = map->cap * 2;
	struct slot *old = map->slots, *fresh;

	if (newcap > SIZE_MAX / 2 / sizeof(*fresh))
		return -1;
	fresh = calloc(newcap, sizeof(*fresh));
	if (!fresh)
		return -1;
	map->slots = fresh;
	map->cap = newcap;
	for (size_t i = 0; i < newcap / 2; i++) {
		if (old[i].key)
			*probe(map, old[i].hash, old[i].key) = old[i];
	}
	free(old);
	return 0;
}

int strmap_add(struct strmap *map, const char *key, void *value, void **old_r)
{
	uint64_t hash = key_hash(map, key);
	struct slot *s = probe(map, hash, key);

	if (s->key) {
		if (old_r)
			*old_r = s->value;
		return 0;
	}
	if ((map->count + 1) * 2 > map->cap) {
		if (grow(map) < 0)
			return -1;
		s = probe(map, hash, key);
	}
	s->key = strdup(key);
	if (!s->key)
		return -1;
	s->hash = hash;
	s->value = value;
	map->count++;
	return 1;
}

bool strmap_find(const struct strmap *map, const char *key, void **value_r)
{
	const struct slot *s = probe(map, key_hash(map, key), key);

	if (!s->key)
		return false;
	if (value_r)
		*value_r = s->value;
	return true;
}

void *strmap_get(const struct strmap *map, const char *key)
{
	void *value = NULL;

	return strmap_find(map, key, &value) ? value : NULL;
}

size_t strmap_count(const struct strmap *map)
{
	return map->count;
}

bool strmap_next(const struct strmap *map, size_t *pos, const char **key_r, void **value_r)
{
	for (; *pos < map->cap; (*pos)++) {
		const struct slot *s = &map->slots[*pos];

		if (s->key) {
			(*pos)++;
			if (key_r)
				*key_r = s->key;
			if (value_r)
				*value_r = s->value;
			return true;
		}
	}
	return false;
}
