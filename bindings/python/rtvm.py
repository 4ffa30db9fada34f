# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python bindings for librtvm (ctypes; no compiled extension).

    import rtvm
    ctx = rtvm.Context()                  # or Context(sysroot="/path")
    report = ctx.check(rt_cpus="1")       # readiness: verdict and checks
    moves, changes = ctx.steer_irqs(away_from="1", dry_run=True)
    changes.restore()                     # undo what a real steer did

    with rtvm.Changeset(ctx) as cs:       # restored if the block fails
        ctx.vm(pid).pin(rtvm.Role.VCPU, "2-3", changes=cs)

    profile = rtvm.Profile.builtin(ctx, "nova-rt")
    with ctx.tune(profile, ctx.vm(pid)) as plan:   # reverted on exit
        ...

Errors of the library raise rtvm.Error, an OSError with the errno the C
function returned, the function's name and, where the library logged one,
its message.  The library's log goes to the Python logger "rtvm".  The
library is found through RTVM_LIBRARY (a path), else as librtvm.so.0.

Every exported C function is reachable from here, or listed with the
reason in bindings/python/C-ONLY.  Objects of this module are used by one
thread at a time, as the library's are.
"""

import collections
import ctypes
import ctypes.util
import enum
import errno as _errno
import json
import logging
import os
import socket
from typing import (Any, Dict, Iterable, Iterator, List, Optional, Tuple,
                    Union)

__all__ = ["Error", "Context", "CpuMask", "Changeset", "Change", "Host",
           "Cpu", "IdleState", "Thread", "SchedAttr", "VM", "VMThread",
           "CheckReport", "CheckResult", "Irqs", "Irq", "IrqReport",
           "IrqWatch", "IrqBalance", "PmQosHold", "Shield", "ShieldReport",
           "ShieldItem", "Profile", "Plan", "Tuning", "Monitor", "Broker",
           "BoostGuest", "BoostBell", "Policy", "Role", "ChangeKind", "CheckStatus",
           "IrqKind", "IrqStatus", "IrqErrorClass", "CoreType", "CpuSet",
           "NodeSet", "ShieldItemKind", "IrqBalanceSource", "IrqBalanceBan",
           "MaskOp", "version", "status_name", "boost_encode", "boost_decode",
           "boost_reason",
           "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
           "SCHED_IDLE", "SCHED_DEADLINE", "ROLE_OTHER", "ROLE_VCPU",
           "ROLE_EMULATOR", "ROLE_IOTHREAD"]

Cpus = Union[None, str, int, Iterable[int], "CpuMask"]


class Policy(enum.IntEnum):
    """Scheduling policies, as <sched.h> numbers them."""
    OTHER = 0
    FIFO = 1
    RR = 2
    BATCH = 3
    IDLE = 5
    DEADLINE = 6


class Role(enum.IntEnum):
    """What a thread of a VM does (enum rtvm_vm_role)."""
    OTHER = 0
    VCPU = 1
    EMULATOR = 2
    IOTHREAD = 3


class ChangeKind(enum.IntEnum):
    """What a change record changed (enum rtvm_change_kind)."""
    FILE = 1
    SYSCTL = 2
    IRQ_AFFINITY = 3
    THREAD_SCHED = 4
    THREAD_AFFINITY = 5
    CGROUP_ATTACH = 6
    CGROUP_CREATE = 7


class CheckStatus(enum.IntEnum):
    """A check's outcome, in increasing severity."""
    PASS = 0
    INFO = 1
    SKIP = 2
    WARN = 3
    FAIL = 4


class IrqKind(enum.IntEnum):
    DEVICE = 0
    PERCPU = 1
    SYSTEM = 2


class IrqStatus(enum.IntEnum):
    MOVED = 1
    UNCHANGED = 2
    FAILED = 3


class IrqErrorClass(enum.IntEnum):
    NONE = 0
    TRANSIENT = 1
    NOSPACE = 2
    UNMOVABLE = 3
    GONE = 4
    OTHER = 5


class CoreType(enum.IntEnum):
    UNKNOWN = 0
    PERFORMANCE = 1
    EFFICIENCY = 2


class CpuSet(enum.IntEnum):
    """Which CPU set Host.cpus() returns."""
    POSSIBLE = 0
    PRESENT = 1
    ONLINE = 2
    ISOLATED = 3
    NOHZ_FULL = 4


class NodeSet(enum.IntEnum):
    """Which NUMA node set Host.nodes() returns."""
    POSSIBLE = 0
    ONLINE = 1
    HAS_CPU = 2
    HAS_MEMORY = 3


class ShieldItemKind(enum.IntEnum):
    MOVED = 0
    NOT_MOVED = 1
    PER_CPU = 2
    STRAY = 3
    IN_RT = 4
    CGROUP = 5
    FILE = 6
    NOTE = 7


class IrqBalanceSource(enum.IntEnum):
    FROM_ENVIRON = 0
    FROM_FILE = 1
    FROM_DEFAULTS = 2


class IrqBalanceBan(enum.IntEnum):
    AUTO = 0
    CPULIST = 1
    CPUS = 2


class MaskOp(enum.IntEnum):
    COPY = 0
    OR = 1
    AND = 2
    ANDNOT = 3
    XOR = 4


SCHED_OTHER, SCHED_FIFO, SCHED_RR = Policy.OTHER, Policy.FIFO, Policy.RR
SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = (Policy.BATCH, Policy.IDLE,
                                           Policy.DEADLINE)
ROLE_OTHER, ROLE_VCPU, ROLE_EMULATOR, ROLE_IOTHREAD = (
    Role.OTHER, Role.VCPU, Role.EMULATOR, Role.IOTHREAD)

LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG = 3, 4, 5, 6, 7
_LOG_LEVELS = {0: logging.CRITICAL, 1: logging.CRITICAL, 2: logging.CRITICAL,
               3: logging.ERROR, 4: logging.WARNING, 5: logging.INFO,
               6: logging.INFO, 7: logging.DEBUG}
_log = logging.getLogger("rtvm")
_log.addHandler(logging.NullHandler())   # silent unless the program logs

_IRQ_KINDS = {0: "device", 1: "percpu", 2: "system"}
_IRQ_STATUS = {1: "moved", 2: "unchanged", 3: "failed"}
_STEER_DRY_RUN, _STEER_NO_THREADS, _STEER_DEFAULT_AFFINITY = 1, 2, 4
_VM_PIN_ONE_TO_ONE = 1
_SCHED_PROVISION_RT = 1
_SHIELD_DRY_RUN, _SHIELD_NO_KTHREADS = 1, 2
_SHIELD_NO_WORKQUEUE, _SHIELD_PER_VCPU = 4, 8
_MONITOR_CPUS, _MONITOR_INTRUDERS = 1, 2
_MONITOR_TASKSTATS, _MONITOR_KVM, _MONITOR_SMI = 4, 8, 16
_MONITOR_RT_LIMIT = 32
_MONITOR_KVM_NR, _MONITOR_DELAY_NR = 7, 8
_CHECK_NOISE_CPU = 1
_CAPTURE_THREADS = 1
_BOOST_NR_REASONS = 13


class Error(OSError):
    """A librtvm function returned -errno.  .errno is that errno,
    .function the C function (with the bad value where it helps), and
    .message the library's own log message about it, or None."""

    def __init__(self, err: int, function: str,
                 message: Optional[str] = None):
        text = "%s: %s" % (function, os.strerror(err))
        if message:
            text += ": " + message
        super().__init__(err, text)
        self.function = function
        self.message = message


def _load():
    path = os.environ.get("RTVM_LIBRARY") or \
        ctypes.util.find_library("rtvm") or "librtvm.so.0"
    return ctypes.CDLL(path, use_errno=True)


_lib = _load()
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
_libc.free.argtypes = [ctypes.c_void_p]
_libc.free.restype = None
_libc.vsnprintf.argtypes = [ctypes.c_char_p, ctypes.c_size_t,
                            ctypes.c_char_p, ctypes.c_void_p]
_libc.vsnprintf.restype = ctypes.c_int

_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_cp = ctypes.c_char_p
_cpp = ctypes.POINTER(ctypes.c_char_p)
_int, _uint, _sz = ctypes.c_int, ctypes.c_uint, ctypes.c_size_t
_bool, _u64, _ull = ctypes.c_bool, ctypes.c_uint64, ctypes.c_ulonglong
_intp, _uintp = ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_uint)


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


def _ok(r, function, ctx=None):
    """r, or Error(-r) when negative; takes the context's last logged
    message, so that it belongs to this call only."""
    msg = ctx._take_message() if ctx is not None else None
    if r < 0:
        raise Error(-r, function, msg)
    return r


def _text(ptr):
    """A C string the library gave us to free, as str."""
    try:
        return ctypes.string_at(ptr).decode()
    finally:
        _libc.free(ptr)


def _str(b):
    return b.decode() if b is not None else None


def _b(s):
    return s.encode() if s is not None else None


def _opt(r):
    """A getter's value, None for -ENOENT."""
    return None if r == -_errno.ENOENT else r


def _strv(items):
    """A NULL-terminated char ** (pointer, keepalive) or (None, None)."""
    items = list(items or ())
    if not items:
        return None, None
    arr = (ctypes.c_char_p * (len(items) + 1))(*[s.encode() for s in items])
    return ctypes.cast(arr, _cpp), arr


# ---- context and logging (context.h) --------------------------------------

_LogFn = ctypes.CFUNCTYPE(None, _p, _int, _cp, _int, _cp, _cp, _p)

_new = _fn("rtvm_new", _int, _pp)
_unref = _fn("rtvm_unref", _p, _p)
_set_root = _fn("rtvm_set_root", _int, _p, _cp)
_get_root = _fn("rtvm_get_root", _cp, _p)
_version = _fn("rtvm_version", _cp)
_set_log_fn = _fn("rtvm_set_log_fn", _int, _p, _LogFn)
_get_log_prio = _fn("rtvm_get_log_priority", _int, _p)
_set_log_prio = _fn("rtvm_set_log_priority", _int, _p, _int)
_set_state_dir = _fn("rtvm_set_state_dir", _int, _p, _cp)


def version() -> str:
    """The library's version, e.g. "0.1.0"."""
    return _version().decode()


# ---- CPU masks (cpumask.h) -------------------------------------------------

_mask_new = _fn("rtvm_cpumask_new", _int, _p, _pp)
_mask_new_nr = _fn("rtvm_cpumask_new_nr", _int, _uint, _pp)
_mask_dup = _fn("rtvm_cpumask_dup", _int, _p, _pp)
_mask_free = _fn("rtvm_cpumask_free", _p, _p)
_mask_nr = _fn("rtvm_cpumask_nr_cpus", _uint, _p)
_mask_parse = _fn("rtvm_cpumask_parse_list", _int, _p, _cp, _uint)
_mask_parse_hex = _fn("rtvm_cpumask_parse_hex", _int, _p, _cp, _uint)
_mask_format = _fn("rtvm_cpumask_format_list", _int, _p, _pp)
_mask_format_hex = _fn("rtvm_cpumask_format_hex", _int, _p, _pp)
_mask_set = _fn("rtvm_cpumask_set", _int, _p, _uint)
_mask_clear = _fn("rtvm_cpumask_clear", _int, _p, _uint)
_mask_test = _fn("rtvm_cpumask_test", _bool, _p, _uint)
_mask_zero = _fn("rtvm_cpumask_zero", None, _p)
_mask_weight = _fn("rtvm_cpumask_weight", _uint, _p)
_mask_next = _fn("rtvm_cpumask_next", _int, _p, _int)
_mask_op = _fn("rtvm_cpumask_op", _int, _p, _int, _p)
_mask_equal = _fn("rtvm_cpumask_equal", _bool, _p, _p)
_mask_subset = _fn("rtvm_cpumask_subset", _bool, _p, _p)
_mask_intersects = _fn("rtvm_cpumask_intersects", _bool, _p, _p)
_ALLOW_EMPTY = 1


