/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tier: the boost protocol's messages (librtvm/boost-msg.c).  The
 * test vectors of rtvm-boost(7), byte for byte in both directions (and
 * that the page shows exactly these), the decoder's verdict on malformed
 * requests, the encoder's refusals, the reason names, and a round trip
 * over pseudo-random buffers checked against a reference decoder written
 * from the page. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SZ RTVM_BOOST_MSG_SIZE

/* ---- helpers ------------------------------------------------------------ */

/* The bytes of a vector in the page's form: "00: " then 16 bytes in two
 * groups of 8, a newline, "10: " and the next 16. */
static void parse_hex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	const char *p = hex;

	while (*p) {
		const char *colon = strchr(p, ':');
		const char *eol = strchr(p, '\n');

		ck_assert_msg(colon && (!eol || colon < eol), "bad vector %s",
			      hex);
		for (p = colon + 1; *p && *p != '\n';) {
			unsigned int v;
			int used;

			if (*p == ' ') {
				p++;
				continue;
			}
			ck_assert_msg(sscanf(p, "%2x%n", &v, &used) == 1 &&
					      used == 2,
				      "bad hex at \"%.8s\"", p);
			ck_assert_uint_lt(n, SZ);
			out[n++] = (uint8_t)v;
			p += 2;
		}
		if (*p == '\n')
			p++;
	}
	ck_assert_uint_eq(n, SZ);
}

/* A buffer in the page's form, for failure messages; static storage
 * (two slots, so that one message can show two buffers). */
static const char *fmt_hex(const uint8_t *b)
{
	static char slots[2][3 * SZ + 8];
	static unsigned int next;
	char *s = slots[next++ % 2];
	size_t len = 0;

	for (unsigned int i = 0; i < SZ; i++)
		len += (size_t)snprintf(s + len, sizeof(slots[0]) - len, "%s%02x",
					i == 0 ? ""
					: i == 16 ? " | "
					: i % 8 == 0 ? "  "
						     : " ",
					b[i]);
	return s;
}

static void expect_msg_eq_at(int line, const char *what,
			     const struct rtvm_boost_msg *got,
			     const struct rtvm_boost_msg *want)
{
#define FIELD(f)                                                             \
	ck_assert_msg(got->f == want->f, "line %d, %s: " #f " is %lu, not %lu", \
		      line, what, (unsigned long)got->f,                     \
		      (unsigned long)want->f)
	FIELD(version);
	FIELD(type);
	FIELD(vcpu);
	FIELD(seq);
	FIELD(policy);
	FIELD(priority);
	FIELD(status);
	FIELD(until_us);
	FIELD(runtime_us);
	FIELD(deadline_us);
	FIELD(period_us);
	FIELD(features);
#undef FIELD
}
#define expect_msg_eq(what, got, want)                                      \
	expect_msg_eq_at(__LINE__, (what), (got), (want))

/* The reference codec, written from rtvm-boost(7) and not from the code:
 * the layout table and the rules of MALFORMED MESSAGES. */
static void ref_put(uint8_t *b, unsigned int off, unsigned int size,
		    uint32_t v)
{
	for (unsigned int i = 0; i < size; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static uint32_t ref_get(const uint8_t *b, unsigned int off, unsigned int size)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint32_t)b[off + i] << (8 * i);
	return v;
}

static void ref_encode(const struct rtvm_boost_msg *m, uint8_t *b)
{
	ref_put(b, 0, 1, m->version);
	ref_put(b, 1, 1, m->type);
	ref_put(b, 2, 2, m->vcpu);
	ref_put(b, 4, 4, m->seq);
	ref_put(b, 8, 1, m->policy);
	ref_put(b, 9, 1, m->priority);
	ref_put(b, 10, 2, m->status);
	ref_put(b, 12, 4, m->until_us);
	ref_put(b, 16, 4, m->runtime_us);
	ref_put(b, 20, 4, m->deadline_us);
	ref_put(b, 24, 4, m->period_us);
	ref_put(b, 28, 4, m->features);
}

