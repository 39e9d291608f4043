/* fuzz_dirclient_reply: libFuzzer harness for lib/dirclient_proto.c's pure
 * parts: the bytes as a stream of socketmap netstrings, each reply given
 * to dirc_parse_sm_reply (as dirc_sm_on_data does); the bytes as the map
 * and key of dirc_encode_map and the user of dirc_encode_user.
 * Invariants checked: FOUND only for "OK <v>" with value the rest, NOTFOUND
 * only for "NOTFOUND" alone or with a space, PERM only for "PERM"; a reply
 * with a NUL is TEMP; a value is inside the reply or static text; encoded
 * requests parse back (netstring "map key"; USER line fields unescape to
 * the user and service). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dirclient_impl.h"
#include "ipc.h"

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_dirclient_reply: invariant failed: %s\n", what);
		abort();
	}
}

static void one_reply(const char *data, size_t len)
{
	char *text = malloc(len + 1);
	const char *value = NULL;
	check(text != NULL, "out of memory");
	memcpy(text, data, len);
	text[len] = '\0';
	enum dirc_result r = dirc_parse_sm_reply(text, len, &value);
	check(value != NULL, "a value always");
	bool in_text = value >= text && value <= text + len;
	bool nul = memchr(data, '\0', len) != NULL;
	switch (r) {
	case DIRC_FOUND:
		check(!nul && len >= 3 && memcmp(data, "OK ", 3) == 0 && value == text + 3,
		      "FOUND only for OK <value>");
		break;
	case DIRC_NOTFOUND:
		check(!nul && strncmp(text, "NOTFOUND", 8) == 0 && (len == 8 || text[8] == ' ') &&
			      value[0] == '\0',
		      "NOTFOUND only for NOTFOUND");
		break;
	case DIRC_PERM:
		check(!nul && strncmp(text, "PERM", 4) == 0 && (len == 4 || text[4] == ' '),
		      "PERM only for PERM");
		check(value[0] != '\0', "PERM has a reason");
		break;
	case DIRC_TEMP:
		check(value[0] != '\0', "TEMP has a reason");
		if (in_text)
			check(!nul && strncmp(text, "TEMP ", 5) == 0 && value == text + 5,
			      "TEMP value from the reply only after TEMP");
		break;
	default:
		check(false, "result in range");
	}
	if (in_text)
		check(value + strlen(value) <= text + len, "value inside the reply");
	free(text);
}

static void replies(const char *in, size_t len)
{
	const char *data;
	size_t dlen, used;
	while (len > 0 && ipc_netstring_get(in, len, DIRC_MAX_REPLY, &data, &dlen, &used) == 1) {
		one_reply(data, dlen);
		in += used;
		len -= used;
	}
	if (len > 0)
		one_reply(in, len); /* the rest as one reply too */
}

static void encode(const char *s, size_t len)
{
	/* map = text before the first space (or "m"), key = the rest */
	const char *sp = memchr(s, ' ', len);
	size_t maplen = sp ? (size_t)(sp - s) : 0;
	char *map = strndup(sp ? s : "m", sp ? maplen : 1), *key = strdup(sp ? sp + 1 : s);
	struct dirc_sock sock = { .next_id = 0xffffffffu };
	struct dirc_request req = { .sock = &sock };
	check(map && key, "out of memory");
	if (dirc_encode_map(&req, map, key) == 0) {
		const char *data;
		size_t dlen, used;
		check(map[0] && !strchr(map, ' '), "map is one word");
		check(ipc_netstring_get(req.wire, req.wirelen, DIRC_MAX_REPLY, &data, &dlen, &used) == 1 &&
			      used == req.wirelen,
		      "request is one netstring");
		size_t ml = strlen(map), kl = strlen(key);
		check(dlen == ml + 1 + kl && memcmp(data, map, ml) == 0 && data[ml] == ' ' &&
			      memcmp(data + ml + 1, key, kl) == 0,
		      "netstring holds map key");
		free(req.wire);
	} else {
		check(!map[0] || strchr(map, ' ') || strlen(map) + 1 + strlen(key) > DIRC_MAX_REPLY,
		      "map request refused only when it cannot be expressed");
	}
	req.wire = NULL;
	if (dirc_encode_user(&req, key, map) == 0) {
		char *f[8];
		size_t lens[8];
		check(req.id == 0xffffffffu && sock.next_id == 1, "ids wrap past 0");
		check(req.wirelen > 0 && req.wire[req.wirelen - 1] == '\n' &&
			      memchr(req.wire, '\n', req.wirelen) == req.wire + req.wirelen - 1,
		      "one line");
		int n = ipc_split_fields(req.wire, req.wirelen - 1, f, lens, 8);
		check(n == 4 && strcmp(f[0], "USER") == 0 && strcmp(f[1], "4294967295") == 0 &&
			      strcmp(f[2], key) == 0 && strncmp(f[3], "service=", 8) == 0 &&
			      strcmp(f[3] + 8, map) == 0,
		      "USER line fields round-trip");
		free(req.wire);
	} else {
		check(!key[0] || strlen(key) + strlen(map) > DIRC_MAX_REPLY / 2,
		      "user request refused only when empty or too long");
	}
	free(map);
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 200000)
		return 0;
	const char *in = (const char *)data;
	replies(in, size);
	char *s = malloc(size + 1);
	check(s != NULL, "out of memory");
	memcpy(s, data, size);
	s[size] = '\0';
	encode(s, strlen(s));
	free(s);
	return 0;
}