class CpuMask:
    """A set of CPUs (or NUMA nodes) as the library holds it.

    CpuMask(ctx, "0-3,8") is sized for the context's host; CpuMask(64)
    holds CPUs 0..63.  The list may also be an iterable of numbers.  It
    compares equal to another mask or to a list string ("0-3"), iterates
    over its CPUs, and `in`, len(), |, &, -, ^ and <= work as for sets."""

    def __init__(self, ctx_or_nr: Union["Context", int],
                 cpus: Cpus = None, allow_empty: bool = False):
        ptr = _p()
        if isinstance(ctx_or_nr, Context):
            self._ctx = ctx_or_nr
            _ok(_mask_new(ctx_or_nr._ptr, ctypes.byref(ptr)),
                "rtvm_cpumask_new", ctx_or_nr)
        else:
            self._ctx = None
            _ok(_mask_new_nr(int(ctx_or_nr), ctypes.byref(ptr)),
                "rtvm_cpumask_new_nr(%r)" % (ctx_or_nr,))
        self._ptr = ptr
        if cpus is not None:
            self.parse_list(cpus, allow_empty)

    @classmethod
    def _own(cls, ptr, ctx=None):
        m = cls.__new__(cls)
        m._ctx, m._ptr = ctx, ptr
        return m

    @classmethod
    def _copy_of(cls, ptr, ctx=None) -> Optional["CpuMask"]:
        """A copy of a mask the library lends (None for NULL)."""
        if not ptr:
            return None
        out = _p()
        _ok(_mask_dup(ptr, ctypes.byref(out)), "rtvm_cpumask_dup")
        return cls._own(out, ctx)

    def copy(self) -> "CpuMask":
        return CpuMask._copy_of(self._ptr, self._ctx)

    def parse_list(self, cpus: Cpus, allow_empty: bool = False) -> None:
        """Set from the kernel's list syntax ("0-3,8", "0-15:2/4"); a bad
        list leaves the mask as it was."""
        if isinstance(cpus, CpuMask):
            cpus = str(cpus)
        elif isinstance(cpus, int):
            cpus = str(cpus)
        elif not isinstance(cpus, str):
            cpus = ",".join(str(c) for c in sorted(cpus))
        _ok(_mask_parse(self._ptr, cpus.encode(),
                        _ALLOW_EMPTY if allow_empty else 0),
            "rtvm_cpumask_parse_list(%r)" % (cpus,), self._ctx)

    def parse_hex(self, text: str, allow_empty: bool = False) -> None:
        """Set from the /proc/irq hex form ("ff,ffffffff")."""
        _ok(_mask_parse_hex(self._ptr, text.encode(),
                            _ALLOW_EMPTY if allow_empty else 0),
            "rtvm_cpumask_parse_hex(%r)" % (text,), self._ctx)

    def __str__(self) -> str:
        out = _p()
        _ok(_mask_format(self._ptr, ctypes.byref(out)),
            "rtvm_cpumask_format_list")
        return _text(out)

    def __repr__(self) -> str:
        return "CpuMask(%r)" % str(self)

    def hex(self) -> str:
        """The mask as the kernel prints affinity masks ("ff,ffffffff")."""
        out = _p()
        _ok(_mask_format_hex(self._ptr, ctypes.byref(out)),
            "rtvm_cpumask_format_hex")
        return _text(out)

    @property
    def nr_cpus(self) -> int:
        """The capacity: every CPU number is below it."""
        return _mask_nr(self._ptr)

    def add(self, cpu: int) -> None:
        _ok(_mask_set(self._ptr, cpu), "rtvm_cpumask_set(%d)" % cpu)

    def discard(self, cpu: int) -> None:
        _ok(_mask_clear(self._ptr, cpu), "rtvm_cpumask_clear(%d)" % cpu)

    def clear(self) -> None:
        _mask_zero(self._ptr)

    def __contains__(self, cpu: int) -> bool:
        return cpu >= 0 and bool(_mask_test(self._ptr, cpu))

    def __len__(self) -> int:
        return _mask_weight(self._ptr)

    def __iter__(self) -> Iterator[int]:
        cpu = _mask_next(self._ptr, -1)
        while cpu >= 0:
            yield cpu
            cpu = _mask_next(self._ptr, cpu)

    def _other(self, other):
        if isinstance(other, CpuMask):
            return other
        return CpuMask(self._ctx or self.nr_cpus, other, allow_empty=True)

    def op(self, op: MaskOp, other: Cpus) -> "CpuMask":
        """Combine in place (rtvm_cpumask_op); returns self."""
        o = self._other(other)
        _ok(_mask_op(self._ptr, int(op), o._ptr), "rtvm_cpumask_op")
        return self

    def __ior__(self, other):
        return self.op(MaskOp.OR, other)

    def __iand__(self, other):
        return self.op(MaskOp.AND, other)

    def __isub__(self, other):
        return self.op(MaskOp.ANDNOT, other)

    def __ixor__(self, other):
        return self.op(MaskOp.XOR, other)

    def __or__(self, other):
        return self.copy().op(MaskOp.OR, other)

    def __and__(self, other):
        return self.copy().op(MaskOp.AND, other)

    def __sub__(self, other):
        return self.copy().op(MaskOp.ANDNOT, other)

    def __xor__(self, other):
        return self.copy().op(MaskOp.XOR, other)

    def __eq__(self, other):
        if isinstance(other, str):
            return str(self) == other
        if isinstance(other, CpuMask):
            return bool(_mask_equal(self._ptr, other._ptr))
        return NotImplemented

    __hash__ = None

    def __le__(self, other):
        return bool(_mask_subset(self._ptr, self._other(other)._ptr))

    def __ge__(self, other):
        return bool(_mask_subset(self._other(other)._ptr, self._ptr))

    def isdisjoint(self, other: Cpus) -> bool:
        return not _mask_intersects(self._ptr, self._other(other)._ptr)

    def __del__(self):
        if getattr(self, "_ptr", None):
            _mask_free(self._ptr)
            self._ptr = None


def _mask_arg(ctx, cpus):
    """A mask argument: None, a CpuMask, or what CpuMask() parses."""
    if cpus is None or isinstance(cpus, CpuMask):
        return cpus
    return CpuMask(ctx, cpus)


def _mp(mask):
    return mask._ptr if mask is not None else None


def _mask_list(ptr):
    """A mask the library lends, as its list string (None for NULL)."""
    if not ptr:
        return None
    out = _p()
    _ok(_mask_format(ptr, ctypes.byref(out)), "rtvm_cpumask_format_list")
    return _text(out)


# ---- change records (change.h) ---------------------------------------------

_cs_new = _fn("rtvm_changeset_new", _int, _p, _pp)
_cs_ref = _fn("rtvm_changeset_ref", _p, _p)
_cs_unref = _fn("rtvm_changeset_unref", _p, _p)
_cs_count = _fn("rtvm_changeset_get_count", _uint, _p)
_cs_append = _fn("rtvm_changeset_append", _int, _p, _p)
_cs_next = _fn("rtvm_changeset_next", _p, _p, _p)
_cs_to_json = _fn("rtvm_changeset_to_json", _int, _p, _pp)
_cs_from_json = _fn("rtvm_changeset_new_from_json", _int, _p, _cp, _pp)
_cs_restore = _fn("rtvm_changeset_restore", _int, _p, _uint)
_ch_kind = _fn("rtvm_change_get_kind", _int, _p)
_ch_kind_str = _fn("rtvm_change_kind_to_string", _cp, _int)
_ch_target = _fn("rtvm_change_get_target", _cp, _p)
_ch_old = _fn("rtvm_change_get_old_value", _cp, _p)
_ch_new = _fn("rtvm_change_get_new_value", _cp, _p)
_sysctl_get = _fn("rtvm_sysctl_get", _int, _p, _cp, _pp)
_sysctl_set = _fn("rtvm_sysctl_set", _int, _p, _cp, _cp, _p)

Change = collections.namedtuple("Change", "kind name target old new")
Change.__doc__ = """One change record: kind (ChangeKind), name (its JSON
name, "sysctl"), target (a path, sysctl, IRQ or "PID/TID@START"), old and
new value in text (None where there is none)."""


class Changeset:
    """What librtvm changed, to save (JSON) and undo exactly.

    Pass it as changes= to the functions that change the host.  As a
    context manager it restores everything when the block raises (and
    keeps it when the block succeeds)."""

    def __init__(self, ctx: "Context", _ptr=None):
        self._ctx = ctx
        if _ptr is None:
            _ptr = _p()
            _ok(_cs_new(ctx._ptr, ctypes.byref(_ptr)), "rtvm_changeset_new",
                ctx)
        self._ptr = _ptr

    @classmethod
    def _shared(cls, ctx, ptr) -> Optional["Changeset"]:
        """A set another object lends, kept alive by a reference."""
        return cls(ctx, _p(_cs_ref(ptr))) if ptr else None

    @classmethod
    def from_json(cls, ctx: "Context", text: str) -> "Changeset":
        """A set saved with to_json(), to restore it later."""
        ptr = _p()
        _ok(_cs_from_json(ctx._ptr, text.encode(), ctypes.byref(ptr)),
            "rtvm_changeset_new_from_json", ctx)
        return cls(ctx, ptr)

    def __len__(self) -> int:
        return _cs_count(self._ptr)

    def __iter__(self) -> Iterator[Change]:
        c = _cs_next(self._ptr, None)
        while c:
            kind = _ch_kind(c)
            yield Change(ChangeKind(kind), _str(_ch_kind_str(kind)),
                         _str(_ch_target(c)), _str(_ch_old(c)),
                         _str(_ch_new(c)))
            c = _cs_next(self._ptr, c)

    def append(self, other: "Changeset") -> None:
        """Move every record of other to the end of this set."""
        _ok(_cs_append(self._ptr, other._ptr), "rtvm_changeset_append")

    def to_json(self) -> str:
        out = _p()
        _ok(_cs_to_json(self._ptr, ctypes.byref(out)), "rtvm_changeset_to_json")
        return _text(out)

    def records(self) -> List[Dict[str, str]]:
        return json.loads(self.to_json()).get("changes", [])

    def restore(self) -> None:
        """Undo every record, newest first (harmless twice)."""
        _ok(_cs_restore(self._ptr, 0), "rtvm_changeset_restore", self._ctx)

    def __enter__(self) -> "Changeset":
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.restore()

    def __del__(self):
        if getattr(self, "_ptr", None):
            _cs_unref(self._ptr)
            self._ptr = None


def _csp(changes):
    return changes._ptr if changes is not None else None


# ---- host model (host.h) -------------------------------------------------

_host_new = _fn("rtvm_host_new", _int, _p, _uint, _pp)
_host_unref = _fn("rtvm_host_unref", _p, _p)
_host_cpus = _fn("rtvm_host_get_cpus", _p, _p, _int)
_host_nodes = _fn("rtvm_host_get_nodes", _p, _p, _int)
_host_cpu = _fn("rtvm_host_get_cpu", _int, _p, _uint, _pp)
_host_cpu_next = _fn("rtvm_host_cpu_next", _p, _p, _p)
_cpu_id = _fn("rtvm_cpu_get_id", _int, _p)
_cpu_online = _fn("rtvm_cpu_is_online", _bool, _p)
_cpu_core = _fn("rtvm_cpu_get_core_id", _int, _p)
_cpu_pkg = _fn("rtvm_cpu_get_package_id", _int, _p)
_cpu_die = _fn("rtvm_cpu_get_die_id", _int, _p)
_cpu_cluster = _fn("rtvm_cpu_get_cluster_id", _int, _p)
_cpu_capacity = _fn("rtvm_cpu_get_capacity", _int, _p)
_cpu_core_type = _fn("rtvm_cpu_get_core_type", _int, _p)
_cpu_node = _fn("rtvm_cpu_get_node", _int, _p)
_cpu_siblings = _fn("rtvm_cpu_get_siblings", _p, _p)
_cpu_governor = _fn("rtvm_cpu_get_governor", _cp, _p)
_cpu_nr_idle = _fn("rtvm_cpu_get_nr_idle_states", _uint, _p)
_cpu_idle = _fn("rtvm_cpu_get_idle_state", _p, _p, _uint)
_idle_name = _fn("rtvm_idle_state_get_name", _cp, _p)
_idle_latency = _fn("rtvm_idle_state_get_exit_latency", _int, _p)
_idle_disabled = _fn("rtvm_idle_state_is_disabled", _bool, _p)
_host_cmdline = _fn("rtvm_host_get_cmdline", _cp, _p)
_host_param = _fn("rtvm_host_get_cmdline_param", _int, _p, _uint, _cpp,
                  _cpp)
_host_find_param = _fn("rtvm_host_find_cmdline_param", _int, _p, _cp, _cpp)
_host_nr_threads = _fn("rtvm_host_get_nr_threads", _uint, _p)
_host_thread_next = _fn("rtvm_host_thread_next", _p, _p, _p)
_host_find_thread = _fn("rtvm_host_find_thread", _int, _p, _int, _pp)
_th_pid = _fn("rtvm_thread_get_pid", _int, _p)
_th_tid = _fn("rtvm_thread_get_tid", _int, _p)
_th_comm = _fn("rtvm_thread_get_comm", _cp, _p)
_th_kthread = _fn("rtvm_thread_is_kthread", _bool, _p)
_th_per_cpu = _fn("rtvm_thread_is_per_cpu", _bool, _p)
_th_policy = _fn("rtvm_thread_get_policy", _int, _p)
_th_prio = _fn("rtvm_thread_get_rt_priority", _int, _p)
_th_nice = _fn("rtvm_thread_get_nice", _int, _p, _intp)
_th_last_cpu = _fn("rtvm_thread_get_last_cpu", _int, _p)
_th_start = _fn("rtvm_thread_get_start_time", _ull, _p)
_th_affinity = _fn("rtvm_thread_get_affinity", _p, _p)
_th_cgroup = _fn("rtvm_thread_get_cgroup", _cp, _p, _cp)

HOST_CPUS, HOST_CMDLINE, HOST_THREADS = 1, 2, 4
HOST_THREAD_AFFINITY, HOST_THREAD_CGROUPS = 8, 16

IdleState = collections.namedtuple("IdleState",
                                   "name exit_latency_us disabled")


def _policy(p):
    try:
        return Policy(p)
    except ValueError:
        return p


class Cpu:
    """One CPU of a Host inventory.  Ids the host does not tell are
    None."""

    def __init__(self, host, ptr):
        self._host, self._ptr = host, ptr

    id = property(lambda self: _cpu_id(self._ptr))
    online = property(lambda self: bool(_cpu_online(self._ptr)))
    core_id = property(lambda self: _opt(_cpu_core(self._ptr)))
    package_id = property(lambda self: _opt(_cpu_pkg(self._ptr)))
    die_id = property(lambda self: _opt(_cpu_die(self._ptr)))
    cluster_id = property(lambda self: _opt(_cpu_cluster(self._ptr)))
    capacity = property(lambda self: _opt(_cpu_capacity(self._ptr)))
    core_type = property(lambda self: CoreType(_cpu_core_type(self._ptr)))
    node = property(lambda self: _opt(_cpu_node(self._ptr)))
    governor = property(lambda self: _str(_cpu_governor(self._ptr)))

    @property
    def siblings(self) -> Optional[CpuMask]:
        """Its SMT siblings, itself included."""
        return CpuMask._copy_of(_cpu_siblings(self._ptr))

    @property
    def idle_states(self) -> List[IdleState]:
        out = []
        for i in range(_cpu_nr_idle(self._ptr)):
            s = _cpu_idle(self._ptr, i)
            out.append(IdleState(_str(_idle_name(s)), _idle_latency(s),
                                 bool(_idle_disabled(s))))
        return out

    def __repr__(self):
        return "<rtvm.Cpu %d>" % self.id