static struct rtvm_boost_msg ref_decode(const uint8_t *b)
{
	return (struct rtvm_boost_msg){
		.version = (uint8_t)ref_get(b, 0, 1),
		.type = (uint8_t)ref_get(b, 1, 1),
		.vcpu = (uint16_t)ref_get(b, 2, 2),
		.seq = ref_get(b, 4, 4),
		.policy = (uint8_t)ref_get(b, 8, 1),
		.priority = (uint8_t)ref_get(b, 9, 1),
		.status = (uint16_t)ref_get(b, 10, 2),
		.until_us = ref_get(b, 12, 4),
		.runtime_us = ref_get(b, 16, 4),
		.deadline_us = ref_get(b, 20, 4),
		.period_us = ref_get(b, 24, 4),
		.features = ref_get(b, 28, 4),
	};
}

static bool ref_type_known(uint8_t type)
{
	return (type >= 1 && type <= 4) || (type & 0x80);
}

/* Bytes a request of each type may have nonzero, beyond version, type,
 * vcpu and seq (bytes 0-7). */
static bool ref_byte_used(uint8_t version, uint8_t type, unsigned int i)
{
	if (i < 8)
		return true;
	switch (type) {
	case 1: /* HELLO: features */
		return i >= 28;
	case 2: /* BOOST: all but status and (version 1) features; version 2
		 * has start_us there */
		return i < 10 || (i >= 12 && i < 28) || (version >= 2 && i >= 28);
	default: /* DEBOOST, QUERY */
		return false;
	}
}

static bool ref_wellformed(const uint8_t *b)
{
	if (b[0] == 0 || !ref_type_known(b[1]))
		return false;
	if (b[1] & 0x80)
		return true;
	for (unsigned int i = 0; i < SZ; i++)
		if (b[i] && !ref_byte_used(b[0], b[1], i))
			return false;
	return true;
}

/* ---- the test vectors of rtvm-boost(7) ---------------------------------- */

/* Keep in sync with TEST VECTORS in man/rtvm-boost.7: test_man_page
 * checks that the page shows exactly these, in this order. */
