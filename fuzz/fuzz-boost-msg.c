/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The boost protocol's messages (rtvm-boost(7)): a message that decodes
 * encodes to the same 32 bytes. */
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[RTVM_BOOST_MSG_SIZE] = {0}, out[RTVM_BOOST_MSG_SIZE];
	struct rtvm_boost_msg m;

	memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
	if (rtvm_boost_msg_decode(buf, &m) == 0) {
		fz_assert(rtvm_boost_msg_encode(&m, out) == 0);
		fz_assert(memcmp(buf, out, sizeof(buf)) == 0);
	}
	return 0;
}
