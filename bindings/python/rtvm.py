# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python bindings for librtvm (ctypes; no compiled extension).

    import rtvm
    ctx = rtvm.Context()                  # or Context(sysroot="/path")
    report = ctx.check(rt_cpus="1")       # readiness: verdict and checks
    moves, changes = ctx.steer_irqs(away_from="1", dry_run=True)
    changes.restore()                     # undo what a real steer did

Errors of the library raise rtvm.Error, an OSError with the errno the C
function returned and the function's name.  The library is found through
RTVM_LIBRARY (a path), else as librtvm.so.0.
"""

import ctypes
import ctypes.util
import errno as _errno
import json
import os

__all__ = ["Error", "Context", "Changeset", "VM", "version",
           "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
           "SCHED_IDLE", "SCHED_DEADLINE", "ROLE_OTHER", "ROLE_VCPU",
           "ROLE_EMULATOR", "ROLE_IOTHREAD"]

SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH = 0, 1, 2, 3
SCHED_IDLE, SCHED_DEADLINE = 5, 6
ROLE_OTHER, ROLE_VCPU, ROLE_EMULATOR, ROLE_IOTHREAD = 0, 1, 2, 3
_ROLES = {ROLE_OTHER: "other", ROLE_VCPU: "vcpu", ROLE_EMULATOR: "emulator",
          ROLE_IOTHREAD: "iothread"}
_CPUS_ONLINE, _CPUS_ISOLATED = 2, 3
_IRQ_KINDS = {0: "device", 1: "percpu", 2: "system"}
_IRQ_STATUS = {1: "moved", 2: "unchanged", 3: "failed"}
_STEER_DRY_RUN, _STEER_NO_THREADS, _STEER_DEFAULT_AFFINITY = 1, 2, 4
_VM_PIN_ONE_TO_ONE = 1


class Error(OSError):
    """A librtvm function returned -errno."""

    def __init__(self, err, function):
        super().__init__(err, "%s: %s" % (function, os.strerror(err)))
        self.function = function


def _load():
    path = os.environ.get("RTVM_LIBRARY") or \
        ctypes.util.find_library("rtvm") or "librtvm.so.0"
    return ctypes.CDLL(path, use_errno=True)


_lib = _load()
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
_libc.free.argtypes = [ctypes.c_void_p]
_libc.free.restype = None

_p = ctypes.c_void_p
_pp = ctypes.POINTER(ctypes.c_void_p)
_cpp = ctypes.POINTER(ctypes.c_char_p)
_int, _uint, _sz = ctypes.c_int, ctypes.c_uint, ctypes.c_size_t


class _IrqSteer(ctypes.Structure):
    _fields_ = [("size", _sz), ("flags", _uint), ("away_from", _p),
                ("housekeeping", _p), ("to_rt", _cpp), ("rt_cpus", _p),
                ("select", _cpp), ("cpus", _p), ("retries", _uint)]


class _IrqMove(ctypes.Structure):
    _fields_ = [("irq", _uint), ("name", ctypes.c_char_p), ("status", _int),
                ("error_class", _int), ("error", _int), ("attempts", _uint),
                ("managed", ctypes.c_bool), ("narrowed", ctypes.c_bool),
                ("pending", ctypes.c_bool), ("thread", _int),
                ("thread_error", _int), ("before", _p), ("wanted", _p),
                ("effective", _p)]


class _SchedAttr(ctypes.Structure):
    _fields_ = [("size", _sz), ("policy", _int), ("priority", _int),
                ("nice", _int), ("runtime_ns", ctypes.c_ulonglong),
                ("deadline_ns", ctypes.c_ulonglong),
                ("period_ns", ctypes.c_ulonglong)]


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_new = _fn("rtvm_new", _int, _pp)
_unref = _fn("rtvm_unref", _p, _p)
_set_root = _fn("rtvm_set_root", _int, _p, ctypes.c_char_p)
_version = _fn("rtvm_version", ctypes.c_char_p)
_mask_new = _fn("rtvm_cpumask_new", _int, _p, _pp)
_mask_free = _fn("rtvm_cpumask_free", _p, _p)
_mask_parse = _fn("rtvm_cpumask_parse_list", _int, _p, ctypes.c_char_p,
                  _uint)
_mask_format = _fn("rtvm_cpumask_format_list", _int, _p,
                   ctypes.POINTER(_p))
_host_new = _fn("rtvm_host_new", _int, _p, _uint, _pp)
_host_unref = _fn("rtvm_host_unref", _p, _p)
_host_cpus = _fn("rtvm_host_get_cpus", _p, _p, _int)
_cs_new = _fn("rtvm_changeset_new", _int, _p, _pp)
_cs_unref = _fn("rtvm_changeset_unref", _p, _p)
_cs_count = _fn("rtvm_changeset_get_count", _uint, _p)
_cs_to_json = _fn("rtvm_changeset_to_json", _int, _p, ctypes.POINTER(_p))
_cs_from_json = _fn("rtvm_changeset_new_from_json", _int, _p,
                    ctypes.c_char_p, _pp)
_cs_restore = _fn("rtvm_changeset_restore", _int, _p, _uint)
_check_run = _fn("rtvm_check_run", _int, _p, _p, _pp)
_check_to_json = _fn("rtvm_check_report_to_json", _int, _p,
                     ctypes.POINTER(_p))
_check_unref = _fn("rtvm_check_report_unref", _p, _p)
_irqs_new = _fn("rtvm_irqs_new", _int, _p, _pp)
_irqs_unref = _fn("rtvm_irqs_unref", _p, _p)
_irqs_next = _fn("rtvm_irqs_next", _p, _p, _p)
_irq_number = _fn("rtvm_irq_get_number", _int, _p)
_irq_name = _fn("rtvm_irq_get_name", ctypes.c_char_p, _p)
_irq_kind = _fn("rtvm_irq_get_kind", _int, _p)
_irq_total = _fn("rtvm_irq_get_total", ctypes.c_ulonglong, _p)
_irq_aff = _fn("rtvm_irq_get_affinity", _p, _p)
_irq_eff = _fn("rtvm_irq_get_effective_affinity", _p, _p)
_irq_managed = _fn("rtvm_irq_is_managed", ctypes.c_bool, _p)
_irq_movable = _fn("rtvm_irq_is_movable", ctypes.c_bool, _p)
_irq_pci = _fn("rtvm_irq_get_pci", ctypes.c_char_p, _p)
_irq_driver = _fn("rtvm_irq_get_driver", ctypes.c_char_p, _p)
_irq_netdev = _fn("rtvm_irq_get_netdev", ctypes.c_char_p, _p)
_irq_steer = _fn("rtvm_irq_steer", _int, _p, ctypes.POINTER(_IrqSteer), _p,
                 _pp)
_rep_count = _fn("rtvm_irq_report_count", _sz, _p)
_rep_get = _fn("rtvm_irq_report_get", ctypes.POINTER(_IrqMove), _p, _sz)
_rep_free = _fn("rtvm_irq_report_free", _p, _p)
_err_class = _fn("rtvm_irq_error_class_to_string", ctypes.c_char_p, _int)
_vm_new = _fn("rtvm_vm_new_from_pid", _int, _p, _int, _pp)
_vm_unref = _fn("rtvm_vm_unref", _p, _p)
_vm_vmm = _fn("rtvm_vm_get_vmm", ctypes.c_char_p, _p)
_vm_next = _fn("rtvm_vm_thread_next", _p, _p, _p)
_vt_tid = _fn("rtvm_vm_thread_get_tid", _int, _p)
_vt_role = _fn("rtvm_vm_thread_get_role", _int, _p)
_vt_index = _fn("rtvm_vm_thread_get_index", _int, _p)
_vt_name = _fn("rtvm_vm_thread_get_name", ctypes.c_char_p, _p)
_vm_set_sched = _fn("rtvm_vm_set_sched", _int, _p, _int, _p,
                    ctypes.POINTER(_SchedAttr), _uint, _p,
                    ctypes.POINTER(_uint))
_vm_pin = _fn("rtvm_vm_pin", _int, _p, _int, _p, _uint, _p,
              ctypes.POINTER(_uint))


def _ok(r, function):
    if r < 0:
        raise Error(-r, function)
    return r


def _text(ptr):
    """A C string the library gave us to free, as str."""
    try:
        return ctypes.string_at(ptr).decode()
    finally:
        _libc.free(ptr)


def _str(b):
    return b.decode() if b is not None else None


def version():
    """The library's version."""
    return _version().decode()


