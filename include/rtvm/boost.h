/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* librtvm: guest boost (co-scheduling).  Include <rtvm/rtvm.h>, which
 * includes this.  The wire protocol is specified in rtvm-boost(7). */
#ifndef RTVM_BOOST_H
#define RTVM_BOOST_H

#include <stdint.h>
#include <rtvm/context.h>
#include <rtvm/vm.h>
#include <rtvm/change.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Messages: the boost protocol, rtvm-boost(7)                        */
/* ------------------------------------------------------------------ */

/* The highest version spoken here; 2 adds boosts that start later (a
 * BOOST's start_us).  Version 1 peers keep working: HELLO agrees on the
 * lower of the two sides' versions. */
#define RTVM_BOOST_VERSION 2
#define RTVM_BOOST_MSG_SIZE 32 /* every message, on every transport */

/* Message types; an acknowledgement is the request's type | ACK. */
enum rtvm_boost_type {
	RTVM_BOOST_HELLO = 1,
	RTVM_BOOST_BOOST = 2,
	RTVM_BOOST_DEBOOST = 3,
	RTVM_BOOST_QUERY = 4,
	RTVM_BOOST_ACK = 0x80,
};

/* An acknowledgement's status: why a request was refused, or why the
 * host ended a boost on its own (RTVM_BOOST_EXPIRED, _BUDGET). */
enum rtvm_boost_reason {
	RTVM_BOOST_OK = 0,
	RTVM_BOOST_MALFORMED = 1, /* unknown type, nonzero reserved field */
	RTVM_BOOST_BAD_VERSION = 2, /* no common version, or not the agreed one */
	RTVM_BOOST_NO_HELLO = 3,  /* a request before HELLO on a channel */
	RTVM_BOOST_BAD_VCPU = 4,  /* not a vCPU of this VM */
	RTVM_BOOST_POLICY = 5,	  /* a policy the VM may not ask for; or
				   * DEADLINE for a vCPU outside an
				   * exclusive cpuset */
	RTVM_BOOST_CEILING = 6,	  /* a priority above the VM's ceiling */
	RTVM_BOOST_PARAMS = 7,	  /* bad priority or deadline parameters */
	RTVM_BOOST_BUDGET = 8,	  /* the vCPU's boost budget is used up */
	RTVM_BOOST_RATE = 9,	  /* over the VM's request rate */
	RTVM_BOOST_FAILED = 10,	  /* the host could not apply it (errno logged) */
	RTVM_BOOST_EXPIRED = 11,  /* ended: maximum or requested duration */
	RTVM_BOOST_LEAD = 12,	  /* version 2: a start further ahead than
				   * the VM's longest lead */
	RTVM_BOOST_NR_REASONS
};

/* Policies on the wire (the kernel's SCHED_* numbers) and the policy
 * masks (1 << policy) of HELLO's acknowledgement and of
 * struct rtvm_boost_policy. */
#define RTVM_BOOST_SCHED_OTHER 0
#define RTVM_BOOST_SCHED_FIFO 1
#define RTVM_BOOST_SCHED_RR 2
#define RTVM_BOOST_SCHED_DEADLINE 6
#define RTVM_BOOST_ALLOW(policy) (1u << (policy))

/* One message, decoded.  Which fields a type uses is in rtvm-boost(7);
 * the others are zero on the wire. */
struct rtvm_boost_msg {
	uint8_t version;      /* HELLO: the highest the sender speaks */
	uint8_t type;	      /* enum rtvm_boost_type */
	uint16_t vcpu;	      /* HELLO: the number of vCPUs */
	uint32_t seq;	      /* the sender's; an ACK repeats its request's */
	uint8_t policy;	      /* RTVM_BOOST_SCHED_*; HELLO ACK: a mask */
	uint8_t priority;     /* FIFO/RR 1..99; HELLO ACK: the ceiling */
	uint16_t status;      /* ACK: enum rtvm_boost_reason */
	uint32_t until_us;    /* BOOST: end after this long, 0: the maximum;
			       * ACK: the time left */
	uint32_t runtime_us;  /* DEADLINE; HELLO ACK: budget per period */
	uint32_t deadline_us; /* DEADLINE */
	uint32_t period_us;   /* DEADLINE, 0: the deadline; HELLO ACK: the
			       * budget's period */
	/* Bytes 28-31.  HELLO and its ACK: features, 0 in versions 1 and 2.
	 * Version 2 BOOST: start_us, start this long after the host reads
	 * it (0: now); ACK(BOOST), ACK(QUERY): the time left until the
	 * vCPU's armed boost starts.  C11 names both; C99 has features. */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
	union {
		uint32_t features;
		uint32_t start_us;
	};
#else
	uint32_t features;
#endif
};

