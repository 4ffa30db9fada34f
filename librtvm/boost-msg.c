/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The boost protocol's messages (rtvm-boost(7)): 32 bytes, little-endian,
 * the same layout for every type.  Only the form is judged here, by the
 * rules of the message's own version.
 */
#include "config.h"

#include <string.h>

#include "librtvm-private.h"

/* Byte offsets of the fields. */
enum {
	OFF_VERSION = 0,
	OFF_TYPE = 1,
	OFF_VCPU = 2,
	OFF_SEQ = 4,
	OFF_POLICY = 8,
	OFF_PRIORITY = 9,
	OFF_STATUS = 10,
	OFF_UNTIL = 12,
	OFF_RUNTIME = 16,
	OFF_DEADLINE = 20,
	OFF_PERIOD = 24,
	OFF_FEATURES = 28,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Requests 1-4; every ACK type, since a malformed request of an unknown
 * type is acknowledged too (type 5 by 0x85). */
static bool type_known(uint8_t type)
{
	return (type & RTVM_BOOST_ACK) ||
	       (type >= RTVM_BOOST_HELLO && type <= RTVM_BOOST_QUERY);
}

RTVM_EXPORT int rtvm_boost_msg_encode(const struct rtvm_boost_msg *m,
				      uint8_t *buf)
{
	if (!m || !buf || !m->version || !type_known(m->type))
		return -EINVAL;
	buf[OFF_VERSION] = m->version;
	buf[OFF_TYPE] = m->type;
	put16(buf + OFF_VCPU, m->vcpu);
	put32(buf + OFF_SEQ, m->seq);
	buf[OFF_POLICY] = m->policy;
	buf[OFF_PRIORITY] = m->priority;
	put16(buf + OFF_STATUS, m->status);
	put32(buf + OFF_UNTIL, m->until_us);
	put32(buf + OFF_RUNTIME, m->runtime_us);
	put32(buf + OFF_DEADLINE, m->deadline_us);
	put32(buf + OFF_PERIOD, m->period_us);
	put32(buf + OFF_FEATURES, m->features);
	return 0;
}

RTVM_EXPORT int rtvm_boost_msg_decode(const uint8_t *buf,
				      struct rtvm_boost_msg *m)
{
	bool unused;

