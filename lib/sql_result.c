/* sql_result: copying a stored MYSQL_RES into a struct sql_result, cell
 * lookup by column name, freeing, and string-literal escaping.
 * Invariants: a result owns one allocation per non-NULL cell and per
 * column name, each NUL-terminated (a value's own NUL bytes are kept, so
 * C-string users see a prefix); cells[] is nrows * ncols, row-major; a
 * half-built result is freed whole (unset slots are NULL). */
#include "sql_impl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *sql_memdup(const char *s, size_t len)
{
	char *p = malloc(len + 1);
	if (p) {
		if (len)
			memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

static int sql_result_fill(MYSQL_RES *r, struct sql_result *res)
{
	MYSQL_FIELD *fields = mysql_fetch_fields(r);
	for (size_t j = 0; j < res->ncols; j++) {
		const char *name = fields[j].name ? fields[j].name : "";
		if (!(res->colnames[j] = sql_memdup(name, strlen(name))))
			return -1;
	}
	for (size_t i = 0; i < res->nrows; i++) {
		MYSQL_ROW row = mysql_fetch_row(r);
		unsigned long *lens = mysql_fetch_lengths(r);
		if (!row || !lens)
			return -1;
		for (size_t j = 0; j < res->ncols; j++) {
			char **cell = &res->cells[i * res->ncols + j];
			if (row[j] && !(*cell = sql_memdup(row[j], lens[j])))
				return -1;
		}
	}
	return 0;
}

int sql_result_build(MYSQL_RES *r, struct sql_result **res_r)
{
	struct sql_result *res = calloc(1, sizeof(*res));
	*res_r = NULL;
	if (!res)
		return -1;
	if (r) {
		res->ncols = mysql_num_fields(r);
		res->nrows = (size_t)mysql_num_rows(r);
	}
	if (res->ncols && res->nrows > SIZE_MAX / sizeof(char *) / res->ncols) {
		free(res);
		return -1;
	}
	size_t ncells = res->nrows * res->ncols;
	res->colnames = calloc(res->ncols ? res->ncols : 1, sizeof(char *));
	res->cells = calloc(ncells ? ncells : 1, sizeof(char *));
	if (!res->colnames || !res->cells || (r && sql_result_fill(r, res) < 0)) {
		sql_result_free(&res);
		return -1;
	}
	*res_r = res;
	return 0;
}

void sql_result_free(struct sql_result **resp)
{
	struct sql_result *res = resp ? *resp : NULL;
	if (!res)
		return;
	*resp = NULL;
	if (res->colnames)
		for (size_t j = 0; j < res->ncols; j++)
			free(res->colnames[j]);
	if (res->cells)
		for (size_t i = 0; i < res->nrows * res->ncols; i++)
			free(res->cells[i]);
	free(res->colnames);
	free(res->cells);
	free(res);
}

const char *sql_result_get(const struct sql_result *res, size_t row, const char *column,
			   bool *present_r)
{
	if (present_r)
		*present_r = false;
	if (!res || !column || row >= res->nrows)
		return NULL;
	for (size_t j = 0; j < res->ncols; j++) {
		if (strcasecmp(res->colnames[j], column) == 0) {
			if (present_r)
				*present_r = true;
			return res->cells[row * res->ncols + j];
		}
	}
	return NULL;
}

void sql_escape(struct buf *out, const char *s, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		const char *rep;
		switch (s[i]) {
		case '\'': rep = "''"; break;
		case '\\': rep = "\\\\"; break;
		case '\0': rep = "\\0"; break;
		case '\r': rep = "\\r"; break;
		case '\n': rep = "\\n"; break;
		case '\032': rep = "\\Z"; break;
		default: continue;
		}
		buf_append(out, s + start, i - start);
		buf_append(out, rep, 2);
		start = i + 1;
	}
	buf_append(out, s + start, len - start);
}
