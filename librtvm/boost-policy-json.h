/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A boost policy (struct rtvm_boost_policy) as a JSON object: the keys of
 * a profile's "boost" (rtvm-profile(5)) and of an rtvm-boostd VM's
 * "policy" (rtvm-boostd(8)).  One validator for both: the library's
 * profile parser and the daemon (which links only the public library, so
 * it compiles this file in) report its errors each in their own way.
 * It uses nothing but cJSON and <rtvm/boost.h>: no context, no logging.
 */
#ifndef RTVM_BOOST_POLICY_JSON_H
#define RTVM_BOOST_POLICY_JSON_H

#include <stddef.h>

#include <rtvm/boost.h>

struct cJSON;

/* Where and why an object was refused. */
struct boost_policy_json_error {
	char where[64]; /* below the object: "", ".rate", ".policies[1]" */
	char what[160]; /* with the value: "120 is not a whole number in 0..99" */
};

/* Set the members of @pol that @o names, leaving the others as they are
 * (so that a caller can lay one object over defaults from another), then
 * check the result as a whole.  @pol->size is set.  A "policies" list
 * replaces the mask it had.  Returns 0; -EINVAL with @e filled (not an
 * object, an unknown key, a bad value, a budget longer than its period or
 * without one); -ENOMEM. */
int boost_policy_from_json(const struct cJSON *o,
			   struct rtvm_boost_policy *pol,
			   struct boost_policy_json_error *e);

#endif
