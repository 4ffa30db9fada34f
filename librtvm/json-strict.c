/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Strict JSON: the raw text is checked before cJSON builds a tree of it.
 * cJSON is lenient where a configuration file must not be: it ignores
 * what follows the document, keeps the first of two equal keys, cuts a
 * string at \u0000 and copies any bytes into strings.  The scanner here
 * walks the text once, knows the JSON path of where it is (".a.b[2]", as
 * the profile errors name places) and refuses each of those, naming the
 * path, the byte offset (from 0) and the line (from 1).
 */
#include "config.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "librtvm-private.h"

#define JSON_MAX_DEPTH 64
#define JSON_PATH_MAX 256
/* cJSON copies a number into a 64-byte buffer: a longer one would not
 * parse there, so it is refused here with a clear message. */
#define JSON_NUMBER_MAX 63
/* Objects up to this many keys are checked for a repeated key as each
 * key comes; larger ones are sorted once they end. */
#define JSON_KEYS_LINEAR 16

struct key {
	uint32_t hash; /* of the decoded key */
	size_t at;     /* its opening quote */
};

struct scan {
	struct rtvm_ctx *ctx;
	const char *what;
	unsigned int flags;
	const unsigned char *text;
	size_t pos;
	unsigned int depth;
	/* The keys of the objects being scanned, innermost last. */
	struct key *keys;
	size_t nr_keys, keys_size;
	char path[JSON_PATH_MAX];
	size_t path_len;
};

RTVM_PRINTF(3, 4)
static int fail(struct scan *sc, size_t at, const char *fmt, ...)
{
	unsigned int line = 1;
	char msg[160];
	va_list ap;

	for (size_t i = 0; i < at; i++)
		if (sc->text[i] == '\n')
			line++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err(sc->ctx, "%s: %s: %s at byte %zu (line %u)", sc->what,
	    sc->path_len ? sc->path : ".", msg, at, line);
	return -EINVAL;
}

/* The length of the UTF-8 sequence at @s and its code point, or 0 with
 * *why saying what is wrong with it.  Stops at the first byte that does
 * not belong, so never reads past the terminating NUL. */