/**
 * rtvm_boost_msg_encode() - write a message in its wire form.
 * @msg: the message.
 * @buf: RTVM_BOOST_MSG_SIZE bytes.
 *
 * Returns: 0, or -EINVAL (NULL argument, version 0, an unknown type).
 * Privileges: none.
 */
int rtvm_boost_msg_encode(const struct rtvm_boost_msg *msg, uint8_t *buf);

/**
 * rtvm_boost_msg_decode() - read a message from its wire form.
 * @buf: RTVM_BOOST_MSG_SIZE bytes.
 * @ret: the message.
 *
 * Only the form is checked here (what rtvm-boost(7) calls malformed); a
 * broker judges the content.
 *
 * Returns: 0, or -EINVAL (NULL argument), -EBADMSG (version 0, an unknown
 * type, a nonzero field the type does not use); @ret is filled either
 * way, so that a refusal can repeat the type and sequence number.
 * Privileges: none.
 */
int rtvm_boost_msg_decode(const uint8_t *buf, struct rtvm_boost_msg *ret);

/**
 * rtvm_boost_reason_to_string() - a reason's name ("ceiling").
 * @reason: an enum rtvm_boost_reason.
 *
 * Returns: a static string, or NULL for an unknown reason.
 * Privileges: none.
 */
const char *rtvm_boost_reason_to_string(int reason);

/* ------------------------------------------------------------------ */
/* The host broker                                                    */
/* ------------------------------------------------------------------ */

struct rtvm_boost;

/* What one VM may ask for.  Zero fields take the defaults given. */
struct rtvm_boost_policy {
	size_t size;		     /* sizeof(struct rtvm_boost_policy) */
	unsigned int policies;	     /* RTVM_BOOST_ALLOW() mask; 0: FIFO|RR */
	unsigned int max_priority;   /* FIFO/RR ceiling 1..99; 0: 10 */
	unsigned int max_boost_us;   /* one boost at most; 0: 10000 */
	unsigned int budget_us;	     /* boosted time per vCPU per period; */
	unsigned int budget_period_us; /* 0 and 0: 500000 per 1000000;
					* equal: no budget */
	unsigned int rate;	     /* requests per second per VM; 0: 20000 */
	unsigned int burst;	     /* requests at once; 0: 64 */
	unsigned int max_lead_us;    /* a version 2 BOOST starts at most this
				      * long after it is read; 0: 100000 */
};

/**
 * rtvm_boost_new() - a broker: it applies the boost requests of the VMs
 *      added to it, within each VM's policy, and ends every boost when it
 *      runs out, when its channel closes and when the broker is freed.
 * @ctx: the context.
 * @flags: must be 0.
 * @ret: where the broker is stored.
 *
 * The broker runs in the caller's event loop: poll rtvm_boost_get_fd() for
 * input and call rtvm_boost_dispatch() when it is readable.  It starts no
 * thread and never blocks; like a context, it is used by one thread at a
 * time (a caller that shares it between threads locks around every call).
 * With CONFIG_RT_GROUP_SCHED, the vCPUs' cpu
 * cgroups need RT runtime for FIFO/RR boosts (rtvm_vm_set_sched() with
 * RTVM_SCHED_PROVISION_RT gives it); without, a boost fails with
 * RTVM_BOOST_FAILED.
 *
 * Returns: 0, or -EINVAL (NULL argument, unknown flags), -ENOMEM, -EMFILE
 * (no file descriptor for the epoll or timer fd).
 * Privileges: none to create; CAP_SYS_NICE to boost another user's
 * threads or to any RT policy.
 */