def _mask_list(mask):
    if not mask:
        return None
    out = _p()
    _ok(_mask_format(mask, ctypes.byref(out)), "rtvm_cpumask_format_list")
    return _text(out)


class _Mask:
    """A CPU mask parsed from a list ("0-3,8"), freed on exit."""

    def __init__(self, ctx, cpus):
        self.ptr = None
        if cpus is None:
            return
        ptr = _p()
        _ok(_mask_new(ctx._ptr, ctypes.byref(ptr)), "rtvm_cpumask_new")
        self.ptr = ptr
        if isinstance(cpus, (list, tuple, set)):
            cpus = ",".join(str(c) for c in sorted(cpus))
        _ok(_mask_parse(ptr, str(cpus).encode(), 0),
            "rtvm_cpumask_parse_list(%r)" % (cpus,))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _mask_free(self.ptr)


def _strv(items):
    if not items:
        return None
    arr = (ctypes.c_char_p * (len(items) + 1))()
    for i, s in enumerate(items):
        arr[i] = s.encode()
    arr[len(items)] = None
    return ctypes.cast(arr, _cpp), arr


class Changeset:
    """What librtvm changed, to save (JSON) and undo exactly."""

    def __init__(self, ctx, _ptr=None):
        self._ctx = ctx
        if _ptr is None:
            _ptr = _p()
            _ok(_cs_new(ctx._ptr, ctypes.byref(_ptr)), "rtvm_changeset_new")
        self._ptr = _ptr

    @classmethod
    def from_json(cls, ctx, text):
        ptr = _p()
        _ok(_cs_from_json(ctx._ptr, text.encode(), ctypes.byref(ptr)),
            "rtvm_changeset_new_from_json")
        return cls(ctx, ptr)

    def __len__(self):
        return _cs_count(self._ptr)

    def to_json(self):
        out = _p()
        _ok(_cs_to_json(self._ptr, ctypes.byref(out)), "rtvm_changeset_to_json")
        return _text(out)

    def records(self):
        return json.loads(self.to_json()).get("changes", [])

    def restore(self):
        """Undo every record, newest first (idempotent)."""
        _ok(_cs_restore(self._ptr, 0), "rtvm_changeset_restore")

    def __del__(self):
        if getattr(self, "_ptr", None):
            _cs_unref(self._ptr)
            self._ptr = None