static size_t utf8_decode(const unsigned char *s, uint32_t *ret,
			  const char **why)
{
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	unsigned char c = s[0];
	uint32_t cp;
	size_t n;

	if (c < 0x80) {
		*ret = c;
		return 1;
	}
	if (c < 0xc0) {
		*why = "a stray continuation byte";
		return 0;
	} else if (c < 0xe0) {
		n = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		n = 3;
		cp = c & 0x0f;
	} else if (c < 0xf8) {
		n = 4;
		cp = c & 0x07;
	} else {
		*why = "a byte that UTF-8 never uses";
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*why = "a truncated sequence";
			return 0;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < least[n])
		*why = "an overlong form";
	else if (cp >= 0xd800 && cp <= 0xdfff)
		*why = "a UTF-16 surrogate";
	else if (cp > 0x10ffff)
		*why = "a code point above U+10FFFF";
	else {
		*ret = cp;
		return n;
	}
	return 0;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Anything that is not JSON; bytes that are not even UTF-8 say so. */
static int syntax(struct scan *sc, size_t at)
{
	const char *why;
	uint32_t cp;

	if (sc->text[at] >= 0x80 && !utf8_decode(sc->text + at, &cp, &why))
		return fail(sc, at, "invalid UTF-8 (%s)", why);
	return fail(sc, at, "not JSON");
}

static void skip_space(struct scan *sc)
{
	for (;;) {
		switch (sc->text[sc->pos]) {
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			sc->pos++;
			break;
		default:
			return;
		}
	}
}

static int hex4(const unsigned char *s, uint32_t *ret)
{
	uint32_t v = 0;

	/* A NUL is no hex digit: this stops at the end of the text. */
	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | (uint32_t)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

/* One character of a string, at *pos inside it: 1 with its code point,
 * 0 at the closing quote (*pos then past it), or -EINVAL logged.
 * @kind is "string" or "key", for the messages. */
static int string_next(struct scan *sc, size_t *pos, const char *kind,
		       uint32_t *ret)
{
	const unsigned char *s = sc->text + *pos;
	uint32_t cp, low;
	const char *why;
	size_t n;

	if (s[0] == '"') {
		(*pos)++;
		return 0;
	}
	if (s[0] == '\0')
		return syntax(sc, *pos);
	if (s[0] < 0x20)
		return fail(sc, *pos,
			    "control character U+%04X in a %s (escape it)",
			    s[0], kind);
	if (s[0] != '\\') {
		n = utf8_decode(s, ret, &why);
		if (!n && (sc->flags & RTVM_JSON_RAW_BYTES)) {
			/* One byte, kept apart from every code point. */
			*ret = 0x110000u + s[0];
			n = 1;
		}
		if (!n)
			return fail(sc, *pos, "invalid UTF-8 (%s)", why);
		*pos += n;
		return 1;
	}
	if (s[1] == 'u') {
		if (hex4(s + 2, &cp) < 0)
			return fail(sc, *pos, "\\u needs four hex digits");
		n = 6;
		if (cp == 0)
			return fail(sc, *pos, "\\u0000 in a %s", kind);
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return fail(sc, *pos, "lone surrogate \\u%04X", cp);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			/* Only a low surrogate may follow a high one. */
			if (s[6] != '\\' || s[7] != 'u' ||
			    hex4(s + 8, &low) < 0 || low < 0xdc00 ||
			    low > 0xdfff)
				return fail(sc, *pos, "lone surrogate \\u%04X",
					    cp);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
			n = 12;
		}
	} else {
		/* The one-letter escapes, and what each stands for. */
		static const char from[] = "\"\\/bfnrt";
		static const char to[] = "\"\\/\b\f\n\r\t";
		const char *e = s[1] ? strchr(from, s[1]) : NULL;

		if (!e)
			return fail(sc, *pos, "invalid escape in a %s", kind);
		cp = (unsigned char)to[e - from];
		n = 2;
	}
	*pos += n;
	*ret = cp;
	return 1;
}

/* A string from its opening quote; the hash of its decoded text to
 * *hash when asked. */
static int scan_string(struct scan *sc, const char *kind, uint32_t *hash)
{
	uint32_t cp, h = 2166136261u; /* FNV-1a over code points */
	int r;

	sc->pos++;
	while ((r = string_next(sc, &sc->pos, kind, &cp)) > 0)
		h = (h ^ cp) * 16777619u;
	if (hash)
		*hash = h;
	return r;
}

/* Two keys already scanned, by their decoded text. */
static int key_text_cmp(struct scan *sc, size_t a, size_t b)
{
	uint32_t ca = 0, cb = 0;
	int ra, rb;

	a++;
	b++;
	for (;;) {
		ra = string_next(sc, &a, "key", &ca);
		rb = string_next(sc, &b, "key", &cb);
		if (ra <= 0 || rb <= 0)
			return ra - rb;
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
}

/* Equal keys sort together in the order they came. */
static int key_cmp(const void *x, const void *y, void *data)
{
	const struct key *a = x, *b = y;
	int r;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	r = key_text_cmp(data, a->at, b->at);
	if (r)
		return r;
	return a->at < b->at ? -1 : a->at > b->at;
}

static size_t path_push_index(struct scan *sc, size_t i)
{
	size_t old = sc->path_len, room = sizeof(sc->path) - old;
	int n = snprintf(sc->path + old, room, "[%zu]", i);

	sc->path_len = n > 0 && (size_t)n < room ? old + (size_t)n :
						   sizeof(sc->path) - 1;
	return old;
}

/* Append ".key", decoded; a path too long for the buffer is cut at a
 * character's end. */
static size_t path_push_key(struct scan *sc, size_t at)
{
	size_t old = sc->path_len, len = old;
	char buf[4];
	uint32_t cp;

	if (len + 1 < sizeof(sc->path))
		sc->path[len++] = '.';
	at++;
	while (string_next(sc, &at, "key", &cp) > 0) {
		bool plain = cp >= 0x20 && cp < 0x110000;
		size_t n = plain ? utf8_encode(cp, buf) : 1;

		if (!plain)
			buf[0] = '?'; /* no control characters or raw bytes */
		if (len + n >= sizeof(sc->path))
			break;
		memcpy(sc->path + len, buf, n);
		len += n;
	}
	sc->path[len] = '\0';
	sc->path_len = len;
	return old;
}

static void path_pop(struct scan *sc, size_t old)
{
	sc->path_len = old;
	sc->path[old] = '\0';
}

static int duplicate(struct scan *sc, size_t at)
{
	path_push_key(sc, at);
	return fail(sc, at, "duplicate key (it repeats an earlier one)");
}

/* Note a key of the object whose keys start at @first; a small object
 * is checked for a repeat right away. */
static int key_add(struct scan *sc, size_t first, size_t at, uint32_t hash)
{
	if (sc->nr_keys == sc->keys_size) {
		size_t size = sc->keys_size ? 2 * sc->keys_size : 32;
		struct key *k = reallocarray(sc->keys, size, sizeof(*k));

		if (!k)
			return -ENOMEM;
		sc->keys = k;
		sc->keys_size = size;
	}
	if (sc->nr_keys - first < JSON_KEYS_LINEAR)
		for (size_t i = first; i < sc->nr_keys; i++)
			if (sc->keys[i].hash == hash &&
			    key_text_cmp(sc, sc->keys[i].at, at) == 0)
				return duplicate(sc, at);
	sc->keys[sc->nr_keys++] = (struct key){ .hash = hash, .at = at };
	return 0;
}

/* A large object, once it ended: sorted, equal keys are neighbours.  Of
 * all repeats, the one that comes first in the text is named. */
static int keys_check_sorted(struct scan *sc, size_t first)
{
	struct key *k = sc->keys + first;
	size_t n = sc->nr_keys - first, bad = SIZE_MAX;

	if (n <= JSON_KEYS_LINEAR)
		return 0;
	qsort_r(k, n, sizeof(*k), key_cmp, sc);
	for (size_t i = 1; i < n; i++)
		if (k[i].hash == k[i - 1].hash &&
		    key_text_cmp(sc, k[i].at, k[i - 1].at) == 0 &&
		    k[i].at < bad)
			bad = k[i].at;
	return bad == SIZE_MAX ? 0 : duplicate(sc, bad);
}

static int scan_value(struct scan *sc);

static int scan_object(struct scan *sc)
{
	size_t first = sc->nr_keys, at, old;
	uint32_t hash;
	int r;

	sc->pos++;
	skip_space(sc);
	if (sc->text[sc->pos] == '}') {
		sc->pos++;
		return 0;
	}
	for (;;) {
		skip_space(sc);
		if (sc->text[sc->pos] != '"')
			return syntax(sc, sc->pos);
		at = sc->pos;
		r = scan_string(sc, "key", &hash);
		if (r < 0)
			return r;
		r = key_add(sc, first, at, hash);
		if (r < 0)
			return r;
		skip_space(sc);
		if (sc->text[sc->pos] != ':')
			return syntax(sc, sc->pos);
		sc->pos++;
		old = path_push_key(sc, at);
		r = scan_value(sc);
		path_pop(sc, old);
		if (r < 0)
			return r;
		skip_space(sc);
		if (sc->text[sc->pos] == '}')
			break;
		if (sc->text[sc->pos] != ',')
			return syntax(sc, sc->pos);
		sc->pos++;
	}
	sc->pos++;
	r = keys_check_sorted(sc, first);
	sc->nr_keys = first;
	return r;
}

static int scan_array(struct scan *sc)
{
	size_t old;
	int r;

	sc->pos++;
	skip_space(sc);
	if (sc->text[sc->pos] == ']') {
		sc->pos++;
		return 0;
	}
	for (size_t i = 0;; i++) {
		old = path_push_index(sc, i);
		r = scan_value(sc);
		path_pop(sc, old);
		if (r < 0)
			return r;
		skip_space(sc);
		if (sc->text[sc->pos] == ']')
			break;
		if (sc->text[sc->pos] != ',')
			return syntax(sc, sc->pos);
		sc->pos++;
	}
	sc->pos++;
	return 0;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(struct scan *sc)
{
	const unsigned char *s = sc->text;
	size_t start = sc->pos, p = start;

	if (s[p] == '-')
		p++;
	if (s[p] == '0')
		p++;
	else if (is_digit(s[p]))
		while (is_digit(s[p]))
			p++;
	else
		return syntax(sc, p);
	if (s[p] == '.') {
		if (!is_digit(s[++p]))
			return syntax(sc, p);
		while (is_digit(s[p]))
			p++;
	}
	if (s[p] == 'e' || s[p] == 'E') {
		p++;
		if (s[p] == '+' || s[p] == '-')
			p++;
		if (!is_digit(s[p]))
			return syntax(sc, p);
		while (is_digit(s[p]))
			p++;
	}
	if (p - start > JSON_NUMBER_MAX)
		return fail(sc, start, "a number longer than %d characters",
			    JSON_NUMBER_MAX);
	sc->pos = p;
	return 0;
}

static int scan_word(struct scan *sc, const char *word)
{
	size_t n = strlen(word);

	if (strncmp((const char *)sc->text + sc->pos, word, n) != 0)
		return syntax(sc, sc->pos);
	sc->pos += n;
	return 0;
}

static int scan_value(struct scan *sc)
{
	unsigned char c;
	int r;

	skip_space(sc);
	c = sc->text[sc->pos];
	switch (c) {
	case '{':
	case '[':
		/* The limit keeps the recursion (here and in cJSON) short. */
		if (sc->depth == JSON_MAX_DEPTH)
			return fail(sc, sc->pos, "nested deeper than %d levels",
				    JSON_MAX_DEPTH);
		sc->depth++;
		r = c == '{' ? scan_object(sc) : scan_array(sc);
		sc->depth--;
		return r;
	case '"':
		return scan_string(sc, "string", NULL);
	case 't':
		return scan_word(sc, "true");
	case 'f':
		return scan_word(sc, "false");
	case 'n':
		return scan_word(sc, "null");
	default:
		if (c == '-' || is_digit(c))
			return scan_number(sc);
		return syntax(sc, sc->pos);
	}
}

int rtvm_json_parse_strict(struct rtvm_ctx *ctx, const char *what,
			   const char *text, unsigned int flags, cJSON **ret)
{
	struct scan sc = {
		.ctx = ctx,
		.what = what,
		.flags = flags,
		.text = (const unsigned char *)text,
	};
	const char *end = NULL;
	cJSON *root;
	int r;

	if (!ctx || !what || !text || !ret)
		return -EINVAL;
	r = scan_value(&sc);
	if (r == 0) {
		skip_space(&sc);
		if (sc.text[sc.pos])
			r = fail(&sc, sc.pos,
				 "trailing data after the JSON document");
	}
	free(sc.keys);
	if (r < 0)
		return r;
	/* The scanner accepted the text: cJSON fails only for memory. */
	root = cJSON_ParseWithOpts(text, &end, 1);
	if (!root)
		return -ENOMEM;
	*ret = root;
	return 0;
}
