/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Both ends of a request/reply exchange over a virtio-serial port, for the
 * e2e guest harness (tests/e2e-guest-channel.sh).  libc only, linked
 * static so that it runs in the busybox initramfs as it is.
 *
 *   guest-echo guest PORT COUNT        in the guest: PORT is
 *                                      /dev/virtio-ports/NAME
 *   guest-echo host SOCKET TOKEN       on the host: SOCKET is the unix
 *                                      socket of libvirt's channel
 *
 * The guest sends "REQ <seq>\n" for seq 1..COUNT and waits for each
 * "ACK <seq> <token>\n"; then "BYE <count>\n".  The host end answers with
 * the token it was given, which the guest never sees otherwise: a guest
 * that prints the token heard the host.  Each end checks sequence numbers
 * and prints one summary line; the guest adds the round-trip times.
 * Exit 0 only for a complete, in-order exchange.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define MAX_COUNT 100000
#define LINE_MAX_LEN 128

struct reader {
	int fd;
	char buf[512];
	size_t len;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One line (without '\n') within timeout_ms; 0 on success, -ETIMEDOUT,
 * -EPIPE at end of stream, -EPROTO for a line too long, -errno. */
static int read_line(struct reader *r, char *line, size_t size, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		char *nl = memchr(r->buf, '\n', r->len);

		if (nl) {
			size_t n = (size_t)(nl - r->buf);

			if (n >= size)
				return -EPROTO;
			memcpy(line, r->buf, n);
			line[n] = '\0';
			r->len -= n + 1;
			memmove(r->buf, nl + 1, r->len);
			return 0;
		}
		if (r->len == sizeof(r->buf))
			return -EPROTO;
		int left = (int)((deadline - now_ns()) / 1000000);
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		int k = poll(&p, 1, left);
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k <= 0)
			continue;
		ssize_t got = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (got == 0)
			return -EPIPE;
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		r->len += (size_t)got;
	}
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * A virtio-serial port reports POLLHUP while nobody holds the host end;
 * what is written then is lost.  Wait until the host connects.
 */