static const struct vector {
	const char *name;
	const char *hex; /* as the page shows it */
	struct rtvm_boost_msg msg;
	int decoded; /* what decode returns */
} vectors[] = {
	{ "HELLO",
	  "00: 01 01 04 00 01 00 00 00  00 00 00 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_HELLO, .vcpu = 4, .seq = 1 }, 0 },
	{ "ACK(HELLO)",
	  "00: 01 81 04 00 01 00 00 00  46 0a 00 00 10 27 00 00\n"
	  "10: 20 a1 07 00 00 00 00 00  40 42 0f 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_HELLO | RTVM_BOOST_ACK, .vcpu = 4,
	    .seq = 1,
	    .policy = RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO) |
		      RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_RR) |
		      RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_DEADLINE),
	    .priority = 10, .until_us = 10000, .runtime_us = 500000,
	    .period_us = 1000000 },
	  0 },
	{ "BOOST FIFO",
	  "00: 01 02 01 00 02 00 00 00  01 0a 00 00 f4 01 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_BOOST, .vcpu = 1, .seq = 2,
	    .policy = RTVM_BOOST_SCHED_FIFO, .priority = 10, .until_us = 500 },
	  0 },
	{ "ACK(BOOST FIFO)",
	  "00: 01 82 01 00 02 00 00 00  01 0a 00 00 f4 01 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_BOOST | RTVM_BOOST_ACK, .vcpu = 1,
	    .seq = 2, .policy = RTVM_BOOST_SCHED_FIFO, .priority = 10,
	    .status = RTVM_BOOST_OK, .until_us = 500 },
	  0 },
	{ "BOOST DEADLINE",
	  "00: 01 02 02 00 03 00 00 00  06 00 00 00 00 00 00 00\n"
	  "10: c8 00 00 00 e8 03 00 00  e8 03 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_BOOST, .vcpu = 2, .seq = 3,
	    .policy = RTVM_BOOST_SCHED_DEADLINE, .runtime_us = 200,
	    .deadline_us = 1000, .period_us = 1000 },
	  0 },
	{ "ACK(BOOST DEADLINE)",
	  "00: 01 82 02 00 03 00 00 00  06 00 00 00 10 27 00 00\n"
	  "10: c8 00 00 00 e8 03 00 00  e8 03 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_BOOST | RTVM_BOOST_ACK, .vcpu = 2,
	    .seq = 3, .policy = RTVM_BOOST_SCHED_DEADLINE, .until_us = 10000,
	    .runtime_us = 200, .deadline_us = 1000, .period_us = 1000 },
	  0 },
	{ "DEBOOST",
	  "00: 01 03 01 00 04 00 00 00  00 00 00 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_DEBOOST, .vcpu = 1, .seq = 4 }, 0 },
	{ "ACK(DEBOOST)",
	  "00: 01 83 01 00 04 00 00 00  00 00 00 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK,
	    .vcpu = 1, .seq = 4 },
	  0 },
	{ "QUERY",
	  "00: 01 04 02 00 05 00 00 00  00 00 00 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_QUERY, .vcpu = 2, .seq = 5 }, 0 },
	{ "ACK(QUERY)",
	  "00: 01 84 02 00 05 00 00 00  06 00 00 00 70 17 00 00\n"
	  "10: c8 00 00 00 e8 03 00 00  e8 03 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_QUERY | RTVM_BOOST_ACK, .vcpu = 2,
	    .seq = 5, .policy = RTVM_BOOST_SCHED_DEADLINE, .until_us = 6000,
	    .runtime_us = 200, .deadline_us = 1000, .period_us = 1000 },
	  0 },
	{ "BOOST above the ceiling",
	  "00: 01 02 01 00 06 00 00 00  01 14 00 00 f4 01 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_BOOST, .vcpu = 1, .seq = 6,
	    .policy = RTVM_BOOST_SCHED_FIFO, .priority = 20, .until_us = 500 },
	  0 },
	{ "ACK(BOOST) CEILING",
	  "00: 01 82 01 00 06 00 00 00  00 00 06 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_BOOST | RTVM_BOOST_ACK, .vcpu = 1,
	    .seq = 6, .status = RTVM_BOOST_CEILING },
	  0 },
	{ "malformed DEBOOST",
	  "00: 01 03 01 00 07 00 00 00  01 00 00 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_DEBOOST, .vcpu = 1, .seq = 7,
	    .policy = RTVM_BOOST_SCHED_FIFO },
	  -EBADMSG },
	{ "ACK(DEBOOST) MALFORMED",
	  "00: 01 83 01 00 07 00 00 00  00 00 01 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK,
	    .vcpu = 1, .seq = 7, .status = RTVM_BOOST_MALFORMED },
	  0 },
	{ "unsolicited ACK(DEBOOST) EXPIRED",
	  "00: 01 83 02 00 03 00 00 00  00 00 0b 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 1, .type = RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK,
	    .vcpu = 2, .seq = 3, .status = RTVM_BOOST_EXPIRED },
	  0 },
	/* version 2 */
	{ "HELLO v2",
	  "00: 02 01 04 00 01 00 00 00  00 00 00 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 2, .type = RTVM_BOOST_HELLO, .vcpu = 4, .seq = 1 }, 0 },
	{ "ACK(HELLO) v2",
	  "00: 02 81 04 00 01 00 00 00  46 0a 00 00 10 27 00 00\n"
	  "10: 20 a1 07 00 a0 86 01 00  40 42 0f 00 00 00 00 00\n",
	  { .version = 2, .type = RTVM_BOOST_HELLO | RTVM_BOOST_ACK, .vcpu = 4,
	    .seq = 1,
	    .policy = RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO) |
		      RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_RR) |
		      RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_DEADLINE),
	    .priority = 10, .until_us = 10000, .runtime_us = 500000,
	    .deadline_us = 100000, .period_us = 1000000 },
	  0 },
	{ "BOOST armed 800 us ahead",
	  "00: 02 02 01 00 02 00 00 00  01 0a 00 00 2c 01 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 20 03 00 00\n",
	  { .version = 2, .type = RTVM_BOOST_BOOST, .vcpu = 1, .seq = 2,
	    .policy = RTVM_BOOST_SCHED_FIFO, .priority = 10, .until_us = 300,
	    .start_us = 800 },
	  0 },
	{ "ACK(BOOST) armed",
	  "00: 02 82 01 00 02 00 00 00  01 0a 00 00 2c 01 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 20 03 00 00\n",
	  { .version = 2, .type = RTVM_BOOST_BOOST | RTVM_BOOST_ACK, .vcpu = 1,
	    .seq = 2, .policy = RTVM_BOOST_SCHED_FIFO, .priority = 10,
	    .until_us = 300, .start_us = 800 },
	  0 },
	{ "BOOST too far ahead",
	  "00: 02 02 02 00 03 00 00 00  01 0a 00 00 2c 01 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 40 0d 03 00\n",
	  { .version = 2, .type = RTVM_BOOST_BOOST, .vcpu = 2, .seq = 3,
	    .policy = RTVM_BOOST_SCHED_FIFO, .priority = 10, .until_us = 300,
	    .start_us = 200000 },
	  0 },
	{ "ACK(BOOST) LEAD",
	  "00: 02 82 02 00 03 00 00 00  00 00 0c 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 2, .type = RTVM_BOOST_BOOST | RTVM_BOOST_ACK, .vcpu = 2,
	    .seq = 3, .status = RTVM_BOOST_LEAD },
	  0 },
	{ "unsolicited ACK(DEBOOST) BUDGET at the start",
	  "00: 02 83 01 00 02 00 00 00  00 00 08 00 00 00 00 00\n"
	  "10: 00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00\n",
	  { .version = 2, .type = RTVM_BOOST_DEBOOST | RTVM_BOOST_ACK,
	    .vcpu = 1, .seq = 2, .status = RTVM_BOOST_BUDGET },
	  0 },
};

