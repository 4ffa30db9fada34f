# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the Python bindings on fixture sysroots (RTVM_IRQHOST and
RTVM_HOST64 name freshly generated copies; see tests/check-python.sh)."""

import errno
import json
import os
import shutil
import subprocess
import socket
import struct
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


_generated = {}


def fresh(name):
    """A new copy of a generated fixture (tests/fixtures/gen-NAME.sh),
    generated once per run and copied for each test."""
    if name not in _generated:
        d = tempfile.mkdtemp(prefix="rtvm-py-gen-")
        _generated[name] = os.path.join(d, name)
        subprocess.run(["sh", os.path.join(os.environ["RTVM_FIXTURES"],
                                           "gen-%s.sh" % name),
                        _generated[name]],
                       check=True, stdout=subprocess.DEVNULL)
    root = os.path.join(tempfile.mkdtemp(prefix="rtvm-py-"), name)
    shutil.copytree(_generated[name], root, symlinks=True)
    return root


def tearDownModule():
    for root in _generated.values():
        shutil.rmtree(os.path.dirname(root))


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class Areas(unittest.TestCase):
    """The areas beyond the first binding, each on a fresh fixture."""

    def setUp(self):
        self.roots = []

    def tearDown(self):
        for r in self.roots:
            shutil.rmtree(os.path.dirname(r))

    def root(self, name):
        r = fresh(name)
        self.roots.append(r)
        return r

    def test_masks(self):
        m = rtvm.CpuMask(64, "0-3,8")
        self.assertEqual(str(m), "0-3,8")
        self.assertEqual(list(m), [0, 1, 2, 3, 8])
        self.assertEqual((len(m), 8 in m, 9 in m), (5, True, False))
        self.assertEqual(m.hex(), "00000000,0000010f")
        self.assertEqual(str(m - "2-3"), "0-1,8")
        self.assertEqual(str(m & [1, 8, 9]), "1,8")
        self.assertEqual(str(m | "10"), "0-3,8,10")
        self.assertEqual(str(m ^ "0-1"), "2-3,8")
        self.assertTrue(rtvm.CpuMask(64, "1-2") <= m)
        self.assertFalse(m <= "1-2")
        self.assertTrue(m.isdisjoint("4-7"))
        m.add(20)
        m.discard(0)
        self.assertEqual(m, "1-3,8,20")
        h = rtvm.CpuMask(64)
        h.parse_hex("ff")
        self.assertEqual(h, rtvm.CpuMask(64, range(8)))
        with self.assertRaises(rtvm.Error) as e:
            m.parse_list("3-1")
        self.assertEqual(e.exception.errno, errno.EINVAL)
        self.assertEqual(m, "1-3,8,20")   # unchanged
        ctx = rtvm.Context(self.hostroot())
        self.assertEqual(ctx.mask("0").nr_cpus, 64)

    def hostroot(self):
        return os.environ["RTVM_HOST64"]

    def test_context_and_log(self):
        ctx = rtvm.Context(self.hostroot())
        self.assertEqual(ctx.root, os.path.realpath(self.hostroot()))
        self.assertEqual(ctx.log_priority, rtvm.LOG_ERR)
        ctx.log_priority = rtvm.LOG_DEBUG
        self.assertEqual(ctx.log_priority, rtvm.LOG_DEBUG)
        with self.assertRaises(rtvm.Error):
            ctx.log_priority = 9
        ctx.log_priority = rtvm.LOG_ERR
        # The library's own message reaches rtvm.Error and the logger.
        with self.assertLogs("rtvm", "ERROR") as logs:
            with self.assertRaises(rtvm.Error) as e:
                rtvm.Profile(ctx, '{"version": 1, "bogus_key": 1}')
        self.assertEqual(e.exception.errno, errno.EINVAL)
        self.assertIn("bogus_key", e.exception.message)
        self.assertIn("bogus_key", str(e.exception))
        self.assertTrue(any("bogus_key" in o for o in logs.output))
        # ... and belongs to that call only.
        with self.assertRaises(rtvm.Error) as e:
            ctx.vm(-1)
        self.assertNotIn("bogus_key", str(e.exception))

    def test_host(self):
        root = self.hostroot()
        host = rtvm.Context(root).host()
        self.assertEqual(host.cpus(rtvm.CpuSet.ONLINE), read(root,
                         "sys/devices/system/cpu/online"))
        cpu = host.cpu(2)
        self.assertEqual(cpu.id, 2)
        self.assertTrue(cpu.online)
        self.assertEqual(cpu.core_id, int(read(
            root, "sys/devices/system/cpu/cpu2/topology/core_id")))
        self.assertEqual(cpu.siblings, read(
            root, "sys/devices/system/cpu/cpu2/topology/thread_siblings_list"))
        self.assertEqual(len(list(host)), 64)
        self.assertIsInstance(cpu.core_type, rtvm.CoreType)
        for s in cpu.idle_states:
            self.assertIsInstance(s.exit_latency_us, int)
        self.assertEqual(host.cmdline, read(root, "proc/cmdline"))
        params = dict(host.cmdline_params())
        key = next(iter(params))
        self.assertEqual(host.cmdline_param(key), params[key])
        with self.assertRaises(rtvm.Error) as e:
            host.cmdline_param("no_such_param_here")
        self.assertEqual(e.exception.errno, errno.ENOENT)
        t = host.thread(4250)
        self.assertEqual((t.pid, t.comm), (4242, "CPU 0/KVM"))
        self.assertEqual(t.policy, rtvm.Policy.FIFO)
        self.assertEqual(len(host), len(list(host.threads())))
        self.assertTrue(any(x.kthread for x in host.threads()))
        self.assertIsNotNone(t.affinity)

    def test_vm_and_sched(self):
        root = self.root("host64")
        ctx = rtvm.Context(root)
        vm = ctx.vm(4242)
        self.assertEqual((vm.pid, vm.vmm, vm.name), (4242, "qemu", None))
        self.assertEqual(vm.nr_vcpus, 2)
        self.assertEqual(vm.vcpu_tid(0), 4250)
        roles = {t.tid: t.role for t in vm}
        self.assertEqual(roles[4250], rtvm.Role.VCPU)
        self.assertEqual(roles[4242], rtvm.Role.EMULATOR)
        self.assertFalse(vm.refresh())
        a = ctx.get_sched(4242, 4250)
        self.assertEqual((a.policy, a.priority), (rtvm.Policy.FIFO, 1))
        with rtvm.Changeset(ctx) as cs:
            ctx.set_sched(4242, 4250, rtvm.Policy.FIFO, 7, changes=cs)
            ctx.set_affinity(4242, 4250, "5", changes=cs)
        self.assertEqual(ctx.get_sched(4242, 4250).priority, 7)
        kinds = [c.kind for c in cs]
        self.assertEqual(kinds, [rtvm.ChangeKind.THREAD_SCHED,
                                 rtvm.ChangeKind.THREAD_AFFINITY])
        self.assertEqual([c.name for c in cs],
                         ["thread_sched", "thread_affinity"])
        cs.restore()
        self.assertEqual(ctx.get_sched(4242, 4250).priority, 1)
        # A with block that fails restores what it changed.
        with self.assertRaises(ZeroDivisionError):
            with rtvm.Changeset(ctx) as cs:
                ctx.set_sched(4242, 4251, rtvm.Policy.FIFO, 9, changes=cs)
                1 / 0
        self.assertEqual(ctx.get_sched(4242, 4251).priority, 1)
        with self.assertRaises(rtvm.Error) as e:
            ctx.set_sched(4242, 4250, rtvm.Policy.FIFO, 120)
        self.assertEqual(e.exception.errno, errno.EINVAL)
        with self.assertRaises(rtvm.Error) as e:
            ctx.libvirt_vm("vm1", uri="qemu+ssh://elsewhere/system")
        self.assertEqual(e.exception.errno, errno.EOPNOTSUPP)

    def test_sysctl_and_changesets(self):
        root = self.root("irqhost")
        write(root, "proc/sys/kernel/timer_migration", "1\n")
        ctx = rtvm.Context(root)
        self.assertEqual(ctx.sysctl("kernel.timer_migration"), "1")
        a, b = rtvm.Changeset(ctx), rtvm.Changeset(ctx)
        ctx.set_sysctl("kernel.timer_migration", 0, changes=a)
        self.assertEqual(read(root, "proc/sys/kernel/timer_migration"), "0")
        ctx.set_irq_affinity(125, "0-1", changes=b)
        a.append(b)
        self.assertEqual((len(a), len(b)), (2, 0))
        self.assertEqual([(c.kind, c.target, c.old, c.new) for c in a],
                         [(rtvm.ChangeKind.SYSCTL, "kernel.timer_migration",
                           "1", "0"),
                          (rtvm.ChangeKind.IRQ_AFFINITY, "125", "4", "0-1")])
        a.restore()
        self.assertEqual(read(root, "proc/sys/kernel/timer_migration"), "1")
        self.assertEqual(read(root, "proc/irq/125/smp_affinity_list"), "4")
        with self.assertRaises(rtvm.Error) as e:
            ctx.sysctl("../etc")
        self.assertEqual(e.exception.errno, errno.EINVAL)

    def test_check_report(self):
        ctx = rtvm.Context(self.hostroot())
        rep = ctx.check_report(rt_cpus="2-15,34-47", only="cmdline.")
        results = list(rep)
        self.assertTrue(results)
        self.assertEqual(rep.rt_cpus, "2-15,34-47")
        self.assertIn(rep.verdict, (rtvm.CheckStatus.PASS,
                                    rtvm.CheckStatus.WARN,
                                    rtvm.CheckStatus.FAIL))
        self.assertEqual(sum(rep.count(s) for s in rtvm.CheckStatus),
                         len(results))
        first = results[0]
        self.assertEqual(rep[first.id], first)
        self.assertEqual(rtvm.status_name(first.status), first.status.name.lower())
        with self.assertRaises(KeyError):
            rep["no.such.check"]
        doc = json.loads(rep.to_json())
        self.assertEqual([c["id"] for c in doc["checks"]],
                         [r.id for r in results])

    def test_irq_objects(self):
        root = self.root("irqhost")
        ctx = rtvm.Context(root)
        irqs = ctx.irq_inventory()
        q = irqs[125]
        self.assertEqual((q.number, q.name, q.kind),
                         (125, "eth0-TxRx-3", rtvm.IrqKind.DEVICE))
        self.assertTrue(q.match("net:eth0") and q.match("driver:ice"))
        self.assertFalse(q.match("net:eth1"))
        with self.assertRaises(rtvm.Error):
            q.match("7-3")
        self.assertEqual(q.affinity, "4")
        self.assertEqual(q.total, sum(q.count(c) for c in range(64)))
        self.assertEqual(irqs.unparsed, (0, 0))
        with self.assertRaises(KeyError):
            irqs[99999]
        self.assertIn("LOC", [x.name for x in irqs if x.number is None])
        rep, changes = ctx.steer_irqs(away_from="4-7", default_affinity=True)
        self.assertEqual(rep.tally["moved"],
                         sum(m["status"] == "moved" for m in rep))
        self.assertIsNotNone(rep.default_affinity)
        changes.restore()
        ib = ctx.irqbalance()
        self.assertIsInstance(ib.source, rtvm.IrqBalanceSource)
        self.assertIsInstance(ib.ban_kind, rtvm.IrqBalanceBan)
        self.assertIsInstance(ib.fights("4-7"), bool)
        with ctx.irq_watch(away_from="4-7", interval_ms=100000) as w:
            self.assertGreaterEqual(w.fileno(), 0)
            n, _ = w.dispatch()
            self.assertGreaterEqual(n, 0)

    def test_pm_qos(self):
        root = self.root("irqhost")
        rel = "sys/devices/system/cpu/cpu%d/power/pm_qos_resume_latency_us"
        for cpu in (4, 5):
            write(root, rel % cpu, "100\n")
        ctx = rtvm.Context(root)
        with ctx.pm_qos_hold("4-5", 0) as hold:
            # 0 us: the shallowest state only, which the kernel spells n/a
            self.assertEqual(read(root, rel % 4), "n/a")
            self.assertEqual([c.old for c in hold.changes], ["100", "100"])
        self.assertEqual(read(root, rel % 4), "100")
        self.assertEqual(read(root, rel % 5), "100")

    def test_shield(self):
        root = self.root("host64")
        wq = "sys/devices/virtual/workqueue"
        for f in ("cpumask", "writeback/cpumask"):
            write(root, os.path.join(wq, f), "ffffffff,ffffffff\n")
        ctx = rtvm.Context(root)
        dry = ctx.shield_create("4-15,36-47", dry_run=True)
        self.assertFalse(dry.active)
        self.assertFalse(ctx.shield_status().active)
        with ctx.shield("4-15,36-47") as sh:
            rep = sh.report
            self.assertTrue(rep.active)
            self.assertEqual((rep.cgroup_version, rep.cgroup),
                             (1, "cpuset:/rtvm-rt"))
            self.assertEqual(rep.housekeeping, "0-3,16-35,48-62")
            self.assertEqual(rep.counts["moved"],
                             sum(i.kind == rtvm.ShieldItemKind.MOVED
                                 for i in rep))
            self.assertEqual(rep.total, len(rep.items))
            self.assertGreater(len(sh.changes), 0)
            sh.add_threads([4250])
            st = ctx.shield_status()
            self.assertTrue(st.active)
            self.assertIn(4250, [i.tid for i in st
                                 if i.kind == rtvm.ShieldItemKind.IN_RT])
            hk = rtvm.CpuMask(64, "0-3,16-35,48-62")
            self.assertEqual(read(root, os.path.join(wq, "cpumask")),
                             hk.hex())
            with self.assertRaises(rtvm.Error) as e:
                ctx.shield_create("4-15")
            self.assertEqual(e.exception.errno, errno.EEXIST)
        self.assertFalse(ctx.shield_status().active)
        self.assertEqual(read(root, os.path.join(wq, "cpumask")),
                         "ffffffff,ffffffff")

    PROFILE = {"version": 1, "name": "t", "rt_cpus": "2-3",
               "housekeeping_cpus": "0-1",
               "policies": {"rt_vcpu": {"policy": "fifo", "priority": 5}},
               "host": {"sched_rt_runtime_us": -1, "timer_migration": 0}}

    def test_profiles_and_tune(self):
        root = self.root("irqhost")
        write(root, "proc/sys/kernel/sched_rt_runtime_us", "950000\n")
        write(root, "proc/sys/kernel/timer_migration", "1\n")
        ctx = rtvm.Context(root)
        p = rtvm.Profile(ctx, self.PROFILE)
        self.assertEqual(p.name, "t")
        self.assertIsNone(p.vm)
        self.assertEqual(json.loads(p.to_json())["rt_cpus"], "2-3")
        self.assertEqual(rtvm.Profile.builtin(ctx, "nova-rt").name, "nova-rt")
        names = [n for n, _ in rtvm.Profile.builtins()]
        self.assertEqual(names, ["rt-host", "nova-rt", "kubevirt-rt"])
        for n, desc in rtvm.Profile.builtins():
            self.assertEqual(rtvm.Profile.builtin(ctx, n).name, n)
            self.assertTrue(desc)
        with self.assertRaises(rtvm.Error) as e:
            rtvm.Profile.builtin(ctx, "nope")
        self.assertEqual(e.exception.errno, errno.ENOENT)
        sel = dict(self.PROFILE, vm={"pid": 4242})
        self.assertEqual(rtvm.Profile(ctx, sel).vm, (None, None, 4242))
        self.assertIsNone(p.boost_policy)
        boosted = dict(self.PROFILE, boost={"policies": ["fifo"],
                                            "max_priority": 20, "rate": 100})
        pol = rtvm.Profile(ctx, boosted).boost_policy
        self.assertEqual((pol["policies"], pol["max_priority"], pol["rate"],
                          pol["burst"]), (1 << 1, 20, 100, 0))
        self.assertIsNone(rtvm.Profile(ctx, dict(self.PROFILE,
                                                 boost={})).boost_policy)
        vm = ctx.vm(4242)
        plan = ctx.tune_plan(p, vm)
        self.assertEqual((plan.vm_id, plan.applied), ("pid-4242", False))
        steps = {c.target: c for c in plan.changes}
        self.assertEqual((steps["kernel.sched_rt_runtime_us"].old,
                          steps["kernel.sched_rt_runtime_us"].new),
                         ("950000", "-1"))
        self.assertEqual(len(plan.as_dict()["steps"]), len(plan.changes))
        journal = os.path.join(root, "run/rtvm/pid-4242.journal")
        with ctx.tune(p, vm) as applied:
            self.assertTrue(os.path.exists(journal))
            self.assertEqual(read(root, "proc/sys/kernel/sched_rt_runtime_us"),
                             "-1")
            self.assertEqual(ctx.get_sched(4242, 4250).priority, 5)
            again = ctx.tune_apply(p, vm)
            self.assertTrue(again.applied)
            self.assertEqual(again.drift_count, 0)
            status = ctx.tune_status()
            self.assertEqual([v["vm"] for v in status["vms"]], ["pid-4242"])
            self.assertEqual(applied.vm_id, "pid-4242")
            # drift, put back by reconcile
            write(root, "proc/sys/kernel/sched_rt_runtime_us", "950000\n")
            rec = ctx.tune_reconcile("pid-4242")
            self.assertEqual(rec["failed"], 0)
            self.assertEqual([(d["target"], d["now"], d["result"])
                              for d in rec["vms"][0]["reconciled"]],
                             [("kernel.sched_rt_runtime_us", "950000",
                               "put back")])
            self.assertEqual(read(root, "proc/sys/kernel/sched_rt_runtime_us"),
                             "-1")
        self.assertFalse(os.path.exists(journal))
        self.assertEqual(read(root, "proc/sys/kernel/sched_rt_runtime_us"),
                         "950000")
        self.assertEqual(ctx.get_sched(4242, 4250).priority, 1)
        with self.assertRaises(rtvm.Error) as e:
            ctx.tune_revert("pid-4242")
        self.assertEqual(e.exception.errno, errno.ENOENT)
        other = os.path.join(os.path.dirname(root), "state")
        ctx.set_state_dir(other)
        with ctx.tune(p, vm):
            self.assertTrue(os.path.exists(
                os.path.join(other, "pid-4242.journal")))

    def test_monitor(self):
        root = self.root("host64")
        ctx = rtvm.Context(root)

        def snap(k, up):
            write(root, "proc/uptime", "%s 100.00\n" % up)
            write(root, "proc/stat",
                  "cpu  %d 0 0 1000 0 0 0 0 0 0\n" % (10 * k) +
                  "".join("cpu%d %d 0 0 500 0 0 0 0 0 0\n" % (c, 10 * k * c)
                          for c in range(4)))
            write(root, "proc/interrupts",
                  "           CPU0       CPU1       CPU2       CPU3\n"
                  "LOC:  %d 0 %d 0   Local timer interrupts\n" % (k, 5 * k))
            for tid, ns in ((4250, 1000000), (4251, 500000),
                            (4252, 1000), (4253, 0), (4242, 0)):
                write(root, "proc/4242/task/%d/schedstat" % tid,
                      "%d %d %d\n" % (ns * k, 2000 * k, 10 * k))

        snap(1, "1000.00")
        os.makedirs(os.path.join(root, "dev/cpu/2"), exist_ok=True)

        def msr(count):
            with open(os.path.join(root, "dev/cpu/2/msr"), "wb") as f:
                f.write(bytes(0x34) + count.to_bytes(8, "little"))

        msr(5)
        write(root, "proc/sys/kernel/sched_rt_runtime_us", "950000\n")
        write(root, "proc/sys/kernel/sched_rt_period_us", "1000000\n")
        with ctx.monitor(cpus=True, smi=True, rt_limit=True) as m:
            vid = m.add_vm(ctx.vm(4242), "2-3")
            self.assertEqual(vid, 1)
            m.sample()
            self.assertEqual(m.interval_ns, 0)
            snap(3, "1001.50")
            msr(9)
            m.sample()
            self.assertEqual(m.interval_ns, 1500000000)
            smi = {c["cpu"]: (c["smis"], c["smi_error"]) for c in m.cpus()}
            self.assertEqual(smi[2], (4, 0))
            self.assertEqual(smi[3], (0, -errno.ENOENT))
            self.assertEqual(smi[0], (0, -errno.ENODATA))
            threads = {t["tid"]: t for t in m.threads()}
            self.assertEqual(threads[4250]["cpu_ns"], 2000000)
            self.assertEqual(threads[4250]["role"], rtvm.Role.VCPU)
            self.assertEqual(threads[4250]["index"], 0)
            self.assertEqual(threads[4251]["run_delay_ns"], 4000)
            # FIFO vCPUs: the host's RT limit, not reached
            self.assertEqual(threads[4250]["rt_limit"],
                             (950000, 1000000, False))
            self.assertIsNone(threads[4252]["rt_limit"])
            vms = list(m.vms())
            self.assertEqual((vms[0]["pid"], vms[0]["rt_cpus"]), (4242, "2-3"))
            self.assertFalse(vms[0]["gone"])
            cpus = list(m.cpus())
            self.assertTrue(cpus)
            self.assertEqual([c["cpu"] for c in cpus if c["rt"]], [2, 3])
            self.assertEqual([c["local_timer"] for c in cpus],
                             [2, 0, 10, 0])
            tick = 1000000000 // os.sysconf("SC_CLK_TCK")
            self.assertEqual([c["user_ns"] for c in cpus],
                             [20 * c * tick for c in range(4)])
            self.assertEqual(list(m.intruders()), [])
            self.assertIsNone(m.delayacct)
            self.assertIsInstance(m.cost_ns, int)

    def test_broker(self):
        root = self.root("host64")
        ctx = rtvm.Context(root)
        with ctx.broker() as b:
            vid = b.add_vm(ctx.vm(4242), {"max_priority": 10})
            self.assertGreaterEqual(b.fileno(), 0)
            ack = b.request(vid, type=rtvm.BOOST_BOOST, vcpu=0, seq=1,
                            policy=rtvm.SCHED_FIFO, priority=50)
            self.assertEqual(rtvm.boost_reason(ack["status"]), "ceiling")
            ack = b.request(vid, type=rtvm.BOOST_BOOST, vcpu=0, seq=2,
                            policy=rtvm.SCHED_FIFO, priority=8)
            self.assertEqual((ack["status"], ack["seq"]), (0, 2))
            self.assertEqual(ctx.get_sched(4242, 4250).priority, 8)
            st = b.stats(vid)
            self.assertEqual((st["requests"], st["boosts"],
                              st["refused"]["ceiling"]), (2, 1, 1))
            self.assertEqual(b.stats(vid, 0)["boosted"], 1)
            events = list(b.events())
            self.assertEqual([e["request"]["seq"] for e in events], [1, 2])
            self.assertEqual(list(b.events()), [])
            self.assertTrue(all(c.kind == rtvm.ChangeKind.THREAD_SCHED
                                for c in b.changes(vid)))
            b.set_policy(vid, {"max_priority": 5})
            self.assertEqual(b.dispatch(), 0)
            with self.assertRaises(TypeError):
                b.set_policy(vid, {"ceiling": 5})
            b.remove_vm(vid)
            with self.assertRaises(rtvm.Error) as e:
                b.remove_vm(vid)
            self.assertEqual(e.exception.errno, errno.ENOENT)
        self.assertEqual(ctx.get_sched(4242, 4250).priority, 1)

    def test_broker_doorbell(self):
        # The test is QEMU: it takes the region and the broker's eventfd
        # from the ivshmem server, then posts as the guest.
        root = self.root("host64")
        ctx = rtvm.Context(root)
        path = os.path.join(os.path.dirname(root), "bell.sock")
        with ctx.broker() as b:
            vid = b.add_vm(ctx.vm(4242), {"max_priority": 10})
            b.add_doorbell(vid, path)
            qemu = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            qemu.connect(path)
            b.dispatch()
            msgs = [socket.recv_fds(qemu, 8, 1) for _ in range(5)]
            ids = [struct.unpack("<q", m[0])[0] for m in msgs]
            self.assertEqual(ids, [0, 1, -1, 0, 1])
            shm, ring = msgs[2][1][0], msgs[3][1][0]
            with rtvm.BoostBell.from_fds(shm, ring) as g:
                self.assertEqual(g.nr_vcpus, ctx.vm(4242).nr_vcpus)
                seq = g.post(rtvm.BOOST_BOOST, vcpu=0,
                             policy=rtvm.SCHED_FIFO, priority=8)
                self.assertIsNone(g.ack(0))
                self.assertEqual(b.dispatch(), 1)
                ack = g.ack(0)
                self.assertEqual((ack["status"], ack["seq"]), (0, seq))
                self.assertEqual(ctx.get_sched(4242, 4250).priority, 8)
            for m in msgs:
                for fd in m[1]:
                    os.close(fd)
            qemu.close()
        self.assertFalse(os.path.exists(path))
        self.assertEqual(ctx.get_sched(4242, 4250).priority, 1)

    def test_capture(self):
        src = rtvm.Context(self.hostroot())
        d = tempfile.mkdtemp(prefix="rtvm-py-")
        self.roots.append(os.path.join(d, "x"))
        dest = os.path.join(d, "cap")
        src.capture(dest)
        self.assertEqual(rtvm.Context(dest).online_cpus(), src.online_cpus())
        with self.assertRaises(rtvm.Error) as e:
            src.capture(dest)
        self.assertEqual(e.exception.errno, errno.ENOTEMPTY)


if __name__ == "__main__":
    unittest.main(verbosity=2)