int rtvm_boost_new(struct rtvm_ctx *ctx, unsigned int flags,
		   struct rtvm_boost **ret);

/**
 * rtvm_boost_unref() - end every boost (each vCPU thread gets back the
 *      attributes it had before), close the channels and free the broker.
 * @b: the broker, or NULL.
 *
 * Returns: NULL, always.  A thread that cannot be put back is logged.
 * Privileges: those of the boosts.
 */
struct rtvm_boost *rtvm_boost_unref(struct rtvm_boost *b);

/**
 * rtvm_boost_add_vm() - let a VM's guest boost its vCPUs.
 * @b: the broker.
 * @vm: the VM (a reference is taken); its vCPU threads as found now.
 * @policy: what the VM may ask for, or NULL for the defaults.
 * @ret_id: where the VM's id in the broker is stored (from 1).
 *
 * Returns: 0, or -EINVAL (NULL @b, @vm or @ret_id, a bad @policy->size, an
 * unknown policy bit, a ceiling above 99, a budget above its period),
 * -ENOENT (the VM has no vCPU threads), -EEXIST (the VM's process is
 * already added), -ENOMEM.
 * Privileges: none.
 */
int rtvm_boost_add_vm(struct rtvm_boost *b, struct rtvm_vm *vm,
		      const struct rtvm_boost_policy *policy,
		      unsigned int *ret_id);

/**
 * rtvm_boost_set_policy() - change what a VM may ask for.
 * @b: the broker.
 * @id: the VM's id.
 * @policy: the new policy, or NULL for the defaults.
 *
 * Boosts in force keep their grant; the new limits judge the requests
 * from now on.  The budget periods go on.
 *
 * Returns: 0, or -EINVAL (NULL @b, a bad @policy as for
 * rtvm_boost_add_vm()), -ENOENT (no such id).
 * Privileges: none.
 */
int rtvm_boost_set_policy(struct rtvm_boost *b, unsigned int id,
			  const struct rtvm_boost_policy *policy);

/**
 * rtvm_boost_get_changes() - change records that put a VM's vCPU threads
 *      back to the attributes they had when the VM was added.
 * @b: the broker.
 * @id: the VM's id.
 *
 * For a journal: a broker that dies takes its boosts' bookkeeping with it,
 * and rtvm_changeset_restore() of these records (saved with
 * rtvm_changeset_to_json()) then ends whatever it left boosted.
 *
 * Returns: the records (lent, as long as the VM is in the broker), or
 * NULL (NULL @b, no such id).
 * Privileges: none.
 */
const struct rtvm_changeset *rtvm_boost_get_changes(struct rtvm_boost *b,
						    unsigned int id);

/**
 * rtvm_boost_remove_vm() - end a VM's boosts, close its channels, forget it.
 * @b: the broker.
 * @id: the VM's id.
 *
 * Returns: 0, or -EINVAL (NULL @b), -ENOENT (no such id).
 * Privileges: those of the boosts.
 */
int rtvm_boost_remove_vm(struct rtvm_boost *b, unsigned int id);

/**
 * rtvm_boost_add_channel() - read a VM's requests from a stream.
 * @b: the broker.
 * @id: the VM's id: the channel acts on this VM's vCPUs only.
 * @fd: a connected stream (the host end of a virtio-serial channel's Unix
 *      socket, an accepted vsock or Unix connection); the broker owns it
 *      from now on, also on failure, and makes it non-blocking.
 *
 * Requests are 32-byte messages; each gets its acknowledgement on the same
 * stream, dropped (and counted) when the peer does not read them.  End of
 * stream, or an error, closes the channel and ends the boosts it asked for.
 *
 * Returns: 0, or -EINVAL (NULL @b, a negative @fd), -ENOENT (no such id),
 * -ENOMEM.
 * Privileges: none.
 */
int rtvm_boost_add_channel(struct rtvm_boost *b, unsigned int id, int fd);

/**
 * rtvm_boost_get_fd() - the broker's pollable file descriptor.
 * @b: the broker.
 *
 * Readable when a channel has input, a boost runs out or an armed boost
 * (version 2 start_us) is due: one timerfd serves both.
 *
 * Returns: the descriptor (owned by the broker), or -EINVAL.
 * Privileges: none.
 */