START_TEST(test_vector_encode)
{
	const struct vector *v = &vectors[_i];
	uint8_t want[SZ], got[SZ], ref[SZ];

	parse_hex(v->hex, want);
	memset(got, 0xa5, sizeof(got));
	ck_assert_int_eq(rtvm_boost_msg_encode(&v->msg, got), 0);
	ck_assert_msg(memcmp(got, want, SZ) == 0, "%s: encoded %s, page has %s",
		      v->name, fmt_hex(got), fmt_hex(want));
	/* The page's layout table says the same. */
	ref_encode(&v->msg, ref);
	ck_assert_msg(memcmp(ref, want, SZ) == 0, "%s: layout gives %s",
		      v->name, fmt_hex(ref));
}
END_TEST

START_TEST(test_vector_decode)
{
	const struct vector *v = &vectors[_i];
	uint8_t bytes[SZ], again[SZ];
	struct rtvm_boost_msg m;

	parse_hex(v->hex, bytes);
	memset(&m, 0xa5, sizeof(m));
	ck_assert_int_eq(rtvm_boost_msg_decode(bytes, &m), v->decoded);
	expect_msg_eq(v->name, &m, &v->msg);
	ck_assert_int_eq(ref_wellformed(bytes), v->decoded == 0);
	ck_assert_int_eq(rtvm_boost_msg_encode(&m, again), 0);
	ck_assert_msg(memcmp(again, bytes, SZ) == 0, "%s: re-encoded %s",
		      v->name, fmt_hex(again));
}
END_TEST

/* The page's TEST VECTORS are these, each in its own .EX block, and no
 * more (up to the doorbell's). */
START_TEST(test_man_page)
{
	const char *top = getenv("top_srcdir");
	char path[1024], block[256];
	const char *at, *end;
	char *text;
	size_t len = 0, cap = 1 << 16, shown = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/man/rtvm-boost.7",
		 top && *top ? top : ".");
	f = fopen(path, "r");
	if (!f && !top)
		return; /* run by hand outside the source tree */
	ck_assert_msg(f != NULL, "cannot open %s", path);
	text = malloc(cap);
	ck_assert_ptr_nonnull(text);
	for (size_t n; (n = fread(text + len, 1, cap - 1 - len, f)) > 0;) {
		len += n;
		if (len == cap - 1) {
			text = realloc(text, cap *= 2);
			ck_assert_ptr_nonnull(text);
		}
	}
	text[len] = '\0';
	fclose(f);

	at = strstr(text, "\n.SH TEST VECTORS\n");
	ck_assert_msg(at != NULL, "%s has no TEST VECTORS", path);
	for (unsigned int i = 0; i < N(vectors); i++) {
		snprintf(block, sizeof(block), "\n.EX\n%s.EE\n", vectors[i].hex);
		at = strstr(at, block);
		ck_assert_msg(at != NULL,
			      "%s does not show %s (in this order):\n%s", path,
			      vectors[i].name, vectors[i].hex);
		at += strlen(block) - 1;
	}
	/* The doorbell's vectors (lines, not messages) are
	 * unit-boost-doorbell's. */
	end = strstr(strstr(text, "\n.SH TEST VECTORS\n"), "\n.SS Doorbell\n");
	for (at = text; (at = strstr(at, "\n00: ")) != NULL &&
			(!end || at < end); at++)
		shown++;
	ck_assert_msg(shown == N(vectors), "%s shows %zu vectors, the test %zu",
		      path, shown, N(vectors));
	free(text);
}
END_TEST