class Thread:
    """One thread of a Host inventory (a snapshot)."""

    def __init__(self, host, ptr):
        self._host, self._ptr = host, ptr

    pid = property(lambda self: _th_pid(self._ptr))
    tid = property(lambda self: _th_tid(self._ptr))
    comm = property(lambda self: _str(_th_comm(self._ptr)))
    kthread = property(lambda self: bool(_th_kthread(self._ptr)))
    per_cpu = property(lambda self: bool(_th_per_cpu(self._ptr)),
                       doc="The kernel forbids changing its affinity.")
    policy = property(lambda self: _policy(_th_policy(self._ptr)))
    rt_priority = property(lambda self: _th_prio(self._ptr))
    last_cpu = property(lambda self: _th_last_cpu(self._ptr))
    start_time = property(lambda self: _th_start(self._ptr),
                          doc="Clock ticks after boot; with tid, names it.")

    @property
    def nice(self) -> int:
        v = _int()
        _ok(_th_nice(self._ptr, ctypes.byref(v)), "rtvm_thread_get_nice")
        return v.value

    @property
    def affinity(self) -> Optional[CpuMask]:
        """Its CPUs (host loaded with HOST_THREAD_AFFINITY), else None."""
        return CpuMask._copy_of(_th_affinity(self._ptr))

    def cgroup(self, controller: str = "") -> Optional[str]:
        """Its cgroup path for a v1 controller ("cpuset"); "" for v2."""
        return _str(_th_cgroup(self._ptr, controller.encode()))

    def __repr__(self):
        return "<rtvm.Thread %d/%d %s>" % (self.pid, self.tid, self.comm)


class Host:
    """A read-only inventory of the host's CPUs, command line and threads
    (rtvm_host_new()).  flags: HOST_* bits, 0 for everything."""

    def __init__(self, ctx: "Context", flags: int = 0):
        self._ctx, self._ptr = ctx, _p()
        _ok(_host_new(ctx._ptr, flags, ctypes.byref(self._ptr)),
            "rtvm_host_new", ctx)

    def cpus(self, which: CpuSet = CpuSet.ONLINE) -> Optional[CpuMask]:
        return CpuMask._copy_of(_host_cpus(self._ptr, int(which)), self._ctx)

    def nodes(self, which: NodeSet = NodeSet.ONLINE) -> Optional[CpuMask]:
        """A NUMA node set (bits are node ids)."""
        return CpuMask._copy_of(_host_nodes(self._ptr, int(which)))

    def cpu(self, n: int) -> Cpu:
        out = _p()
        _ok(_host_cpu(self._ptr, n, ctypes.byref(out)),
            "rtvm_host_get_cpu(%d)" % n)
        return Cpu(self, out)

    def __iter__(self) -> Iterator[Cpu]:
        """The possible CPUs, in increasing number."""
        c = _host_cpu_next(self._ptr, None)
        while c:
            yield Cpu(self, c)
            c = _host_cpu_next(self._ptr, c)

    @property
    def cmdline(self) -> Optional[str]:
        return _str(_host_cmdline(self._ptr))

    def cmdline_params(self) -> Iterator[Tuple[str, Optional[str]]]:
        """(key, value) in command-line order; value None for a flag."""
        i, k, v = 0, _cp(), _cp()
        while _host_param(self._ptr, i, ctypes.byref(k), ctypes.byref(v)) == 0:
            yield _str(k.value), _str(v.value)
            i += 1

    def cmdline_param(self, key: str) -> Optional[str]:
        """The last value of a parameter (None for a bare flag);
        Error(ENOENT) when absent."""
        v = _cp()
        _ok(_host_find_param(self._ptr, key.encode(), ctypes.byref(v)),
            "rtvm_host_find_cmdline_param(%r)" % key)
        return _str(v.value)

    def __len__(self) -> int:
        """How many threads the inventory holds."""
        return _host_nr_threads(self._ptr)

    def threads(self) -> Iterator[Thread]:
        """The threads, by pid then tid."""
        t = _host_thread_next(self._ptr, None)
        while t:
            yield Thread(self, t)
            t = _host_thread_next(self._ptr, t)

    def thread(self, tid: int) -> Thread:
        out = _p()
        _ok(_host_find_thread(self._ptr, tid, ctypes.byref(out)),
            "rtvm_host_find_thread(%d)" % tid)
        return Thread(self, out)

    def __del__(self):
        if getattr(self, "_ptr", None):
            _host_unref(self._ptr)
            self._ptr = None


# ---- scheduling (sched.h) ---------------------------------------------------

class _SchedAttr(ctypes.Structure):
    _fields_ = [("size", _sz), ("policy", _int), ("priority", _int),
                ("nice", _int), ("runtime_ns", _ull), ("deadline_ns", _ull),
                ("period_ns", _ull)]


SchedAttr = collections.namedtuple(
    "SchedAttr", "policy priority nice runtime_ns deadline_ns period_ns")


def _sched_attr(policy, priority, nice, runtime_ns, deadline_ns, period_ns):
    return _SchedAttr(ctypes.sizeof(_SchedAttr), int(policy), priority, nice,
                      runtime_ns, deadline_ns, period_ns)


_th_get_sched = _fn("rtvm_thread_get_sched", _int, _p, _int, _int,
                    ctypes.POINTER(_SchedAttr))
_th_set_sched = _fn("rtvm_thread_set_sched", _int, _p, _int, _int,
                    ctypes.POINTER(_SchedAttr), _uint, _p)
_th_set_aff = _fn("rtvm_thread_set_affinity", _int, _p, _int, _int, _p, _p)
_vm_set_sched = _fn("rtvm_vm_set_sched", _int, _p, _int, _p,
                    ctypes.POINTER(_SchedAttr), _uint, _p, _uintp)
_vm_pin = _fn("rtvm_vm_pin", _int, _p, _int, _p, _uint, _p, _uintp)
_kthreads_apply = _fn("rtvm_kthreads_apply", _int, _p, _p, _cp, _p)


# ---- VMs (vm.h) -------------------------------------------------------------

_vm_new = _fn("rtvm_vm_new_from_pid", _int, _p, _int, _pp)
_vm_new_libvirt = _fn("rtvm_vm_new_from_libvirt", _int, _p, _cp, _cp, _pp)
_vm_unref = _fn("rtvm_vm_unref", _p, _p)
_vm_name = _fn("rtvm_vm_get_name", _cp, _p)
_vm_pin_of = _fn("rtvm_vm_get_libvirt_pin", _int, _p, _int, _uint, _pp)
_vm_refresh = _fn("rtvm_vm_refresh", _int, _p, ctypes.POINTER(_bool))
_vm_pid = _fn("rtvm_vm_get_pid", _int, _p)
_vm_vmm = _fn("rtvm_vm_get_vmm", _cp, _p)
_vm_nr_vcpus = _fn("rtvm_vm_get_nr_vcpus", _uint, _p)
_vm_vcpu_tid = _fn("rtvm_vm_get_vcpu_tid", _int, _p, _uint)
_vm_next = _fn("rtvm_vm_thread_next", _p, _p, _p)
_vt_tid = _fn("rtvm_vm_thread_get_tid", _int, _p)
_vt_role = _fn("rtvm_vm_thread_get_role", _int, _p)
_vt_index = _fn("rtvm_vm_thread_get_index", _int, _p)
_vt_name = _fn("rtvm_vm_thread_get_name", _cp, _p)
_role_str = _fn("rtvm_vm_role_to_string", _cp, _int)

VMThread = collections.namedtuple("VMThread", "tid role index name")
VMThread.__doc__ = """A thread of a VM: role is a Role, index the vCPU
index (None for other roles), name its comm (an iothread's id)."""


class VM:
    """A VMM process's threads, found by their names (VM(ctx, pid)), or a
    running libvirt domain's (VM.from_libvirt(ctx, domain))."""

    def __init__(self, ctx: "Context", pid: int, _ptr=None):
        self._ctx = ctx
        if _ptr is None:
            _ptr = _p()
            _ok(_vm_new(ctx._ptr, int(pid), ctypes.byref(_ptr)),
                "rtvm_vm_new_from_pid(%d)" % pid, ctx)
        self._ptr = _ptr
        self.pid = _vm_pid(_ptr)
        self.vmm = _str(_vm_vmm(_ptr))

    @classmethod
    def from_libvirt(cls, ctx: "Context", domain: str,
                     uri: Optional[str] = None) -> "VM":
        """A running QEMU domain of this host, by name or UUID, through a
        read-only libvirt connection (uri: None for qemu:///system)."""
        ptr = _p()
        _ok(_vm_new_libvirt(ctx._ptr, _b(uri), domain.encode(),
                            ctypes.byref(ptr)),
            "rtvm_vm_new_from_libvirt(%r)" % domain, ctx)
        return cls(ctx, 0, ptr)

    @property
    def name(self) -> Optional[str]:
        """The libvirt domain's name; None for a VM found by pid."""
        return _str(_vm_name(self._ptr))

    @property
    def nr_vcpus(self) -> int:
        return _vm_nr_vcpus(self._ptr)

    def vcpu_tid(self, index: int) -> int:
        return _ok(_vm_vcpu_tid(self._ptr, index),
                   "rtvm_vm_get_vcpu_tid(%d)" % index)

    def libvirt_pin(self, role: Role, index: int = 0) -> CpuMask:
        """The CPUs libvirt pins a vCPU, the emulator or an iothread to."""
        out = _p()
        _ok(_vm_pin_of(self._ptr, int(role), index, ctypes.byref(out)),
            "rtvm_vm_get_libvirt_pin", self._ctx)
        return CpuMask._copy_of(out, self._ctx)

    def refresh(self) -> bool:
        """Read the threads again; True when any came or went."""
        changed = _bool()
        _ok(_vm_refresh(self._ptr, ctypes.byref(changed)),
            "rtvm_vm_refresh", self._ctx)
        return changed.value

    def __iter__(self) -> Iterator[VMThread]:
        t = _vm_next(self._ptr, None)
        while t:
            role = Role(_vt_role(t))
            yield VMThread(_vt_tid(t), role,
                           _vt_index(t) if role == Role.VCPU else None,
                           _str(_vt_name(t)))
            t = _vm_next(self._ptr, t)

    def threads(self) -> List[Dict[str, Any]]:
        """The threads as dicts, role by name ("vcpu")."""
        return [{"tid": t.tid, "role": _str(_role_str(t.role)),
                 "index": t.index, "name": t.name} for t in self]

    def set_sched(self, role: Role, policy: Policy, priority: int = 0,
                  nice: int = 0, vcpus: Cpus = None,
                  changes: Optional[Changeset] = None,
                  runtime_ns: int = 0, deadline_ns: int = 0,
                  period_ns: int = 0, provision_rt: bool = False) -> int:
        """Set a policy on the threads of one role (vcpus: the vCPU
        indexes, None for all), all or nothing; returns how many exited
        meanwhile (skipped).  provision_rt gives the threads' cpu cgroups
        RT runtime where the kernel needs it."""
        attr = _sched_attr(policy, priority, nice, runtime_ns, deadline_ns,
                           period_ns)
        skipped = _uint()
        m = _mask_arg(self._ctx, vcpus)
        _ok(_vm_set_sched(self._ptr, int(role), _mp(m), ctypes.byref(attr),
                          _SCHED_PROVISION_RT if provision_rt else 0,
                          _csp(changes), ctypes.byref(skipped)),
            "rtvm_vm_set_sched", self._ctx)
        return skipped.value

    def pin(self, role: Role, cpus: Cpus, one_to_one: bool = False,
            changes: Optional[Changeset] = None) -> int:
        """Pin the threads of one role to cpus (one_to_one: vCPU i on the
        i-th CPU); returns how many exited meanwhile."""
        skipped = _uint()
        m = _mask_arg(self._ctx, cpus)
        _ok(_vm_pin(self._ptr, int(role), _mp(m),
                    _VM_PIN_ONE_TO_ONE if one_to_one else 0,
                    _csp(changes), ctypes.byref(skipped)),
            "rtvm_vm_pin", self._ctx)
        return skipped.value

    def __del__(self):
        if getattr(self, "_ptr", None):
            _vm_unref(self._ptr)
            self._ptr = None


# ---- host readiness checks (check.h) --------------------------------------

class _CheckOpts(ctypes.Structure):
    _fields_ = [("size", _sz), ("flags", _uint), ("rt_cpus", _p),
                ("only", _cp), ("max_exit_latency_us", _uint),
                ("sample_ms", _uint), ("noise_ms", _uint),
                ("noise_threshold_us", _uint), ("noise_cpu", _uint),
                ("vm_pid", _int)]


_check_run = _fn("rtvm_check_run", _int, _p, ctypes.POINTER(_CheckOpts),
                 _pp)
_check_unref = _fn("rtvm_check_report_unref", _p, _p)
_check_verdict = _fn("rtvm_check_report_get_verdict", _int, _p)
_check_count = _fn("rtvm_check_report_get_count", _uint, _p, _int)
_check_rt = _fn("rtvm_check_report_get_rt_cpus", _p, _p)
_check_next = _fn("rtvm_check_report_next", _p, _p, _p)
_check_find = _fn("rtvm_check_report_find", _int, _p, _cp, _pp)
_check_to_json = _fn("rtvm_check_report_to_json", _int, _p, _pp)
_status_str = _fn("rtvm_check_status_to_string", _cp, _int)
_res_id = _fn("rtvm_check_result_get_id", _cp, _p)
_res_title = _fn("rtvm_check_result_get_title", _cp, _p)
_res_status = _fn("rtvm_check_result_get_status", _int, _p)
_res_observed = _fn("rtvm_check_result_get_observed", _cp, _p)
_res_expected = _fn("rtvm_check_result_get_expected", _cp, _p)
_res_remedy = _fn("rtvm_check_result_get_remedy", _cp, _p)
_res_nr_details = _fn("rtvm_check_result_get_nr_details", _uint, _p)
_res_detail = _fn("rtvm_check_result_get_detail", _int, _p, _uint, _intp,
                  _cpp)