int rtvm_boost_get_fd(const struct rtvm_boost *b);

/**
 * rtvm_boost_dispatch() - handle what is pending, without blocking: read
 *      and answer requests, and end the boosts that ran out.
 * @b: the broker.
 *
 * At most 64 requests per channel are handled per call, so that a flooding
 * guest cannot hold the caller's loop.  Boosts end here too: a loop that
 * stops calling this keeps FIFO/RR boosts past their grant (only the
 * kernel's RT throttling bounds them then), so a caller that stops
 * dispatching frees the broker first.  Armed boosts start here as well:
 * how late they start is the caller's loop's delay (a broker meant to
 * boost ahead of a guest's events runs at an RT priority on a
 * housekeeping CPU).
 *
 * Returns: the number of requests handled, or -EINVAL (NULL @b), or the
 * error of epoll_wait().
 * Privileges: those of the boosts.
 */
int rtvm_boost_dispatch(struct rtvm_boost *b);

/**
 * rtvm_boost_request() - handle one request without a channel, for a VMM
 *      that receives its guest's requests itself (an ioeventfd doorbell).
 * @b: the broker.
 * @id: the VM's id.
 * @req: the request, with version 1 or 2 (2 for a start_us).
 * @ret_ack: where the acknowledgement is stored.
 *
 * The request is judged like one from a channel (policy, budget, rate),
 * except that no HELLO is needed.  An armed boost (start_us) that cannot
 * start when due is counted and in the audit trail only: there is no
 * channel to tell.
 *
 * Returns: 0 when @ret_ack holds the answer (a refusal included), or
 * -EINVAL (NULL argument), -ENOENT (no such id).
 * Privileges: those of the boost.
 */
int rtvm_boost_request(struct rtvm_boost *b, unsigned int id,
		       const struct rtvm_boost_msg *req,
		       struct rtvm_boost_msg *ret_ack);

/* The doorbell (rtvm-boost(7) DOORBELL): a shared memory region with a
 * header line and one 64-byte line per vCPU, handed to the VMM by QEMU's
 * ivshmem server protocol. */
#define RTVM_BOOST_BELL_MAGIC "rtvmbell" /* the header's first 8 bytes */
#define RTVM_BOOST_BELL_LAYOUT 1	  /* the header's layout version */
#define RTVM_BOOST_BELL_LINE 64
#define RTVM_BOOST_BELL_MAX_VECTORS 64
#define RTVM_BOOST_BELL_PCI_VENDOR 0x1af4 /* QEMU's ivshmem device */
#define RTVM_BOOST_BELL_PCI_DEVICE 0x1110

/**
 * rtvm_boost_add_doorbell() - serve a VM's doorbell: create its shared
 *      memory and be the ivshmem server on a Unix socket for its QEMU
 *      (-chardev socket,path=@path,id=ID -device
 *      ivshmem-doorbell,chardev=ID,vectors=N).
 * @b: the broker.
 * @id: the VM's id: line i of the region acts on this VM's vCPU i only.
 * @path: the socket to create; removed again with the VM.
 * @vectors: the device's vectors (QEMU's vectors=N; the server hands out
 *           this many eventfds per peer), 1 to
 *           RTVM_BOOST_BELL_MAX_VECTORS; 0: 1.
 * @flags: must be 0.
 *
 * One client (the VM's QEMU) at a time: it gets the region and the
 * broker's eventfd (peer ID 0, every vector); others are turned away.
 * A ring makes rtvm_boost_get_fd() readable; rtvm_boost_dispatch() then
 * reads each line whose request is new (each at most once per call),
 * judges it as a request of a channel, and writes the ACK into the line.  When the client goes, the
 * boosts asked through the doorbell end, and the next client gets a
 * region with no requests in it.  The client's connection is one of the
 * VM's channels in rtvm_boost_get_stats().
 *
 * Returns: 0, or -EINVAL (NULL @b or @path, unknown @flags, too many
 * @vectors, @path too long for a socket), -ENOENT (no such id), -EEXIST
 * (the VM has a doorbell already), -EADDRINUSE (@path exists), -ENOMEM,
 * or the error of memfd_create(2), socket(2), bind(2), listen(2),
 * eventfd(2).  Nothing is left behind on failure.
 * Privileges: write access to @path's directory.
 */
