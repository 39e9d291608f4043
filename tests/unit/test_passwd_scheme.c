/* test_passwd_scheme: pw_verify against vectors made by independent tools
 * (openssl passwd, python hashlib/base64, the argon2 reference CLI, PHP's
 * crypt() docs), hostile stored values and passwords, and pw_make round
 * trips. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "passwd_scheme.h"

struct vec {
	const char *stored;
	const char *pw;
	size_t len; /* 0 = strlen(pw) */
	const char *def;
	enum pw_result want;
};

#define H2_SHA512C "$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF.iKFlQREaXBLlSmZKP6dy9l5z3vsooWNW0/GZ6Nej73/TFug6pIPSqbJoCT6dfnj."
#define H2_SHA256C "$5$saltsalt$OIdfjX.u4Y3SJ4I2bX8w5BMf1VAUhHABNUirScDzZi3"
#define H2_MD5C "$1$saltsalt$ZliGyAN3DciDHEkDboonh/"
#define BCRYPT_PHP "$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMXTpOq"
#define BCRYPT_ABC "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i"
#define ARGON2I_REF "$argon2i$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
#define ARGON2I_SMALL "$argon2i$v=19$m=256,t=2,p=2$c29tZXNhbHQAAAAAAAAAAA$rqnbEp1/jFDUEKZZmw+z14amDsFqMDC53dIe57ZHD38"
#define ARGON2ID_REF "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo"