class VM:
    """A VMM process's threads, found by their names."""

    def __init__(self, ctx, pid):
        self._ctx = ctx
        self._ptr = _p()
        _ok(_vm_new(ctx._ptr, int(pid), ctypes.byref(self._ptr)),
            "rtvm_vm_new_from_pid(%d)" % pid)
        self.pid = int(pid)
        self.vmm = _str(_vm_vmm(self._ptr))

    def threads(self):
        out, t = [], _vm_next(self._ptr, None)
        while t:
            role = _vt_role(t)
            out.append({"tid": _vt_tid(t), "role": _ROLES.get(role, role),
                        "index": _vt_index(t) if role == ROLE_VCPU else None,
                        "name": _str(_vt_name(t))})
            t = _vm_next(self._ptr, t)
        return out

    def set_sched(self, role, policy, priority=0, nice=0, vcpus=None,
                  changes=None):
        """Set a policy on the threads of one role; returns how many
        exited meanwhile (skipped)."""
        attr = _SchedAttr(ctypes.sizeof(_SchedAttr), policy, priority, nice,
                          0, 0, 0)
        skipped = _uint()
        with _Mask(self._ctx, vcpus) as m:
            _ok(_vm_set_sched(self._ptr, role, m.ptr, ctypes.byref(attr), 0,
                              changes._ptr if changes is not None else None,
                              ctypes.byref(skipped)), "rtvm_vm_set_sched")
        return skipped.value

    def pin(self, role, cpus, one_to_one=False, changes=None):
        skipped = _uint()
        with _Mask(self._ctx, cpus) as m:
            _ok(_vm_pin(self._ptr, role, m.ptr,
                        _VM_PIN_ONE_TO_ONE if one_to_one else 0,
                        changes._ptr if changes is not None else None,
                        ctypes.byref(skipped)), "rtvm_vm_pin")
        return skipped.value

    def __del__(self):
        if getattr(self, "_ptr", None):
            _vm_unref(self._ptr)
            self._ptr = None


