/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * librtvm - prepare a Linux/KVM host for real-time virtual machines.
 *
 * Conventions (see librtvm(3)):
 *  - Functions that can fail return int: >= 0 on success, a negative errno
 *    value on failure.  Outputs go through ret_* pointers, last in the
 *    argument list, and are left untouched on failure.
 *  - Getters lend: a returned "const char *" or "const struct ... *" lives as
 *    long as the object it came from.  Functions named *_dup, *_format_* and
 *    *_to_json hand over memory that the caller releases with free().
 *  - Unknown bits in a flags word are -EINVAL.
 *  - The library never prints, exits or aborts; it logs through the
 *    context's log function (silent unless RTVM_LOG or rtvm_set_log_priority
 *    says otherwise).
 *
 * Every public function is documented in the area header that declares it
 * (rtvm/context.h, rtvm/cpumask.h, ...) with its errors and the privileges
 * it needs.  Users include this header only.
 */
#ifndef RTVM_RTVM_H
#define RTVM_RTVM_H

#include <rtvm/context.h>
#include <rtvm/cpumask.h>
#include <rtvm/host.h>
#include <rtvm/change.h>
#include <rtvm/capture.h>
#include <rtvm/check.h>
#include <rtvm/pmqos.h>
#include <rtvm/vm.h>
#include <rtvm/sched.h>
#include <rtvm/irq.h>
#include <rtvm/shield.h>
#include <rtvm/tune.h>
#include <rtvm/boost.h>
#include <rtvm/monitor.h>

#endif /* RTVM_RTVM_H */