static const struct vec vectors[] = {
	/* plain */
	{ "{PLAIN}hunter2", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN}hunter2", "hunter3", 0, NULL, PW_MISMATCH },
	{ "{PLAIN}hunter2", "hunter", 0, NULL, PW_MISMATCH },
	{ "{PLAIN}hunter2", "hunter22", 0, NULL, PW_MISMATCH },
	{ "{CLEAR}hunter2", "hunter2", 0, NULL, PW_MATCH },
	{ "{cleartext}hunter2", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN}", "", 0, NULL, PW_MATCH },
	{ "{PLAIN}", "x", 0, NULL, PW_MISMATCH },
	{ "{PLAIN}x", "", 0, NULL, PW_MISMATCH },
	{ "{PLAIN.B64}aHVudGVyMg==", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN.BASE64}aHVudGVyMg==", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN.B64}aHVudGVyMg=", "hunter2", 0, NULL, PW_MALFORMED },
	{ "{PLAIN.HEX}68756e74657232", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN.HEX}68756E74657232", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN.HEX}68756e7465723", "hunter2", 0, NULL, PW_MALFORMED },
	{ "{PLAIN.HEX}68756e746572zz", "hunter2", 0, NULL, PW_MALFORMED },
	/* no prefix: default scheme */
	{ "hunter2", "hunter2", 0, NULL, PW_MATCH },
	{ "hunter2", "hunter2", 0, "PLAIN", PW_MATCH },
	{ "hunter2", "hunter2", 0, "SHA512-CRYPT", PW_MALFORMED },
	{ "87u9ZqY9S/F0eUBXjsPQEDUw4h0=", "hunter2", 0, "SHA1", PW_MATCH },
	{ "hunter2", "hunter2", 0, "NOSUCH", PW_UNKNOWN_SCHEME },
	{ "{hunter2", "{hunter2", 0, NULL, PW_MATCH },
	{ "{a b}c", "{a b}c", 0, NULL, PW_MATCH },
	/* crypt family, from openssl passwd */
	{ "{SHA512-CRYPT}" H2_SHA512C, "hunter2", 0, NULL, PW_MATCH },
	{ "{SHA512-CRYPT}" H2_SHA512C, "hunter3", 0, NULL, PW_MISMATCH },
	{ "{sha512-crypt}" H2_SHA512C, "hunter2", 0, NULL, PW_MATCH },
	{ "{CRYPT}" H2_SHA512C, "hunter2", 0, NULL, PW_MATCH },
	{ H2_SHA512C, "hunter2", 0, NULL, PW_MATCH },
	{ H2_SHA512C, "hunter2", 0, "SHA512-CRYPT", PW_MATCH },
	{ H2_SHA512C, H2_SHA512C, 0, NULL, PW_MISMATCH },
	{ "{SHA512-CRYPT.B64}JDYkc2FsdHNhbHQkOGlZdE5IeGpXUmwuTkY2b05aNXRGLmlLRmxRUkVhWEJMbFNtWktQNmR5OWw1ejN2c29vV05XMC9HWjZOZWo3My9URnVnNnBJUFNxYkpvQ1Q2ZGZuai4=",
	  "hunter2", 0, NULL, PW_MATCH },
	/* Drepper's SHA-crypt specification vectors */
	{ "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
	  "Hello world!", 0, NULL, PW_MATCH },
	{ "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
	  "Hello world!", 0, NULL, PW_MATCH },
	{ "{SHA256-CRYPT}" H2_SHA256C, "hunter2", 0, NULL, PW_MATCH },
	{ H2_SHA256C, "Hunter2", 0, NULL, PW_MISMATCH },
	{ "$5$rounds=1000$abc$9tsAdlnn66OlLc9naP1yNWeD/dh1NeUQtxsinFtPDP2", "hunter2", 0, NULL, PW_MATCH },
	{ "{MD5-CRYPT}" H2_MD5C, "hunter2", 0, NULL, PW_MATCH },
	{ H2_MD5C, "hunter2", 0, NULL, PW_MATCH },
	{ H2_MD5C, "hunter", 0, NULL, PW_MISMATCH },
	{ "{BLF-CRYPT}" BCRYPT_PHP, "rasmuslerdorf", 0, NULL, PW_MATCH },
	{ BCRYPT_PHP, "rasmuslerdorf", 0, NULL, PW_MATCH },
	{ BCRYPT_PHP, "rasmuslerdorF", 0, NULL, PW_MISMATCH },
	{ BCRYPT_ABC, "abc", 0, NULL, PW_MATCH },
	{ BCRYPT_ABC, "abd", 0, NULL, PW_MISMATCH },
	/* NUL in the password: never matches a crypt hash */
	{ H2_SHA512C, "hunter2\0x", 9, NULL, PW_MISMATCH },
	{ BCRYPT_ABC, "abc\0", 4, NULL, PW_MISMATCH },
	/* truncated / garbage crypt strings */
	{ "{SHA512-CRYPT}$6$saltsalt$8iYtNHxjWRl.NF6oNZ5tF", "hunter2", 0, NULL, PW_MALFORMED },
	{ "$6$saltsalt", "hunter2", 0, NULL, PW_MALFORMED },
	{ "$2y$07$BCryptRequires22Chrcte/VlQH0piJtjXl.0t1XkA8pw9dMX", "rasmuslerdorf", 0, NULL, PW_MALFORMED },
	{ "$2y$07$BCrypt", "rasmuslerdorf", 0, NULL, PW_MALFORMED },
	{ "{BLF-CRYPT}", "x", 0, NULL, PW_MALFORMED },
	{ "{CRYPT}$9$garbage", "x", 0, NULL, PW_MALFORMED },
	{ "{SHA512-CRYPT.B64}!!!!", "x", 0, NULL, PW_MALFORMED },
	/* argon2, libsodium verifies both variants */
	{ "{ARGON2I}" ARGON2I_REF, "password", 0, NULL, PW_MATCH },
	{ ARGON2I_REF, "password", 0, NULL, PW_MATCH },
	{ ARGON2I_REF, "passwore", 0, NULL, PW_MISMATCH },
	{ ARGON2I_SMALL, "password", 0, NULL, PW_MATCH },
	{ "{ARGON2ID}" ARGON2ID_REF, "password", 0, NULL, PW_MATCH },
	{ ARGON2ID_REF, "password", 0, NULL, PW_MATCH },
	{ ARGON2ID_REF, "", 0, NULL, PW_MISMATCH },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=2", "password", 0, NULL, PW_MALFORMED },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ", "password", 0, NULL, PW_MALFORMED },
	{ "{ARGON2ID}$6$x$y", "password", 0, NULL, PW_MALFORMED },
	{ "{ARGON2ID}", "password", 0, NULL, PW_MALFORMED },
	/* digests, from python hashlib + base64 */
	{ "{SHA1}87u9ZqY9S/F0eUBXjsPQEDUw4h0=", "hunter2", 0, NULL, PW_MATCH },
	{ "{SHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=", "hunter2", 0, NULL, PW_MATCH },
	{ "{SHA1}87u9ZqY9S/F0eUBXjsPQEDUw4h0=", "hunter", 0, NULL, PW_MISMATCH },
	{ "{SHA1.HEX}f3bbbd66a63d4bf1747940578ec3d0103530e21d", "hunter2", 0, NULL, PW_MATCH },
	{ "{SHA1}f3bbbd66a63d4bf1747940578ec3d0103530e21d", "hunter2", 0, NULL, PW_MATCH },
	{ "{SHA1}87u9ZqY9S/F0eUBXjsPQEDUw4h0", "hunter2", 0, NULL, PW_MALFORMED },
	{ "{SHA1}AAAA", "hunter2", 0, NULL, PW_MALFORMED },
	{ "{SHA256}9S+9MrKzuG/4jvbEkGKChfSCrxXdyylUH5S89Saj9sc=", "hunter2", 0, NULL, PW_MATCH },
	{ "{SHA256.HEX}f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7", "hunter2", 0, NULL, PW_MATCH },
	{ "{SHA256.B64}9S+9MrKzuG/4jvbEkGKChfSCrxXdyylUH5S89Saj9sc=", "hunter2", 0, NULL, PW_MATCH },
	{ "{SHA256}47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "", 0, NULL, PW_MATCH },
	{ "{SHA256}WbJxrhu8sdMdQZKYF/Sxb7Q5608xUgta0dXOmJIKcTg=", "a\0b", 3, NULL, PW_MATCH },
	{ "{SHA256}WbJxrhu8sdMdQZKYF/Sxb7Q5608xUgta0dXOmJIKcTg=", "a", 0, NULL, PW_MISMATCH },
	{ "{SHA512}a5ftaNFOs/GqlZzl1Jx9xhLh6x2v1zsecFhHSD/WpsgJ8s606N9v+ZhMYpj/AoXKzmYUv42qnwBwEBtsiYmeIg==", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN-MD5}2ab96390c7dbe3439de74d0c9b0b1767", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN-MD5}KrljkMfb40Od500MmwsXZw==", "hunter2", 0, NULL, PW_MATCH },
	{ "{PLAIN-MD5}2ab96390c7dbe3439de74d0c9b0b1768", "hunter2", 0, NULL, PW_MISMATCH },
	{ "{LDAP-MD5}KrljkMfb40Od500MmwsXZw==", "hunter2", 0, NULL, PW_MATCH },
	{ "{SSHA}dlrZdZt2Jencgf28jU0aJNWENGEBAgMEc2FsdFg=", "hunter2", 0, NULL, PW_MATCH },
	{ "{SSHA}dlrZdZt2Jencgf28jU0aJNWENGEBAgMEc2FsdFg=", "hunter3", 0, NULL, PW_MISMATCH },
	{ "{SSHA.HEX}765ad9759b7625e9dc81fdbc8d4d1a24d58434610102030473616c7458", "hunter2", 0, NULL, PW_MATCH },
	{ "{SSHA256}ySi8XyOS9/nHiISQYr3PQElLzWXduNZmTB2O5+zPAroBAgMEc2FsdFg=", "hunter2", 0, NULL, PW_MATCH },
	{ "{SSHA512}U3I+JMwrlmSQYwc5EB9vHYv/JYOxzkEuV3QqB+MId0zCrD/nG1Z95o/HaPx9t9NlkDxQalUnR3k7ErjPsUfuGwECAwRzYWx0WA==", "hunter2", 0, NULL, PW_MATCH },
	{ "{ssha512}U3I+JMwrlmSQYwc5EB9vHYv/JYOxzkEuV3QqB+MId0zCrD/nG1Z95o/HaPx9t9NlkDxQalUnR3k7ErjPsUfuGwECAwRzYWx0WA==", "hunter", 0, NULL, PW_MISMATCH },
	{ "{SMD5}4mtNYbT3uJJDZiGxGid9tAECAwRzYWx0WA==", "hunter2", 0, NULL, PW_MATCH },
	/* salted digest with no salt is malformed (digest length only) */
	{ "{SSHA}87u9ZqY9S/F0eUBXjsPQEDUw4h0=", "hunter2", 0, NULL, PW_MALFORMED },
	/* unknown schemes and encodings */
	{ "{FOO}bar", "bar", 0, NULL, PW_UNKNOWN_SCHEME },
	{ "{}bar", "bar", 0, NULL, PW_UNKNOWN_SCHEME },
	{ "{SHA1.B32}abc", "x", 0, NULL, PW_UNKNOWN_SCHEME },
	{ "{PLAIN.}x", "x", 0, NULL, PW_UNKNOWN_SCHEME },
	{ "{SHA512-CRYPTX}" H2_SHA512C, "hunter2", 0, NULL, PW_UNKNOWN_SCHEME },
	{ "{SCRAM-SHA-256}4096,abc", "x", 0, NULL, PW_UNKNOWN_SCHEME },
};