CheckResult = collections.namedtuple(
    "CheckResult", "id title status observed expected remedy details")
CheckResult.__doc__ = """One check: status is a CheckStatus; details a
list of (cpu, text), cpu -1 for a line about no one CPU."""


def _result(r):
    details, cpu, text = [], _int(), _cp()
    for i in range(_res_nr_details(r)):
        _ok(_res_detail(r, i, ctypes.byref(cpu), ctypes.byref(text)),
            "rtvm_check_result_get_detail")
        details.append((cpu.value, _str(text.value)))
    return CheckResult(_str(_res_id(r)), _str(_res_title(r)),
                       CheckStatus(_res_status(r)), _str(_res_observed(r)),
                       _str(_res_expected(r)), _str(_res_remedy(r)), details)


class CheckReport:
    """The outcome of the readiness checks: iterate for CheckResults,
    report["pm.cstates"] for one."""

    def __init__(self, ctx, ptr):
        self._ctx, self._ptr = ctx, ptr

    @property
    def verdict(self) -> CheckStatus:
        """The worst of pass, warn and fail."""
        return CheckStatus(_check_verdict(self._ptr))

    def count(self, status: CheckStatus) -> int:
        return _check_count(self._ptr, int(status))

    @property
    def rt_cpus(self) -> CpuMask:
        return CpuMask._copy_of(_check_rt(self._ptr), self._ctx)

    def __iter__(self) -> Iterator[CheckResult]:
        r = _check_next(self._ptr, None)
        while r:
            yield _result(r)
            r = _check_next(self._ptr, r)

    def __getitem__(self, check_id: str) -> CheckResult:
        out = _p()
        r = _check_find(self._ptr, check_id.encode(), ctypes.byref(out))
        if r == -_errno.ENOENT:
            raise KeyError(check_id)
        _ok(r, "rtvm_check_report_find")
        return _result(out)

    def to_json(self) -> str:
        out = _p()
        _ok(_check_to_json(self._ptr, ctypes.byref(out)),
            "rtvm_check_report_to_json")
        return _text(out)

    def __del__(self):
        if getattr(self, "_ptr", None):
            _check_unref(self._ptr)
            self._ptr = None


def status_name(status: int) -> Optional[str]:
    """A check status's name ("warn"), None for an unknown one."""
    return _str(_status_str(status))


# ---- IRQs (irq.h) -----------------------------------------------------------

class _IrqSteer(ctypes.Structure):
    _fields_ = [("size", _sz), ("flags", _uint), ("away_from", _p),
                ("housekeeping", _p), ("to_rt", _cpp), ("rt_cpus", _p),
                ("select", _cpp), ("cpus", _p), ("retries", _uint)]


class _IrqMove(ctypes.Structure):
    _fields_ = [("irq", _uint), ("name", _cp), ("status", _int),
                ("error_class", _int), ("error", _int), ("attempts", _uint),
                ("managed", _bool), ("narrowed", _bool), ("pending", _bool),
                ("thread", _int), ("thread_error", _int), ("before", _p),
                ("wanted", _p), ("effective", _p)]


_irqs_new = _fn("rtvm_irqs_new", _int, _p, _pp)
_irqs_unref = _fn("rtvm_irqs_unref", _p, _p)
_irqs_unparsed = _fn("rtvm_irqs_get_unparsed", _int, _p, _uintp)
_irqs_next = _fn("rtvm_irqs_next", _p, _p, _p)
_irqs_find = _fn("rtvm_irqs_find", _int, _p, _uint, _pp)
_irq_number = _fn("rtvm_irq_get_number", _int, _p)
_irq_name = _fn("rtvm_irq_get_name", _cp, _p)
_irq_kind = _fn("rtvm_irq_get_kind", _int, _p)
_irq_chip = _fn("rtvm_irq_get_chip", _cp, _p)
_irq_hwirq = _fn("rtvm_irq_get_hwirq", _cp, _p)
_irq_trigger = _fn("rtvm_irq_get_trigger", _cp, _p)
_irq_count = _fn("rtvm_irq_get_count", _ull, _p, _uint)
_irq_total = _fn("rtvm_irq_get_total", _ull, _p)
_irq_aff = _fn("rtvm_irq_get_affinity", _p, _p)
_irq_eff = _fn("rtvm_irq_get_effective_affinity", _p, _p)
_irq_node = _fn("rtvm_irq_get_node", _int, _p)
_irq_managed = _fn("rtvm_irq_is_managed", _bool, _p)
_irq_movable = _fn("rtvm_irq_is_movable", _bool, _p)
_irq_pci = _fn("rtvm_irq_get_pci", _cp, _p)
_irq_driver = _fn("rtvm_irq_get_driver", _cp, _p)
_irq_netdev = _fn("rtvm_irq_get_netdev", _cp, _p)
_irq_thread = _fn("rtvm_irq_get_thread", _int, _p)
_irq_match = _fn("rtvm_irq_match", _int, _p, _cp)
_irq_steer = _fn("rtvm_irq_steer", _int, _p, ctypes.POINTER(_IrqSteer), _p,
                 _pp)
_irq_set_aff = _fn("rtvm_irq_set_affinity", _int, _p, _uint, _p, _p)
_rep_count = _fn("rtvm_irq_report_count", _sz, _p)
_rep_get = _fn("rtvm_irq_report_get", ctypes.POINTER(_IrqMove), _p, _sz)
_rep_tally = _fn("rtvm_irq_report_tally", _sz, _p, _int)
_rep_default = _fn("rtvm_irq_report_get_default_affinity", _int, _p, _pp,
                   _pp)
_rep_free = _fn("rtvm_irq_report_free", _p, _p)
_err_class = _fn("rtvm_irq_error_class_to_string", _cp, _int)
_watch_new = _fn("rtvm_irq_watch_new", _int, _p, ctypes.POINTER(_IrqSteer),
                 _p, _uint, _pp)
_watch_unref = _fn("rtvm_irq_watch_unref", _p, _p)
_watch_fd = _fn("rtvm_irq_watch_get_fd", _int, _p)
_watch_dispatch = _fn("rtvm_irq_watch_dispatch", _int, _p, _pp)
_ib_probe = _fn("rtvm_irqbalance_probe", _int, _p, _pp)
_ib_unref = _fn("rtvm_irqbalance_unref", _p, _p)
_ib_pid = _fn("rtvm_irqbalance_get_pid", _int, _p)
_ib_source = _fn("rtvm_irqbalance_get_source", _int, _p)
_ib_kind = _fn("rtvm_irqbalance_get_ban_kind", _int, _p)
_ib_value = _fn("rtvm_irqbalance_get_ban_value", _cp, _p)
_ib_banned = _fn("rtvm_irqbalance_get_banned", _p, _p)
_ib_file = _fn("rtvm_irqbalance_get_file", _cp, _p)
_ib_stale = _fn("rtvm_irqbalance_is_stale", _bool, _p)
_ib_fights = _fn("rtvm_irqbalance_fights", _int, _p, _p)
_ib_ban = _fn("rtvm_irqbalance_ban", _int, _p, _p, _p)


class Irq:
    """One line of an Irqs inventory: a numbered IRQ or a system line
    (LOC, RES, ...; number None)."""

    def __init__(self, irqs, ptr):
        self._irqs, self._ptr = irqs, ptr

    @property
    def number(self) -> Optional[int]:
        n = _irq_number(self._ptr)
        return n if n >= 0 else None

    name = property(lambda self: _str(_irq_name(self._ptr)))
    kind = property(lambda self: IrqKind(_irq_kind(self._ptr)))
    chip = property(lambda self: _str(_irq_chip(self._ptr)))
    hwirq = property(lambda self: _str(_irq_hwirq(self._ptr)))
    trigger = property(lambda self: _str(_irq_trigger(self._ptr)))
    total = property(lambda self: _irq_total(self._ptr))
    node = property(lambda self: _opt(_irq_node(self._ptr)))
    managed = property(lambda self: bool(_irq_managed(self._ptr)))
    movable = property(lambda self: bool(_irq_movable(self._ptr)))
    pci = property(lambda self: _str(_irq_pci(self._ptr)))
    driver = property(lambda self: _str(_irq_driver(self._ptr)))
    netdev = property(lambda self: _str(_irq_netdev(self._ptr)))
    thread = property(lambda self: _irq_thread(self._ptr) or None,
                      doc="The tid of its irq/N-name thread, or None.")

    def count(self, cpu: int) -> int:
        """The interrupts one CPU has taken."""
        return _irq_count(self._ptr, cpu)

    @property
    def affinity(self) -> Optional[CpuMask]:
        return CpuMask._copy_of(_irq_aff(self._ptr))

    @property
    def effective_affinity(self) -> Optional[CpuMask]:
        return CpuMask._copy_of(_irq_eff(self._ptr))

    def match(self, selector: str) -> bool:
        """Whether a selector ("125", "net:eth*", "driver:ice", a glob of
        the actions) picks this IRQ."""
        return bool(_ok(_irq_match(self._ptr, selector.encode()),
                        "rtvm_irq_match(%r)" % selector))

    def as_dict(self) -> Dict[str, Any]:
        return {"irq": self.number, "name": self.name,
                "kind": _IRQ_KINDS.get(int(self.kind)), "total": self.total,
                "affinity": _mask_list(_irq_aff(self._ptr)),
                "effective_affinity": _mask_list(_irq_eff(self._ptr)),
                "managed": self.managed, "movable": self.movable,
                "pci": self.pci, "driver": self.driver,
                "netdev": self.netdev}


class Irqs:
    """An inventory of the host's interrupts: iterate for Irq lines
    (numbered ones first), irqs[125] for one."""

    def __init__(self, ctx: "Context"):
        self._ctx, self._ptr = ctx, _p()
        _ok(_irqs_new(ctx._ptr, ctypes.byref(self._ptr)), "rtvm_irqs_new",
            ctx)

    def __iter__(self) -> Iterator[Irq]:
        q = _irqs_next(self._ptr, None)
        while q:
            yield Irq(self, q)
            q = _irqs_next(self._ptr, q)

    def __getitem__(self, irq: int) -> Irq:
        out = _p()
        r = _irqs_find(self._ptr, irq, ctypes.byref(out))
        if r == -_errno.ENOENT:
            raise KeyError(irq)
        _ok(r, "rtvm_irqs_find(%d)" % irq)
        return Irq(self, out)

    @property
    def unparsed(self) -> Tuple[int, int]:
        """(lines of /proc/interrupts that did not parse, the first's
        line number or 0)."""
        first = _uint()
        n = _ok(_irqs_unparsed(self._ptr, ctypes.byref(first)),
                "rtvm_irqs_get_unparsed")
        return n, first.value

    def __del__(self):
        if getattr(self, "_ptr", None):
            _irqs_unref(self._ptr)
            self._ptr = None


class IrqReport(list):
    """A steering report: a list of dicts, one per IRQ a rule chose (irq,
    name, status, before, wanted, effective, error, error_class,
    attempts, managed, narrowed, pending, thread); .tally counts them by
    status name and .default_affinity is (before, after) when it was
    set, else None."""

    def __init__(self, rep):
        super().__init__()
        for i in range(_rep_count(rep)):
            m = _rep_get(rep, i).contents
            self.append({
                "irq": m.irq, "name": _str(m.name),
                "status": _IRQ_STATUS.get(m.status, m.status),
                "before": _mask_list(m.before),
                "wanted": _mask_list(m.wanted),
                "effective": _mask_list(m.effective),
                "error": _errno.errorcode.get(-m.error) if m.error else None,
                "error_class": _str(_err_class(m.error_class))
                if m.status == IrqStatus.FAILED else None,
                "attempts": m.attempts, "managed": m.managed,
                "narrowed": m.narrowed, "pending": m.pending,
                "thread": m.thread or None,
                "thread_error": _errno.errorcode.get(-m.thread_error)
                if m.thread_error else None,
            })
        self.tally = {name: _rep_tally(rep, s)
                      for s, name in _IRQ_STATUS.items()}
        before, after = _p(), _p()
        if _rep_default(rep, ctypes.byref(before), ctypes.byref(after)) == 0:
            self.default_affinity = (_mask_list(before), _mask_list(after))
        else:
            self.default_affinity = None


def _take_report(ptr):
    try:
        return IrqReport(ptr)
    finally:
        _rep_free(ptr)


class _SteerReq:
    """struct rtvm_irq_steer and the masks and arrays it points to."""

    def __init__(self, ctx, away_from=None, to_rt=(), rt_cpus=None,
                 select=(), cpus=None, housekeeping=None, dry_run=False,
                 threads=True, default_affinity=False, retries=0):
        flags = (_STEER_DRY_RUN if dry_run else 0) | \
            (0 if threads else _STEER_NO_THREADS) | \
            (_STEER_DEFAULT_AFFINITY if default_affinity else 0)
        self.masks = [_mask_arg(ctx, c)
                      for c in (away_from, housekeeping, rt_cpus, cpus)]
        to_rt_p, self.to_rt = _strv(to_rt)
        select_p, self.select = _strv(select)
        a, h, r, c = (_mp(m) for m in self.masks)
        self.req = _IrqSteer(ctypes.sizeof(_IrqSteer), flags, a, h, to_rt_p,
                             r, select_p, c, retries)


