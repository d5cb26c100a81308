// SPDX-License-Identifier: GPL-2.0
/*
 * udpflows: send paced UDP flows, one socket (one source port) per flow.
 *
 * Each flow is SPORT:PPS:START_MS:COUNT: COUNT datagrams from source port
 * SPORT, the k-th at START_MS + k * 1000 / PPS milliseconds after the tool
 * started. Every send time is computed from the start, never from the
 * previous send, so a late wake-up is caught up and the flows keep their
 * rates relative to each other. Datagrams due at the same time go out in
 * the order the flows were given on the command line: the balancer places
 * new flows in the order it first sees them.
 *
 * Each datagram carries the flow's sequence number and its send time (see
 * kmbflow.h). The whole run is bounded by -T.
 *
 * -F adds a flood: COUNT one-datagram flows, each from its own random
 * source and destination port, sent through a raw socket as fast as the
 * host can, between the paced flows' due datagrams. A flow given as
 * SPORT:PPS:START_MS:+TAIL_MS runs until TAIL_MS after the flood's last
 * datagram.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kmbflow.h"
#include "kmbtool.h"

#define UDPFLOWS_MAX_FLOWS	64
#define UDPFLOWS_MAX_PAYLOAD	1400
#define UDPFLOWS_FLOOD_BATCH	32
#define UDPFLOWS_OPEN_ENDED	ULONG_MAX	/* a +TAIL flow before the flood ends */

struct udp_flow {
	unsigned int sport;
	unsigned int pps;
	long long start_ns;	/* after the tool's start */
	unsigned long count;
	long long tail_ns;	/* -1, or: runs until this long after the flood */
	unsigned long next;	/* next sequence number to send */
	unsigned long errors;
	long long first_ns;	/* CLOCK_MONOTONIC of the first and last send */
	long long last_ns;
	long long max_late_ns;	/* worst delay of a send behind its schedule */
	long long max_send_ns;	/* longest send(): the stamp precedes the queue choice */
	int sock;
};

static const char *prog = "udpflows";
static bool paired;	/* -P: a flow's first two datagrams go out together */

/* The flood (-F): one datagram per flow, ports from a bijection of the index. */
struct udp_flood {
	unsigned long count;
	unsigned long next;
	unsigned long errors;
	long long start_ns;	/* after the tool's start */
	long long first_ns;
	long long last_ns;
	uint32_t seed;
	uint32_t state;
	int sock;
};

static void die_usage(const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", prog, why);
	fprintf(stderr,
		"usage: %s [-d DSTIP] [-p DPORT] [-b SRCIP] [-s PAYLOAD] [-T MAX_S] [-P] [-L LINGER_MS]\n"
		"       [-F COUNT@START_MS] [-R SEED] SPORT:PPS:START_MS:COUNT|+TAIL_MS...\n"
		"  -d DSTIP    destination address (default 198.51.100.2)\n"
		"  -p DPORT    destination port (default 9, discard)\n"
		"  -b SRCIP    source address to bind (default: any)\n"
		"  -s PAYLOAD  payload bytes, %zu..%d (default 64)\n"
		"  -T MAX_S    stop after MAX_S seconds whatever is left (default 30)\n"
		"  -P          each flow's first two datagrams go out back to back (then one per 1/PPS)\n"
		"  -L MS       keep the sockets open MS after the last datagram (replies find them)\n"
		"  -F COUNT@START_MS  flood: COUNT one-datagram flows with random ports, as fast as\n"
		"              possible from START_MS on (a raw socket; -b is required)\n"
		"  -R SEED     the flood's port sequence (default 1)\n"
		"  a flow: COUNT datagrams from SPORT at PPS per second, the first START_MS after start;\n"
		"  +TAIL_MS instead of COUNT: until TAIL_MS after the flood's last datagram\n",
		prog, sizeof(struct kmbflow_payload), UDPFLOWS_MAX_PAYLOAD);
	exit(2);
}