START_TEST(test_vectors)
{
	const struct vec *v = &vectors[_i];
	size_t len = v->len ? v->len : strlen(v->pw);
	const char *scheme = NULL;
	enum pw_result r = pw_verify(v->stored, v->pw, len, v->def, "u@example.org", &scheme);

	ck_assert_msg(r == v->want, "vector %d (%s / %s): got %d want %d", _i, v->stored, v->pw,
		      r, v->want);
	ck_assert_ptr_nonnull(scheme);
}
END_TEST

START_TEST(test_scheme_r)
{
	const char *scheme = NULL;

	ck_assert_int_eq(pw_verify(H2_SHA512C, "hunter2", 7, NULL, NULL, &scheme), PW_MATCH);
	ck_assert_str_eq(scheme, "SHA512-CRYPT");
	ck_assert_int_eq(pw_verify(BCRYPT_PHP, "x", 1, NULL, NULL, &scheme), PW_MISMATCH);
	ck_assert_str_eq(scheme, "BLF-CRYPT");
	ck_assert_int_eq(pw_verify("{ssha}abc", "x", 1, NULL, NULL, &scheme), PW_MALFORMED);
	ck_assert_str_eq(scheme, "SSHA");
	ck_assert_int_eq(pw_verify("plain", "plain", 5, NULL, NULL, NULL), PW_MATCH);
}
END_TEST

