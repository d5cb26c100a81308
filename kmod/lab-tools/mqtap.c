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
 * (TUNSETQUEUE) at given times while the traffic flows, balancing can be
 * turned on and off (/sys/class/net/IFNAME/balance), and "guest replies" can
 * be written on chosen queues so that stock tun's automq learns them.
 *
 * With -R, every queue is read at a fixed service rate (a token bucket per
 * file), the stand-in for one guest vCPU per queue that can take only so many
 * datagrams a second: a queue offered more than that backs up in tun's ring
 * and drops, whatever the other queues do (`kmb lab capacity`).
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
#define MQTAP_MAX_STATS		16384
#define MQTAP_MAX_SEQ		(1u << 22)
#define MQTAP_MAX_GAP_LINES	2000
#define MQTAP_STATS_BYTES	16384
#define MQTAP_MAX_REPLIES	4096
#define MQTAP_REPLY_MS		100	/* a flow's replies are this far apart */
#define MQTAP_FLOOD_BUCKET_MS	10
#define MQTAP_FLOOD_BUCKETS	6000	/* 60 s after mqtap started */
#define MQTAP_DRAIN_BATCH	64	/* frames per queue per round */
#define MQTAP_DEBUGFS		"/sys/kernel/debug/tun_balance"

/* One open file of the tap: a queue while attached. */
struct mq_slot {
	int fd;
	int index;			/* tun's queue_index, -1 while detached */
	unsigned long frames;		/* flow datagrams read */
	unsigned long other;		/* any other frame read */
	unsigned long detached_reads;	/* frames read while detached */
	unsigned long flood;		/* flood datagrams read */
	unsigned long netcons;		/* netconsole datagrams read */
	long long credit_ns;		/* -R: service time banked, capped at the burst */
	long long refill_ns;		/* when credit_ns was last refilled */
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
	unsigned long reordered;	/* read after a higher sequence number of the flow */
	uint32_t max_seq;
	bool any;
	/* "guest replies" (-r): on file reply_slot, every MQTAP_REPLY_MS */
	int reply_shift;		/* -1: none; else + this to the first slot */
	int reply_slot;			/* -1 until the first datagram is read */
	long long last_reply_ns;
	unsigned char peer[ETH_ALEN];	/* the frame's source: the tap's MAC */
	unsigned char self[ETH_ALEN];	/* the frame's destination */
	uint32_t saddr, daddr;		/* of the datagrams, network order */
	uint16_t dport;			/* network order */
};

struct mq_reply {
	unsigned int sport;
	int slot;
	long long begin_ns;
	long long end_ns;
	int rc;
	int err;
};

enum mq_op { MQ_DETACH, MQ_ATTACH, MQ_BALANCE };

struct mq_event {
	long long at_ms;		/* after the first datagram's send time */
	enum mq_op op;
	int slot;			/* MQ_BALANCE: the value written */
	bool done;
	int rc;
	int err;
	long long begin_ns;
	long long end_ns;
	unsigned long drained_before;
	unsigned long drained_after;
	int read;			/* MQ_BALANCE: the attribute read back */
	int map[MQTAP_MAX_QUEUES];	/* slot -> queue index after the event */
};