int rtvm_boost_add_doorbell(struct rtvm_boost *b, unsigned int id,
			    const char *path, unsigned int vectors,
			    unsigned int flags);

/* Counters of one VM, or of one of its vCPUs. */
struct rtvm_boost_stats {
	size_t size;		  /* sizeof(struct rtvm_boost_stats) */
	uint64_t requests;	  /* every message, refused ones included */
	uint64_t boosts;	  /* boosts applied */
	uint64_t deboosts;	  /* ended by the guest's DEBOOST */
	uint64_t expired;	  /* ended at their maximum or requested time */
	uint64_t budget_ends;	  /* ended when the budget ran out */
	uint64_t closed;	  /* ended when the channel or broker closed */
	uint64_t refused[RTVM_BOOST_NR_REASONS]; /* by reason; [0] unused */
	uint64_t acks_dropped;	  /* acknowledgements the peer did not read */
	uint64_t boosted_ns;	  /* time spent boosted */
	uint64_t scheduled;	  /* boosts armed to start later (version 2) */
	uint64_t started;	  /* armed boosts that started on time */
	uint64_t start_late_max_ns; /* the longest an armed boost started
				     * after its time (the broker's timer
				     * and dispatch delay) */
	int boosted;		  /* vCPU: 1 while boosted; VM: how many are */
	int channels;		  /* VM: its open channels; vCPU: 0 */
};

/**
 * rtvm_boost_get_stats() - a VM's or a vCPU's counters.
 * @b: the broker.
 * @id: the VM's id.
 * @vcpu: a vCPU index, or -1 for the whole VM (refusals and dropped
 *        acknowledgements are counted per VM only, since a refused request
 *        may name no valid vCPU).
 * @ret: the counters; @ret->size must be set.
 *
 * Returns: 0, or -EINVAL (NULL argument, bad @ret->size, a vCPU the VM
 * does not have), -ENOENT (no such id).
 * Privileges: none.
 */
int rtvm_boost_get_stats(struct rtvm_boost *b, unsigned int id, int vcpu,
			 struct rtvm_boost_stats *ret);

/* One entry of the audit trail: a request and its answer; a boost that
 * the host ended (request.type 0, ack.status the reason); or the start of
 * an armed boost (version 2): the BOOST as armed, with start_us 0, and its
 * ACK(BOOST) as applied, or, when it could not start, the ACK(DEBOOST)
 * the host sent with the reason. */
struct rtvm_boost_event {
	size_t size;		      /* sizeof(struct rtvm_boost_event) */
	uint64_t time_ns;	      /* CLOCK_MONOTONIC */
	unsigned int id;	      /* the VM */
	pid_t tid;		      /* the vCPU thread, 0 if none */
	struct rtvm_boost_msg request;
	struct rtvm_boost_msg ack;
};

/**
 * rtvm_boost_next_event() - take the oldest entry of the audit trail.
 * @b: the broker.
 * @ret: the entry; @ret->size must be set.
 * @ret_lost: where to store how many entries were overwritten before they
 *            were taken (the trail keeps the last 4096), or NULL.
 *
 * Returns: 0, -EAGAIN (no entry), or -EINVAL (NULL argument, bad size).
 * Privileges: none.
 */
int rtvm_boost_next_event(struct rtvm_boost *b, struct rtvm_boost_event *ret,
			  uint64_t *ret_lost);

/* ------------------------------------------------------------------ */
/* The guest side: inside a Linux guest, no libvirt needed            */
/* ------------------------------------------------------------------ */

struct rtvm_boost_guest;

/* The guest's end of the channel libvirt names org.librtvm.boost.0. */
#define RTVM_BOOST_GUEST_PORT "/dev/virtio-ports/org.librtvm.boost.0"