class IrqWatch:
    """Keeps IRQs where a steering request puts them (rtvm_irq_watch_new):
    poll fileno() for input, then call dispatch().  Close it (or use it
    as a context manager) to stop."""

    def __init__(self, ctx, req, changes, interval_ms):
        self._ctx, self._changes, self._ptr = ctx, changes, _p()
        _ok(_watch_new(ctx._ptr, ctypes.byref(req.req), changes._ptr,
                       interval_ms, ctypes.byref(self._ptr)),
            "rtvm_irq_watch_new", ctx)

    @property
    def changes(self) -> Changeset:
        return self._changes

    def fileno(self) -> int:
        return _ok(_watch_fd(self._ptr), "rtvm_irq_watch_get_fd")

    def dispatch(self) -> Tuple[int, Optional[IrqReport]]:
        """Re-apply the rules when due, without blocking: (how many IRQs
        were put back, the check's report or None)."""
        rep = _p()
        n = _ok(_watch_dispatch(self._ptr, ctypes.byref(rep)),
                "rtvm_irq_watch_dispatch", self._ctx)
        return n, _take_report(rep) if rep else None

    def close(self) -> None:
        if getattr(self, "_ptr", None):
            _watch_unref(self._ptr)
            self._ptr = None

    def __enter__(self) -> "IrqWatch":
        return self

    def __exit__(self, *exc):
        self.close()

    __del__ = close


class IrqBalance:
    """Whether irqbalance runs and which CPUs it keeps interrupts off."""

    def __init__(self, ctx: "Context"):
        self._ctx, self._ptr = ctx, _p()
        _ok(_ib_probe(ctx._ptr, ctypes.byref(self._ptr)),
            "rtvm_irqbalance_probe", ctx)

    pid = property(lambda self: _ib_pid(self._ptr) or None)
    source = property(lambda self: IrqBalanceSource(_ib_source(self._ptr)))
    ban_kind = property(lambda self: IrqBalanceBan(_ib_kind(self._ptr)))
    ban_value = property(lambda self: _str(_ib_value(self._ptr)))
    file = property(lambda self: _str(_ib_file(self._ptr)))
    stale = property(lambda self: bool(_ib_stale(self._ptr)),
                     doc="A restart would change the daemon's bans.")

    @property
    def banned(self) -> Optional[CpuMask]:
        return CpuMask._copy_of(_ib_banned(self._ptr), self._ctx)

    def fights(self, cpus: Cpus) -> bool:
        """Whether irqbalance may move interrupts onto some of cpus."""
        m = _mask_arg(self._ctx, cpus)
        return bool(_ok(_ib_fights(self._ptr, _mp(m)),
                        "rtvm_irqbalance_fights"))

    def __del__(self):
        if getattr(self, "_ptr", None):
            _ib_unref(self._ptr)
            self._ptr = None


# ---- PM QoS (pmqos.h) -------------------------------------------------------

_pmqos_hold = _fn("rtvm_pm_qos_hold", _int, _p, _p, _uint, _pp)
_pmqos_changes = _fn("rtvm_pm_qos_get_changes", _p, _p)
_pmqos_release = _fn("rtvm_pm_qos_release", _p, _p)


class PmQosHold:
    """CPUs kept out of deep idle states until release() (or the end of
    the with block).  cpus None: the global /dev/cpu_dma_latency request;
    else the CPUs' resume latency, whose old values .changes records."""

    def __init__(self, ctx: "Context", cpus: Cpus = None,
                 latency_us: int = 0):
        self._ctx, self._ptr = ctx, _p()
        m = _mask_arg(ctx, cpus)
        _ok(_pmqos_hold(ctx._ptr, _mp(m), latency_us,
                        ctypes.byref(self._ptr)), "rtvm_pm_qos_hold", ctx)
        self.changes = Changeset._shared(ctx, _pmqos_changes(self._ptr))

    def release(self) -> None:
        if getattr(self, "_ptr", None):
            _pmqos_release(self._ptr)
            self._ptr = None

    def __enter__(self) -> "PmQosHold":
        return self

    def __exit__(self, *exc):
        self.release()

    __del__ = release


# ---- capture (capture.h) ----------------------------------------------------

_capture = _fn("rtvm_capture", _int, _p, _cp, _uint)


# ---- CPU shields (shield.h) -------------------------------------------------

_sh_create = _fn("rtvm_shield_create", _int, _p, _p, _p, _cp, _uint, _p, _pp)
_sh_status = _fn("rtvm_shield_status", _int, _p, _cp, _pp)
_sh_destroy = _fn("rtvm_shield_destroy", _int, _p, _cp, _p, _uint)
_sh_add = _fn("rtvm_shield_add_threads", _int, _p, _cp, _intp, _uint, _uint,
              _p)
_sr_free = _fn("rtvm_shield_report_free", _p, _p)
_sr_active = _fn("rtvm_shield_report_is_active", _bool, _p)
_sr_version = _fn("rtvm_shield_report_get_cgroup_version", _int, _p)
_sr_cgroup = _fn("rtvm_shield_report_get_cgroup", _cp, _p)
_sr_rt = _fn("rtvm_shield_report_get_rt_cpus", _p, _p)
_sr_hk = _fn("rtvm_shield_report_get_housekeeping", _p, _p)
_sr_rounds = _fn("rtvm_shield_report_get_rounds", _uint, _p)
_sr_count = _fn("rtvm_shield_report_get_count", _uint, _p, _int)
_sr_next = _fn("rtvm_shield_report_next", _p, _p, _p)
_si_kind = _fn("rtvm_shield_item_get_kind", _int, _p)
_si_kind_str = _fn("rtvm_shield_item_kind_to_string", _cp, _int)
_si_pid = _fn("rtvm_shield_item_get_pid", _int, _p)
_si_tid = _fn("rtvm_shield_item_get_tid", _int, _p)
_si_comm = _fn("rtvm_shield_item_get_comm", _cp, _p)
_si_target = _fn("rtvm_shield_item_get_target", _cp, _p)
_si_old = _fn("rtvm_shield_item_get_old", _cp, _p)
_si_new = _fn("rtvm_shield_item_get_new", _cp, _p)
_si_reason = _fn("rtvm_shield_item_get_reason", _cp, _p)

ShieldItem = collections.namedtuple(
    "ShieldItem", "kind name pid tid comm target old new reason")
ShieldItem.__doc__ = """An entry of a shield report: kind (ShieldItemKind)
and its name ("moved"), the task (pid, tid, comm; 0/None for others),
where it went or the cgroup or file (target), old and new values, and
why (reason)."""


class ShieldReport:
    """What a shield operation did or found, copied out of the library:
    active, cgroup_version, cgroup, rt_cpus, housekeeping (list strings
    or None), rounds, counts (by kind name) and items (ShieldItems)."""

    def __init__(self, ptr):
        self.active = bool(_sr_active(ptr))
        self.cgroup_version = _sr_version(ptr)
        self.cgroup = _str(_sr_cgroup(ptr))
        self.rt_cpus = _mask_list(_sr_rt(ptr))
        self.housekeeping = _mask_list(_sr_hk(ptr))
        self.rounds = _sr_rounds(ptr)
        self.counts = {_str(_si_kind_str(k)): _sr_count(ptr, k)
                       for k in ShieldItemKind}
        self.total = _sr_count(ptr, -1)
        self.items = []
        i = _sr_next(ptr, None)
        while i:
            kind = _si_kind(i)
            self.items.append(ShieldItem(
                ShieldItemKind(kind), _str(_si_kind_str(kind)), _si_pid(i),
                _si_tid(i), _str(_si_comm(i)), _str(_si_target(i)),
                _str(_si_old(i)), _str(_si_new(i)), _str(_si_reason(i))))
            i = _sr_next(ptr, i)

    def __iter__(self) -> Iterator[ShieldItem]:
        return iter(self.items)


def _take_shield_report(ptr):
    try:
        return ShieldReport(ptr)
    finally:
        _sr_free(ptr)


class Shield:
    """A CPU shield made by Context.shield(): a housekeeping cpuset for
    everything else and an exclusive RT cpuset.  .report says what its
    creation did, .changes records it; destroy() (or leaving the with
    block) puts everything back."""

    def __init__(self, ctx, rt_cpus, housekeeping=None, scope=None,
                 kthreads=True, workqueue=True, changes=None):
        self._ctx, self.scope = ctx, scope
        self.changes = changes if changes is not None else Changeset(ctx)
        self.report = ctx.shield_create(rt_cpus, housekeeping, scope,
                                        kthreads=kthreads,
                                        workqueue=workqueue,
                                        changes=self.changes)
        self._up = True

    def add_threads(self, tids: Iterable[int], per_vcpu: bool = False) -> None:
        """Put threads (a VM's vCPUs) into the RT cgroup."""
        self._ctx.shield_add_threads(tids, self.scope, per_vcpu,
                                     self.changes)

    def destroy(self) -> None:
        if self._up:
            self._up = False
            self._ctx.shield_destroy(self.scope, self.changes)

    def __enter__(self) -> "Shield":
        return self

    def __exit__(self, *exc):
        self.destroy()


# ---- profiles and transactions (tune.h) -----------------------------------

_prof_json = _fn("rtvm_profile_new_from_json", _int, _p, _cp, _pp)
_prof_builtin = _fn("rtvm_profile_new_builtin", _int, _p, _cp, _pp)
_prof_builtin_at = _fn("rtvm_profile_get_builtin", _cp, _uint,
                       ctypes.POINTER(_cp))
_prof_unref = _fn("rtvm_profile_unref", _p, _p)
_prof_name = _fn("rtvm_profile_get_name", _cp, _p)
_prof_to_json = _fn("rtvm_profile_to_json", _int, _p, _pp)
_prof_vm = _fn("rtvm_profile_get_vm", _int, _p, _cpp, _cpp, _intp)
_tune_plan = _fn("rtvm_tune_plan", _int, _p, _p, _p, _pp)
_tune_apply = _fn("rtvm_tune_apply", _int, _p, _p, _p, _uint, _pp)
_tune_revert = _fn("rtvm_tune_revert", _int, _p, _cp, _uint)
_tune_status = _fn("rtvm_tune_status", _int, _p, _cp, _pp)
_tune_reconcile = _fn("rtvm_tune_reconcile", _int, _p, _cp, _uint, _pp)
_plan_unref = _fn("rtvm_plan_unref", _p, _p)
_plan_vm_id = _fn("rtvm_plan_get_vm_id", _cp, _p)
_plan_applied = _fn("rtvm_plan_is_applied", _int, _p)
_plan_drift = _fn("rtvm_plan_get_drift_count", _int, _p)
_plan_changes = _fn("rtvm_plan_get_changes", _p, _p)
_plan_to_json = _fn("rtvm_plan_to_json", _int, _p, _pp)


class Profile:
    """The desired real-time setup of one VM (rtvm-profile(5)), parsed
    strictly: Profile(ctx, json_text) or Profile.builtin(ctx, name)."""

    def __init__(self, ctx: "Context", text: Optional[str] = None, _ptr=None):
        self._ctx = ctx
        if _ptr is None:
            if not isinstance(text, str):
                text = json.dumps(text)
            _ptr = _p()
            _ok(_prof_json(ctx._ptr, text.encode(), ctypes.byref(_ptr)),
                "rtvm_profile_new_from_json", ctx)
        self._ptr = _ptr

    @staticmethod
    def builtins() -> List[Tuple[str, str]]:
        """The built-in profiles: (name, one-line description)."""
        out, i, desc = [], 0, _cp()
        while True:
            name = _prof_builtin_at(i, ctypes.byref(desc))
            if not name:
                return out
            out.append((_str(name), _str(desc.value)))
            i += 1

    @classmethod
    def builtin(cls, ctx: "Context", name: str) -> "Profile":
        """A built-in profile by name (see builtins()): "rt-host"
        (tuned's realtime-virtual-host), "nova-rt", "kubevirt-rt"."""
        ptr = _p()
        _ok(_prof_builtin(ctx._ptr, name.encode(), ctypes.byref(ptr)),
            "rtvm_profile_new_builtin(%r)" % name, ctx)
        return cls(ctx, _ptr=ptr)

    @property
    def name(self) -> Optional[str]:
        return _str(_prof_name(self._ptr))

    def to_json(self) -> str:
        out = _p()
        _ok(_prof_to_json(self._ptr, ctypes.byref(out)), "rtvm_profile_to_json")
        return _text(out)

    @property
    def vm(self) -> Optional[Tuple[Optional[str], Optional[str], int]]:
        """(libvirt URI, domain, pid) the profile selects, or None."""
        uri, dom, pid = _cp(), _cp(), _int()
        r = _prof_vm(self._ptr, ctypes.byref(uri), ctypes.byref(dom),
                     ctypes.byref(pid))
        if r == -_errno.ENOENT:
            return None
        _ok(r, "rtvm_profile_get_vm")
        return _str(uri.value), _str(dom.value), pid.value

    @property
    def boost_policy(self) -> Optional[Dict[str, int]]:
        """The profile's "boost" (what rtvm-boostd lets the VM's guest
        ask for) as a dict of struct rtvm_boost_policy's fields, which
        Broker.add_vm() takes as it is (0: the broker's default); None
        when the profile has no boost policy.  Applying the profile
        starts no broker."""
        pol = _BoostPolicy(size=ctypes.sizeof(_BoostPolicy))
        r = _prof_boost(self._ptr, ctypes.byref(pol))
        if r == -_errno.ENOENT:
            return None
        _ok(r, "rtvm_profile_get_boost_policy")
        return {f: getattr(pol, f) for f, _ in _BoostPolicy._fields_[1:]}

    def __del__(self):
        if getattr(self, "_ptr", None):
            _prof_unref(self._ptr)
            self._ptr = None


