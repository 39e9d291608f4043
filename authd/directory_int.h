/* directory_int: what resolve.c needs from directory.c beyond directory.h.
 * Invariants: internal to authd's directory; nothing else includes it. */
#ifndef TERN_DIRECTORY_INT_H
#define TERN_DIRECTORY_INT_H
#include <stddef.h>

#include "directory.h"

#define DIR_EXPANSION_MAX 1000 /* hard cap on addresses one recipient expands to */
#define DIR_RECURSION_MAX 1000 /* hard cap on alias nesting */

struct dir_limits {
	const char *delimiters; /* recipient_delimiter characters, "" = none */
	size_t recursion;	/* min(virtual_alias_recursion_limit, DIR_RECURSION_MAX) */
	size_t expansion;	/* min(virtual_alias_expansion_limit, DIR_EXPANSION_MAX) */
};

void directory_limits(const struct directory *dir, struct dir_limits *limits_r);

/* Lowercase in into out (DIR_MAX_ADDRESS+1 bytes); -1 when longer than
 * DIR_MAX_ADDRESS. */
int dir_key_lower(const char *in, char *out);

#endif
