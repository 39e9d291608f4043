/* strmap: an open-addressing hash map from C-string keys to pointers, for
 * in-memory tables loaded from files (users, aliases, domains).
 * Invariants: keys are copied on insert and owned by the map; values are
 * the caller's (strmap_free can release them); there is no removal (tables
 * are rebuilt on reload); the hash is SipHash with a per-map random key, so
 * hostile keys cannot force collisions; load factor stays <= 1/2. */
#ifndef TERN_STRMAP_H
#define TERN_STRMAP_H
#include <stdbool.h>
#include <stddef.h>

struct strmap;

/* A new empty map, or NULL when out of memory. */
struct strmap *strmap_new(void);
/* Free the map and its keys; free_value (may be NULL) is called on every
 * value. *mapp becomes NULL; NULL or *mapp NULL is a no-op. */
void strmap_free(struct strmap **mapp, void (*free_value)(void *value));

/* Insert key -> value unless key is present. Returns 1 when inserted, 0
 * when the key was already there (the map is unchanged; *old_r, if not
 * NULL, gets the existing value), -1 when out of memory. */
int strmap_add(struct strmap *map, const char *key, void *value, void **old_r);
/* Look up key: true with *value_r (may be NULL) set when present. */
bool strmap_find(const struct strmap *map, const char *key, void **value_r);
/* The value for key, or NULL when absent (or when NULL was stored). */
void *strmap_get(const struct strmap *map, const char *key);
size_t strmap_count(const struct strmap *map);

/* Iterate: start with *pos = 0; each call returns true with the next key
 * and value, false at the end. Order is unspecified. The map must not be
 * changed during an iteration. */
bool strmap_next(const struct strmap *map, size_t *pos, const char **key_r, void **value_r);

#endif