/* ---- the decoder's verdict ---------------------------------------------- */

/* Messages whose form is wrong: decode says -EBADMSG and still fills in
 * every field (so that a refusal can repeat the type and seq). */
static const struct malformed {
	const char *name;
	struct rtvm_boost_msg msg;
} malformed[] = {
	{ "version 0 HELLO", { .version = 0, .type = 1, .vcpu = 4, .seq = 1 } },
	{ "version 0 BOOST",
	  { .version = 0, .type = 2, .vcpu = 1, .seq = 2, .policy = 1,
	    .priority = 10 } },
	{ "version 0 ACK", { .version = 0, .type = 0x82, .vcpu = 1, .seq = 2 } },
	{ "type 0", { .version = 1, .type = 0, .vcpu = 1, .seq = 9 } },
	{ "type 5", { .version = 1, .type = 5, .vcpu = 1, .seq = 9 } },
	{ "type 0x7f", { .version = 1, .type = 0x7f, .seq = 9 } },
	{ "HELLO with status", { .version = 1, .type = 1, .seq = 1, .status = 1 } },
	{ "BOOST with status",
	  { .version = 1, .type = 2, .vcpu = 1, .seq = 2, .policy = 1,
	    .priority = 10, .status = 0x100 } },
	{ "DEBOOST with status",
	  { .version = 1, .type = 3, .vcpu = 1, .seq = 4, .status = 11 } },
	{ "QUERY with status",
	  { .version = 1, .type = 4, .vcpu = 1, .seq = 5, .status = 0x8000 } },
	{ "HELLO with policy", { .version = 1, .type = 1, .seq = 1, .policy = 1 } },
	{ "HELLO with priority",
	  { .version = 1, .type = 1, .seq = 1, .priority = 10 } },
	{ "HELLO with until", { .version = 1, .type = 1, .seq = 1, .until_us = 1 } },
	{ "HELLO with runtime",
	  { .version = 1, .type = 1, .seq = 1, .runtime_us = 500000 } },
	{ "HELLO with deadline",
	  { .version = 1, .type = 1, .seq = 1, .deadline_us = 1 } },
	{ "HELLO with period",
	  { .version = 1, .type = 1, .seq = 1, .period_us = 1000000 } },
	{ "BOOST with features",
	  { .version = 1, .type = 2, .vcpu = 1, .seq = 2, .policy = 1,
	    .priority = 10, .features = 1 } },
	{ "BOOST with high features",
	  { .version = 1, .type = 2, .vcpu = 1, .seq = 2, .policy = 1,
	    .priority = 10, .features = 0x80000000u } },
	{ "DEBOOST with policy",
	  { .version = 1, .type = 3, .vcpu = 1, .seq = 4, .policy = 1 } },
	{ "DEBOOST with priority",
	  { .version = 1, .type = 3, .vcpu = 1, .seq = 4, .priority = 1 } },
	{ "DEBOOST with until",
	  { .version = 1, .type = 3, .vcpu = 1, .seq = 4, .until_us = 1 } },
	{ "DEBOOST with runtime",
	  { .version = 1, .type = 3, .vcpu = 1, .seq = 4, .runtime_us = 1 } },
	{ "DEBOOST with deadline",
	  { .version = 1, .type = 3, .vcpu = 1, .seq = 4, .deadline_us = 1 } },
	{ "DEBOOST with period",
	  { .version = 1, .type = 3, .vcpu = 1, .seq = 4, .period_us = 1 } },
	{ "DEBOOST with features",
	  { .version = 1, .type = 3, .vcpu = 1, .seq = 4, .features = 1 } },
	{ "QUERY with policy",
	  { .version = 1, .type = 4, .vcpu = 1, .seq = 5, .policy = 6 } },
	{ "QUERY with until",
	  { .version = 1, .type = 4, .vcpu = 1, .seq = 5, .until_us = 100 } },
	{ "QUERY with features",
	  { .version = 1, .type = 4, .vcpu = 1, .seq = 5, .features = 1 } },
};

START_TEST(test_decode_malformed)
{
	const struct malformed *t = &malformed[_i];
	uint8_t bytes[SZ];
	struct rtvm_boost_msg m;

	ref_encode(&t->msg, bytes);
	ck_assert(!ref_wellformed(bytes));
	memset(&m, 0xa5, sizeof(m));
	ck_assert_msg(rtvm_boost_msg_decode(bytes, &m) == -EBADMSG,
		      "%s: not refused", t->name);
	expect_msg_eq(t->name, &m, &t->msg);
}
END_TEST