class Plan:
    """The writes applying a profile makes (or made): vm_id, applied
    (the profile was applied already), drift_count, changes (a
    Changeset: old is the value now, new the value applied), as_dict()."""

    def __init__(self, ctx, ptr):
        self._ctx, self._ptr = ctx, ptr

    vm_id = property(lambda self: _str(_plan_vm_id(self._ptr)))
    applied = property(lambda self: bool(_plan_applied(self._ptr)))
    drift_count = property(lambda self: _plan_drift(self._ptr))

    @property
    def changes(self) -> Changeset:
        return Changeset._shared(self._ctx, _plan_changes(self._ptr))

    def to_json(self) -> str:
        out = _p()
        _ok(_plan_to_json(self._ptr, ctypes.byref(out)), "rtvm_plan_to_json")
        return _text(out)

    def as_dict(self) -> Dict[str, Any]:
        return json.loads(self.to_json())

    def __del__(self):
        if getattr(self, "_ptr", None):
            _plan_unref(self._ptr)
            self._ptr = None


class Tuning:
    """A profile applied to a VM for the time of a with block
    (Context.tune()): entering applies it (all or nothing, journaled) and
    gives the Plan; leaving reverts it, also when the block raises."""

    def __init__(self, ctx, profile, vm):
        self._ctx, self._profile, self._vm = ctx, profile, vm
        self.plan = None

    def __enter__(self) -> Plan:
        self.plan = self._ctx.tune_apply(self._profile, self._vm)
        return self.plan

    def __exit__(self, *exc):
        self._ctx.tune_revert(self.plan.vm_id)


# ---- the VM monitor (monitor.h) ---------------------------------------------

class _MonVM(ctypes.Structure):
    _fields_ = [("size", _sz), ("id", _uint), ("pid", _int), ("name", _cp),
                ("rt_cpus", _p), ("flags", _uint), ("nr_threads", _uint),
                ("exited", _uint), ("fresh", _uint),
                ("kvm", _u64 * _MONITOR_KVM_NR)]


class _MonThread(ctypes.Structure):
    _fields_ = [("size", _sz), ("vm_id", _uint), ("tid", _int),
                ("role", _int), ("index", _int), ("name", _cp),
                ("fresh", _bool), ("have", _uint), ("cpu", _int),
                ("policy", _int), ("priority", _int), ("nice", _int),
                ("cpu_ns", _u64), ("run_delay_ns", _u64),
                ("timeslices", _u64), ("voluntary", _u64),
                ("involuntary", _u64), ("migrations", _u64),
                ("delay_count", _u64 * _MONITOR_DELAY_NR),
                ("delay_ns", _u64 * _MONITOR_DELAY_NR),
                ("total_cpu_ns", _u64), ("total_run_delay_ns", _u64),
                ("total_voluntary", _u64), ("total_involuntary", _u64),
                ("rt_runtime_us", ctypes.c_int64), ("rt_period_us", _u64),
                ("rt_throttled", _bool)]


class _MonCpu(ctypes.Structure):
    _fields_ = [("size", _sz), ("cpu", _uint), ("rt", _bool)] + \
        [(f, _u64) for f in ("user_ns", "nice_ns", "system_ns", "idle_ns",
                             "iowait_ns", "irq_ns", "softirq_ns", "steal_ns",
                             "guest_ns", "device_irqs", "local_timer",
                             "resched", "function_calls", "tlb_shootdowns",
                             "other_irqs")] + [("intruders", _uint),
                                               ("smis", _u64),
                                               ("smi_error", _int)]


class _MonIntruder(ctypes.Structure):
    _fields_ = [("size", _sz), ("pid", _int), ("tid", _int), ("name", _cp),
                ("cpu", _int), ("kthread", _bool), ("policy", _int),
                ("priority", _int), ("cpu_ns", _u64)]


_mon_new = _fn("rtvm_monitor_new", _int, _p, _uint, _pp)
_mon_free = _fn("rtvm_monitor_free", _p, _p)
_mon_add = _fn("rtvm_monitor_add_vm", _int, _p, _p, _p, _uintp)
_mon_sample = _fn("rtvm_monitor_sample", _int, _p)
_mon_interval = _fn("rtvm_monitor_get_interval_ns", _u64, _p)
_mon_cost = _fn("rtvm_monitor_get_cost_ns", _u64, _p)
_mon_vm = _fn("rtvm_monitor_get_vm", _int, _p, _uint, ctypes.POINTER(_MonVM))
_mon_thread = _fn("rtvm_monitor_get_thread", _int, _p, _uint,
                  ctypes.POINTER(_MonThread))
_mon_cpu = _fn("rtvm_monitor_get_cpu", _int, _p, _uint,
               ctypes.POINTER(_MonCpu))
_mon_intruder = _fn("rtvm_monitor_get_intruder", _int, _p, _uint,
                    ctypes.POINTER(_MonIntruder))
_mon_delay_str = _fn("rtvm_monitor_delay_to_string", _cp, _int)
_mon_kvm_str = _fn("rtvm_monitor_kvm_to_string", _cp, _int)
_mon_delayacct = _fn("rtvm_monitor_get_delayacct", _int, _p)

_DELAYS = [_mon_delay_str(i).decode() for i in range(_MONITOR_DELAY_NR)]
_KVM_STATS = [_mon_kvm_str(i).decode() for i in range(_MONITOR_KVM_NR)]


def _fields(s, skip=("size",)):
    out = {}
    for name, _ in s._fields_:
        if name in skip:
            continue
        v = getattr(s, name)
        out[name] = v.decode() if isinstance(v, bytes) else v
    return out


