// SPDX-License-Identifier: GPL-2.0
/*
 * mqtap: hold a multi-queue tap the way a VMM does, one file descriptor per
 * queue, and record which queue tun_select_queue() gave every datagram that
 * udpflows sent into it.
 *
 * A datagram is identified by its flow (UDP source port) and the sequence
 * number udpflows wrote into it, and is timed by the send time it carries
 * (see kmbflow.h), so a queue decision is placed in time to microseconds
 * whatever the reading latency. Queues can be detached and re-attached
 * (TUNSETQUEUE) at given times while the traffic flows.
 *
 * Everything is printed when the run ends, as "key=value" lines; see
 * README.md for the format.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kmbflow.h"
#include "kmbtool.h"

#define MQTAP_MAX_QUEUES	16
#define MQTAP_MAX_FLOWS		64
#define MQTAP_MAX_EVENTS	32
#define MQTAP_MAX_STATS		4096
#define MQTAP_MAX_SEQ		(1u << 22)
#define MQTAP_MAX_GAP_LINES	2000
#define MQTAP_STATS_BYTES	8192

/* One open file of the tap: a queue while attached. */
struct mq_slot {
	int fd;
	int index;			/* tun's queue_index, -1 while detached */
	unsigned long frames;		/* flow datagrams read */
	unsigned long other;		/* any other frame read */
	unsigned long detached_reads;	/* frames read while detached */
};

/* A flow: per sequence number, the slot it was read from and its send time. */
struct mq_flow {
	unsigned int sport;
	uint32_t cap;
	uint8_t *slot;			/* slot + 1, 0: not received */
	int64_t *sent_ns;
	unsigned long frames;
	unsigned long dups;
	unsigned long beyond;		/* sequence numbers past MQTAP_MAX_SEQ */
	uint32_t max_seq;
	bool any;
};

struct mq_event {
	long long at_ms;		/* after the first datagram's send time */
	bool attach;
	int slot;
	bool done;
	int rc;
	int err;
	long long begin_ns;
	long long end_ns;
	unsigned long drained_before;
	unsigned long drained_after;
	int map[MQTAP_MAX_QUEUES];	/* slot -> queue index after the event */
};

struct mq_stats_sample {
	long long t_ns;
	char *text;
};

static const char *prog = "mqtap";
static struct mq_slot slots[MQTAP_MAX_QUEUES];
static int nslots = 4;
static struct mq_flow flows[MQTAP_MAX_FLOWS];
static int nflows;
static unsigned long unknown_flows;	/* datagrams of flows beyond MQTAP_MAX_FLOWS */
static struct mq_event events[MQTAP_MAX_EVENTS];
static int nevents;
static struct mq_stats_sample stats[MQTAP_MAX_STATS];
static int nstats;
static bool stats_dropped;
static long long first_sent_ns = -1;	/* send time of the first datagram read */
static long long last_data_ns;		/* when a datagram was last read */
static unsigned char frame[65536];

static void die_usage(const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", prog, why);
	fprintf(stderr,
		"usage: %s [-q QUEUES] [-b BUCKET_MS] [-t MAX_S] [-i IDLE_MS] [-S STATS_MS] [-e EVENT]... IFNAME\n"
		"  -q QUEUES    queues (files) to open, 1..%d (default 4)\n"
		"  -b BUCKET_MS width of the per-flow time buckets (default 50)\n"
		"  -t MAX_S     stop after MAX_S seconds in any case (default 20)\n"
		"  -i IDLE_MS   stop IDLE_MS after the last datagram, once traffic was seen (default 500)\n"
		"  -S STATS_MS  sample /sys/class/net/IFNAME/balance_stats every STATS_MS, 0 = never (default 5)\n"
		"  -e EVENT     detach:SLOT@MS or attach:SLOT@MS: TUNSETQUEUE on file SLOT, MS after\n"
		"               the send time of the first datagram read\n",
		prog, MQTAP_MAX_QUEUES);
	exit(2);
}

static void parse_event(const char *spec)
{
	char buf[64], *colon, *at;
	struct mq_event *e;

	if (nevents == MQTAP_MAX_EVENTS)
		die_usage("too many events");
	if (strlen(spec) >= sizeof(buf))
		die_usage("an event is detach:SLOT@MS or attach:SLOT@MS");
	strcpy(buf, spec);
	colon = strchr(buf, ':');
	at = strchr(buf, '@');
	if (!colon || !at || at < colon)
		die_usage("an event is detach:SLOT@MS or attach:SLOT@MS");
	*colon = '\0';
	*at = '\0';
	e = &events[nevents++];
	if (!strcmp(buf, "detach"))
		e->attach = false;
	else if (!strcmp(buf, "attach"))
		e->attach = true;
	else
		die_usage("an event is detach:SLOT@MS or attach:SLOT@MS");
	e->slot = parse_num(colon + 1, 0, MQTAP_MAX_QUEUES - 1, "event SLOT");
	e->at_ms = parse_num(at + 1, 0, 3600000, "event MS");
}

