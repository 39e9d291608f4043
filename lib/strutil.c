/* strutil: see strutil.h. */
#include "strutil.h"

#include <string.h>

size_t str_copy(char *dst, size_t size, const char *src)
{
	size_t len = strlen(src);
	if (size > 0) {
		size_t n = len < size ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
