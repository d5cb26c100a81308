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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kmbflow.h"
#include "kmbtool.h"

#define UDPFLOWS_MAX_FLOWS	64
#define UDPFLOWS_MAX_PAYLOAD	1400

struct udp_flow {
	unsigned int sport;
	unsigned int pps;
	long long start_ns;	/* after the tool's start */
	unsigned long count;
	unsigned long next;	/* next sequence number to send */
	unsigned long errors;
	long long first_ns;	/* CLOCK_MONOTONIC of the first and last send */
	long long last_ns;
	long long max_late_ns;	/* worst delay of a send behind its schedule */
	int sock;
};

static const char *prog = "udpflows";

static void die_usage(const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", prog, why);
	fprintf(stderr,
		"usage: %s [-d DSTIP] [-p DPORT] [-b SRCIP] [-s PAYLOAD] [-T MAX_S] SPORT:PPS:START_MS:COUNT...\n"
		"  -d DSTIP    destination address (default 198.51.100.2)\n"
		"  -p DPORT    destination port (default 9, discard)\n"
		"  -b SRCIP    source address to bind (default: any)\n"
		"  -s PAYLOAD  payload bytes, %zu..%d (default 64)\n"
		"  -T MAX_S    stop after MAX_S seconds whatever is left (default 30)\n"
		"  a flow: COUNT datagrams from SPORT at PPS per second, the first START_MS after start\n",
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
	f->count = parse_num(field[3], 0, 100000000, "COUNT");
	f->sock = -1;
}

/* When sequence number @k of @f is due, relative to the tool's start. */
static long long flow_due(const struct udp_flow *f, unsigned long k)
{
	return f->start_ns + (long long)((unsigned long long)k * NSEC_PER_SEC / f->pps);
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
	long long t = now_ns();

	p->magic = htobe32(KMBFLOW_MAGIC);
	p->seq = htobe32((uint32_t)f->next);
	p->sent_ns = htobe64((uint64_t)t);
	if (send(f->sock, buf, len, 0) < 0)
		f->errors++;
	if (!f->next)
		f->first_ns = t;
	f->last_ns = t;
	if (late_ns > f->max_late_ns)
		f->max_late_ns = late_ns;
	f->next++;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct in_addr src = { .s_addr = htonl(INADDR_ANY) };
	static struct udp_flow flows[UDPFLOWS_MAX_FLOWS];
	unsigned char buf[UDPFLOWS_MAX_PAYLOAD];
	long long start, deadline, max_s = 30;
	size_t payload = 64;
	int nflows, opt, i;
	bool stopped = false;

	inet_pton(AF_INET, "198.51.100.2", &dst.sin_addr);
	while ((opt = getopt(argc, argv, "d:p:b:s:T:h")) != -1) {
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
		if (flow_open(&flows[i], &src, &dst))
			return 1;
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

	for (i = 0; i < nflows; i++) {
		struct udp_flow *f = &flows[i];

		printf("sent sport=%u pps=%u start_ms=%lld count=%lu sent=%lu errors=%lu first_ns=%lld last_ns=%lld max_late_us=%lld\n",
		       f->sport, f->pps, f->start_ns / NSEC_PER_MSEC, f->count,
		       f->next, f->errors, f->first_ns, f->last_ns,
		       f->max_late_ns / 1000);
		close(f->sock);
	}
	printf("udpflows end wall_ms=%lld stopped=%d\n",
	       (now_ns() - start) / NSEC_PER_MSEC, stopped);
	return stopped ? 3 : 0;
}
