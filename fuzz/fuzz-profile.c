/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Profiles (rtvm-profile(5)): what the strict parser accepts it writes back
 * as JSON that it accepts again, to the same text. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtvm_ctx *ctx;
	struct rtvm_profile *p = NULL, *again = NULL;
	char *s = fz_string(data, size), *json = NULL, *json2 = NULL;

	if (!ctx)
		ctx = fz_ctx();
	if (rtvm_profile_new_from_json(ctx, s, &p) == 0) {
		fz_assert(rtvm_profile_to_json(p, &json) == 0);
		fz_assert(rtvm_profile_new_from_json(ctx, json, &again) == 0);
		fz_assert(rtvm_profile_to_json(again, &json2) == 0);
		fz_assert(strcmp(json, json2) == 0);
		rtvm_profile_unref(again);
		rtvm_profile_unref(p);
		free(json);
		free(json2);
	}
	free(s);
	return 0;
}