/* 10 KB passwords: digests and plain handle them; crypt refuses (over
 * CRYPT_MAX_PASSPHRASE_SIZE) as a mismatch, not as a malformed hash. */
START_TEST(test_long_password)
{
	enum { N = 10240 };
	char *pw = malloc(N + 64);
	char *stored = malloc(N + 64);

	for (size_t i = 0; i < N; i++)
		pw[i] = (char)(1 + i % 255);
	/* python3: base64(sha512((bytes(range(1,256))*41)[:10240])) */
	ck_assert_int_eq(pw_verify("{SHA512}rgJKoQ1G45wCPH4bsRu2DTgpTcT/6tgJueSEoGlaSyF6OkkX3HaRlvzdOG+qvqYLzgNpdRVunakMXZeoj2jE8A==",
				   pw, N, NULL, NULL, NULL),
			 PW_MATCH);
	ck_assert_int_eq(pw_verify(H2_SHA512C, pw, N, NULL, NULL, NULL), PW_MISMATCH);
	memset(pw, 'a', N);
	pw[N] = '\0';
	memcpy(stored, "{PLAIN}", 7);
	memcpy(stored + 7, pw, N + 1);
	ck_assert_int_eq(pw_verify(stored, pw, N, NULL, NULL, NULL), PW_MATCH);
	ck_assert_int_eq(pw_verify(stored, pw, N - 1, NULL, NULL, NULL), PW_MISMATCH);
	ck_assert_int_eq(pw_make("SSHA512", pw, stored, N + 64), 0);
	ck_assert_int_eq(pw_verify(stored, pw, N, NULL, NULL, NULL), PW_MATCH);
	free(pw);
	free(stored);
}
END_TEST

/* Hostile stored values: very long, unterminated "{", only "$". */
START_TEST(test_hostile_stored)
{
	char *s = malloc(20000);

	memset(s, '{', 19999);
	s[19999] = '\0';
	ck_assert_int_eq(pw_verify(s, "x", 1, NULL, NULL, NULL), PW_MISMATCH);
	memcpy(s, "{SHA512-CRYPT}$6$", 17);
	memset(s + 17, 'A', 19982);
	ck_assert_int_eq(pw_verify(s, "x", 1, NULL, NULL, NULL), PW_MALFORMED);
	memcpy(s, "{SSHA512}", 9);
	ck_assert_int_eq(pw_verify(s, "x", 1, NULL, NULL, NULL), PW_MALFORMED);
	ck_assert_int_eq(pw_verify("$", "$", 1, NULL, NULL, NULL), PW_MATCH);
	ck_assert_int_eq(pw_verify("$2y$", "x", 1, NULL, NULL, NULL), PW_MALFORMED);
	ck_assert_int_eq(pw_verify("$argon2id$", "x", 1, NULL, NULL, NULL), PW_MALFORMED);
	free(s);
}
END_TEST

struct mk {
	const char *scheme;
	const char *prefix; /* expected start of the output */
};