/**
 * rtvm_boost_guest_open() - open a channel to the host's broker and agree
 *      on a version (HELLO).
 * @path: a virtio-serial port (a character device), or a Unix stream
 *        socket to connect to; NULL for RTVM_BOOST_GUEST_PORT.
 * @timeout_ms: how long to wait for the HELLO's acknowledgement (the host
 *              end may not be connected yet), at least 1.
 * @ret: where the channel is stored.
 *
 * Returns: 0, or -EINVAL (NULL @ret, @timeout_ms < 1), -ETIMEDOUT (no
 * answer), -EPROTO (an answer that is no HELLO acknowledgement, or a
 * refusal), -ENOMEM, or the error of open(2)/connect(2) (-ENOENT: no such
 * port, the VM has no such channel).
 * Privileges: access to the port (root, or its group).
 */
int rtvm_boost_guest_open(const char *path, int timeout_ms,
			  struct rtvm_boost_guest **ret);

/**
 * rtvm_boost_guest_close() - close the channel; the host ends the boosts
 *      it asked for.
 * @g: the channel, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_boost_guest *rtvm_boost_guest_close(struct rtvm_boost_guest *g);

/**
 * rtvm_boost_guest_get_limits() - the host's answer to HELLO: the VM's
 *      vCPU count, allowed policies, ceiling, longest boost and budget.
 * @g: the channel.
 *
 * Returns: the acknowledgement (lent), or NULL for NULL.
 * Privileges: none.
 */
const struct rtvm_boost_msg *
rtvm_boost_guest_get_limits(const struct rtvm_boost_guest *g);

/**
 * rtvm_boost_guest_get_fd() - the channel's descriptor, readable when an
 *      acknowledgement has come (for the caller's own poll loop).
 * @g: the channel.
 *
 * Returns: the descriptor (owned by @g), or -EINVAL.
 * Privileges: none.
 */
int rtvm_boost_guest_get_fd(const struct rtvm_boost_guest *g);

/**
 * rtvm_boost_guest_send() - post a request without waiting for its answer.
 * @g: the channel.
 * @req: the request (BOOST, DEBOOST or QUERY); its version and sequence
 *       number are filled in here.
 *
 * Returns: 0, or -EINVAL (NULL argument, a HELLO or unknown type),
 * -EOPNOTSUPP (a BOOST with start_us on a channel whose agreed version is
 * 1: the host cannot start boosts later), -EAGAIN (the channel is full:
 * the host is not reading), -EPIPE (the host end is gone), or the error
 * of write(2).
 * Privileges: none.
 */
int rtvm_boost_guest_send(struct rtvm_boost_guest *g,
			  struct rtvm_boost_msg *req);

/**
 * rtvm_boost_guest_recv() - the next acknowledgement, in request order,
 *      with the host's own ends of boosts (EXPIRED, BUDGET) among them.
 * @g: the channel.
 * @ret: the acknowledgement.
 * @timeout_ms: how long to wait; 0 not at all, -1 without end.
 *
 * Returns: 0, or -EINVAL (NULL argument), -EAGAIN (nothing within
 * @timeout_ms), -EPIPE (the host end is gone), -EPROTO (a malformed
 * message), or the error of read(2).
 * Privileges: none.
 */
int rtvm_boost_guest_recv(struct rtvm_boost_guest *g,
			  struct rtvm_boost_msg *ret, int timeout_ms);

/**
 * rtvm_boost_guest_call() - post a request and wait for its own
 *      acknowledgement (the scoped form's two ends: BOOST before a
 *      critical section, DEBOOST after).
 * @g: the channel.
 * @req: as for rtvm_boost_guest_send().
 * @ret: its acknowledgement; its status says whether it was applied.
 * @timeout_ms: as for rtvm_boost_guest_recv().
 *
 * Acknowledgements of other requests, and the host's ends of boosts, that
 * come first are passed over (a QUERY tells whether a boost still holds).
 *
 * Returns: 0, -ETIMEDOUT (sent, but no answer within @timeout_ms), or an
 * error of rtvm_boost_guest_send() (-EAGAIN: not sent, the channel is
 * full) or rtvm_boost_guest_recv().
 * Privileges: none.
 */