struct mq_stats_sample {
	long long t_ns;
	long long prev_ns;	/* the reading before, which still showed the previous sample */
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
static struct mq_reply replies[MQTAP_MAX_REPLIES];
static int nreplies;
static bool replies_dropped;
static unsigned int flood_counts[MQTAP_FLOOD_BUCKETS][MQTAP_MAX_QUEUES];
static unsigned long flood_late;	/* flood datagrams beyond the buckets */
static long long flood_base_ns;		/* bucket 0 starts here (mqtap's start) */
static unsigned int netcons_port;	/* -N: UDP destination port of netconsole */
static long long netcons_first_ns = -1, netcons_last_ns = -1;
static bool single_queue;		/* -s: no IFF_MULTI_QUEUE */
static char balance_path[128];
static int balance_fd = -1, stats_fd = -1;	/* -S: what is sampled */
static const char *stats_ifname = "";
static long long flood_first_ns = -1;	/* earliest flood send time read */
static long long first_sent_ns = -1;	/* send time of the first datagram read */
static long long last_data_ns;		/* when a datagram was last read */
static long long service_pps;		/* -R: datagrams a second per queue, 0: unlimited */
static long long service_burst = 8;	/* -R PPS:BURST: token bucket depth in datagrams */
static long long window_ms;		/* -w: stop reading this long after the first send */
static unsigned char frame[65536];

static void die_usage(const char *why)
{
	if (why)
		fprintf(stderr, "%s: %s\n", prog, why);
	fprintf(stderr,
		"usage: %s [-q QUEUES | -s] [-b BUCKET_MS] [-t MAX_S] [-i IDLE_MS] [-S STATS_MS] [-D FILE]\n"
		"       [-B 0|1] [-e EVENT]... [-r SPORT:+K|SPORT:=SLOT]... [-N PORT]\n"
		"       [-R PPS[:BURST]] [-w WINDOW_MS] IFNAME\n"
		"  -q QUEUES    queues (files) to open, 1..%d (default 4)\n"
		"  -s           a single-queue tap (no IFF_MULTI_QUEUE, one file)\n"
		"  -b BUCKET_MS width of the per-flow time buckets (default 50)\n"
		"  -t MAX_S     stop after MAX_S seconds in any case (default 20)\n"
		"  -i IDLE_MS   stop IDLE_MS after the last datagram, once traffic was seen (default 500)\n"
		"  -S STATS_MS  sample /sys/class/net/IFNAME/balance and IFNAME's block of the balancer\n"
		"               statistics every STATS_MS, 0 = never (default 5)\n"
		"  -D FILE      the statistics file (default " MQTAP_DEBUGFS ")\n"
		"  -B 0|1       write /sys/class/net/IFNAME/balance once the queues are open\n"
		"  -e EVENT     detach:SLOT@MS or attach:SLOT@MS: TUNSETQUEUE on file SLOT; balance:0@MS or\n"
		"               balance:1@MS: write the balance attribute; MS after the send time of the\n"
		"               first datagram read\n"
		"  -r SPORT:+K  answer flow SPORT on the file K after the one its first datagram came from\n"
		"  -r SPORT:=SLOT  ... or on file SLOT; a reply every %d ms while the flow is read\n"
		"  -N PORT      count UDP datagrams to PORT (netconsole) apart from other frames\n"
		"  -R PPS[:BURST]  read every queue at PPS frames a second at most (a token bucket of\n"
		"               BURST frames, default 8): one emulated guest vCPU per queue\n"
		"  -w WINDOW_MS stop reading WINDOW_MS after the first datagram's send time (what is\n"
		"               still queued then was not delivered)\n",
		prog, MQTAP_MAX_QUEUES, MQTAP_REPLY_MS);
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
		e->op = MQ_DETACH;
	else if (!strcmp(buf, "attach"))
		e->op = MQ_ATTACH;
	else if (!strcmp(buf, "balance"))
		e->op = MQ_BALANCE;
	else
		die_usage("an event is detach:SLOT@MS, attach:SLOT@MS or balance:0|1@MS");
	if (e->op == MQ_BALANCE)
		e->slot = parse_num(colon + 1, 0, 1, "balance value");
	else
		e->slot = parse_num(colon + 1, 0, MQTAP_MAX_QUEUES - 1, "event SLOT");
	e->at_ms = parse_num(at + 1, 0, 3600000, "event MS");
}

static struct mq_flow *flow_get(unsigned int sport);

static void parse_reply(const char *spec)
{
	char buf[32], *colon;
	struct mq_flow *f;

	if (strlen(spec) >= sizeof(buf))
		die_usage("a reply is SPORT:+K or SPORT:=SLOT");
	strcpy(buf, spec);
	colon = strchr(buf, ':');
	if (!colon || (colon[1] != '+' && colon[1] != '='))
		die_usage("a reply is SPORT:+K or SPORT:=SLOT");
	*colon = '\0';
	f = flow_get(parse_num(buf, 1, 65535, "reply SPORT"));
	if (!f)
		die_usage("too many flows");
	f->reply_shift = parse_num(colon + 2, 0, MQTAP_MAX_QUEUES - 1, "reply K or SLOT");
	if (colon[1] == '=')
		f->reply_shift += 1000;	/* an absolute slot */
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
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (single_queue ? 0 : IFF_MULTI_QUEUE);
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

/* Write @value to the balance attribute (*err: the write's errno, or 0);
 * returns the value read back afterwards, or -1.
 */
static int balance_write(int value, int *err)
{
	char buf[16];
	int fd, read_back = -1;

	*err = 0;
	fd = open(balance_path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value ? "1\n" : "0\n", 2) != 2)
		*err = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	fd = open(balance_path, O_RDONLY | O_CLOEXEC);
	if (sysfs_read(fd, buf, sizeof(buf)) > 0)
		read_back = atoi(buf);
	if (fd >= 0)
		close(fd);
	return read_back;
}

/*
 * One sample: the device's balance attribute, the statistics file's
 * "balancers" line and IFNAME's block ("device IFNAME ..." and the "queue"
 * lines after it), one line each; other devices' blocks are left out.
 */
static void stats_sample(int balance_fd, int stats_fd, const char *ifname,
			 long long t, bool force)
{
	static char file[MQTAP_STATS_BYTES * 4], buf[MQTAP_STATS_BYTES];
	static long long last_read_ns;
	const char *prev = nstats ? stats[nstats - 1].text : NULL;
	long long before = last_read_ns;
	char attr[16], *line, *save = NULL;
	size_t len = 0, nlen = strlen(ifname);
	bool mine = false;
	ssize_t n;

	buf[0] = '\0';
	if (sysfs_read(balance_fd, attr, sizeof(attr)) > 0)
		len += snprintf(buf + len, sizeof(buf) - len, "balance %d\n", atoi(attr));
	n = sysfs_read(stats_fd, file, sizeof(file));
	for (line = n > 0 ? strtok_r(file, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "device ", 7))
			mine = !strncmp(line + 7, ifname, nlen) && line[7 + nlen] == ' ';
		else if (strncmp(line, "queue ", 6))
			mine = false;
		if ((mine || !strncmp(line, "balancers ", 10)) && len < sizeof(buf))
			len += snprintf(buf + len, sizeof(buf) - len, "%s\n", line);
	}
	if (!len)
		return;
	last_read_ns = t;
	if (!force && prev && !strcmp(prev, buf))
		return;
	if (nstats == MQTAP_MAX_STATS) {
		stats_dropped = true;
		return;
	}
	stats[nstats].t_ns = t;
	stats[nstats].prev_ns = before ? before : t;
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
	f->reply_shift = -1;
	f->reply_slot = -1;
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

/* The UDP header of an unfragmented IPv4 UDP Ethernet frame, or NULL. */
static const struct udphdr *frame_udp(const unsigned char *buf, ssize_t len,
				      const struct iphdr **ipp)
{
	const struct ethhdr *eth = (const struct ethhdr *)buf;
	const struct iphdr *ip;
	size_t ihl;

	if (len < (ssize_t)(sizeof(*eth) + sizeof(*ip)) ||
	    eth->h_proto != htobe16(ETH_P_IP))
		return NULL;
	ip = (const struct iphdr *)(buf + sizeof(*eth));
	ihl = ip->ihl * 4u;
	if (ip->protocol != IPPROTO_UDP || ihl < sizeof(*ip) ||
	    (be16toh(ip->frag_off) & 0x3fff))
		return NULL;
	if (len < (ssize_t)(sizeof(*eth) + ihl + sizeof(struct udphdr)))
		return NULL;
	*ipp = ip;
	return (const struct udphdr *)(buf + sizeof(*eth) + ihl);
}

/* The payload of one of our datagrams (any KMB magic), or NULL. */
static const struct kmbflow_payload *frame_payload(const unsigned char *buf,
						   ssize_t len,
						   const struct iphdr **ipp,
						   const struct udphdr **udpp)
{
	const struct kmbflow_payload *p;
	const struct udphdr *udp = frame_udp(buf, len, ipp);
	uint32_t magic;

	if (!udp || (const unsigned char *)(udp + 1) + sizeof(*p) > buf + len)
		return NULL;
	p = (const struct kmbflow_payload *)(udp + 1);
	magic = be32toh(p->magic);
	if (magic != KMBFLOW_MAGIC && magic != KMBFLOOD_MAGIC)
		return NULL;
	*udpp = udp;
	return p;
}

static uint16_t ip_checksum(const void *data, size_t len)
{
	const uint16_t *w = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * A "guest reply" to flow @f on file f->reply_slot: a UDP datagram from the
 * flow's destination back to its source, as a guest would answer. tun's
 * automq (tun_flow_update()) records the queue it was written on for the
 * flow's symmetric hash, so stock tun then steers the flow to that queue.
 */
static void reply_send(struct mq_flow *f, long long t)
{
	struct {
		struct ethhdr eth;
		struct iphdr ip;
		struct udphdr udp;
		struct kmbflow_payload p;
	} __attribute__((packed)) r;
	struct mq_reply *rec = nreplies < MQTAP_MAX_REPLIES ? &replies[nreplies] : NULL;
	long long begin;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	memcpy(r.eth.h_dest, f->peer, ETH_ALEN);
	memcpy(r.eth.h_source, f->self, ETH_ALEN);
	r.eth.h_proto = htobe16(ETH_P_IP);
	r.ip.version = 4;
	r.ip.ihl = 5;
	r.ip.ttl = 64;
	r.ip.protocol = IPPROTO_UDP;
	r.ip.frag_off = htobe16(0x4000);
	r.ip.tot_len = htobe16(sizeof(r) - sizeof(r.eth));
	r.ip.saddr = f->daddr;
	r.ip.daddr = f->saddr;
	r.ip.check = ip_checksum(&r.ip, sizeof(r.ip));
	r.udp.source = f->dport;
	r.udp.dest = htobe16(f->sport);
	r.udp.len = htobe16(sizeof(r.udp) + sizeof(r.p));
	r.p.magic = htobe32(KMBREPLY_MAGIC);
	r.p.sent_ns = htobe64((uint64_t)t);

	begin = now_ns();
	n = write(slots[f->reply_slot].fd, &r, sizeof(r));
	f->last_reply_ns = begin;
	if (!rec) {
		replies_dropped = true;
		return;
	}
	rec->sport = f->sport;
	rec->slot = f->reply_slot;
	rec->begin_ns = begin;
	rec->end_ns = now_ns();
	rec->rc = n == (ssize_t)sizeof(r) ? 0 : -1;
	rec->err = n < 0 ? errno : 0;
	nreplies++;
}

static void flood_count(int s, const struct kmbflow_payload *p)
{
	long long b = ((long long)be64toh(p->sent_ns) - flood_base_ns) /
		      (MQTAP_FLOOD_BUCKET_MS * NSEC_PER_MSEC);

	slots[s].flood++;
	if (flood_first_ns < 0 || (long long)be64toh(p->sent_ns) < flood_first_ns)
		flood_first_ns = (long long)be64toh(p->sent_ns);
	if (b < 0 || b >= MQTAP_FLOOD_BUCKETS)
		flood_late++;
	else
		flood_counts[b][s]++;
}

static void frame_count(int s, const unsigned char *buf, ssize_t len, long long t)
{
	const struct kmbflow_payload *p;
	const struct udphdr *udp = NULL;
	const struct iphdr *ip = NULL;
	struct mq_flow *f;
	unsigned int sport;
	uint32_t seq;

	if (slots[s].index < 0)
		slots[s].detached_reads++;
	p = frame_payload(buf, len, &ip, &udp);
	if (!p) {
		udp = frame_udp(buf, len, &ip);
		if (netcons_port && udp && be16toh(udp->dest) == netcons_port) {
			slots[s].netcons++;
			if (netcons_first_ns < 0)
				netcons_first_ns = t;
			netcons_last_ns = t;
			return;
		}
		slots[s].other++;
		return;
	}
	last_data_ns = t;
	if (first_sent_ns < 0)
		first_sent_ns = (long long)be64toh(p->sent_ns);
	if (be32toh(p->magic) == KMBFLOOD_MAGIC) {
		flood_count(s, p);
		return;
	}
	slots[s].frames++;
	sport = be16toh(udp->source);
	f = flow_get(sport);
	if (!f) {
		unknown_flows++;
		return;
	}
	f->frames++;
	seq = be32toh(p->seq);
	if (f->reply_shift >= 0) {
		if (f->reply_slot < 0) {
			const struct ethhdr *eth = (const struct ethhdr *)buf;

			f->reply_slot = f->reply_shift >= 1000 ? f->reply_shift - 1000 :
					(s + f->reply_shift) % nslots;
			if (f->reply_slot >= nslots)
				f->reply_slot = nslots - 1;
			memcpy(f->peer, eth->h_source, ETH_ALEN);
			memcpy(f->self, eth->h_dest, ETH_ALEN);
			f->saddr = ip->saddr;
			f->daddr = ip->daddr;
			f->dport = udp->dest;
			reply_send(f, t);
		} else if (t - f->last_reply_ns >= MQTAP_REPLY_MS * NSEC_PER_MSEC) {
			reply_send(f, t);
		}
	}
	if (!flow_reserve(f, seq)) {
		f->beyond++;
		return;
	}
	if (f->slot[seq]) {
		f->dups++;
		return;
	}
	if (f->any && seq < f->max_seq)
		f->reordered++;
	f->slot[seq] = s + 1;
	f->sent_ns[seq] = (int64_t)be64toh(p->sent_ns);
	if (!f->any || seq > f->max_seq)
		f->max_seq = seq;
	f->any = true;
}

/* Read up to @max frames waiting on slot @s (0: all); returns how many. */
static unsigned long slot_drain(int s, unsigned long max)
{
	unsigned long n = 0;
	long long t = now_ns();

	while (!max || n < max) {
		ssize_t len = read(slots[s].fd, frame, sizeof(frame));

		if (len < 0)
			break;
		frame_count(s, frame, len, t);
		n++;
	}
	return n;
}

/* -R: bank the service time since the last refill, up to the burst. */
static void slot_refill(int s, long long t, long long cost)
{
	long long cap = service_burst * cost;

	slots[s].credit_ns += t - slots[s].refill_ns;
	if (slots[s].credit_ns > cap)
		slots[s].credit_ns = cap;
	slots[s].refill_ns = t;
}

static void parse_service(const char *spec)
{
	char buf[64], *colon;

	if (strlen(spec) >= sizeof(buf))
		die_usage("-R must be PPS or PPS:BURST");
	strcpy(buf, spec);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		service_burst = parse_num(colon + 1, 1, 4096, "-R BURST");
	}
	service_pps = parse_num(buf, 1, 10000000, "-R PPS");
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
	if (e->op == MQ_BALANCE) {
		/* the statistics right before and after the switch */
		stats_sample(balance_fd, stats_fd, stats_ifname, now_ns(), true);
		e->begin_ns = now_ns();
		e->read = balance_write(e->slot, &e->err);
		e->end_ns = now_ns();
		e->rc = e->err ? -1 : 0;
		stats_sample(balance_fd, stats_fd, stats_ifname, now_ns(), true);
		goto out;
	}
	if (e->slot >= nslots) {
		e->rc = -1;
		e->err = EINVAL;
		goto out;
	}
	e->drained_before = slot_drain(e->slot, 0);
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = e->op == MQ_ATTACH ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	e->begin_ns = now_ns();
	e->rc = ioctl(sl->fd, TUNSETQUEUE, &ifr);
	e->err = e->rc < 0 ? errno : 0;
	e->end_ns = now_ns();
	if (!e->rc && e->op == MQ_ATTACH) {
		sl->index = attached_count();
	} else if (!e->rc) {
		k = sl->index;
		last = attached_count() - 1;
		for (s = 0; s < nslots; s++)
			if (slots[s].index == last)
				slots[s].index = k;
		sl->index = -1;
	}
	e->drained_after = slot_drain(e->slot, 0);
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
	printf("flow sport=%u frames=%lu unique=%lu dups=%lu beyond=%lu max_seq=%u last_us=%lld gaps=%d reordered=%lu\n",
	       f->sport, f->frames, unique, f->dups, f->beyond, f->max_seq,
	       rel_us(t, anchor), gaps, f->reordered);
}

static void print_flood(long long anchor)
{
	unsigned long total = 0;
	int b, s;

	for (b = 0; b < MQTAP_FLOOD_BUCKETS; b++) {
		unsigned long sum = 0;

		for (s = 0; s < nslots; s++)
			sum += flood_counts[b][s];
		if (!sum)
			continue;
		total += sum;
		printf("flood t_us=%lld width_us=%lld frames=",
		       rel_us(flood_base_ns + b * MQTAP_FLOOD_BUCKET_MS * NSEC_PER_MSEC, anchor),
		       MQTAP_FLOOD_BUCKET_MS * 1000LL);
		for (s = 0; s < nslots; s++)
			printf("%s%u", s ? "," : "", flood_counts[b][s]);
		printf("\n");
	}
	if (total || flood_late)
		printf("floodsum frames=%lu late=%lu\n", total + flood_late, flood_late);
}

static void print_report(const char *ifname, long long bucket_ms, long long start_ns,
			 long long end_ns, long long tx_before, long long tx_after,
			 const char *reason, int balance_req, int balance_read, int balance_err)
{
	long long anchor = LLONG_MAX, bucket_ns = bucket_ms * NSEC_PER_MSEC;
	unsigned long frames = 0, other = 0, detached = 0;
	int map[MQTAP_MAX_QUEUES], i, s;
	uint32_t seq;

	for (i = 0; i < nflows; i++)
		for (seq = 0; flows[i].any && seq <= flows[i].max_seq; seq++)
			if (flows[i].slot[seq] && flows[i].sent_ns[seq] < anchor)
				anchor = flows[i].sent_ns[seq];
	if (flood_first_ns >= 0 && flood_first_ns < anchor)
		anchor = flood_first_ns;
	if (anchor == LLONG_MAX)
		anchor = start_ns;

	printf("mqtap ifname=%s queues=%d bucket_ms=%lld anchor_ns=%lld first_sent_us=%lld\n",
	       ifname, nslots, bucket_ms, anchor,
	       first_sent_ns < 0 ? 0 : rel_us(first_sent_ns, anchor));
	if (service_pps)
		printf("service pps=%lld burst=%lld window_ms=%lld\n", service_pps, service_burst,
		       window_ms);
	if (balance_req >= 0)
		printf("balance requested=%d read=%d errno=%d multi_queue=%d\n",
		       balance_req, balance_read, balance_err, !single_queue);
	for (s = 0; s < MQTAP_MAX_QUEUES; s++)
		map[s] = s;
	print_map(map, rel_us(start_ns, anchor));
	for (i = 0; i < nevents; i++) {
		struct mq_event *e = &events[i];

		if (e->op == MQ_BALANCE) {
			printf("event op=balance value=%d at_ms=%lld done=%d rc=%d errno=%d begin_us=%lld end_us=%lld read=%d\n",
			       e->slot, e->at_ms, e->done, e->rc, e->err,
			       e->done ? rel_us(e->begin_ns, anchor) : 0,
			       e->done ? rel_us(e->end_ns, anchor) : 0, e->read);
			continue;
		}
		printf("event op=%s slot=%d at_ms=%lld done=%d rc=%d errno=%d begin_us=%lld end_us=%lld drained_before=%lu drained_after=%lu\n",
		       e->op == MQ_ATTACH ? "attach" : "detach", e->slot, e->at_ms, e->done,
		       e->rc, e->err, e->done ? rel_us(e->begin_ns, anchor) : 0,
		       e->done ? rel_us(e->end_ns, anchor) : 0,
		       e->drained_before, e->drained_after);
		if (e->done)
			print_map(e->map, rel_us(e->end_ns, anchor));
	}
	for (i = 0; i < nreplies; i++)
		printf("reply flow=%u slot=%d begin_us=%lld end_us=%lld rc=%d errno=%d\n",
		       replies[i].sport, replies[i].slot,
		       rel_us(replies[i].begin_ns, anchor), rel_us(replies[i].end_ns, anchor),
		       replies[i].rc, replies[i].err);
	if (replies_dropped)
		printf("reply truncated=1\n");
	for (i = 0; i < nstats; i++) {
		char *c;

		printf("stats t_us=%lld prev_us=%lld", rel_us(stats[i].t_ns, anchor),
		       rel_us(stats[i].prev_ns, anchor));
		for (c = strtok(stats[i].text, "\n"); c; c = strtok(NULL, "\n"))
			printf(" | %s", c);
		printf("\n");
	}
	if (stats_dropped)
		printf("stats truncated=1\n");
	for (i = 0; i < nflows; i++)
		print_flow(&flows[i], anchor, bucket_ns);
	print_flood(anchor);
	if (netcons_port)
		printf("netcons port=%u first_us=%lld last_us=%lld\n", netcons_port,
		       netcons_first_ns < 0 ? 0 : rel_us(netcons_first_ns, anchor),
		       netcons_last_ns < 0 ? 0 : rel_us(netcons_last_ns, anchor));
	for (s = 0; s < nslots; s++) {
		printf("slot slot=%d frames=%lu other=%lu detached_reads=%lu flood=%lu netcons=%lu\n", s,
		       slots[s].frames, slots[s].other, slots[s].detached_reads,
		       slots[s].flood, slots[s].netcons);
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
	int balance_req = -1, balance_read = -1, balance_err = 0;
	struct pollfd pfd[MQTAP_MAX_QUEUES];
	long long cost = 0;
	struct timespec ts;
	const char *ifname, *reason = "deadline", *stats_path = MQTAP_DEBUGFS;
	int opt, s, i;

	while ((opt = getopt(argc, argv, "q:sb:t:i:S:D:B:e:r:N:R:w:h")) != -1) {
		switch (opt) {
		case 'q':
			nslots = parse_num(optarg, 1, MQTAP_MAX_QUEUES, "QUEUES");
			break;
		case 's':
			single_queue = true;
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
		case 'D':
			stats_path = optarg;
			break;
		case 'B':
			balance_req = parse_num(optarg, 0, 1, "-B");
			break;
		case 'e':
			parse_event(optarg);
			break;
		case 'r':
			parse_reply(optarg);
			break;
		case 'N':
			netcons_port = parse_num(optarg, 1, 65535, "-N PORT");
			break;
		case 'R':
			parse_service(optarg);
			break;
		case 'w':
			window_ms = parse_num(optarg, 1, 3600000, "WINDOW_MS");
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
	if (single_queue)
		nslots = 1;
	for (i = 0; i < nevents; i++)
		if (events[i].op != MQ_BALANCE && events[i].slot >= nslots)
			die_usage("an event names a SLOT beyond QUEUES");
	for (i = 0; i < nflows; i++)
		if (flows[i].reply_shift >= 1000 + nslots)
			die_usage("a reply names a SLOT beyond QUEUES");

	for (s = 0; s < nslots; s++) {
		slots[s].fd = tap_open(ifname);
		if (slots[s].fd < 0)
			return 1;
		slots[s].index = s;
		pfd[s].fd = slots[s].fd;
		pfd[s].events = POLLIN;
	}
	snprintf(balance_path, sizeof(balance_path), "/sys/class/net/%s/balance", ifname);
	if (balance_req >= 0)
		balance_read = balance_write(balance_req, &balance_err);
	if (stats_ms) {
		balance_fd = open(balance_path, O_RDONLY | O_CLOEXEC);
		stats_fd = open(stats_path, O_RDONLY | O_CLOEXEC);
		stats_ifname = ifname;
	}
	tx_before = read_counter(ifname, "tx_dropped");
	start = now_ns();
	flood_base_ns = start;
	deadline = start + max_s * NSEC_PER_SEC;
	next_stats = start;
	printf("READY ifname=%s queues=%d stats=%d balance=%d\n", ifname, nslots,
	       stats_fd >= 0 || balance_fd >= 0, balance_read);
	fflush(stdout);

	if (service_pps) {
		cost = NSEC_PER_SEC / service_pps;
		for (s = 0; s < nslots; s++) {
			slots[s].credit_ns = service_burst * cost;
			slots[s].refill_ns = start;
		}
	}

	for (;;) {
		long long wake = start + max_s * NSEC_PER_SEC;
		bool pending = false;

		t = now_ns();
		if (t >= deadline)
			break;
		if (window_ms && first_sent_ns >= 0) {
			if (t >= first_sent_ns + window_ms * NSEC_PER_MSEC) {
				reason = "window";
				break;
			}
			if (first_sent_ns + window_ms * NSEC_PER_MSEC < wake)
				wake = first_sent_ns + window_ms * NSEC_PER_MSEC;
		}
		/* -R: a queue without a whole datagram of service banked is not
		 * read; wake when the first of them has one.
		 */
		for (s = 0; s < nslots && cost; s++) {
			slot_refill(s, t, cost);
			pfd[s].events = slots[s].credit_ns >= cost ? POLLIN : 0;
			if (!pfd[s].events && t + cost - slots[s].credit_ns < wake)
				wake = t + cost - slots[s].credit_ns;
		}
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
		if (stats_fd >= 0 || balance_fd >= 0) {
			if (next_stats <= t) {
				stats_sample(balance_fd, stats_fd, ifname, t, false);
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
		if (wake - t > 100 * NSEC_PER_MSEC)
			wake = t + 100 * NSEC_PER_MSEC;
		ts.tv_sec = wake > t ? (wake - t) / NSEC_PER_SEC : 0;
		ts.tv_nsec = wake > t ? (wake - t) % NSEC_PER_SEC : 0;
		if (ppoll(pfd, nslots, &ts, NULL) <= 0)
			continue;
		/* a bounded batch per queue, so that a flood cannot hold up the
		 * events and the statistics samples
		 */
		for (s = 0; s < nslots; s++) {
			unsigned long max = MQTAP_DRAIN_BATCH;

			if (!(pfd[s].revents & POLLIN))
				continue;
			t = now_ns();
			/* nothing is delivered after the window, however late the wake-up */
			if (window_ms && first_sent_ns >= 0 &&
			    t >= first_sent_ns + window_ms * NSEC_PER_MSEC)
				break;
			if (cost) {
				slot_refill(s, t, cost);
				if ((unsigned long)(slots[s].credit_ns / cost) < max)
					max = slots[s].credit_ns / cost;
				if (!max)
					continue;
			}
			max = slot_drain(s, max);
			slots[s].credit_ns -= (long long)max * cost;
		}
	}

	if (stats_fd >= 0 || balance_fd >= 0)
		stats_sample(balance_fd, stats_fd, ifname, now_ns(), true);
	if (stats_fd >= 0)
		close(stats_fd);
	if (balance_fd >= 0)
		close(balance_fd);
	t = now_ns();
	print_report(ifname, bucket_ms, start, t, tx_before,
		     read_counter(ifname, "tx_dropped"), reason,
		     balance_req, balance_read, balance_err);
	for (s = 0; s < nslots; s++)
		close(slots[s].fd);
	return 0;
}