static int tap_open(const char *ifname)
{
	struct ifreq ifr;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: open /dev/net/tun: %s\n", prog, strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "%s: TUNSETIFF %s: %s\n", prog, ifname, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* A sysfs file's whole text (re-generated on every read), or -1. */
static ssize_t sysfs_read(int fd, char *buf, size_t size)
{
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, size - 1, 0);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static long long read_counter(const char *ifname, const char *name)
{
	char path[128], buf[64];
	long long v = -1;
	int fd;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", ifname, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (sysfs_read(fd, buf, sizeof(buf)) > 0)
		v = strtoll(buf, NULL, 10);
	if (fd >= 0)
		close(fd);
	return v;
}

static void stats_sample(int fd, long long t, bool force)
{
	static char buf[MQTAP_STATS_BYTES];
	const char *prev = nstats ? stats[nstats - 1].text : NULL;

	if (sysfs_read(fd, buf, sizeof(buf)) < 0)
		return;
	if (!force && prev && !strcmp(prev, buf))
		return;
	if (nstats == MQTAP_MAX_STATS) {
		stats_dropped = true;
		return;
	}
	stats[nstats].t_ns = t;
	stats[nstats].text = strdup(buf);
	if (stats[nstats].text)
		nstats++;
}

static struct mq_flow *flow_get(unsigned int sport)
{
	struct mq_flow *f;
	int i;

	for (i = 0; i < nflows; i++)
		if (flows[i].sport == sport)
			return &flows[i];
	if (nflows == MQTAP_MAX_FLOWS)
		return NULL;
	f = &flows[nflows++];
	memset(f, 0, sizeof(*f));
	f->sport = sport;
	return f;
}

/* Make room for sequence number @seq; false when it is out of bounds. */
static bool flow_reserve(struct mq_flow *f, uint32_t seq)
{
	uint32_t cap = f->cap ? f->cap : 1024;
	uint8_t *slot;
	int64_t *sent;

	if (seq >= MQTAP_MAX_SEQ)
		return false;
	if (seq < f->cap)
		return true;
	while (cap <= seq)
		cap *= 2;
	slot = realloc(f->slot, cap);
	if (!slot)
		return false;
	f->slot = slot;
	sent = realloc(f->sent_ns, cap * sizeof(*sent));
	if (!sent)
		return false;
	f->sent_ns = sent;
	memset(f->slot + f->cap, 0, cap - f->cap);
	f->cap = cap;
	return true;
}

/* The flow payload of an Ethernet frame, or NULL if it carries none. */
static const struct kmbflow_payload *frame_payload(const unsigned char *buf,
						   ssize_t len, unsigned int *sport)
{
	const struct ethhdr *eth = (const struct ethhdr *)buf;
	const struct iphdr *ip;
	const struct udphdr *udp;
	const struct kmbflow_payload *p;
	size_t ihl;

	if (len < (ssize_t)(sizeof(*eth) + sizeof(*ip)) ||
	    eth->h_proto != htobe16(ETH_P_IP))
		return NULL;
	ip = (const struct iphdr *)(buf + sizeof(*eth));
	ihl = ip->ihl * 4u;
	if (ip->protocol != IPPROTO_UDP || ihl < sizeof(*ip) ||
	    (be16toh(ip->frag_off) & 0x3fff))
		return NULL;
	if (len < (ssize_t)(sizeof(*eth) + ihl + sizeof(*udp) + sizeof(*p)))
		return NULL;
	udp = (const struct udphdr *)(buf + sizeof(*eth) + ihl);
	p = (const struct kmbflow_payload *)(udp + 1);
	if (be32toh(p->magic) != KMBFLOW_MAGIC)
		return NULL;
	*sport = be16toh(udp->source);
	return p;
}

static void frame_count(int s, const unsigned char *buf, ssize_t len, long long t)
{
	const struct kmbflow_payload *p;
	struct mq_flow *f;
	unsigned int sport;
	uint32_t seq;

	if (slots[s].index < 0)
		slots[s].detached_reads++;
	p = frame_payload(buf, len, &sport);
	if (!p) {
		slots[s].other++;
		return;
	}
	slots[s].frames++;
	last_data_ns = t;
	if (first_sent_ns < 0)
		first_sent_ns = (long long)be64toh(p->sent_ns);
	f = flow_get(sport);
	if (!f) {
		unknown_flows++;
		return;
	}
	f->frames++;
	seq = be32toh(p->seq);
	if (!flow_reserve(f, seq)) {
		f->beyond++;
		return;
	}
	if (f->slot[seq]) {
		f->dups++;
		return;
	}
	f->slot[seq] = s + 1;
	f->sent_ns[seq] = (int64_t)be64toh(p->sent_ns);
	if (!f->any || seq > f->max_seq)
		f->max_seq = seq;
	f->any = true;
}

/* Read everything waiting on slot @s; returns the number of frames. */
static unsigned long slot_drain(int s)
{
	unsigned long n = 0;
	long long t = now_ns();

	for (;;) {
		ssize_t len = read(slots[s].fd, frame, sizeof(frame));

		if (len < 0)
			break;
		frame_count(s, frame, len, t);
		n++;
	}
	return n;
}

static int attached_count(void)
{
	int s, n = 0;

	for (s = 0; s < nslots; s++)
		n += slots[s].index >= 0;
	return n;
}

/*
 * TUNSETQUEUE on one file. tun keeps its attached files dense: detaching
 * queue k moves the file holding the last queue into slot k of tun->tfiles
 * (__tun_detach()), and a re-attached file becomes the last queue
 * (tun_attach()). The slot -> queue map follows the same rules.
 */
static void event_run(struct mq_event *e)
{
	struct mq_slot *sl = &slots[e->slot];
	struct ifreq ifr;
	int s, k, last;

	e->done = true;
	if (e->slot >= nslots) {
		e->rc = -1;
		e->err = EINVAL;
		goto out;
	}
	e->drained_before = slot_drain(e->slot);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = e->attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	e->begin_ns = now_ns();
	e->rc = ioctl(sl->fd, TUNSETQUEUE, &ifr);
	e->err = e->rc < 0 ? errno : 0;
	e->end_ns = now_ns();
	if (!e->rc && e->attach) {
		sl->index = attached_count();
	} else if (!e->rc) {
		k = sl->index;
		last = attached_count() - 1;
		for (s = 0; s < nslots; s++)
			if (slots[s].index == last)
				slots[s].index = k;
		sl->index = -1;
	}
	e->drained_after = slot_drain(e->slot);
out:
	for (s = 0; s < MQTAP_MAX_QUEUES; s++)
		e->map[s] = s < nslots ? slots[s].index : -1;
}

static long long rel_us(long long t, long long anchor)
{
	return (t - anchor) / NSEC_PER_USEC;
}

static void print_map(const int *map, long long t_us)
{
	int s;

	printf("map t_us=%lld", t_us);
	for (s = 0; s < nslots; s++)
		printf(" slot%d=%d", s, map[s]);
	printf("\n");
}

static void print_flow(const struct mq_flow *f, long long anchor, long long bucket_ns)
{
	long long nb, b, t;
	unsigned long *counts, unique = 0;
	uint32_t seq, first = 0;
	int cur = 0, s, gaps = 0;
	bool open = false;

	if (!f->any) {
		printf("flow sport=%u frames=%lu unique=0 dups=%lu beyond=%lu max_seq=-1\n",
		       f->sport, f->frames, f->dups, f->beyond);
		return;
	}
	/* Buckets by send time: frames per slot. */
	nb = 1;
	for (seq = 0; seq <= f->max_seq; seq++)
		if (f->slot[seq] && (f->sent_ns[seq] - anchor) / bucket_ns + 1 > nb)
			nb = (f->sent_ns[seq] - anchor) / bucket_ns + 1;
	counts = calloc(nb * nslots, sizeof(*counts));
	if (!counts) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(1);
	}
	for (seq = 0; seq <= f->max_seq; seq++) {
		if (!f->slot[seq])
			continue;
		unique++;
		b = (f->sent_ns[seq] - anchor) / bucket_ns;
		counts[b * nslots + f->slot[seq] - 1]++;
	}
	for (b = 0; b < nb; b++) {
		unsigned long sum = 0;

		for (s = 0; s < nslots; s++)
			sum += counts[b * nslots + s];
		if (!sum)
			continue;
		printf("bucket flow=%u t_ms=%lld frames=", f->sport, b * bucket_ns / NSEC_PER_MSEC);
		for (s = 0; s < nslots; s++)
			printf("%s%lu", s ? "," : "", counts[b * nslots + s]);
		printf("\n");
	}
	free(counts);

	/* Segments: runs of received sequence numbers read from one slot. */
	for (seq = 0; seq <= f->max_seq + 1; seq++) {
		int sl = seq <= f->max_seq ? f->slot[seq] : -1;
		unsigned long n = 0;
		uint32_t last = first, i;

		if (!sl)
			continue;
		if (open && sl == cur)
			continue;
		if (open) {
			for (i = first; i < seq; i++) {
				if (f->slot[i] == cur) {
					n++;
					last = i;
				}
			}
			printf("seg flow=%u slot=%d first_seq=%u last_seq=%u frames=%lu first_us=%lld last_us=%lld\n",
			       f->sport, cur - 1, first, last, n,
			       rel_us(f->sent_ns[first], anchor),
			       rel_us(f->sent_ns[last], anchor));
		}
		open = sl > 0;
		cur = sl;
		first = seq;
	}

	/* Gaps: sequence numbers never read, with the send times around them. */
	for (seq = 0; seq <= f->max_seq; seq++) {
		uint32_t end = seq;

		if (f->slot[seq])
			continue;
		while (!f->slot[end + 1])
			end++;
		if (gaps++ < MQTAP_MAX_GAP_LINES) {
			printf("gap flow=%u first_seq=%u last_seq=%u", f->sport, seq, end);
			if (seq)
				printf(" prev_us=%lld", rel_us(f->sent_ns[seq - 1], anchor));
			else
				printf(" prev_us=none");
			printf(" next_us=%lld\n", rel_us(f->sent_ns[end + 1], anchor));
		}
		seq = end;
	}
	t = f->sent_ns[f->max_seq];
	printf("flow sport=%u frames=%lu unique=%lu dups=%lu beyond=%lu max_seq=%u last_us=%lld gaps=%d\n",
	       f->sport, f->frames, unique, f->dups, f->beyond, f->max_seq,
	       rel_us(t, anchor), gaps);
}