class Context:
    """A librtvm context: this host, or a sysroot standing in for one."""

    def __init__(self, sysroot=None):
        self._ptr = _p()
        _ok(_new(ctypes.byref(self._ptr)), "rtvm_new")
        if sysroot is not None:
            _ok(_set_root(self._ptr, os.fsencode(sysroot)),
                "rtvm_set_root(%r)" % sysroot)

    def __del__(self):
        if getattr(self, "_ptr", None):
            _unref(self._ptr)
            self._ptr = None

    def _cpus(self, which):
        host = _p()
        _ok(_host_new(self._ptr, 0, ctypes.byref(host)), "rtvm_host_new")
        try:
            return _mask_list(_host_cpus(host, which))
        finally:
            _host_unref(host)

    def online_cpus(self):
        return self._cpus(_CPUS_ONLINE)

    def isolated_cpus(self):
        return self._cpus(_CPUS_ISOLATED)

    def check(self, rt_cpus=None, only=None, vm_pid=0):
        """The readiness checks, as the JSON document rtvm-check prints;
        with vm_pid, topology.numa relates that VM's memory to the RT
        CPUs."""

        class _Opts(ctypes.Structure):
            _fields_ = [("size", _sz), ("flags", _uint), ("rt_cpus", _p),
                        ("only", ctypes.c_char_p), ("max_exit", _uint),
                        ("sample_ms", _uint), ("noise_ms", _uint),
                        ("noise_threshold_us", _uint), ("noise_cpu", _uint),
                        ("vm_pid", ctypes.c_int)]

        with _Mask(self, rt_cpus) as m:
            opts = _Opts(ctypes.sizeof(_Opts), 0, m.ptr,
                         only.encode() if only else None, 0, 0, 0, 0, 0,
                         vm_pid)
            rep, out = _p(), _p()
            _ok(_check_run(self._ptr, ctypes.byref(opts), ctypes.byref(rep)),
                "rtvm_check_run")
            try:
                _ok(_check_to_json(rep, ctypes.byref(out)),
                    "rtvm_check_report_to_json")
                return json.loads(_text(out))
            finally:
                _check_unref(rep)

    def irqs(self):
        """Every interrupt line, numbered ones first."""
        irqs = _p()
        _ok(_irqs_new(self._ptr, ctypes.byref(irqs)), "rtvm_irqs_new")
        out = []
        try:
            q = _irqs_next(irqs, None)
            while q:
                n = _irq_number(q)
                out.append({
                    "irq": n if n >= 0 else None,
                    "name": _str(_irq_name(q)),
                    "kind": _IRQ_KINDS.get(_irq_kind(q)),
                    "total": _irq_total(q),
                    "affinity": _mask_list(_irq_aff(q)),
                    "effective_affinity": _mask_list(_irq_eff(q)),
                    "managed": bool(_irq_managed(q)),
                    "movable": bool(_irq_movable(q)),
                    "pci": _str(_irq_pci(q)),
                    "driver": _str(_irq_driver(q)),
                    "netdev": _str(_irq_netdev(q)),
                })
                q = _irqs_next(irqs, q)
        finally:
            _irqs_unref(irqs)
        return out

    def steer_irqs(self, away_from=None, to_rt=(), rt_cpus=None, select=(),
                   cpus=None, housekeeping=None, dry_run=False,
                   threads=True, default_affinity=False, retries=0,
                   changes=None):
        """rtvm_irq_steer(): returns (moves, changes); moves is a list of
        dicts (irq, name, status, before, wanted, effective, error...)."""
        if changes is None:
            changes = Changeset(self)
        flags = (_STEER_DRY_RUN if dry_run else 0) | \
            (0 if threads else _STEER_NO_THREADS) | \
            (_STEER_DEFAULT_AFFINITY if default_affinity else 0)
        keep = []
        with _Mask(self, away_from) as a, _Mask(self, housekeeping) as h, \
                _Mask(self, rt_cpus) as r, _Mask(self, cpus) as c:
            req = _IrqSteer(ctypes.sizeof(_IrqSteer), flags, a.ptr, h.ptr,
                            None, r.ptr, None, c.ptr, retries)
            for field, items in (("to_rt", list(to_rt)),
                                 ("select", list(select))):
                v = _strv(items)
                if v:
                    setattr(req, field, v[0])
                    keep.append(v[1])
            rep = _p()
            _ok(_irq_steer(self._ptr, ctypes.byref(req), changes._ptr,
                           ctypes.byref(rep)), "rtvm_irq_steer")
        moves = []
        try:
            for i in range(_rep_count(rep)):
                m = _rep_get(rep, i).contents
                moves.append({
                    "irq": m.irq, "name": _str(m.name),
                    "status": _IRQ_STATUS.get(m.status, m.status),
                    "before": _mask_list(m.before),
                    "wanted": _mask_list(m.wanted),
                    "effective": _mask_list(m.effective),
                    "error": _errno.errorcode.get(-m.error) if m.error else None,
                    "error_class": _str(_err_class(m.error_class))
                    if m.status == 3 else None,
                    "attempts": m.attempts, "managed": m.managed,
                    "narrowed": m.narrowed, "pending": m.pending,
                    "thread": m.thread or None,
                })
        finally:
            _rep_free(rep)
        return moves, changes

    def vm(self, pid):
        return VM(self, pid)