static void parse_flow(char *spec, struct udp_flow *f)
{
	char *field[4], *save = NULL, msg[160];
	int n = 0;

	for (char *tok = strtok_r(spec, ":", &save); tok;
	     tok = strtok_r(NULL, ":", &save)) {
		if (n == 4)
			break;
		field[n++] = tok;
	}
	if (n != 4 || strtok_r(NULL, ":", &save)) {
		snprintf(msg, sizeof(msg),
			 "a flow is SPORT:PPS:START_MS:COUNT, got '%s'", spec);
		die_usage(msg);
	}
	memset(f, 0, sizeof(*f));
	f->sport = parse_num(field[0], 1, 65535, "SPORT");
	f->pps = parse_num(field[1], 1, 1000000, "PPS");
	f->start_ns = parse_num(field[2], 0, 3600000, "START_MS") * NSEC_PER_MSEC;
	f->tail_ns = -1;
	if (field[3][0] == '+') {
		f->tail_ns = parse_num(field[3] + 1, 0, 3600000, "TAIL_MS") * NSEC_PER_MSEC;
		f->count = UDPFLOWS_OPEN_ENDED;
	} else {
		f->count = parse_num(field[3], 0, 100000000, "COUNT");
	}
	f->sock = -1;
}

/* When sequence number @k of @f is due, relative to the tool's start. */
static long long flow_due(const struct udp_flow *f, unsigned long k)
{
	if (paired && k)
		k--;
	return f->start_ns + (long long)((unsigned long long)k * NSEC_PER_SEC / f->pps);
}

/* A bijection of 32-bit values (an xorshift-multiply mix), so every index
 * gives another port pair.
 */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* Ports of the next flood flow: both 1024..65535, the source never in
 * 40000..40999 (the paced flows' range).
 */
static void flood_ports(struct udp_flood *fl, uint16_t *sport, uint16_t *dport)
{
	for (;;) {
		uint32_t x = mix32(fl->state++ ^ fl->seed);

		*sport = x >> 16;
		*dport = x & 0xffff;
		if (*sport >= 1024 && *dport >= 1024 && (*sport < 40000 || *sport > 40999))
			return;
	}
}

/* Up to UDPFLOWS_FLOOD_BATCH flood datagrams with one sendmmsg(). */
static void flood_send(struct udp_flood *fl, const struct in_addr *src,
		       const struct sockaddr_in *dst, size_t payload)
{
	static unsigned char pkt[UDPFLOWS_FLOOD_BATCH][sizeof(struct iphdr) +
						     sizeof(struct udphdr) +
						     UDPFLOWS_MAX_PAYLOAD];
	struct mmsghdr msg[UDPFLOWS_FLOOD_BATCH];
	struct iovec iov[UDPFLOWS_FLOOD_BATCH];
	size_t len = sizeof(struct iphdr) + sizeof(struct udphdr) + payload;
	unsigned long n = fl->count - fl->next;
	long long t = now_ns();
	unsigned long i;
	int sent;

	if (n > UDPFLOWS_FLOOD_BATCH)
		n = UDPFLOWS_FLOOD_BATCH;
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < n; i++) {
		struct iphdr *ip = (struct iphdr *)pkt[i];
		struct udphdr *udp = (struct udphdr *)(ip + 1);
		struct kmbflow_payload *p = (struct kmbflow_payload *)(udp + 1);
		uint16_t sport, dport;

		memset(pkt[i], 'k', len);
		flood_ports(fl, &sport, &dport);
		memset(ip, 0, sizeof(*ip));
		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->frag_off = htons(0x4000);
		ip->tot_len = htons(len);	/* the kernel fills id and check */
		ip->saddr = src->s_addr;
		ip->daddr = dst->sin_addr.s_addr;
		udp->source = htons(sport);
		udp->dest = htons(dport);
		udp->len = htons(len - sizeof(*ip));
		udp->check = 0;
		p->magic = htobe32(KMBFLOOD_MAGIC);
		p->seq = htobe32((uint32_t)(fl->next + i));
		p->sent_ns = htobe64((uint64_t)t);
		iov[i].iov_base = pkt[i];
		iov[i].iov_len = len;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = (void *)dst;
		msg[i].msg_hdr.msg_namelen = sizeof(*dst);
	}
	sent = sendmmsg(fl->sock, msg, n, 0);
	if (sent < 0) {
		sent = 1;	/* the first failed: skip it */
		fl->errors++;
	}
	if (!fl->next)
		fl->first_ns = t;
	fl->last_ns = t;
	fl->next += sent;
}