static void print_report(const char *ifname, long long bucket_ms, long long start_ns,
			 long long end_ns, long long tx_before, long long tx_after,
			 const char *reason)
{
	long long anchor = LLONG_MAX, bucket_ns = bucket_ms * NSEC_PER_MSEC;
	unsigned long frames = 0, other = 0, detached = 0;
	int map[MQTAP_MAX_QUEUES], i, s;
	uint32_t seq;

	for (i = 0; i < nflows; i++)
		for (seq = 0; flows[i].any && seq <= flows[i].max_seq; seq++)
			if (flows[i].slot[seq] && flows[i].sent_ns[seq] < anchor)
				anchor = flows[i].sent_ns[seq];
	if (anchor == LLONG_MAX)
		anchor = start_ns;

	printf("mqtap ifname=%s queues=%d bucket_ms=%lld anchor_ns=%lld first_sent_us=%lld\n",
	       ifname, nslots, bucket_ms, anchor,
	       first_sent_ns < 0 ? 0 : rel_us(first_sent_ns, anchor));
	for (s = 0; s < MQTAP_MAX_QUEUES; s++)
		map[s] = s;
	print_map(map, rel_us(start_ns, anchor));
	for (i = 0; i < nevents; i++) {
		struct mq_event *e = &events[i];

		printf("event op=%s slot=%d at_ms=%lld done=%d rc=%d errno=%d begin_us=%lld end_us=%lld drained_before=%lu drained_after=%lu\n",
		       e->attach ? "attach" : "detach", e->slot, e->at_ms, e->done,
		       e->rc, e->err, e->done ? rel_us(e->begin_ns, anchor) : 0,
		       e->done ? rel_us(e->end_ns, anchor) : 0,
		       e->drained_before, e->drained_after);
		if (e->done)
			print_map(e->map, rel_us(e->end_ns, anchor));
	}
	for (i = 0; i < nstats; i++) {
		char *c;

		printf("stats t_us=%lld", rel_us(stats[i].t_ns, anchor));
		for (c = strtok(stats[i].text, "\n"); c; c = strtok(NULL, "\n"))
			printf(" | %s", c);
		printf("\n");
	}
	if (stats_dropped)
		printf("stats truncated=1\n");
	for (i = 0; i < nflows; i++)
		print_flow(&flows[i], anchor, bucket_ns);
	for (s = 0; s < nslots; s++) {
		printf("slot slot=%d frames=%lu other=%lu detached_reads=%lu\n", s,
		       slots[s].frames, slots[s].other, slots[s].detached_reads);
		frames += slots[s].frames;
		other += slots[s].other;
		detached += slots[s].detached_reads;
	}
	printf("txdropped before=%lld after=%lld\n", tx_before, tx_after);
	printf("end frames=%lu other=%lu detached_reads=%lu unknown_flows=%lu wall_ms=%lld reason=%s\n",
	       frames, other, detached, unknown_flows,
	       (end_ns - start_ns) / NSEC_PER_MSEC, reason);
}