int rtvm_boost_guest_call(struct rtvm_boost_guest *g,
			  struct rtvm_boost_msg *req,
			  struct rtvm_boost_msg *ret, int timeout_ms);

/* ---- the guest's end of a doorbell ---- */

struct rtvm_boost_bell;

/* Where the guest looks for an ivshmem device (rtvm_boost_bell_open()). */
#define RTVM_BOOST_BELL_DEVICES "/sys/bus/pci/devices"

/**
 * rtvm_boost_bell_open() - open a doorbell from an ivshmem PCI device: its
 *      registers (resource0) and its shared memory (resource2), mapped.
 * @dir: a PCI device's sysfs directory, or a directory of them (the first
 *       device 1af4:1110 with a doorbell region is taken); NULL for
 *       RTVM_BOOST_BELL_DEVICES.
 * @ret: where the doorbell is stored.
 *
 * Returns: 0, or -EINVAL (NULL @ret), -ENODEV (no such device, or its
 * region holds no doorbell: see rtvm-boost(7) for the header), -ENOMEM,
 * or the error of open(2)/mmap(2) (-EACCES: not root).
 * Privileges: read and write access to the device's resource files
 * (root).
 */
int rtvm_boost_bell_open(const char *dir, struct rtvm_boost_bell **ret);

/**
 * rtvm_boost_bell_open_fd() - open a doorbell from descriptors: the shared
 *      memory and an eventfd to ring (the ivshmem server's eventfd of peer
 *      0, or a VMM's ioeventfd); for tests and for a VMM.
 * @shm_fd: the region (mapped shared; the caller keeps the descriptor).
 * @ring_fd: an eventfd, written to ring (duplicated; the caller keeps its
 *           own).
 * @ret: where the doorbell is stored.
 *
 * Returns: 0, or -EINVAL (NULL @ret, a negative descriptor), -ENODEV (the
 * region holds no doorbell), -ENOMEM, or the error of fstat(2), mmap(2),
 * fcntl(2).
 * Privileges: none.
 */
int rtvm_boost_bell_open_fd(int shm_fd, int ring_fd,
			    struct rtvm_boost_bell **ret);

/**
 * rtvm_boost_bell_close() - unmap and close a doorbell.  Boosts in force
 *      stay until the guest deboosts or their grant runs out.
 * @g: the doorbell, or NULL.
 *
 * Returns: NULL, always.
 * Privileges: none.
 */
struct rtvm_boost_bell *rtvm_boost_bell_close(struct rtvm_boost_bell *g);

/**
 * rtvm_boost_bell_get_nr_vcpus() - how many vCPU lines the region has.
 * @g: the doorbell.
 *
 * Returns: the number, or 0 for NULL.
 * Privileges: none.
 */
unsigned int rtvm_boost_bell_get_nr_vcpus(const struct rtvm_boost_bell *g);

/**
 * rtvm_boost_bell_post() - write a request into its vCPU's line and ring,
 *      without waiting for anything.
 * @g: the doorbell.
 * @req: a BOOST or DEBOOST; its version (1, or 2 for a start_us) and
 *       sequence number are filled in here.
 *
 * Returns: 0, or -EINVAL (NULL argument, another type, a vCPU the region
 * has no line for, a message that does not encode), -EBUSY (the line's
 * previous request has no ACK yet: keep the wish and post it later).
 * Privileges: none.
 */
int rtvm_boost_bell_post(struct rtvm_boost_bell *g,
			 struct rtvm_boost_msg *req);

/**
 * rtvm_boost_bell_get_ack() - the ACK of a vCPU line's latest request.
 * @g: the doorbell.
 * @vcpu: the line.
 * @ret: the acknowledgement.
 *
 * Returns: 0, or -EINVAL (NULL argument, no such line), -EAGAIN (the host
 * has not answered yet), -ENOENT (no request was ever posted on the line),
 * -EPROTO (the ACK half is no ACK).
 * Privileges: none.
 */
int rtvm_boost_bell_get_ack(struct rtvm_boost_bell *g, unsigned int vcpu,
			    struct rtvm_boost_msg *ret);

#ifdef __cplusplus
}
#endif

#endif /* RTVM_BOOST_H */