/* Well-formed messages with every field their type uses set, to the
 * largest values and to a pattern: decode takes them.  ACKs take any
 * fields (a version 0 ACK excepted). */
START_TEST(test_decode_wellformed)
{
	const struct rtvm_boost_msg ok[] = {
		{ .version = 1, .type = 1, .vcpu = 0xffff, .seq = 0xffffffffu,
		  .features = 0xffffffffu },
		{ .version = 0xff, .type = 1, .vcpu = 1, .seq = 1 },
		{ .version = 1, .type = 2, .vcpu = 0xffff, .seq = 0xffffffffu,
		  .policy = 0xff, .priority = 0xff, .until_us = 0xffffffffu,
		  .runtime_us = 0xffffffffu, .deadline_us = 0xffffffffu,
		  .period_us = 0xffffffffu },
		{ .version = 2, .type = 2, .vcpu = 0x1234, .seq = 0x89abcdefu,
		  .policy = 6, .priority = 0, .until_us = 0x01020304,
		  .runtime_us = 0x05060708, .deadline_us = 0x090a0b0c,
		  .period_us = 0x0d0e0f10 },
		{ .version = 1, .type = 3, .vcpu = 0xffff, .seq = 0xffffffffu },
		{ .version = 1, .type = 4, .vcpu = 0xffff, .seq = 0xffffffffu },
		{ .version = 1, .type = 0x81, .vcpu = 1, .seq = 2, .policy = 3,
		  .priority = 4, .status = 5, .until_us = 6, .runtime_us = 7,
		  .deadline_us = 8, .period_us = 9, .features = 10 },
		{ .version = 0xff, .type = 0x82, .vcpu = 0xffff,
		  .seq = 0xffffffffu, .policy = 0xff, .priority = 0xff,
		  .status = 0xffff, .until_us = 0xffffffffu,
		  .runtime_us = 0xffffffffu, .deadline_us = 0xffffffffu,
		  .period_us = 0xffffffffu, .features = 0xffffffffu },
		{ .version = 1, .type = 0x83, .vcpu = 2, .seq = 3, .policy = 1,
		  .status = RTVM_BOOST_NR_REASONS, .features = 1 },
		{ .version = 1, .type = 0x84, .seq = 1, .status = 0x8000,
		  .features = 0xdeadbeefu },
	};

	for (unsigned int i = 0; i < N(ok); i++) {
		uint8_t bytes[SZ], again[SZ];
		struct rtvm_boost_msg m;
		char what[32];

		snprintf(what, sizeof(what), "message %u", i);
		ref_encode(&ok[i], bytes);
		ck_assert(ref_wellformed(bytes));
		memset(&m, 0xa5, sizeof(m));
		ck_assert_msg(rtvm_boost_msg_decode(bytes, &m) == 0,
			      "%s refused: %s", what, fmt_hex(bytes));
		expect_msg_eq(what, &m, &ok[i]);
		ck_assert_int_eq(rtvm_boost_msg_encode(&m, again), 0);
		ck_assert(memcmp(again, bytes, SZ) == 0);
	}
}
END_TEST

/* ---- the encoder's refusals and NULL arguments --------------------------- */

START_TEST(test_encode_refuses)
{
	const struct rtvm_boost_msg bad[] = {
		{ .version = 0, .type = RTVM_BOOST_HELLO, .vcpu = 4, .seq = 1 },
		{ .version = 0, .type = RTVM_BOOST_BOOST | RTVM_BOOST_ACK },
		{ .version = 1, .type = 0 },
		{ .version = 1, .type = 5 },
		{ .version = 1, .type = 0x7f },
	};
	uint8_t buf[SZ], fill[SZ];

	memset(fill, 0xa5, sizeof(fill));
	for (unsigned int i = 0; i < N(bad); i++) {
		memcpy(buf, fill, sizeof(buf));
		ck_assert_msg(rtvm_boost_msg_encode(&bad[i], buf) == -EINVAL,
			      "version %u type 0x%x encoded",
			      bad[i].version, bad[i].type);
		ck_assert_msg(memcmp(buf, fill, SZ) == 0,
			      "refused, yet wrote %s", fmt_hex(buf));
	}
}
END_TEST

