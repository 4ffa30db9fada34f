# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the Python bindings on fixture sysroots (RTVM_IRQHOST and
RTVM_HOST64 name freshly generated copies; see tests/check-python.sh)."""

import errno
import json
import os
import socket
import tempfile
import threading
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

    def test_boost_messages(self):
        # rtvm-boost(7)'s first test vector
        hello = rtvm.boost_encode(type=rtvm.BOOST_HELLO, vcpu=4, seq=1)
        self.assertEqual(hello, bytes([1, 1, 4, 0, 1, 0, 0, 0]) + bytes(24))
        msg = rtvm.boost_decode(rtvm.boost_encode(
            type=rtvm.BOOST_BOOST, vcpu=1, seq=2, policy=rtvm.SCHED_FIFO,
            priority=10, until_us=500))
        self.assertEqual((msg["vcpu"], msg["seq"], msg["priority"],
                          msg["until_us"]), (1, 2, 10, 500))
        with self.assertRaises(rtvm.Error) as e:
            rtvm.boost_decode(bytes(32))  # version 0
        self.assertEqual(e.exception.errno, errno.EBADMSG)
        with self.assertRaises(rtvm.Error):
            rtvm.boost_encode(type=9)
        self.assertEqual(rtvm.boost_reason(6), "ceiling")
        self.assertIsNone(rtvm.boost_reason(99))

    def test_boost_guest(self):
        # A fake host end: answers HELLO with its limits, and each BOOST
        # with OK, or CEILING above priority 10.
        d = tempfile.mkdtemp()
        path = os.path.join(d, "boost.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(path)
        srv.listen(1)
        seen = []

        def host():
            conn, _ = srv.accept()
            with conn:
                while True:
                    data = conn.recv(32, socket.MSG_WAITALL)
                    if len(data) < 32:
                        return
                    req = rtvm.boost_decode(data)
                    seen.append(req)
                    ack = dict(type=req["type"] | rtvm.BOOST_ACK,
                               seq=req["seq"], vcpu=req["vcpu"])
                    if req["type"] == rtvm.BOOST_HELLO:
                        ack.update(vcpu=2, policy=1 << rtvm.SCHED_FIFO,
                                   priority=10, until_us=10000)
                    elif req["priority"] > 10:
                        ack.update(status=6)
                    else:
                        ack.update(policy=req["policy"],
                                   priority=req["priority"])
                    conn.sendall(rtvm.boost_encode(**ack))

        t = threading.Thread(target=host, daemon=True)
        t.start()
        try:
            with rtvm.BoostGuest(path, timeout_ms=5000) as g:
                self.assertEqual((g.limits["vcpu"], g.limits["priority"]),
                                 (2, 10))
                ack = g.boost(1, rtvm.SCHED_FIFO, 5)
                self.assertEqual((ack["status"], ack["priority"]), (0, 5))
                ack = g.boost(1, rtvm.SCHED_FIFO, 50)
                self.assertEqual(rtvm.boost_reason(ack["status"]), "ceiling")
                self.assertEqual(g.deboost(1)["status"], 0)
        finally:
            t.join(10)
            srv.close()
            os.unlink(path)
            os.rmdir(d)
        self.assertEqual([m["type"] for m in seen], [1, 2, 2, 3])
        self.assertEqual(seen[1]["seq"] + 1, seen[2]["seq"])
        with self.assertRaises(rtvm.Error) as e:
            rtvm.BoostGuest(path, timeout_ms=100)
        self.assertEqual(e.exception.errno, errno.ENOENT)


if __name__ == "__main__":
    unittest.main(verbosity=2)
