/* dsn: RFC 3464 bounce composition and the retry schedule (dsn.h).
 * Invariants: every line written ends in CRLF and is bounded (addresses
 * and diagnostics are cut to 900 bytes, control bytes become spaces); the
 * MIME boundary contains the queue id, which cannot appear in it by
 * accident; the original message is copied verbatim (it is CRLF already). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dsn.h"

#define DSN_FIELD_MAX 900

uint64_t queue_backoff(uint64_t min_s, uint64_t max_s, unsigned attempts)
{
	uint64_t d = min_s;
	for (unsigned i = 1; i < attempts && d < max_s; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	if (d > max_s)
		d = max_s;
	return d < min_s ? min_s : d;
}

void dsn_date(int64_t t, char *out, size_t size)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm)) {
		snprintf(out, size, "Thu, 1 Jan 1970 00:00:00 +0000");
		return;
	}
	snprintf(out, size, "%.3s, %d %.3s %d %02d:%02d:%02d +0000", days + 3 * tm.tm_wday,
		 tm.tm_mday, months + 3 * tm.tm_mon, tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
}

void dsn_status_of(int code, const char *text, char *out, size_t size)
{
	int a, b, c, n = 0;
	char cls = (char)('0' + (code / 100) % 10);
	if (text && sscanf(text, "%1d.%3d.%3d%n", &a, &b, &c, &n) == 3 && a == cls - '0' &&
	    (text[n] == ' ' || text[n] == '\0')) {
		snprintf(out, size, "%d.%d.%d", a, b, c);
		return;
	}
	snprintf(out, size, "%c.0.0", cls == '2' || cls == '4' || cls == '5' ? cls : '4');
}

size_t dsn_header_len(const char *msg, size_t len)
{
	if (len >= 2 && msg[0] == '\r' && msg[1] == '\n')
		return 2;
	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(msg + i, "\r\n\r\n", 4) == 0)
			return i + 4;
	return len;
}

/* A header-safe rendering of an untrusted value. */
static void safe(struct buf *out, const char *s)
{
	size_t n = 0;
	for (; s && *s && n < DSN_FIELD_MAX; s++, n++)
		buf_append_char(out, (unsigned char)*s < 32 || *s == 127 ? ' ' : *s);
}

static void line(struct buf *out, const char *a, const char *b)
{
	buf_append_str(out, a);
	safe(out, b);
	buf_append_str(out, "\r\n");
}

static void head(struct buf *out, const struct dsn_input *in, const char *boundary)
{
	char date[64];
	dsn_date(in->now, date, sizeof(date));
	buf_printf(out, "From: MAILER-DAEMON@%s (Mail Delivery System)\r\n", in->hostname);
	line(out, "To: ", in->sender);
	buf_append_str(out, "Subject: Undelivered Mail Returned to Sender\r\n");
	buf_printf(out, "Date: %s\r\n", date);
	buf_printf(out, "Message-ID: <%s.dsn@%s>\r\n", in->qid, in->hostname);
	buf_append_str(out, "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n");
	buf_printf(out, "Content-Type: multipart/report; report-type=delivery-status;\r\n"
			"\tboundary=\"%s\"\r\n\r\n", boundary);
	buf_append_str(out, "This is a MIME-encapsulated message.\r\n\r\n");
}

static void human(struct buf *out, const struct dsn_input *in, const char *boundary)
{
	buf_printf(out, "--%s\r\nContent-Description: Notification\r\n"
			"Content-Type: text/plain; charset=us-ascii\r\n\r\n", boundary);
	buf_printf(out, "This is the mail system at host %s.\r\n\r\n", in->hostname);
	buf_append_str(out, "I'm sorry to have to inform you that your message could not\r\n"
			    "be delivered to one or more recipients. It's attached below.\r\n\r\n");
	for (size_t i = 0; i < in->nrcpt; i++) {
		buf_append_str(out, "<");
		safe(out, in->rcpt[i].final);
		buf_append_str(out, ">: ");
		safe(out, in->rcpt[i].diag ? in->rcpt[i].diag : in->rcpt[i].status);
		buf_append_str(out, "\r\n");
	}
	buf_append_str(out, "\r\n");
}

static void report(struct buf *out, const struct dsn_input *in, const char *boundary)
{
	char date[64];
	dsn_date(in->arrival, date, sizeof(date));
	buf_printf(out, "--%s\r\nContent-Description: Delivery report\r\n"
			"Content-Type: message/delivery-status\r\n\r\n", boundary);
	buf_printf(out, "Reporting-MTA: dns; %s\r\nX-Tern-Queue-ID: %s\r\n", in->hostname, in->qid);
	if (in->envid)
		line(out, "Original-Envelope-Id: ", in->envid);
	buf_printf(out, "Arrival-Date: %s\r\n", date);
	for (size_t i = 0; i < in->nrcpt; i++) {
		const struct dsn_rcpt *r = &in->rcpt[i];
		buf_append_str(out, "\r\n");
		line(out, "Final-Recipient: rfc822; ", r->final);
		if (r->orcpt)
			line(out, "Original-Recipient: ", r->orcpt);
		buf_append_str(out, "Action: failed\r\n");
		line(out, "Status: ", r->status);
		if (r->diag)
			line(out, "Diagnostic-Code: smtp; ", r->diag);
	}
	buf_append_str(out, "\r\n");
}

void dsn_compose(const struct dsn_input *in, struct buf *out)
{
	char boundary[128];
	snprintf(boundary, sizeof(boundary), "%s.%" PRId64 "/%s", in->qid, in->now, in->hostname);
	head(out, in, boundary);
	human(out, in, boundary);
	report(out, in, boundary);
	size_t n = in->headers_only ? dsn_header_len(in->orig, in->orig_len) : in->orig_len;
	buf_printf(out, "--%s\r\nContent-Description: %s\r\nContent-Type: %s\r\n\r\n", boundary,
		   in->headers_only ? "Undelivered Message Headers" : "Undelivered Message",
		   in->headers_only ? "text/rfc822-headers" : "message/rfc822");
	buf_append(out, in->orig, n);
	if (n > 0 && (n < 2 || memcmp(in->orig + n - 2, "\r\n", 2) != 0))
		buf_append_str(out, "\r\n");
	buf_printf(out, "\r\n--%s--\r\n", boundary);
}