START_TEST(test_null_args)
{
	struct rtvm_boost_msg m = { .version = 1, .type = RTVM_BOOST_QUERY };
	struct rtvm_boost_msg out;
	uint8_t buf[SZ] = { 1, RTVM_BOOST_QUERY };

	ck_assert_int_eq(rtvm_boost_msg_encode(NULL, buf), -EINVAL);
	ck_assert_int_eq(rtvm_boost_msg_encode(&m, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_boost_msg_encode(NULL, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_boost_msg_decode(NULL, &out), -EINVAL);
	ck_assert_int_eq(rtvm_boost_msg_decode(buf, NULL), -EINVAL);
	ck_assert_int_eq(rtvm_boost_msg_decode(NULL, NULL), -EINVAL);
	/* The same arguments, complete, work. */
	ck_assert_int_eq(rtvm_boost_msg_encode(&m, buf), 0);
	ck_assert_int_eq(rtvm_boost_msg_decode(buf, &out), 0);
	expect_msg_eq("QUERY", &out, &m);
}
END_TEST

/* ---- the constants on the wire and the reason names ---------------------- */

START_TEST(test_wire_constants)
{
	/* Numbers rtvm-boost(7) gives; changing one breaks every peer. */
	ck_assert_int_eq(RTVM_BOOST_VERSION, 2);
	ck_assert_int_eq(RTVM_BOOST_MSG_SIZE, 32);
	ck_assert_int_eq(RTVM_BOOST_HELLO, 1);
	ck_assert_int_eq(RTVM_BOOST_BOOST, 2);
	ck_assert_int_eq(RTVM_BOOST_DEBOOST, 3);
	ck_assert_int_eq(RTVM_BOOST_QUERY, 4);
	ck_assert_int_eq(RTVM_BOOST_ACK, 0x80);
	ck_assert_int_eq(RTVM_BOOST_OK, 0);
	ck_assert_int_eq(RTVM_BOOST_MALFORMED, 1);
	ck_assert_int_eq(RTVM_BOOST_BAD_VERSION, 2);
	ck_assert_int_eq(RTVM_BOOST_NO_HELLO, 3);
	ck_assert_int_eq(RTVM_BOOST_BAD_VCPU, 4);
	ck_assert_int_eq(RTVM_BOOST_POLICY, 5);
	ck_assert_int_eq(RTVM_BOOST_CEILING, 6);
	ck_assert_int_eq(RTVM_BOOST_PARAMS, 7);
	ck_assert_int_eq(RTVM_BOOST_BUDGET, 8);
	ck_assert_int_eq(RTVM_BOOST_RATE, 9);
	ck_assert_int_eq(RTVM_BOOST_FAILED, 10);
	ck_assert_int_eq(RTVM_BOOST_EXPIRED, 11);
	ck_assert_int_eq(RTVM_BOOST_LEAD, 12);
	ck_assert_int_eq(RTVM_BOOST_NR_REASONS, 13);
	ck_assert_int_eq(RTVM_BOOST_SCHED_OTHER, 0);
	ck_assert_int_eq(RTVM_BOOST_SCHED_FIFO, 1);
	ck_assert_int_eq(RTVM_BOOST_SCHED_RR, 2);
	ck_assert_int_eq(RTVM_BOOST_SCHED_DEADLINE, 6);
	ck_assert_uint_eq(RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_FIFO), 0x02);
	ck_assert_uint_eq(RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_RR), 0x04);
	ck_assert_uint_eq(RTVM_BOOST_ALLOW(RTVM_BOOST_SCHED_DEADLINE), 0x40);
}
END_TEST

