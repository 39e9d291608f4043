/* allow_nets: Dovecot's allow_nets passdb field: a login is accepted only
 * from client addresses inside one of the listed networks. */
#ifndef TERN_ALLOW_NETS_H
#define TERN_ALLOW_NETS_H
#include <stdbool.h>

/* nets: comma/space separated "1.2.3.0/24", "2001:db8::/32", "10.1.2.3",
 * "local" (connections without a remote IP). An empty list allows all; a
 * malformed entry matches nothing; an unknown rip matches only "local". */
bool allow_nets_match(const char *nets, const char *rip);

#endif
