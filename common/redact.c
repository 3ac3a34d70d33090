/*
 * redact.c - secrets out of what is echoed (redact.h).
 *
 * One pass over the text finds secrets by form.  Outside a URI, a pair
 * "KEY = VALUE" whose KEY is password or sslpassword (any case, at the start
 * of a word) goes, with the blank before it, as libpq would read it: a
 * quoted value ends at the closing quote (\' and \\ inside), a bare one at
 * white space.  After "://", until white space, the text is a URI: the
 * password of the user information goes (":PASSWORD" before the last '@' of
 * the authority), and so does a query parameter whose name, percent-decoded,
 * is one of the two keys, with its '&'.  What is taken out is remembered, so
 * that the same secret is also hidden where it shows up in other words (a
 * libpq message that quotes a piece of the URI).
 *
 * The secrets are kept until the process ends: they are few and small, and a
 * message may be written at any exit.
 */
#include "redact.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "banned.h"

#define MIN_FREE_TEXT 4

static char **secrets;
static size_t nsecrets, capsecrets;

void redact_remember(const char *secret, size_t n)
{
	if (!secret || !n)
		return;
	for (size_t i = 0; i < nsecrets; i++)
		if (strlen(secrets[i]) == n && memcmp(secrets[i], secret, n) == 0)
			return;
	xgrow(&secrets, &capsecrets, nsecrets + 1, sizeof(*secrets));
	secrets[nsecrets++] = xstrndup(secret, n);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static int secret_key(const char *k, size_t n)
{
	return (n == 8 && strncasecmp(k, "password", 8) == 0) ||
	       (n == 11 && strncasecmp(k, "sslpassword", 11) == 0);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* A URI query parameter's name, percent-decoded (libpq decodes it too). */
static int secret_param(const char *k, size_t n)
{
	char d[16];
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		char c = k[i];

		if (c == '%' && i + 2 < n && hexval(k[i + 1]) >= 0 && hexval(k[i + 2]) >= 0) {
			c = (char)(hexval(k[i + 1]) * 16 + hexval(k[i + 2]));
			i += 2;
		}
		if (m == sizeof(d))
			return 0;
		d[m++] = c;
	}
	return secret_key(d, m);
}

/* The URI that starts at s (just after "://"); appends it to b without its
 * secrets and returns where it ends (white space or the end of the text). */
static const char *uri(struct buf *b, const char *s)
{
	const char *auth_end = s + strcspn(s, "/?# \t\n\r\f\v"), *at = NULL, *end, *q;

	for (q = s; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(s, ':', at - s);

		if (colon) {
			redact_remember(colon + 1, at - colon - 1);
			buf_add(b, s, colon - s);
			s = at;
		}
	}
	end = s + strcspn(s, " \t\n\r\f\v");
	q = memchr(s, '?', end - s);
	if (!q) {
		buf_add(b, s, end - s);
		return end;
	}
	buf_add(b, s, q - s);
	{
		int first = 1;

		for (q++; q < end;) {
			size_t n = strcspn(q, "&# \t\n\r\f\v");
			const char *eq = memchr(q, '=', n);

			if (eq && secret_param(q, eq - q)) {
				redact_remember(eq + 1, q + n - eq - 1);
			} else {
				buf_addc(b, first ? '?' : '&');
				buf_add(b, q, n);
				first = 0;
			}
			q += n;
			if (q < end && *q == '&')
				q++;
			else
				break;
		}
		buf_add(b, q, end - q);
	}
	return end;
}

/* At s, a "KEY = VALUE" pair whose key is secret?  Returns its end and
 * remembers its value; NULL when it is not one. */
static const char *secret_pair(const char *s)
{
	const char *p = s, *v;
	size_t n;

	while (is_word(*p))
		p++;
	if (!secret_key(s, p - s))
		return NULL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '=')
		return NULL;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\'') {
		struct buf val = BUF_INIT;

		for (p++; *p && *p != '\''; p++) {
			if (*p == '\\' && p[1])
				p++;
			buf_addc(&val, *p);
		}
		if (val.len)
			redact_remember(val.p, val.len);
		buf_release(&val);
		return *p ? p + 1 : p;
	}
	for (v = p; *p && !is_space(*p); p++)
		;
	n = p - v;
	redact_remember(v, n);
	return p;
}

/* Every remembered secret long enough to look for becomes "***". */
static void by_value(struct buf *b)
{
	for (size_t i = 0; i < nsecrets; i++) {
		size_t n = strlen(secrets[i]);
		struct buf o = BUF_INIT;
		const char *p, *hit;

		if (n < MIN_FREE_TEXT || !b->len || !memmem(b->p, b->len, secrets[i], n))
			continue;
		for (p = b->p; (hit = memmem(p, b->p + b->len - p, secrets[i], n)) != NULL;
		     p = hit + n) {
			buf_add(&o, p, hit - p);
			buf_adds(&o, "***");
		}
		buf_add(&o, p, b->p + b->len - p);
		buf_release(b);
		*b = o;
	}
}

static void by_form(struct buf *b, const char *s)
{
	const char *start = s;

	while (*s) {
		const char *end;

		if (s[0] == ':' && s[1] == '/' && s[2] == '/') {
			buf_add(b, s, 3);
			s = uri(b, s + 3);
			continue;
		}
		if ((s == start || !is_word(s[-1])) && is_word(*s) &&
		    (end = secret_pair(s)) != NULL) {
			size_t len = b->len;

			while (b->len && is_space(b->p[b->len - 1]))
				b->len--;
			if (b->p)
				b->p[b->len] = '\0';
			/* nothing before it to part from what follows: take the
			 * blank after it instead */
			if (b->len == len)
				while (is_space(*end))
					end++;
			s = end;
			continue;
		}
		buf_addc(b, *s++);
	}
}

char *redact(const char *text)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, "");
	by_form(&b, text);
	by_value(&b);
	return buf_detach(&b, NULL);
}

void redact_buf(struct buf *b)
{
	char *text;

	if (!b->len)
		return;
	text = buf_detach(b, NULL);
	buf_adds(b, "");
	by_form(b, text);
	free(text);
	by_value(b);
}