	if (!buf || !m)
		return -EINVAL;
	*m = (struct rtvm_boost_msg){
		.version = buf[OFF_VERSION],
		.type = buf[OFF_TYPE],
		.vcpu = get16(buf + OFF_VCPU),
		.seq = get32(buf + OFF_SEQ),
		.policy = buf[OFF_POLICY],
		.priority = buf[OFF_PRIORITY],
		.status = get16(buf + OFF_STATUS),
		.until_us = get32(buf + OFF_UNTIL),
		.runtime_us = get32(buf + OFF_RUNTIME),
		.deadline_us = get32(buf + OFF_DEADLINE),
		.period_us = get32(buf + OFF_PERIOD),
		.features = get32(buf + OFF_FEATURES),
	};
	if (!m->version || !type_known(m->type))
		return -EBADMSG;
	if (m->type & RTVM_BOOST_ACK)
		return 0;
	/* Requests: every field their type does not use is zero. */
	unused = m->status != 0;
	switch (m->type) {
	case RTVM_BOOST_HELLO:
		unused = unused || m->policy || m->priority || m->until_us ||
			 m->runtime_us || m->deadline_us || m->period_us;
		break;
	case RTVM_BOOST_BOOST:
		/* Version 2 gives the field a meaning: start_us. */
		unused = unused || (m->version < 2 && m->features);
		break;
	default: /* DEBOOST, QUERY */
		unused = unused || m->policy || m->priority || m->until_us ||
			 m->runtime_us || m->deadline_us || m->period_us ||
			 m->features;
		break;
	}
	return unused ? -EBADMSG : 0;
}

RTVM_EXPORT const char *rtvm_boost_reason_to_string(int reason)
{
	static const char *const names[RTVM_BOOST_NR_REASONS] = {
		[RTVM_BOOST_OK] = "ok",
		[RTVM_BOOST_MALFORMED] = "malformed",
		[RTVM_BOOST_BAD_VERSION] = "version",
		[RTVM_BOOST_NO_HELLO] = "no-hello",
		[RTVM_BOOST_BAD_VCPU] = "vcpu",
		[RTVM_BOOST_POLICY] = "policy",
		[RTVM_BOOST_CEILING] = "ceiling",
		[RTVM_BOOST_PARAMS] = "params",
		[RTVM_BOOST_BUDGET] = "budget",
		[RTVM_BOOST_RATE] = "rate",
		[RTVM_BOOST_FAILED] = "failed",
		[RTVM_BOOST_EXPIRED] = "expired",
		[RTVM_BOOST_LEAD] = "lead",
	};

	return reason >= 0 && reason < RTVM_BOOST_NR_REASONS ? names[reason]
							       : NULL;
}

/* ---- the doorbell's region (rtvm-boost(7) DOORBELL) ------------------------ */

enum {
	HDR_LAYOUT = 8,
	HDR_LINES = 10,
	HDR_VECTORS = 12,
};

void rtvm_bell_header_write(uint8_t *mem, unsigned int lines,
			    unsigned int vectors)
{
	memset(mem, 0, RTVM_BOOST_BELL_LINE);
	memcpy(mem, RTVM_BOOST_BELL_MAGIC, 8);
	put16(mem + HDR_LAYOUT, RTVM_BOOST_BELL_LAYOUT);
	put16(mem + HDR_LINES, (uint16_t)lines);
	put16(mem + HDR_VECTORS, (uint16_t)vectors);
}

int rtvm_bell_header_read(const uint8_t *mem, size_t size,
			  unsigned int *ret_lines, unsigned int *ret_vectors)
{
	unsigned int lines;

	if (size < 2 * RTVM_BOOST_BELL_LINE ||
	    memcmp(mem, RTVM_BOOST_BELL_MAGIC, 8) != 0 ||
	    get16(mem + HDR_LAYOUT) != RTVM_BOOST_BELL_LAYOUT)
		return -ENODEV;
	lines = get16(mem + HDR_LINES);
	if (!lines || (lines + 1ull) * RTVM_BOOST_BELL_LINE > size)
		return -ENODEV;
	*ret_lines = lines;
	*ret_vectors = get16(mem + HDR_VECTORS);
	return 0;
}

uint32_t rtvm_bell_load_seq(const uint8_t *half)
{
	uint32_t v = __atomic_load_n((const uint32_t *)(half + OFF_SEQ),
				     __ATOMIC_ACQUIRE);

	return get32((const uint8_t *)&v);
}

/* One half of a line: everything but the seq, then the seq with a
 * store-release, so that whoever loads the new seq sees the rest. */
int rtvm_bell_write_half(uint8_t *half, const struct rtvm_boost_msg *m)
{
	uint8_t buf[RTVM_BOOST_MSG_SIZE];
	uint32_t seq;
	int r = rtvm_boost_msg_encode(m, buf);

	if (r < 0)
		return r;
	memcpy(half, buf, OFF_SEQ);
	memcpy(half + OFF_SEQ + 4, buf + OFF_SEQ + 4,
	       sizeof(buf) - OFF_SEQ - 4);
	memcpy(&seq, buf + OFF_SEQ, 4);
	__atomic_store_n((uint32_t *)(half + OFF_SEQ), seq, __ATOMIC_RELEASE);
	return 0;
}

/* A half as it is now, read once: the other side may be writing it. */
void rtvm_bell_copy_half(uint8_t *dst, const uint8_t *half)
{
	const volatile uint8_t *src = half;

	for (size_t i = 0; i < RTVM_BOOST_MSG_SIZE; i++)
		dst[i] = src[i];
}