int main(int argc, char **argv)
{
	long long bucket_ms = 50, max_s = 20, idle_ms = 500, stats_ms = 5;
	long long start, deadline, next_stats, tx_before, t;
	struct pollfd pfd[MQTAP_MAX_QUEUES];
	const char *ifname, *reason = "deadline";
	char path[128];
	int opt, s, i, stats_fd = -1;

	while ((opt = getopt(argc, argv, "q:b:t:i:S:e:h")) != -1) {
		switch (opt) {
		case 'q':
			nslots = parse_num(optarg, 1, MQTAP_MAX_QUEUES, "QUEUES");
			break;
		case 'b':
			bucket_ms = parse_num(optarg, 1, 60000, "BUCKET_MS");
			break;
		case 't':
			max_s = parse_num(optarg, 1, 3600, "MAX_S");
			break;
		case 'i':
			idle_ms = parse_num(optarg, 1, 600000, "IDLE_MS");
			break;
		case 'S':
			stats_ms = parse_num(optarg, 0, 60000, "STATS_MS");
			break;
		case 'e':
			parse_event(optarg);
			break;
		case 'h':
			die_usage(NULL);
			break;
		default:
			die_usage("unknown option");
		}
	}
	if (optind != argc - 1)
		die_usage("exactly one IFNAME is needed");
	ifname = argv[optind];
	if (!*ifname || strlen(ifname) >= IFNAMSIZ)
		die_usage("IFNAME must have 1..15 characters");
	for (i = 0; i < nevents; i++)
		if (events[i].slot >= nslots)
			die_usage("an event names a SLOT beyond QUEUES");

	for (s = 0; s < nslots; s++) {
		slots[s].fd = tap_open(ifname);
		if (slots[s].fd < 0)
			return 1;
		slots[s].index = s;
		pfd[s].fd = slots[s].fd;
		pfd[s].events = POLLIN;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/balance_stats", ifname);
	if (stats_ms)
		stats_fd = open(path, O_RDONLY | O_CLOEXEC);
	tx_before = read_counter(ifname, "tx_dropped");
	start = now_ns();
	deadline = start + max_s * NSEC_PER_SEC;
	next_stats = start;
	printf("READY ifname=%s queues=%d stats=%d\n", ifname, nslots, stats_fd >= 0);
	fflush(stdout);

	for (;;) {
		long long wake = start + max_s * NSEC_PER_SEC;
		bool pending = false;
		int timeout;

		t = now_ns();
		if (t >= deadline)
			break;
		/* Events are timed from the first datagram's send time. */
		for (i = 0; i < nevents; i++) {
			long long due;

			if (events[i].done)
				continue;
			pending = true;
			if (first_sent_ns < 0)
				continue;
			due = first_sent_ns + events[i].at_ms * NSEC_PER_MSEC;
			if (due <= t)
				event_run(&events[i]);
			else if (due < wake)
				wake = due;
		}
		if (stats_fd >= 0) {
			if (next_stats <= t) {
				stats_sample(stats_fd, t, false);
				next_stats = t + stats_ms * NSEC_PER_MSEC;
			}
			if (next_stats < wake)
				wake = next_stats;
		}
		if (first_sent_ns >= 0 && !pending && t - last_data_ns >= idle_ms * NSEC_PER_MSEC) {
			reason = "idle";
			break;
		}
		if (first_sent_ns >= 0 && last_data_ns + idle_ms * NSEC_PER_MSEC < wake)
			wake = last_data_ns + idle_ms * NSEC_PER_MSEC;
		timeout = wake > t ? (int)((wake - t + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC) : 0;
		if (timeout > 100)
			timeout = 100;
		if (poll(pfd, nslots, timeout) <= 0)
			continue;
		for (s = 0; s < nslots; s++)
			if (pfd[s].revents & POLLIN)
				slot_drain(s);
	}

	if (stats_fd >= 0) {
		stats_sample(stats_fd, now_ns(), true);
		close(stats_fd);
	}
	t = now_ns();
	print_report(ifname, bucket_ms, start, t, tx_before,
		     read_counter(ifname, "tx_dropped"), reason);
	for (s = 0; s < nslots; s++)
		close(slots[s].fd);
	return 0;
}
