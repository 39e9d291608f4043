/* allow_nets: matching a client IP against Dovecot-style network lists. */
#include "allow_nets.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* Parse an address into 16 bytes (v4 mapped into ::ffff:0:0/96). */
static bool parse_ip(const char *s, unsigned char out[16], bool *v4_r)
{
	struct in_addr a4;
	*v4_r = false;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*v4_r = true;
		return true;
	}
	return inet_pton(AF_INET6, s, out) == 1;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

static bool net_match(const char *net, const unsigned char ip[16])
{
	char addr[64];
	const char *slash = strchr(net, '/');
	size_t len = slash ? (size_t)(slash - net) : strlen(net);
	if (len == 0 || len >= sizeof(addr))
		return false;
	memcpy(addr, net, len);
	addr[len] = '\0';
	unsigned char netip[16];
	bool v4;
	if (!parse_ip(addr, netip, &v4))
		return false;
	unsigned bits = v4 ? 32 : 128;
	if (slash) {
		char *end;
		unsigned long b = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || b > bits)
			return false;
		bits = (unsigned)b;
	}
	return prefix_equal(netip, ip, v4 ? bits + 96 : bits);
}

bool allow_nets_match(const char *nets, const char *rip)
{
	if (nets == NULL || nets[strspn(nets, " ,")] == '\0')
		return true;
	unsigned char ip[16];
	bool v4, known = rip && rip[0] && parse_ip(rip, ip, &v4);
	char item[128];
	for (const char *p = nets; *p;) {
		p += strspn(p, " ,");
		size_t len = strcspn(p, " ,");
		if (len == 0)
			break;
		if (len < sizeof(item)) {
			memcpy(item, p, len);
			item[len] = '\0';
			if (strcmp(item, "local") == 0 ? !known : known && net_match(item, ip))
				return true;
		}
		p += len;
	}
	return false;
}