class Monitor:
    """A sampler of VMs' threads (rtvm_monitor_new): add VMs, call
    sample() each interval, then read vms(), threads(), cpus() (with
    cpus=True) and intruders() (intruders=True) as dicts of the
    interval's deltas.  taskstats=True adds delay accounting, kvm=True
    KVM's counters, smi=True (with cpus=True) the SMIs on the RT CPUs
    (smis, and smi_error: 0 or why they could not be read, -errno),
    rt_limit=True the RT throttling limit of FIFO/RR threads and whether
    it held them back (rt_limit: None, or (runtime_us, period_us,
    throttled))."""

    def __init__(self, ctx: "Context", cpus: bool = False,
                 intruders: bool = False, taskstats: bool = False,
                 kvm: bool = False, smi: bool = False,
                 rt_limit: bool = False):
        flags = (_MONITOR_CPUS if cpus else 0) | \
            (_MONITOR_INTRUDERS if intruders else 0) | \
            (_MONITOR_TASKSTATS if taskstats else 0) | \
            (_MONITOR_KVM if kvm else 0) | \
            (_MONITOR_SMI if smi else 0) | \
            (_MONITOR_RT_LIMIT if rt_limit else 0)
        self._ctx, self._ptr = ctx, _p()
        _ok(_mon_new(ctx._ptr, flags, ctypes.byref(self._ptr)),
            "rtvm_monitor_new", ctx)

    def add_vm(self, vm: VM, rt_cpus: Cpus = None) -> int:
        """Sample a VM from the next sample on; returns its id (from 1).
        rt_cpus None: where its vCPUs may run now."""
        vid = _uint()
        m = _mask_arg(self._ctx, rt_cpus)
        _ok(_mon_add(self._ptr, vm._ptr, _mp(m), ctypes.byref(vid)),
            "rtvm_monitor_add_vm", self._ctx)
        return vid.value

    def sample(self) -> None:
        """Read every counter; the first sample only sets the baseline."""
        _ok(_mon_sample(self._ptr), "rtvm_monitor_sample", self._ctx)

    interval_ns = property(lambda self: _mon_interval(self._ptr))
    cost_ns = property(lambda self: _mon_cost(self._ptr),
                       doc="The sampler's own CPU time for its last sample.")

    @property
    def delayacct(self) -> Optional[bool]:
        """Whether the kernel does delay accounting; None when unknown."""
        r = _mon_delayacct(self._ptr)
        return None if r < 0 else bool(r)

    def _each(self, fn, struct, convert):
        i, s = 0, struct(size=ctypes.sizeof(struct))
        while fn(self._ptr, i, ctypes.byref(s)) == 0:
            yield convert(s)
            i += 1

    @staticmethod
    def _vm(s):
        d = _fields(s, ("size", "kvm", "rt_cpus"))
        d["rt_cpus"] = _mask_list(s.rt_cpus)
        d["gone"] = bool(s.flags & 1)
        d["kvm"] = dict(zip(_KVM_STATS, s.kvm)) if s.flags & 2 else None
        return d

    @staticmethod
    def _thread(s):
        d = _fields(s, ("size", "delay_count", "delay_ns", "rt_runtime_us",
                        "rt_period_us", "rt_throttled"))
        d["rt_limit"] = (s.rt_runtime_us, s.rt_period_us,
                         bool(s.rt_throttled)) if s.have & 16 else None
        d["role"] = Role(s.role)
        d["policy"] = _policy(s.policy)
        d["index"] = s.index if s.index >= 0 else None
        d["delays"] = {k: (s.delay_count[i], s.delay_ns[i])
                       for i, k in enumerate(_DELAYS)} if s.have & 8 else None
        return d

    def vms(self) -> Iterator[Dict[str, Any]]:
        return self._each(_mon_vm, _MonVM, self._vm)

    def threads(self) -> Iterator[Dict[str, Any]]:
        """Per thread: vCPUs by index, the emulator, iothreads, others."""
        return self._each(_mon_thread, _MonThread, self._thread)

    def cpus(self) -> Iterator[Dict[str, Any]]:
        return self._each(_mon_cpu, _MonCpu, _fields)

    def intruders(self) -> Iterator[Dict[str, Any]]:
        """Other threads that ran on the RT CPUs, most CPU time first."""
        return self._each(_mon_intruder, _MonIntruder, _fields)

    def close(self) -> None:
        if getattr(self, "_ptr", None):
            _mon_free(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Monitor":
        return self

    def __exit__(self, *exc):
        self.close()

    __del__ = close


# ---- context ----------------------------------------------------------------

class Context:
    """A librtvm context: this host, or a sysroot standing in for one
    (sysroot=DIR, or RTVM_SYSROOT).  Its log goes to the logger "rtvm";
    log_priority (a syslog priority, LOG_ERR by default) says how much."""

    def __init__(self, sysroot: Optional[str] = None,
                 log_priority: Optional[int] = None):
        self._ptr = _p()
        self._message = None
        _ok(_new(ctypes.byref(self._ptr)), "rtvm_new")
        self._logfn = _LogFn(self._on_log)
        _set_log_fn(self._ptr, self._logfn)
        if log_priority is not None:
            self.log_priority = log_priority
        if sysroot is not None:
            _ok(_set_root(self._ptr, os.fsencode(sysroot)),
                "rtvm_set_root(%r)" % sysroot, self)

    def _on_log(self, ctx, priority, file, line, fn, fmt, args):
        try:
            buf = ctypes.create_string_buffer(1024)
            _libc.vsnprintf(buf, len(buf), fmt, args)
            text = buf.value.decode(errors="replace")
            if priority <= LOG_WARNING:
                self._message = text
            _log.log(_LOG_LEVELS.get(priority, logging.DEBUG), "%s", text)
        except Exception:   # a callback must not raise into C
            pass

    def _take_message(self):
        msg, self._message = self._message, None
        return msg

    def __del__(self):
        if getattr(self, "_ptr", None):
            _set_log_fn(self._ptr, _LogFn())
            _unref(self._ptr)
            self._ptr = None

    @property
    def root(self) -> str:
        """The sysroot in force, "/" for the real host."""
        return _get_root(self._ptr).decode()

    @property
    def log_priority(self) -> int:
        return _get_log_prio(self._ptr)

    @log_priority.setter
    def log_priority(self, priority: int) -> None:
        _ok(_set_log_prio(self._ptr, priority),
            "rtvm_set_log_priority(%r)" % priority)

    def set_state_dir(self, path: Optional[str]) -> None:
        """Where applied profiles keep their journals (None: the
        default, $RTVM_STATE_DIR or /run/rtvm in the sysroot)."""
        _ok(_set_state_dir(self._ptr, _b(path)),
            "rtvm_set_state_dir(%r)" % path, self)

    def mask(self, cpus: Cpus = None) -> CpuMask:
        """A CPU mask sized for this host."""
        return CpuMask(self, cpus)

    # host model
    def host(self, flags: int = 0) -> Host:
        return Host(self, flags)

    def online_cpus(self) -> Optional[str]:
        m = Host(self, HOST_CPUS).cpus(CpuSet.ONLINE)
        return str(m) if m is not None else None

    def isolated_cpus(self) -> Optional[str]:
        m = Host(self, HOST_CPUS).cpus(CpuSet.ISOLATED)
        return str(m) if m is not None else None

    def capture(self, destdir: str, threads: bool = False) -> None:
        """Copy every file the host model reads into a new sysroot."""
        _ok(_capture(self._ptr, os.fsencode(destdir),
                     _CAPTURE_THREADS if threads else 0),
            "rtvm_capture(%r)" % destdir, self)

    # change records
    def sysctl(self, name: str) -> str:
        """A sysctl by dotted name ("kernel.sched_rt_runtime_us")."""
        out = _p()
        _ok(_sysctl_get(self._ptr, name.encode(), ctypes.byref(out)),
            "rtvm_sysctl_get(%r)" % name, self)
        return _text(out)

    def set_sysctl(self, name: str, value: str,
                   changes: Optional[Changeset] = None) -> None:
        _ok(_sysctl_set(self._ptr, name.encode(), str(value).encode(),
                        _csp(changes)),
            "rtvm_sysctl_set(%r, %r)" % (name, value), self)

    # scheduling
    def get_sched(self, pid: int, tid: int) -> SchedAttr:
        """A thread's scheduling attributes."""
        a = _sched_attr(0, 0, 0, 0, 0, 0)
        _ok(_th_get_sched(self._ptr, pid, tid, ctypes.byref(a)),
            "rtvm_thread_get_sched(%d, %d)" % (pid, tid), self)
        return SchedAttr(_policy(a.policy), a.priority, a.nice, a.runtime_ns,
                         a.deadline_ns, a.period_ns)

    def set_sched(self, pid: int, tid: int, policy: Policy,
                  priority: int = 0, nice: int = 0,
                  changes: Optional[Changeset] = None, runtime_ns: int = 0,
                  deadline_ns: int = 0, period_ns: int = 0,
                  provision_rt: bool = False) -> None:
        """Set a thread's policy and record the original in changes."""
        a = _sched_attr(policy, priority, nice, runtime_ns, deadline_ns,
                        period_ns)
        _ok(_th_set_sched(self._ptr, pid, tid, ctypes.byref(a),
                          _SCHED_PROVISION_RT if provision_rt else 0,
                          _csp(changes)),
            "rtvm_thread_set_sched(%d, %d)" % (pid, tid), self)

    def set_affinity(self, pid: int, tid: int, cpus: Cpus,
                     changes: Optional[Changeset] = None) -> None:
        """Pin a thread, recording the original."""
        m = _mask_arg(self, cpus)
        _ok(_th_set_aff(self._ptr, pid, tid, _mp(m), _csp(changes)),
            "rtvm_thread_set_affinity(%d, %d)" % (pid, tid), self)

    def kthreads_apply(self, cpus: Cpus, profile: Optional[str] = None,
                       changes: Optional[Changeset] = None) -> None:
        """Set the priorities of the per-CPU kernel threads of cpus from a
        named profile (None: "rt-host")."""
        m = _mask_arg(self, cpus)
        _ok(_kthreads_apply(self._ptr, _mp(m), _b(profile), _csp(changes)),
            "rtvm_kthreads_apply", self)

    # VMs
    def vm(self, pid: int) -> VM:
        return VM(self, pid)

    def libvirt_vm(self, domain: str, uri: Optional[str] = None) -> VM:
        return VM.from_libvirt(self, domain, uri)

    # checks
    def check_report(self, rt_cpus: Cpus = None, only: Optional[str] = None,
                     vm_pid: int = 0, max_exit_latency_us: int = 0,
                     sample_ms: int = 0, noise_ms: int = 0,
                     noise_threshold_us: int = 0,
                     noise_cpu: Optional[int] = None) -> CheckReport:
        """Run the readiness checks (rtvm_check_run); zero options take
        the library's defaults."""
        m = _mask_arg(self, rt_cpus)
        opts = _CheckOpts(ctypes.sizeof(_CheckOpts),
                          _CHECK_NOISE_CPU if noise_cpu is not None else 0,
                          _mp(m), _b(only), max_exit_latency_us, sample_ms,
                          noise_ms, noise_threshold_us, noise_cpu or 0,
                          vm_pid)
        rep = _p()
        _ok(_check_run(self._ptr, ctypes.byref(opts), ctypes.byref(rep)),
            "rtvm_check_run", self)
        return CheckReport(self, rep)

    def check(self, rt_cpus: Cpus = None, only: Optional[str] = None,
              vm_pid: int = 0, **opts) -> Dict[str, Any]:
        """The readiness checks, as the JSON document rtvm-check prints;
        with vm_pid, topology.numa relates that VM's memory to the RT
        CPUs."""
        return json.loads(self.check_report(rt_cpus, only, vm_pid,
                                            **opts).to_json())

    # IRQs
    def irq_inventory(self) -> Irqs:
        return Irqs(self)

    def irqs(self) -> List[Dict[str, Any]]:
        """Every interrupt line as a dict, numbered ones first."""
        return [q.as_dict() for q in Irqs(self)]

    def steer_irqs(self, away_from: Cpus = None, to_rt: Iterable[str] = (),
                   rt_cpus: Cpus = None, select: Iterable[str] = (),
                   cpus: Cpus = None, housekeeping: Cpus = None,
                   dry_run: bool = False, threads: bool = True,
                   default_affinity: bool = False, retries: int = 0,
                   changes: Optional[Changeset] = None
                   ) -> Tuple[IrqReport, Changeset]:
        """rtvm_irq_steer(): returns (report, changes).  An IRQ takes the
        first rule that picks it: to_rt (selectors, to rt_cpus), select
        (to cpus), then away_from."""
        if changes is None:
            changes = Changeset(self)
        req = _SteerReq(self, away_from, to_rt, rt_cpus, select, cpus,
                        housekeeping, dry_run, threads, default_affinity,
                        retries)
        rep = _p()
        _ok(_irq_steer(self._ptr, ctypes.byref(req.req), changes._ptr,
                       ctypes.byref(rep)), "rtvm_irq_steer", self)
        return _take_report(rep), changes

    def set_irq_affinity(self, irq: int, cpus: Cpus,
                         changes: Optional[Changeset] = None) -> None:
        m = _mask_arg(self, cpus)
        _ok(_irq_set_aff(self._ptr, irq, _mp(m), _csp(changes)),
            "rtvm_irq_set_affinity(%d)" % irq, self)

    def irq_watch(self, changes: Optional[Changeset] = None,
                  interval_ms: int = 0, **steer) -> IrqWatch:
        """Keep IRQs where steer_irqs(**steer) puts them."""
        req = _SteerReq(self, **steer)
        return IrqWatch(self, req,
                        changes if changes is not None else Changeset(self),
                        interval_ms)

    def irqbalance(self) -> IrqBalance:
        return IrqBalance(self)

    def irqbalance_ban(self, cpus: Cpus,
                       changes: Optional[Changeset] = None) -> bool:
        """Add cpus to irqbalance's bans in its environment file; True
        when the running daemon needs a restart to see them."""
        m = _mask_arg(self, cpus)
        return bool(_ok(_ib_ban(self._ptr, _mp(m), _csp(changes)),
                        "rtvm_irqbalance_ban", self))

    # PM QoS
    def pm_qos_hold(self, cpus: Cpus = None, latency_us: int = 0) -> PmQosHold:
        return PmQosHold(self, cpus, latency_us)

    # shields
    def shield_create(self, rt_cpus: Cpus, housekeeping: Cpus = None,
                      scope: Optional[str] = None, dry_run: bool = False,
                      kthreads: bool = True, workqueue: bool = True,
                      changes: Optional[Changeset] = None) -> ShieldReport:
        """Make a shield (rtvm_shield_create); nothing changed on failure."""
        flags = (_SHIELD_DRY_RUN if dry_run else 0) | \
            (0 if kthreads else _SHIELD_NO_KTHREADS) | \
            (0 if workqueue else _SHIELD_NO_WORKQUEUE)
        rt, hk = _mask_arg(self, rt_cpus), _mask_arg(self, housekeeping)
        rep = _p()
        _ok(_sh_create(self._ptr, _mp(rt), _mp(hk), _b(scope), flags,
                       _csp(changes), ctypes.byref(rep)),
            "rtvm_shield_create", self)
        return _take_shield_report(rep)

    def shield(self, rt_cpus: Cpus, housekeeping: Cpus = None,
               scope: Optional[str] = None, kthreads: bool = True,
               workqueue: bool = True,
               changes: Optional[Changeset] = None) -> Shield:
        """A shield that destroy() or the end of a with block removes."""
        return Shield(self, rt_cpus, housekeeping, scope, kthreads,
                      workqueue, changes)

    def shield_status(self, scope: Optional[str] = None) -> ShieldReport:
        rep = _p()
        _ok(_sh_status(self._ptr, _b(scope), ctypes.byref(rep)),
            "rtvm_shield_status", self)
        return _take_shield_report(rep)

    def shield_destroy(self, scope: Optional[str] = None,
                       changes: Optional[Changeset] = None,
                       dry_run: bool = False) -> None:
        _ok(_sh_destroy(self._ptr, _b(scope), _csp(changes),
                        _SHIELD_DRY_RUN if dry_run else 0),
            "rtvm_shield_destroy", self)

    def shield_add_threads(self, tids: Iterable[int],
                           scope: Optional[str] = None,
                           per_vcpu: bool = False,
                           changes: Optional[Changeset] = None) -> None:
        tids = list(tids)
        arr = (_int * max(len(tids), 1))(*tids)
        _ok(_sh_add(self._ptr, _b(scope), arr, len(tids),
                    _SHIELD_PER_VCPU if per_vcpu else 0, _csp(changes)),
            "rtvm_shield_add_threads(%r)" % tids, self)

    # profiles and transactions
    def tune_plan(self, profile: Profile, vm: VM) -> Plan:
        """What applying profile to vm would write now; changes nothing."""
        out = _p()
        _ok(_tune_plan(self._ptr, profile._ptr, vm._ptr, ctypes.byref(out)),
            "rtvm_tune_plan", self)
        return Plan(self, out)

    def tune_apply(self, profile: Profile, vm: VM) -> Plan:
        """Apply profile to vm, all or nothing, with a crash-safe journal
        in the state directory; returns the plan applied."""
        out = _p()
        _ok(_tune_apply(self._ptr, profile._ptr, vm._ptr, 0,
                        ctypes.byref(out)), "rtvm_tune_apply", self)
        return Plan(self, out)

    def tune(self, profile: Profile, vm: VM) -> Tuning:
        """Apply for the time of a with block, then revert."""
        return Tuning(self, profile, vm)

    def tune_revert(self, vm_id: str) -> None:
        """Put back what a VM's journal records ("pid-PID" or a libvirt
        domain name)."""
        _ok(_tune_revert(self._ptr, vm_id.encode(), 0),
            "rtvm_tune_revert(%r)" % vm_id, self)

    def tune_status(self, vm_id: Optional[str] = None) -> Dict[str, Any]:
        """What is applied for which VM, and drift, as a dict."""
        out = _p()
        _ok(_tune_status(self._ptr, _b(vm_id), ctypes.byref(out)),
            "rtvm_tune_status", self)
        return json.loads(_text(out))

    def tune_reconcile(self, vm_id: Optional[str] = None) -> Dict[str, Any]:
        """Put settings that drifted back to the values applied, for one
        VM or all; the report as a dict.  A setting that could not be
        put back raises Error(EAGAIN) with the report as .report."""
        out = _p()
        r = _tune_reconcile(self._ptr, _b(vm_id), 0, ctypes.byref(out))
        report = json.loads(_text(out)) if out else None
        if r == -_errno.EAGAIN:
            e = Error(-r, "rtvm_tune_reconcile", None)
            e.report = report
            raise e
        _ok(r, "rtvm_tune_reconcile", self)
        return report

    # monitor and boost
    def monitor(self, **flags) -> Monitor:
        return Monitor(self, **flags)

    def broker(self) -> "Broker":
        return Broker(self)


# ---- guest boost (rtvm-boost(7)): messages, the host broker, the guest ------

BOOST_HELLO, BOOST_BOOST, BOOST_DEBOOST, BOOST_QUERY = 1, 2, 3, 4
BOOST_ACK = 0x80
BOOST_MSG_SIZE = 32
_BOOST_FIELDS = ("version", "type", "vcpu", "seq", "policy", "priority",
                 "status", "until_us", "runtime_us", "deadline_us",
                 "period_us", "features")


class _BoostMsg(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint8), ("type", ctypes.c_uint8),
                ("vcpu", ctypes.c_uint16), ("seq", ctypes.c_uint32),
                ("policy", ctypes.c_uint8), ("priority", ctypes.c_uint8),
                ("status", ctypes.c_uint16), ("until_us", ctypes.c_uint32),
                ("runtime_us", ctypes.c_uint32),
                ("deadline_us", ctypes.c_uint32),
                ("period_us", ctypes.c_uint32),
                ("features", ctypes.c_uint32)]


class _BoostPolicy(ctypes.Structure):
    _fields_ = [("size", _sz)] + [(f, _uint) for f in (
        "policies", "max_priority", "max_boost_us", "budget_us",
        "budget_period_us", "rate", "burst", "max_lead_us")]


class _BoostStats(ctypes.Structure):
    _fields_ = [("size", _sz)] + [(f, _u64) for f in (
        "requests", "boosts", "deboosts", "expired", "budget_ends",
        "closed")] + [("refused", _u64 * _BOOST_NR_REASONS),
                      ("acks_dropped", _u64), ("boosted_ns", _u64),
                      ("scheduled", _u64), ("started", _u64),
                      ("start_late_max_ns", _u64),
                      ("boosted", _int), ("channels", _int)]


class _BoostEvent(ctypes.Structure):
    _fields_ = [("size", _sz), ("time_ns", _u64), ("id", _uint),
                ("tid", _int), ("request", _BoostMsg), ("ack", _BoostMsg)]


_prof_boost = _fn("rtvm_profile_get_boost_policy", _int, _p,
                  ctypes.POINTER(_BoostPolicy))
_BoostMsgP = ctypes.POINTER(_BoostMsg)
_boost_encode = _fn("rtvm_boost_msg_encode", _int, _BoostMsgP, _cp)
_boost_decode = _fn("rtvm_boost_msg_decode", _int, _cp, _BoostMsgP)
_boost_reason = _fn("rtvm_boost_reason_to_string", _cp, _int)
_b_new = _fn("rtvm_boost_new", _int, _p, _uint, _pp)
_b_unref = _fn("rtvm_boost_unref", _p, _p)
_b_add_vm = _fn("rtvm_boost_add_vm", _int, _p, _p,
                ctypes.POINTER(_BoostPolicy), _uintp)
