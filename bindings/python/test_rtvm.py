# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the Python bindings on fixture sysroots (RTVM_IRQHOST and
RTVM_HOST64 name freshly generated copies; see tests/check-python.sh)."""

import json
import os
import unittest

import rtvm


def read(root, rel):
    with open(os.path.join(root, rel)) as f:
        return f.read().strip()


class Bindings(unittest.TestCase):
    def setUp(self):
        self.irqroot = os.environ["RTVM_IRQHOST"]
        self.hostroot = os.environ["RTVM_HOST64"]

    def test_version_and_errors(self):
        self.assertRegex(rtvm.version(), r"^\d+\.\d+")
        with self.assertRaises(rtvm.Error) as e:
            rtvm.Context(sysroot="relative/dir")
        self.assertEqual(e.exception.errno, 22)
        self.assertIn("rtvm_set_root", str(e.exception))
        ctx = rtvm.Context(self.irqroot)
        with self.assertRaises(rtvm.Error) as e:
            ctx.steer_irqs(away_from="0-99", dry_run=True)
        self.assertEqual(e.exception.errno, 22)
        self.assertIn("0-99", str(e.exception))

    def test_cpus_and_irqs(self):
        ctx = rtvm.Context(self.irqroot)
        self.assertEqual(ctx.online_cpus(), "0-62")
        irqs = ctx.irqs()
        byno = {q["irq"]: q for q in irqs if q["irq"] is not None}
        self.assertEqual(byno[125]["name"], "eth0-TxRx-3")
        self.assertEqual(byno[125]["driver"], "ice")
        self.assertEqual(byno[125]["netdev"], "eth0")
        self.assertEqual(byno[125]["affinity"], "4")
        self.assertTrue(byno[29]["managed"])
        self.assertFalse(byno[29]["movable"])
        self.assertIn("LOC", [q["name"] for q in irqs if q["kind"] == "system"])

    def test_steer_and_restore(self):
        ctx = rtvm.Context(self.irqroot)
        before = read(self.irqroot, "proc/irq/125/smp_affinity_list")
        moves, _ = ctx.steer_irqs(away_from="4-7", dry_run=True)
        self.assertTrue(all(m["status"] in ("moved", "failed") for m in moves))
        self.assertEqual(read(self.irqroot, "proc/irq/125/smp_affinity_list"),
                         before)
        moves, changes = ctx.steer_irqs(away_from="4-7", to_rt=["net:eth1"])
        byno = {m["irq"]: m for m in moves}
        self.assertEqual(byno[125]["status"], "moved")
        self.assertEqual(byno[125]["wanted"], "0-3,8-62")
        self.assertEqual(byno[190]["wanted"], "4-7")
        self.assertEqual(byno[29]["error_class"], "unmovable")
        self.assertEqual(read(self.irqroot, "proc/irq/125/smp_affinity_list"),
                         "0-3,8-62")
        # Saved, loaded back and undone: the files as they were.
        again = rtvm.Changeset.from_json(ctx, changes.to_json())
        self.assertEqual(len(again), len(changes))
        self.assertTrue(any(r["kind"] == "irq_affinity" and r["target"] == "125"
                            for r in again.records()))
        again.restore()
        self.assertEqual(read(self.irqroot, "proc/irq/125/smp_affinity_list"),
                         before)
        self.assertEqual(read(self.irqroot, "proc/irq/190/smp_affinity_list"),
                         "0-63")

    def test_check(self):
        ctx = rtvm.Context(self.hostroot)
        report = ctx.check(rt_cpus="2-15,34-47", only="cmdline.")
        self.assertIn(report["verdict"], ("pass", "warn", "fail"))
        ids = [r["id"] for r in report["checks"]]
        self.assertTrue(ids and all(i.startswith("cmdline.") for i in ids))
        json.dumps(report)

    def test_vm(self):
        ctx = rtvm.Context(self.hostroot)
        vm = ctx.vm(4242)
        vcpus = [t for t in vm.threads() if t["role"] == "vcpu"]
        self.assertEqual(sorted(t["index"] for t in vcpus), [0, 1])
        changes = rtvm.Changeset(ctx)
        # The fixture's vCPUs are FIFO 1 on CPUs 2 and 3.
        vm.set_sched(rtvm.ROLE_VCPU, rtvm.SCHED_FIFO, 5, vcpus=[1],
                     changes=changes)
        vm.pin(rtvm.ROLE_VCPU, "4-5", one_to_one=True, changes=changes)
        self.assertEqual(len(changes), 3)
        log = read(self.hostroot, "rtvm-syscalls.log")
        self.assertIn("sched_setattr", log)
        changes.restore()
        with self.assertRaises(rtvm.Error) as e:
            ctx.vm(999999)
        self.assertIn(e.exception.errno, (2, 3))


if __name__ == "__main__":
    unittest.main(verbosity=2)