static int flow_open(struct udp_flow *f, const struct in_addr *src,
		     const struct sockaddr_in *dst)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(f->sport),
		.sin_addr = *src,
	};

	f->sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (f->sock < 0) {
		perror("udpflows: socket");
		return -1;
	}
	if (bind(f->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "udpflows: bind to port %u: %s\n", f->sport,
			strerror(errno));
		return -1;
	}
	if (connect(f->sock, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
		perror("udpflows: connect");
		return -1;
	}
	return 0;
}

static void flow_send(struct udp_flow *f, unsigned char *buf, size_t len,
		      long long late_ns)
{
	struct kmbflow_payload *p = (struct kmbflow_payload *)buf;
	long long t = now_ns(), spent;

	p->magic = htobe32(KMBFLOW_MAGIC);
	p->seq = htobe32((uint32_t)f->next);
	p->sent_ns = htobe64((uint64_t)t);
	if (send(f->sock, buf, len, 0) < 0)
		f->errors++;
	/* tun picks the queue inside send(), after the stamp: a vCPU held
	 * there makes a datagram stamped before a change steered after it
	 */
	spent = now_ns() - t;
	if (spent > f->max_send_ns)
		f->max_send_ns = spent;
	if (!f->next)
		f->first_ns = t;
	f->last_ns = t;
	if (late_ns > f->max_late_ns)
		f->max_late_ns = late_ns;
	f->next++;
}

