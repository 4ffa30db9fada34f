#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libvirt QEMU hook in Python: a domain whose <metadata> holds
<rtvm:profile xmlns:rtvm="https://librtvm.org/xmlns/profile/1"> (builtin="NAME"
or a JSON profile as its text) gets that profile applied once QEMU has started
and reverted when it has stopped; other domains are left alone.

libvirt runs it as "qemu DOMAIN OPERATION SUB-OPERATION EXTRA" with the
domain XML on standard input.  It never calls back into libvirtd: the QEMU
pid comes from libvirt's pid file (run/libvirt/qemu/DOMAIN.pid, inside the
sysroot if one is given) and is kept in the state directory for "stopped".
An example: the installed hook, rtvm-libvirt-hook, also bounds the time an
apply may take.
"""

import argparse
import os
import re
import sys
import xml.etree.ElementTree as ET

import rtvm

NS = "{https://librtvm.org/xmlns/profile/1}"


def find_profile(ctx, xml_text):
    """The Profile the domain XML carries, or None."""
    if not xml_text.strip():
        return None
    meta = ET.fromstring(xml_text).find("metadata")
    el = meta.find(NS + "profile") if meta is not None else None
    if el is None:
        return None
    if el.get("builtin"):
        return rtvm.Profile.builtin(ctx, el.get("builtin"))
    return rtvm.Profile(ctx, (el.text or "").strip())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("domain")
    ap.add_argument("operation")
    ap.add_argument("rest", nargs="*", help="sub-operation, extra")
    ap.add_argument("--sysroot", help="act on a simulated host")
    ap.add_argument("--state-dir", help="journals (default: /run/rtvm)")
    args = ap.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_.+-]+", args.domain) or \
            args.domain.startswith("."):
        print("rtvm hook: %r is not a safe file name" % args.domain,
              file=sys.stderr)
        return 1
    ctx = rtvm.Context(args.sysroot)
    if args.state_dir:
        ctx.set_state_dir(args.state_dir)
    state = args.state_dir or os.path.join(ctx.root, "run/rtvm")
    kept = os.path.join(state, args.domain + ".pid")
    try:
        if args.operation in ("stopped", "release"):
            if os.path.exists(kept):
                with open(kept) as f:
                    ctx.tune_revert("pid-" + f.read().strip())
                os.unlink(kept)
            return 0
        profile = find_profile(ctx, sys.stdin.read())
        if profile is None or args.operation == "prepare":
            return 0            # not a real-time domain, or only checked
        if args.operation not in ("started", "reconnect"):
            return 0
        with open(os.path.join(ctx.root, "run/libvirt/qemu",
                               args.domain + ".pid")) as f:
            pid = int(f.read().strip())
        plan = ctx.tune_apply(profile, ctx.vm(pid))
        os.makedirs(state, exist_ok=True)
        with open(kept, "w") as f:
            f.write("%d\n" % pid)
        print("rtvm hook: %s: %s applied (%d steps)"
              % (args.domain, profile.name, len(plan.changes)),
              file=sys.stderr)
        return 0
    except (rtvm.Error, OSError, ValueError, ET.ParseError) as e:
        print("rtvm hook: %s %s: %s" % (args.domain, args.operation, e),
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