static const struct mk makes[] = {
	{ "PLAIN", "{PLAIN}s3cret pass" },
	{ "SHA512-CRYPT", "{SHA512-CRYPT}$6$" },
	{ "sha256-crypt", "{SHA256-CRYPT}$5$" },
	{ "MD5-CRYPT", "{MD5-CRYPT}$1$" },
	{ "BLF-CRYPT", "{BLF-CRYPT}$2y$10$" },
	{ "ARGON2ID", "{ARGON2ID}$argon2id$v=19$" },
	{ "ARGON2I", "{ARGON2I}$argon2i$v=19$" },
	{ "SSHA512", "{SSHA512}" },
	{ "SHA512", "{SHA512}" },
	{ "SSHA", "{SSHA}" },
	{ "SHA256.HEX", "{SHA256.HEX}" },
	{ "PLAIN-MD5", "{PLAIN-MD5}" },
	{ "SHA512-CRYPT.B64", "{SHA512-CRYPT.B64}JDYk" },
	{ "plain.b64", "{PLAIN.B64}czNjcmV0IHBhc3M=" },
};

START_TEST(test_make)
{
	const struct mk *m = &makes[_i];
	const char *pw = "s3cret pass";
	char out[512];

	ck_assert_int_eq(pw_make(m->scheme, pw, out, sizeof(out)), 0);
	ck_assert_msg(strncmp(out, m->prefix, strlen(m->prefix)) == 0, "%s: %s", m->scheme, out);
	ck_assert_int_eq(pw_verify(out, pw, strlen(pw), NULL, NULL, NULL), PW_MATCH);
	ck_assert_int_eq(pw_verify(out, "s3cret pasS", strlen(pw), NULL, NULL, NULL), PW_MISMATCH);
	ck_assert_int_eq(pw_verify(out, "", 0, NULL, NULL, NULL), PW_MISMATCH);
}
END_TEST