# ---- guest boost (rtvm-boost(7)): the messages and the guest side ----------

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


_boost_encode = _fn("rtvm_boost_msg_encode", _int, ctypes.POINTER(_BoostMsg),
                    ctypes.c_char_p)
_boost_decode = _fn("rtvm_boost_msg_decode", _int, ctypes.c_char_p,
                    ctypes.POINTER(_BoostMsg))
_boost_reason = _fn("rtvm_boost_reason_to_string", ctypes.c_char_p, _int)
_guest_open = _fn("rtvm_boost_guest_open", _int, ctypes.c_char_p, _int, _pp)
_guest_close = _fn("rtvm_boost_guest_close", _p, _p)
_guest_limits = _fn("rtvm_boost_guest_get_limits", ctypes.POINTER(_BoostMsg),
                    _p)
_guest_call = _fn("rtvm_boost_guest_call", _int, _p,
                  ctypes.POINTER(_BoostMsg), ctypes.POINTER(_BoostMsg), _int)


def _msg_dict(m):
    return {f: getattr(m, f) for f in _BOOST_FIELDS}


def boost_encode(**fields):
    """The 32 wire bytes of a message given by its fields (version
    defaults to 1); Error(EINVAL) for version 0 or an unknown type."""
    fields.setdefault("version", 1)
    unknown = set(fields) - set(_BOOST_FIELDS)
    if unknown:
        raise TypeError("unknown message fields: %s" % ", ".join(sorted(unknown)))
    m = _BoostMsg(**fields)
    buf = ctypes.create_string_buffer(BOOST_MSG_SIZE)
    _ok(_boost_encode(ctypes.byref(m), buf), "rtvm_boost_msg_encode")
    return buf.raw


def boost_decode(data):
    """The fields of a message, as a dict; Error(EBADMSG) for a malformed
    one (rtvm-boost(7))."""
    if len(data) != BOOST_MSG_SIZE:
        raise ValueError("a boost message is 32 bytes, not %d" % len(data))
    m = _BoostMsg()
    _ok(_boost_decode(data, ctypes.byref(m)), "rtvm_boost_msg_decode")
    return _msg_dict(m)


def boost_reason(status):
    """A status code's name ("ceiling"), or None."""
    return _str(_boost_reason(status))


class BoostGuest:
    """The guest's end of a boost channel: a virtio-serial port (default
    /dev/virtio-ports/org.librtvm.boost.0) or a Unix socket.  Opening it
    agrees on a version; .limits is the host's answer."""

    def __init__(self, path=None, timeout_ms=5000):
        self._ptr = _p()
        _ok(_guest_open(path.encode() if path else None, timeout_ms,
                        ctypes.byref(self._ptr)), "rtvm_boost_guest_open")
        self.limits = _msg_dict(_guest_limits(self._ptr).contents)

    def call(self, type, timeout_ms=5000, **fields):
        """Send a request and wait for its acknowledgement (a dict; its
        "status" says whether it was applied)."""
        req = _BoostMsg(type=type, **fields)
        ack = _BoostMsg()
        _ok(_guest_call(self._ptr, ctypes.byref(req), ctypes.byref(ack),
                        timeout_ms), "rtvm_boost_guest_call")
        return _msg_dict(ack)

    def boost(self, vcpu, policy, priority=0, **fields):
        return self.call(BOOST_BOOST, vcpu=vcpu, policy=policy,
                         priority=priority, **fields)

    def deboost(self, vcpu):
        return self.call(BOOST_DEBOOST, vcpu=vcpu)

    def close(self):
        if self._ptr:
            _guest_close(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()