static int wait_host(int fd, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (poll(&p, 1, 100) > 0 && !(p.revents & POLLHUP) && (p.revents & POLLOUT))
			return 0;
		if (now_ns() > deadline)
			return -ETIMEDOUT;
		if (!(p.revents & POLLHUP))
			continue;
		/* POLLHUP returns at once: do not spin the vCPU */
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

static int run_guest(const char *port, long count)
{
	struct reader r = { 0 };
	char line[LINE_MAX_LEN], token[LINE_MAX_LEN] = "";
	int64_t *rtt;
	int err;

	rtt = calloc((size_t)count, sizeof(*rtt));
	if (!rtt) {
		fprintf(stderr, "guest-echo: out of memory\n");
		return 1;
	}
	r.fd = open(port, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (r.fd < 0) {
		fprintf(stderr, "guest-echo: %s: %s\n", port, strerror(errno));
		free(rtt);
		return 1;
	}
	err = wait_host(r.fd, 30000);
	if (err < 0) {
		fprintf(stderr, "guest-echo: %s: no host end within 30 s\n", port);
		goto fail;
	}
	printf("guest-echo: host connected on %s\n", port);
	fflush(stdout);
	for (long seq = 1; seq <= count; seq++) {
		char req[64], tok[LINE_MAX_LEN];
		long got;
		int n = snprintf(req, sizeof(req), "REQ %ld\n", seq);
		int64_t t0 = now_ns();

		err = write_all(r.fd, req, (size_t)n);
		if (err < 0) {
			fprintf(stderr, "guest-echo: write REQ %ld: %s\n", seq, strerror(-err));
			goto fail;
		}
		err = read_line(&r, line, sizeof(line), 10000);
		if (err < 0) {
			fprintf(stderr, "guest-echo: reply to REQ %ld: %s\n", seq,
				err == -EPROTO ? "line too long" : strerror(-err));
			goto fail;
		}
		rtt[seq - 1] = now_ns() - t0;
		if (sscanf(line, "ACK %ld %127s", &got, tok) != 2 || got != seq) {
			fprintf(stderr, "guest-echo: REQ %ld answered \"%s\"\n", seq, line);
			goto fail;
		}
		if (seq == 1)
			strcpy(token, tok);
		else if (strcmp(tok, token)) {
			fprintf(stderr, "guest-echo: token changed at %ld: %s\n", seq, tok);
			goto fail;
		}
	}
	{
		char bye[64];
		int n = snprintf(bye, sizeof(bye), "BYE %ld\n", count);

		err = write_all(r.fd, bye, (size_t)n);
		if (err < 0) {
			fprintf(stderr, "guest-echo: write BYE: %s\n", strerror(-err));
			goto fail;
		}
	}
	qsort(rtt, (size_t)count, sizeof(*rtt), cmp_i64);
	printf("guest-echo: ok %ld round trips, token %s, rtt us min %.1f median %.1f p99 %.1f max %.1f\n",
	       count, token, rtt[0] / 1e3, rtt[count / 2] / 1e3,
	       rtt[(count * 99) / 100 < count ? (count * 99) / 100 : count - 1] / 1e3,
	       rtt[count - 1] / 1e3);
	fflush(stdout);
	/* let the BYE drain before the guest powers off */
	sleep(1);
	close(r.fd);
	free(rtt);
	return 0;
fail:
	close(r.fd);
	free(rtt);
	return 1;
}

static int run_host(const char *path, const char *token, int timeout_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct reader r = { 0 };
	char line[LINE_MAX_LEN];
	long expect = 1, bye = -1;
	int64_t deadline = now_ns() + (int64_t)timeout_s * 1000000000;
	int err;

	if (strlen(path) >= sizeof(sa.sun_path) || strlen(token) > 64 || !*token ||
	    strpbrk(token, " \t\n")) {
		fprintf(stderr, "guest-echo: bad socket path or token\n");
		return 64;
	}
	strcpy(sa.sun_path, path);
	r.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r.fd < 0) {
		fprintf(stderr, "guest-echo: socket: %s\n", strerror(errno));
		return 1;
	}
	/* QEMU binds the socket when the domain starts: retry until then */
	while (connect(r.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if ((errno != ENOENT && errno != ECONNREFUSED) || now_ns() > deadline) {
			fprintf(stderr, "guest-echo: connect %s: %s\n", path, strerror(errno));
			close(r.fd);
			return 1;
		}
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
	}
	printf("guest-echo: host end connected to %s\n", path);
	fflush(stdout);
	while (bye < 0) {
		int left = (int)((deadline - now_ns()) / 1000000);
		long seq;

		err = left > 0 ? read_line(&r, line, sizeof(line), left) : -ETIMEDOUT;
		if (err < 0) {
			fprintf(stderr, "guest-echo: after %ld requests: %s\n", expect - 1,
				err == -EPROTO ? "line too long" : strerror(-err));
			goto fail;
		}
		if (sscanf(line, "BYE %ld", &bye) == 1)
			break;
		if (sscanf(line, "REQ %ld", &seq) != 1 || seq != expect) {
			fprintf(stderr, "guest-echo: expected REQ %ld, got \"%s\"\n", expect, line);
			goto fail;
		}
		char ack[LINE_MAX_LEN + 32];
		int n = snprintf(ack, sizeof(ack), "ACK %ld %s\n", seq, token);
		err = write_all(r.fd, ack, (size_t)n);
		if (err < 0) {
			fprintf(stderr, "guest-echo: write ACK %ld: %s\n", seq, strerror(-err));
			goto fail;
		}
		expect++;
	}
	if (bye != expect - 1) {
		fprintf(stderr, "guest-echo: BYE %ld after %ld requests\n", bye, expect - 1);
		goto fail;
	}
	printf("guest-echo: host saw %ld requests in order, BYE %ld\n", expect - 1, bye);
	close(r.fd);
	return 0;
fail:
	close(r.fd);
	return 1;
}

int main(int argc, char **argv)
{
	char *end;
	long n;

	if (argc == 4 && !strcmp(argv[1], "guest")) {
		n = strtol(argv[3], &end, 10);
		if (*end || n < 1 || n > MAX_COUNT) {
			fprintf(stderr, "guest-echo: bad count \"%s\" (1..%d)\n", argv[3], MAX_COUNT);
			return 64;
		}
		return run_guest(argv[2], n);
	}
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "host")) {
		n = 60;
		if (argc == 5) {
			n = strtol(argv[4], &end, 10);
			if (*end || n < 1 || n > 3600) {
				fprintf(stderr, "guest-echo: bad timeout \"%s\"\n", argv[4]);
				return 64;
			}
		}
		return run_host(argv[2], argv[3], (int)n);
	}
	fprintf(stderr, "usage: guest-echo guest PORT COUNT\n"
			"       guest-echo host SOCKET TOKEN [TIMEOUT_S]\n");
	return 64;
}
