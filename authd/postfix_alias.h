/* postfix_alias: the socketmap "alias" map's answer for a Postfix that
 * uses authd as virtual_alias_maps (see postfix_alias.c). */
#ifndef TERN_POSTFIX_ALIAS_H
#define TERN_POSTFIX_ALIAS_H
#include <stddef.h>

#include "directory.h"

/* One level of aliasing for `key` ("user@domain" or "@domain"), answered so
 * that Postfix's own recursion reaches what directory_resolve reaches. */
enum dir_result postfix_alias_lookup(struct directory *dir, const char *key, char *out,
				     size_t outsize);

#endif