START_TEST(test_reason_strings)
{
	/* The names STATUS CODES of rtvm-boost(7) gives. */
	static const char *const names[] = {
		"ok",	  "malformed", "version", "no-hello",
		"vcpu",	  "policy",    "ceiling", "params",
		"budget", "rate",      "failed",  "expired",
		"lead",
	};
	const char *s[RTVM_BOOST_NR_REASONS];

	ck_assert_uint_eq(N(names), RTVM_BOOST_NR_REASONS);
	for (int i = 0; i < RTVM_BOOST_NR_REASONS; i++) {
		s[i] = rtvm_boost_reason_to_string(i);
		ck_assert_msg(s[i] != NULL, "reason %d has no name", i);
		ck_assert_msg(s[i][0] != '\0', "reason %d has an empty name", i);
		ck_assert_str_eq(s[i], names[i]);
		for (int j = 0; j < i; j++)
			ck_assert_msg(strcmp(s[i], s[j]) != 0,
				      "reasons %d and %d are both \"%s\"", j, i,
				      s[i]);
		/* Static: the same pointer every time. */
		ck_assert_ptr_eq(rtvm_boost_reason_to_string(i), s[i]);
	}
	ck_assert_ptr_null(rtvm_boost_reason_to_string(-1));
	ck_assert_ptr_null(rtvm_boost_reason_to_string(RTVM_BOOST_NR_REASONS));
	ck_assert_ptr_null(rtvm_boost_reason_to_string(INT_MIN));
	ck_assert_ptr_null(rtvm_boost_reason_to_string(INT_MAX));
}
END_TEST

/* ---- round trip over pseudo-random buffers -------------------------------- */

static uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

/* A buffer: a third of them uniform, the others mostly zero with a known
 * type, so that well-formed requests come up often too. */
static void random_buffer(uint64_t *state, uint8_t *b)
{
	static const uint8_t types[] = { 1, 2, 3, 4, 0x81, 0x82, 0x83, 0x84 };
	uint64_t kind = xorshift64(state) % 3;

	for (unsigned int i = 0; i < SZ; i++) {
		uint64_t r = xorshift64(state);

		b[i] = kind == 0 || r % 8 == 0 ? (uint8_t)(r >> 32) : 0;
	}
	if (kind != 0) {
		b[1] = types[xorshift64(state) % N(types)];
		if (xorshift64(state) % 16)
			b[0] = 1;
	}
}

START_TEST(test_roundtrip_random)
{
	uint64_t state = 0x2545f4914f6cdd1dull;
	unsigned int good = 0, bad = 0, requests = 0;

	for (unsigned int i = 0; i < 10000; i++) {
		uint8_t bytes[SZ], again[SZ];
		struct rtvm_boost_msg m, want;
		bool wellformed;
		int r;

		random_buffer(&state, bytes);
		wellformed = ref_wellformed(bytes);
		want = ref_decode(bytes);
		r = rtvm_boost_msg_decode(bytes, &m);
		ck_assert_msg(r == (wellformed ? 0 : -EBADMSG),
			      "buffer %u, %s: decode %d", i, fmt_hex(bytes), r);
		expect_msg_eq("random buffer", &m, &want);
		memset(again, 0xa5, sizeof(again));
		if (r == 0) {
			ck_assert_int_eq(rtvm_boost_msg_encode(&m, again), 0);
			ck_assert_msg(memcmp(again, bytes, SZ) == 0,
				      "buffer %u: %s came back as %s", i,
				      fmt_hex(bytes), fmt_hex(again));
			good++;
			requests += !(m.type & RTVM_BOOST_ACK);
		} else if (m.version && ref_type_known(m.type)) {
			/* Malformed for its fields only: they were all
			 * filled in, so encode gives the same bytes. */
			ck_assert_int_eq(rtvm_boost_msg_encode(&m, again), 0);
			ck_assert(memcmp(again, bytes, SZ) == 0);
			bad++;
		} else {
			ck_assert_int_eq(rtvm_boost_msg_encode(&m, again),
					 -EINVAL);
			bad++;
		}
	}
	/* Both verdicts, and requests among the good ones, came up. */
	ck_assert_uint_gt(good, 1000);
	ck_assert_uint_gt(requests, 100);
	ck_assert_uint_gt(bad, 1000);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("boost-msg");
	TCase *tc;

	tc = tcase_create("vectors");
	tcase_add_loop_test(tc, test_vector_encode, 0, (int)N(vectors));
	tcase_add_loop_test(tc, test_vector_decode, 0, (int)N(vectors));
	tcase_add_test(tc, test_man_page);
	suite_add_tcase(s, tc);

	tc = tcase_create("form");
	tcase_add_loop_test(tc, test_decode_malformed, 0, (int)N(malformed));
	tcase_add_test(tc, test_decode_wellformed);
	tcase_add_test(tc, test_encode_refuses);
	tcase_add_test(tc, test_null_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_wire_constants);
	tcase_add_test(tc, test_reason_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60); /* under valgrind */
	tcase_add_test(tc, test_roundtrip_random);
	suite_add_tcase(s, tc);

	return tu_run(s);
}