START_TEST(test_make_errors)
{
	char out[512], a[512], b[512];

	ck_assert_int_eq(pw_make("NOSUCH", "x", out, sizeof(out)), -1);
	ck_assert_int_eq(pw_make("CRYPT", "x", out, sizeof(out)), -1);
	ck_assert_int_eq(pw_make("SHA512.B32", "x", out, sizeof(out)), -1);
	ck_assert_int_eq(pw_make("SHA512-CRYPT", "x", out, 20), -1);
	ck_assert_int_eq(pw_make("PLAIN", "abc", out, 10), -1); /* "{PLAIN}abc" + NUL = 11 */
	ck_assert_int_eq(pw_make("PLAIN", "abc", out, 11), 0);
	ck_assert_str_eq(out, "{PLAIN}abc");
	/* salts are random: two hashes of one password differ */
	ck_assert_int_eq(pw_make("SHA512-CRYPT", "x", a, sizeof(a)), 0);
	ck_assert_int_eq(pw_make("SHA512-CRYPT", "x", b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(pw_make("SSHA256", "x", a, sizeof(a)), 0);
	ck_assert_int_eq(pw_make("SSHA256", "x", b, sizeof(b)), 0);
	ck_assert_str_ne(a, b);
	/* an empty password can be hashed and verified */
	ck_assert_int_eq(pw_make("SHA256-CRYPT", "", a, sizeof(a)), 0);
	ck_assert_int_eq(pw_verify(a, "", 0, NULL, NULL, NULL), PW_MATCH);
	ck_assert_int_eq(pw_verify(a, "x", 1, NULL, NULL, NULL), PW_MISMATCH);
}
END_TEST

START_TEST(test_scheme_list)
{
	const char *l = pw_scheme_list();

	ck_assert_ptr_nonnull(strstr(l, "SHA512-CRYPT"));
	ck_assert_ptr_nonnull(strstr(l, "ARGON2ID"));
	ck_assert_ptr_nonnull(strstr(l, "BLF-CRYPT"));
	ck_assert_ptr_nonnull(strstr(l, "SSHA512"));
}
END_TEST

/* Which stored values go to the hash threads and which are checked inline. */
START_TEST(test_is_expensive)
{
	static const struct {
		const char *stored, *def;
		bool expensive;
	} cases[] = {
		{ "{PLAIN}x", NULL, false },
		{ "{SSHA512}abcd", NULL, false },
		{ "{PLAIN-MD5}00", NULL, false },
		{ "{SHA512-CRYPT}$6$s$h", NULL, true },
		{ "{BLF-CRYPT.B64}JDJ5", NULL, true },
		{ "$6$salt$hash", NULL, true },
		{ "$2y$10$abc", NULL, true },
		{ "$argon2id$v=19$m=65536", NULL, true },
		{ "{ARGON2I}$argon2i$v=19", NULL, true },
		{ "plaintext", NULL, false },
		{ "plaintext", "SHA512-CRYPT", true },
		{ "{NOSUCH}x", NULL, false },
		{ "", NULL, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(pw_is_expensive(cases[i].stored, cases[i].def) == cases[i].expensive,
			      "case %zu (%s)", i, cases[i].stored);
	ck_assert(!pw_is_expensive(NULL, NULL));
}
END_TEST

/* Vectors from Dovecot 2.3.19's `doveadm pw -s SCHEME -p PASSWORD` (an
 * independent implementation): CRAM-MD5 contexts (keys shorter than, equal
 * to and longer than the 64-byte HMAC block; UTF-8), and the other schemes
 * as Dovecot writes them, encodings included. */
struct dv_vec {
	const char *stored;
	const char *pw;
};

static const struct dv_vec doveadm_cram[] = {
	{ "{CRAM-MD5}60ebd8347e945af7703b0d59d8bfedc236234196f561c057cf5a5d5a6e58304a", "hunter2" },
	{ "{CRAM-MD5}00747cf2ffaf11c5ea4a64979c3901fc1d20dee13f480bb598f7d8575b23e61b", "" },
	{ "{CRAM-MD5}edab68c80791909bfed4788f1c3eed2a969993c1c3316e001680c3a4a13b7929", "p\xc3\xa4ss w\xc3\xb6rd" },
	{ "{CRAM-MD5}a37fc5ccd7282dcfcc0db6932f86e2ba9aaa6aae7644eed9ee08da64bb1c1ab2", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" },
	{ "{CRAM-MD5}27b7a38df6efd1400c525816494f98a12e1df2505cdc138ece701b47ad0c2409", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk" },
	{ "{CRAM-MD5}155814c35caa61de540e0aacc009a1e477178202520f2da40b91c72c535f67dc", "tern-cram-md5-vector-long-password-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" },
	{ "{CRAM-MD5.B64}YOvYNH6UWvdwOw1Z2L/twjYjQZb1YcBXz1pdWm5YMEo=", "hunter2" },
	{ "{HMAC-MD5}60ebd8347e945af7703b0d59d8bfedc236234196f561c057cf5a5d5a6e58304a", "hunter2" },
};

static const struct dv_vec doveadm_other[] = {
	{ "{SHA512-CRYPT}$6$8/Hrba9JuknKd8zv$eAPZICPlZJV.BNvYhgcfc6KkDtCSepod3Ef0LvEPPMoU1SxIu9lOwOlt.DLqtDZO9cGgpb7jjll5WjQBU4ZL.0", "dv-sha512-crypt pw" },
	{ "{SHA256-CRYPT}$5$2tqLfwCol0doVc/4$VMU/kjC7ar8F5XTZdXpYfCPc39nj6PGJMSv3AHuP1c6", "dv-sha256-crypt pw" },
	{ "{MD5-CRYPT}$1$2prXcRiZ$hqSS.YornQuNOdVWrxQaS0", "dv-md5-crypt pw" },
	{ "{BLF-CRYPT}$2y$05$rbJmM3G22ANhlcyUVXB4HOK/wGTL.FR0pJ3bA/yBwTXDOB9RA4A2m", "dv-blf-crypt pw" },
	{ "{CRYPT}$2y$05$t3eJmNdtyQozS3KSR36.duM68fVWWj2eFVNRylAwIOvRlihpDZkwi", "dv-crypt pw" },
	{ "{ARGON2I}$argon2i$v=19$m=32768,t=4,p=1$B4COq2HIKmSTcDDmTC26zQ$amLx6U39cdMZp+oeW1c8hTorIYF+tJp4Z/cFlRta+oE", "dv-argon2i pw" },
	{ "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$FC9lFi9eg5gFUMILx9BizA$Bj02ZEZD9MlFrSYjp05EzFWUKPsnlmyMtNhp3xvfS/g", "dv-argon2id pw" },
	{ "{SSHA}Ywm7k65KfQgnTQlUIVFxnVNCqDfXy/Si", "dv-ssha pw" },
	{ "{SSHA256}rXM2XS9Sc5UBpV3ywP72fxnrwImKHD8ChzReSNg2zOEFJd9Y", "dv-ssha256 pw" },
	{ "{SSHA512}reoeawKuDjVxg+W3g0AuS2G+AA8LUxpgF0Ylb5qTkQwqwtMWb9ohsBxXrd48Q9oHbr//akfUCYC56UNF7AGf7UdVfH8=", "dv-ssha512 pw" },
	{ "{SMD5}xSbCaoLHvG6+xdsfz+fBy6u+0gs=", "dv-smd5 pw" },
	{ "{SHA}7zr51PfS6WTsDmPogGPOVt0pGm4=", "dv-sha pw" },
	{ "{SHA1}PuA6HtOJfMhtluFFeCPKmBpGRkY=", "dv-sha1 pw" },
	{ "{SHA256}GiymYNYkOK1PzcLaebdkIglHhhTkqoA7bbBPlcmUNKg=", "dv-sha256 pw" },
	{ "{SHA512}Octou1u7VOiCcqD+xnjISf0Gz+/v37XCi5WTtSMyPB0B94lfLyPTsAvtinY5f7Ae/DUWCoe8QrLQ+dUxuhwH9A==", "dv-sha512 pw" },
	{ "{PLAIN-MD5}32db039df17270b2f4bb3822cb10265a", "dv-plain-md5 pw" },
	{ "{LDAP-MD5}23U7ZP6OBTvamA86mCFCHA==", "dv-ldap-md5 pw" },
	{ "{SHA512-CRYPT.HEX}24362467353870573879526635335277784d6324776b4e664e3951684347504c326e3463676c7a586943635855672f7978636e536b5a2f4d71444e77374b6c776a6b5458346d7261364930437a52433434577238417a4237455572566b48646b394e374e56593263612f", "dv-sha512-crypt.hex pw" },
	{ "{BLF-CRYPT.B64}JDJ5JDA1JFhKLzF1eEhTS2RJeDVmYmx6b0thNy5sWjB1M2VEZEVJb2ZyeFVkRU1LZVFaMnREaVd4dE11", "dv-blf-crypt.b64 pw" },
	{ "{ARGON2ID.B64}JGFyZ29uMmlkJHY9MTkkbT02NTUzNix0PTMscD0xJHE0Q2VvclY3QWh1YTZQZVkrUjJSdEEkeEY3Zmg1c3JCVjkreEpaMXdONG5UWVpOVFZrRHhqTHNxbDRWQis5RTdpWQ==", "dv-argon2id.b64 pw" },
	{ "{SSHA512.HEX}1b1fb613f5d8b6f6145fdf30e184b990a226fca198f14aeef99360aa3098fe1e8bb365978445aea8224369352061c783adc547b79bb6ead395d6c7da6b6071066a5132f1", "dv-ssha512.hex pw" },
	{ "{SHA1.HEX}f5682316b83a91445eca218a5b57493071e8c696", "dv-sha1.hex pw" },
	{ "{PLAIN-MD5.B64}cqd92mo7m1ZPqWMi4et6ng==", "dv-plain-md5.b64 pw" },
	{ "{PLAIN.B64}ZHYtcGxhaW4uYjY0IHB3", "dv-plain.b64 pw" },
};

static void check_dv(const struct dv_vec *v)
{
	size_t len = strlen(v->pw);
	char *wrong = malloc(len + 2);

	ck_assert_msg(pw_verify(v->stored, v->pw, len, NULL, NULL, NULL) == PW_MATCH,
		      "%s / %s", v->stored, v->pw);
	memcpy(wrong, v->pw, len + 1);
	if (len > 0)
		wrong[len - 1] ^= 1; /* last byte flipped */
	else
		memcpy(wrong, "x", 2);
	ck_assert_msg(pw_verify(v->stored, wrong, strlen(wrong), NULL, NULL, NULL) == PW_MISMATCH,
		      "%s / %s", v->stored, wrong);
	/* one byte more or less */
	memcpy(wrong, v->pw, len);
	wrong[len] = 'x';
	ck_assert_int_eq(pw_verify(v->stored, wrong, len + 1, NULL, NULL, NULL), PW_MISMATCH);
	if (len > 0)
		ck_assert_int_eq(pw_verify(v->stored, v->pw, len - 1, NULL, NULL, NULL),
				 PW_MISMATCH);
	free(wrong);
}

START_TEST(test_doveadm_cram)
{
	check_dv(&doveadm_cram[_i]);
}
END_TEST

START_TEST(test_doveadm_other)
{
	check_dv(&doveadm_other[_i]);
}
END_TEST

/* Malformed CRAM-MD5 contexts, pw_make round trips, and Dovecot's output
 * for the same password (the context has no salt: the hash is fixed). */
START_TEST(test_cram_md5)
{
	char out[256];
	const char *scheme = NULL;

	ck_assert_int_eq(pw_verify("{CRAM-MD5}60ebd8347e945af7703b0d59d8bfedc236234196f561c057cf5a5d5a6e5830",
				   "hunter2", 7, NULL, NULL, NULL), PW_MALFORMED);
	ck_assert_int_eq(pw_verify("{CRAM-MD5}60ebd8347e945af7703b0d59d8bfedc236234196f561c057cf5a5d5a6e58304a00",
				   "hunter2", 7, NULL, NULL, NULL), PW_MALFORMED);
	ck_assert_int_eq(pw_verify("{CRAM-MD5}zzebd8347e945af7703b0d59d8bfedc236234196f561c057cf5a5d5a6e58304a",
				   "hunter2", 7, NULL, NULL, NULL), PW_MALFORMED);
	ck_assert_int_eq(pw_verify("{CRAM-MD5}", "", 0, NULL, NULL, NULL), PW_MALFORMED);
	ck_assert_int_eq(pw_verify("{CRAM-MD5.B64}YOvYNH6UWvdwOw1Z2L/twjYjQZb1YcBXz1pdWm5YMEo",
				   "hunter2", 7, NULL, NULL, NULL), PW_MALFORMED);
	ck_assert_int_eq(pw_verify("{cram-md5}60EBD8347E945AF7703B0D59D8BFEDC236234196F561C057CF5A5D5A6E58304A",
				   "hunter2", 7, NULL, NULL, &scheme), PW_MATCH);
	ck_assert_str_eq(scheme, "CRAM-MD5");
	/* unprefixed, with CRAM-MD5 as the default scheme */
	ck_assert_int_eq(pw_verify("60ebd8347e945af7703b0d59d8bfedc236234196f561c057cf5a5d5a6e58304a",
				   "hunter2", 7, "CRAM-MD5", NULL, NULL), PW_MATCH);
	/* HMAC zero-pads keys: a password with a NUL must not match its prefix */
	ck_assert_int_eq(pw_verify("{CRAM-MD5}60ebd8347e945af7703b0d59d8bfedc236234196f561c057cf5a5d5a6e58304a",
				   "hunter2\0", 8, NULL, NULL, NULL), PW_MISMATCH);
	ck_assert_int_eq(pw_make("CRAM-MD5", "hunter2", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{CRAM-MD5}60ebd8347e945af7703b0d59d8bfedc236234196f561c057cf5a5d5a6e58304a");
	ck_assert_int_eq(pw_make("CRAM-MD5.B64", "hunter2", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{CRAM-MD5.B64}YOvYNH6UWvdwOw1Z2L/twjYjQZb1YcBXz1pdWm5YMEo=");
	ck_assert_int_eq(pw_make("CRAM-MD5", "", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{CRAM-MD5}00747cf2ffaf11c5ea4a64979c3901fc1d20dee13f480bb598f7d8575b23e61b");
	ck_assert_int_eq(pw_make("CRAM-MD5", "hunter2", out, 20), -1);
	ck_assert(!pw_is_expensive("{CRAM-MD5}00", NULL));
	ck_assert_ptr_nonnull(strstr(pw_scheme_list(), "CRAM-MD5"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("passwd_scheme");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_vectors, 0, (int)(sizeof(vectors) / sizeof(vectors[0])));
	tcase_add_test(tc, test_scheme_r);
	tcase_add_test(tc, test_long_password);
	tcase_add_test(tc, test_hostile_stored);
	tcase_add_loop_test(tc, test_make, 0, (int)(sizeof(makes) / sizeof(makes[0])));
	tcase_add_test(tc, test_make_errors);
	tcase_add_test(tc, test_scheme_list);
	tcase_add_test(tc, test_is_expensive);
	tcase_add_loop_test(tc, test_doveadm_cram, 0,
			    (int)(sizeof(doveadm_cram) / sizeof(doveadm_cram[0])));
	tcase_add_loop_test(tc, test_doveadm_other, 0,
			    (int)(sizeof(doveadm_other) / sizeof(doveadm_other[0])));
	tcase_add_test(tc, test_cram_md5);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
