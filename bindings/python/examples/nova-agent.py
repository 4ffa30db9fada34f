#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A Nova-like agent: apply a real-time profile to a VM given by its VMM
pid, keep it while the agent runs, and revert it when the agent exits
(SIGTERM, SIGINT, or at once with --once).  The journal in the state
directory lets `rtvm-tune revert pid-PID` undo it even if the agent is
killed."""

import argparse
import json
import signal
import sys

import rtvm


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pid", type=int, required=True, help="the VMM's pid")
    ap.add_argument("--profile", default="nova-rt",
                    help="a built-in profile (nova-rt, rt-host) or a JSON file")
    ap.add_argument("--sysroot", help="act on a simulated host")
    ap.add_argument("--dry-run", action="store_true",
                    help="print the plan, change nothing")
    ap.add_argument("--once", action="store_true",
                    help="apply, print the plan and revert at once")
    args = ap.parse_args(argv)
    ctx = rtvm.Context(args.sysroot)
    try:
        if args.profile in ("nova-rt", "rt-host"):
            profile = rtvm.Profile.builtin(ctx, args.profile)
        else:
            with open(args.profile) as f:
                profile = rtvm.Profile(ctx, f.read())
        vm = ctx.vm(args.pid)
        if args.dry_run:
            print(json.dumps(ctx.tune_plan(profile, vm).as_dict(), indent=2))
            return 0
        sigs = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, sigs)   # taken by sigwait
        with ctx.tune(profile, vm) as plan:
            print("applied %s to %s: %d steps" % (profile.name, plan.vm_id,
                                                   len(plan.changes)))
            sys.stdout.flush()
            if not args.once:
                signal.sigwait(sigs)
        print("reverted %s" % plan.vm_id)
        return 0
    except (rtvm.Error, OSError) as e:
        print("nova-agent: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
