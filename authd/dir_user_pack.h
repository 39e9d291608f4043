/* dir_user_pack: a compact byte form of struct dir_user for the lookup
 * cache (the struct is ~6.5 KB of mostly empty fixed fields; a packed
 * user is the size of its actual strings, typically a few hundred bytes).
 * Invariants: unpack(pack(u)) == u field by field; unpack rejects anything
 * malformed or truncated instead of guessing. */
#ifndef TERN_DIR_USER_PACK_H
#define TERN_DIR_USER_PACK_H
#include <stddef.h>

#include "buf.h"
#include "directory.h"

/* Append u's packed form to out. */
void dir_user_pack(const struct dir_user *u, struct buf *out);
/* Rebuild *u from data (len bytes). 0, or -1 when malformed. */
int dir_user_unpack(const char *data, size_t len, struct dir_user *u);

#endif