_b_set_policy = _fn("rtvm_boost_set_policy", _int, _p, _uint,
                    ctypes.POINTER(_BoostPolicy))
_b_changes = _fn("rtvm_boost_get_changes", _p, _p, _uint)
_b_remove_vm = _fn("rtvm_boost_remove_vm", _int, _p, _uint)
_b_add_channel = _fn("rtvm_boost_add_channel", _int, _p, _uint, _int)
_b_add_doorbell = _fn("rtvm_boost_add_doorbell", _int, _p, _uint, _cp,
                      _uint, _uint)
_b_fd = _fn("rtvm_boost_get_fd", _int, _p)
_b_dispatch = _fn("rtvm_boost_dispatch", _int, _p)
_b_request = _fn("rtvm_boost_request", _int, _p, _uint, _BoostMsgP,
                 _BoostMsgP)
_b_stats = _fn("rtvm_boost_get_stats", _int, _p, _uint, _int,
               ctypes.POINTER(_BoostStats))
_b_next_event = _fn("rtvm_boost_next_event", _int, _p,
                    ctypes.POINTER(_BoostEvent), ctypes.POINTER(_u64))
_guest_open = _fn("rtvm_boost_guest_open", _int, _cp, _int, _pp)
_bell_open = _fn("rtvm_boost_bell_open", _int, _cp, _pp)
_bell_open_fd = _fn("rtvm_boost_bell_open_fd", _int, _int, _int, _pp)
_bell_close = _fn("rtvm_boost_bell_close", _p, _p)
_bell_nr = _fn("rtvm_boost_bell_get_nr_vcpus", _uint, _p)
_bell_post = _fn("rtvm_boost_bell_post", _int, _p, _BoostMsgP)
_bell_ack = _fn("rtvm_boost_bell_get_ack", _int, _p, _uint, _BoostMsgP)
_guest_close = _fn("rtvm_boost_guest_close", _p, _p)
_guest_limits = _fn("rtvm_boost_guest_get_limits", _BoostMsgP, _p)
_guest_fd = _fn("rtvm_boost_guest_get_fd", _int, _p)
_guest_send = _fn("rtvm_boost_guest_send", _int, _p, _BoostMsgP)
_guest_recv = _fn("rtvm_boost_guest_recv", _int, _p, _BoostMsgP, _int)
_guest_call = _fn("rtvm_boost_guest_call", _int, _p, _BoostMsgP, _BoostMsgP,
                  _int)


def _msg_dict(m):
    return {f: getattr(m, f) for f in _BOOST_FIELDS}


def _msg(fields, version=None):
    if version is not None:
        fields.setdefault("version", version)
    unknown = set(fields) - set(_BOOST_FIELDS)
    if unknown:
        raise TypeError("unknown message fields: %s" % ", ".join(sorted(unknown)))
    return _BoostMsg(**fields)


def boost_encode(**fields) -> bytes:
    """The 32 wire bytes of a message given by its fields (version
    defaults to 1); Error(EINVAL) for version 0 or an unknown type."""
    m = _msg(fields, 1)
    buf = ctypes.create_string_buffer(BOOST_MSG_SIZE)
    _ok(_boost_encode(ctypes.byref(m), buf), "rtvm_boost_msg_encode")
    return buf.raw


def boost_decode(data: bytes) -> Dict[str, int]:
    """The fields of a message, as a dict; Error(EBADMSG) for a malformed
    one (rtvm-boost(7))."""
    if len(data) != BOOST_MSG_SIZE:
        raise ValueError("a boost message is 32 bytes, not %d" % len(data))
    m = _BoostMsg()
    _ok(_boost_decode(data, ctypes.byref(m)), "rtvm_boost_msg_decode")
    return _msg_dict(m)


def boost_reason(status: int) -> Optional[str]:
    """A status code's name ("ceiling"), or None."""
    return _str(_boost_reason(status))


def _boost_policy(policy):
    if policy is None:
        return None
    unknown = set(policy) - {f for f, _ in _BoostPolicy._fields_[1:]}
    if unknown:
        raise TypeError("unknown policy fields: %s" % ", ".join(sorted(unknown)))
    return ctypes.byref(_BoostPolicy(size=ctypes.sizeof(_BoostPolicy),
                                     **policy))


class Broker:
    """The host's boost broker (rtvm_boost_new): it applies the boost
    requests of its VMs within each VM's policy (a dict of
    struct rtvm_boost_policy's fields: policies, max_priority,
    max_boost_us, budget_us, budget_period_us, rate, burst, max_lead_us;
    missing ones
    take the defaults).  Poll fileno() and call dispatch(); close() (or
    the end of a with block) ends every boost."""

    def __init__(self, ctx: Context):
        self._ctx, self._ptr = ctx, _p()
        _ok(_b_new(ctx._ptr, 0, ctypes.byref(self._ptr)), "rtvm_boost_new",
            ctx)

    def add_vm(self, vm: VM, policy: Optional[Dict[str, int]] = None) -> int:
        """Let a VM's guest boost its vCPUs; returns its id (from 1)."""
        vid = _uint()
        _ok(_b_add_vm(self._ptr, vm._ptr, _boost_policy(policy),
                      ctypes.byref(vid)), "rtvm_boost_add_vm", self._ctx)
        return vid.value

    def set_policy(self, vm_id: int,
                   policy: Optional[Dict[str, int]] = None) -> None:
        _ok(_b_set_policy(self._ptr, vm_id, _boost_policy(policy)),
            "rtvm_boost_set_policy(%d)" % vm_id, self._ctx)

    def changes(self, vm_id: int) -> Changeset:
        """Records that put the VM's vCPUs back as they were when added
        (for a journal: restore them if the broker dies)."""
        ptr = _b_changes(self._ptr, vm_id)
        if not ptr:
            raise Error(_errno.ENOENT, "rtvm_boost_get_changes(%d)" % vm_id)
        return Changeset._shared(self._ctx, ptr)

    def remove_vm(self, vm_id: int) -> None:
        _ok(_b_remove_vm(self._ptr, vm_id), "rtvm_boost_remove_vm(%d)" % vm_id,
            self._ctx)

    def add_channel(self, vm_id: int, fd: Union[int, socket.socket]) -> None:
        """Read a VM's requests from a connected stream; the broker owns
        it from now on (a socket object is detached)."""
        if isinstance(fd, socket.socket):
            fd = fd.detach()
        _ok(_b_add_channel(self._ptr, vm_id, fd),
            "rtvm_boost_add_channel(%d)" % vm_id, self._ctx)

    def add_doorbell(self, vm_id: int, path: str, vectors: int = 0) -> None:
        """Serve the VM's doorbell: be the ivshmem server on a new Unix
        socket at path for its QEMU's ivshmem-doorbell device (vectors:
        the device's, 0 for 1)."""
        _ok(_b_add_doorbell(self._ptr, vm_id, _b(path), vectors, 0),
            "rtvm_boost_add_doorbell(%d, %s)" % (vm_id, path), self._ctx)

    def fileno(self) -> int:
        return _ok(_b_fd(self._ptr), "rtvm_boost_get_fd")

    def dispatch(self) -> int:
        """Handle what is pending without blocking; returns how many
        requests were handled."""
        return _ok(_b_dispatch(self._ptr), "rtvm_boost_dispatch", self._ctx)

    def request(self, vm_id: int, **fields) -> Dict[str, int]:
        """Judge one request without a channel; returns its
        acknowledgement (a refusal is an ack with a status)."""
        req, ack = _msg(fields, 1), _BoostMsg()
        _ok(_b_request(self._ptr, vm_id, ctypes.byref(req),
                       ctypes.byref(ack)), "rtvm_boost_request", self._ctx)
        return _msg_dict(ack)

    def stats(self, vm_id: int, vcpu: int = -1) -> Dict[str, Any]:
        """A VM's counters (vcpu -1) or one vCPU's; refused is by reason
        name."""
        s = _BoostStats(size=ctypes.sizeof(_BoostStats))
        _ok(_b_stats(self._ptr, vm_id, vcpu, ctypes.byref(s)),
            "rtvm_boost_get_stats(%d, %d)" % (vm_id, vcpu), self._ctx)
        d = _fields(s, ("size", "refused"))
        d["refused"] = {boost_reason(i): s.refused[i]
                        for i in range(1, _BOOST_NR_REASONS)}
        return d

    def events(self) -> Iterator[Dict[str, Any]]:
        """Take the audit trail's entries, oldest first: time_ns, id,
        tid, request, ack (dicts) and lost (entries overwritten before)."""
        e, lost = _BoostEvent(size=ctypes.sizeof(_BoostEvent)), _u64()
        while True:
            r = _b_next_event(self._ptr, ctypes.byref(e), ctypes.byref(lost))
            if r == -_errno.EAGAIN:
                return
            _ok(r, "rtvm_boost_next_event")
            yield {"time_ns": e.time_ns, "id": e.id, "tid": e.tid,
                   "request": _msg_dict(e.request), "ack": _msg_dict(e.ack),
                   "lost": lost.value}

    def close(self) -> None:
        if getattr(self, "_ptr", None):
            _b_unref(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Broker":
        return self

    def __exit__(self, *exc):
        self.close()

    __del__ = close


class BoostBell:
    """The guest's end of a boost doorbell: the ivshmem PCI device's
    sysfs directory (or a directory of devices, default
    /sys/bus/pci/devices), or BoostBell.from_fds(shm_fd, ring_fd).
    post() never waits; ack() is None while the host has not answered."""

    def __init__(self, path: Optional[str] = None, _fds=None):
        self._ptr = _p()
        if _fds is None:
            _ok(_bell_open(_b(path), ctypes.byref(self._ptr)),
                "rtvm_boost_bell_open")
        else:
            _ok(_bell_open_fd(_fds[0], _fds[1], ctypes.byref(self._ptr)),
                "rtvm_boost_bell_open_fd")

    @classmethod
    def from_fds(cls, shm_fd: int, ring_fd: int) -> "BoostBell":
        """From the region's descriptor and an eventfd to ring (both
        stay the caller's)."""
        return cls(_fds=(shm_fd, ring_fd))

    @property
    def nr_vcpus(self) -> int:
        return _bell_nr(self._ptr)

    def post(self, type: int, **fields) -> int:
        """Write a BOOST or DEBOOST into its vCPU's line and ring;
        returns its sequence number (errno EBUSY: the line's previous
        request has no answer yet)."""
        req = _BoostMsg(type=type, **fields)
        _ok(_bell_post(self._ptr, ctypes.byref(req)), "rtvm_boost_bell_post")
        return req.seq

    def ack(self, vcpu: int) -> Optional[Dict[str, int]]:
        """The ACK of the line's latest request, None when not there yet."""
        m = _BoostMsg()
        r = _bell_ack(self._ptr, vcpu, ctypes.byref(m))
        if r == -_errno.EAGAIN:
            return None
        _ok(r, "rtvm_boost_bell_get_ack")
        return _msg_dict(m)

    def close(self) -> None:
        if getattr(self, "_ptr", None):
            _bell_close(self._ptr)
            self._ptr = None

    def __enter__(self) -> "BoostBell":
        return self

    def __exit__(self, *exc):
        self.close()

    __del__ = close


class BoostGuest:
    """The guest's end of a boost channel: a virtio-serial port (default
    /dev/virtio-ports/org.librtvm.boost.0) or a Unix socket.  Opening it
    agrees on a version; .limits is the host's answer."""

    def __init__(self, path: Optional[str] = None, timeout_ms: int = 5000):
        self._ptr = _p()
        _ok(_guest_open(_b(path), timeout_ms, ctypes.byref(self._ptr)),
            "rtvm_boost_guest_open")
        self.limits = _msg_dict(_guest_limits(self._ptr).contents)

    def fileno(self) -> int:
        """Readable when an acknowledgement has come."""
        return _ok(_guest_fd(self._ptr), "rtvm_boost_guest_get_fd")

    def send(self, type: int, **fields) -> int:
        """Post a request without waiting; returns its sequence number."""
        req = _BoostMsg(type=type, **fields)
        _ok(_guest_send(self._ptr, ctypes.byref(req)), "rtvm_boost_guest_send")
        return req.seq

    def recv(self, timeout_ms: int = -1) -> Optional[Dict[str, int]]:
        """The next acknowledgement (or host's end of a boost), None when
        nothing came within timeout_ms (0: do not wait, -1: no end)."""
        ack = _BoostMsg()
        r = _guest_recv(self._ptr, ctypes.byref(ack), timeout_ms)
        if r == -_errno.EAGAIN:
            return None
        _ok(r, "rtvm_boost_guest_recv")
        return _msg_dict(ack)

    def call(self, type: int, timeout_ms: int = 5000,
             **fields) -> Dict[str, int]:
        """Send a request and wait for its acknowledgement (a dict; its
        "status" says whether it was applied)."""
        req = _BoostMsg(type=type, **fields)
        ack = _BoostMsg()
        _ok(_guest_call(self._ptr, ctypes.byref(req), ctypes.byref(ack),
                        timeout_ms), "rtvm_boost_guest_call")
        return _msg_dict(ack)

    def boost(self, vcpu: int, policy: int, priority: int = 0,
              **fields) -> Dict[str, int]:
        return self.call(BOOST_BOOST, vcpu=vcpu, policy=policy,
                         priority=priority, **fields)

    def deboost(self, vcpu: int) -> Dict[str, int]:
        return self.call(BOOST_DEBOOST, vcpu=vcpu)

    def close(self) -> None:
        if getattr(self, "_ptr", None):
            _guest_close(self._ptr)
            self._ptr = None

    def __enter__(self) -> "BoostGuest":
        return self

    def __exit__(self, *exc):
        self.close()

    __del__ = close