/* Once the flood has sent its last datagram, a +TAIL flow gets its count. */
static void tail_fix(struct udp_flow *f, long long flood_end)
{
	unsigned long k = 0;

	if (f->tail_ns < 0 || f->count != UDPFLOWS_OPEN_ENDED)
		return;
	while (flow_due(f, k) <= flood_end + f->tail_ns)
		k++;
	f->count = k > f->next ? k : f->next;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct in_addr src = { .s_addr = htonl(INADDR_ANY) };
	static struct udp_flow flows[UDPFLOWS_MAX_FLOWS];
	struct udp_flood flood = { .seed = 1, .sock = -1 };
	unsigned char buf[UDPFLOWS_MAX_PAYLOAD];
	long long start, deadline, max_s = 30, linger_ms = 0;
	size_t payload = 64;
	int nflows, opt, i;
	bool stopped = false, flood_done;
	char *at;

	inet_pton(AF_INET, "198.51.100.2", &dst.sin_addr);
	while ((opt = getopt(argc, argv, "d:p:b:s:T:PL:F:R:h")) != -1) {
		switch (opt) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &dst.sin_addr) != 1)
				die_usage("-d needs an IPv4 address");
			break;
		case 'p':
			dst.sin_port = htons(parse_num(optarg, 1, 65535, "DPORT"));
			break;
		case 'b':
			if (inet_pton(AF_INET, optarg, &src) != 1)
				die_usage("-b needs an IPv4 address");
			break;
		case 's':
			payload = parse_num(optarg, sizeof(struct kmbflow_payload),
					    UDPFLOWS_MAX_PAYLOAD, "PAYLOAD");
			break;
		case 'T':
			max_s = parse_num(optarg, 1, 3600, "MAX_S");
			break;
		case 'P':
			paired = true;
			break;
		case 'L':
			linger_ms = parse_num(optarg, 0, 60000, "LINGER_MS");
			break;
		case 'F':
			at = strchr(optarg, '@');
			if (!at)
				die_usage("-F is COUNT@START_MS");
			*at = '\0';
			flood.count = parse_num(optarg, 1, 10000000, "flood COUNT");
			flood.start_ns = parse_num(at + 1, 0, 3600000, "flood START_MS") * NSEC_PER_MSEC;
			break;
		case 'R':
			flood.seed = parse_num(optarg, 0, UINT32_MAX, "SEED");
			break;
		case 'h':
			die_usage(NULL);
			break;
		default:
			die_usage("unknown option");
		}
	}
	nflows = argc - optind;
	if (nflows < 1)
		die_usage("no flow given");
	if (nflows > UDPFLOWS_MAX_FLOWS)
		die_usage("too many flows (at most 64)");
	for (i = 0; i < nflows; i++)
		parse_flow(argv[optind + i], &flows[i]);
	for (i = 0; i < nflows; i++)
		for (int j = 0; j < i; j++)
			if (flows[i].sport == flows[j].sport)
				die_usage("two flows share a source port");
	for (i = 0; i < nflows; i++)
		if (flows[i].tail_ns >= 0 && !flood.count)
			die_usage("a +TAIL_MS flow needs a flood (-F)");
	if (flood.count && src.s_addr == htonl(INADDR_ANY))
		die_usage("a flood needs the source address (-b)");

	for (i = 0; i < nflows; i++)
		if (flow_open(&flows[i], &src, &dst))
			return 1;
	if (flood.count) {
		flood.sock = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		if (flood.sock < 0) {
			perror("udpflows: raw socket");
			return 1;
		}
	}
	flood_done = !flood.count;
	memset(buf, 'k', sizeof(buf));

	start = now_ns();
	deadline = start + max_s * NSEC_PER_SEC;
	printf("udpflows start_ns=%lld flows=%d payload=%zu\n", start, nflows, payload);
	for (;;) {
		long long next = LLONG_MAX, t;
		struct timespec ts;

		/* Send everything due, flow by flow in command-line order. */
		t = now_ns() - start;
		for (i = 0; i < nflows; i++) {
			struct udp_flow *f = &flows[i];

			while (f->next < f->count && flow_due(f, f->next) <= t)
				flow_send(f, buf, payload, t - flow_due(f, f->next));
			if (f->next < f->count && flow_due(f, f->next) < next)
				next = flow_due(f, f->next);
		}
		if (!flood_done && flood.start_ns <= t) {
			/* a batch, then the paced flows again */
			flood_send(&flood, &src, &dst, payload);
			if (flood.next >= flood.count) {
				flood_done = true;
				for (i = 0; i < nflows; i++)
					tail_fix(&flows[i], flood.last_ns - start);
			}
			if (now_ns() >= deadline) {
				stopped = true;
				break;
			}
			continue;
		}
		if (!flood_done && flood.start_ns < next)
			next = flood.start_ns;
		if (next == LLONG_MAX)
			break;
		if (start + next >= deadline) {
			stopped = true;
			break;
		}
		ts.tv_sec = (start + next) / NSEC_PER_SEC;
		ts.tv_nsec = (start + next) % NSEC_PER_SEC;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
	if (linger_ms && !stopped)
		usleep(linger_ms * 1000);

	for (i = 0; i < nflows; i++) {
		struct udp_flow *f = &flows[i];

		printf("sent sport=%u pps=%u start_ms=%lld count=%lu sent=%lu errors=%lu first_ns=%lld last_ns=%lld max_late_us=%lld max_send_us=%lld\n",
		       f->sport, f->pps, f->start_ns / NSEC_PER_MSEC,
		       f->count == UDPFLOWS_OPEN_ENDED ? f->next : f->count,
		       f->next, f->errors, f->first_ns, f->last_ns,
		       f->max_late_ns / 1000, f->max_send_ns / 1000);
		close(f->sock);
	}
	if (flood.count) {
		long long span = flood.last_ns - flood.first_ns;

		printf("flood count=%lu sent=%lu errors=%lu start_ms=%lld first_ns=%lld last_ns=%lld pps=%lld seed=%u\n",
		       flood.count, flood.next, flood.errors, flood.start_ns / NSEC_PER_MSEC,
		       flood.first_ns, flood.last_ns,
		       span > 0 ? (long long)((flood.next - 1) * NSEC_PER_SEC / span) : 0,
		       flood.seed);
		close(flood.sock);
	}
	printf("udpflows end wall_ms=%lld stopped=%d\n",
	       (now_ns() - start) / NSEC_PER_MSEC, stopped);
	return stopped ? 3 : 0;
}
