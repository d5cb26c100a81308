// SPDX-License-Identifier: GPL-2.0
/*
 * kmbsteer: the eBPF back end of the dynamic balancer. It loads steer.bpf.c
 * (embedded as a libbpf skeleton), sets it as the steering program of a
 * running multi-queue tun/tap and, every period, runs the module's balancer
 * core on a mirror of the program's flow table (steer_mirror.c) and writes
 * the core's moves back.
 *
 *   kmbsteer attach DEV PERIOD_MS THRESHOLD [STATS_FILE [TUNABLES_FILE [HISTORY_FILE]]]
 *       until SIGINT, SIGTERM or SIGHUP; then the device is stock again.
 *       STATS_FILE is rewritten (atomically) after every period.
 *       TUNABLES_FILE ("threshold N" and "period_ms M" lines) is read again
 *       after every period in which it changed: the tunables change while
 *       attached, as the module's parameters do ("-": none).
 *       HISTORY_FILE gets one line per event, times in CLOCK_MONOTONIC ns
 *       (begin and end of the step): "start t_ns" (before anything is set
 *       on the device), "attach t_ns end_ns queues period_ms
 *       threshold helper_frames" (frames tun queued on kmbsteer's helper
 *       queue before the program was set, lost to the device's reader),
 *       "remap t_ns end_ns | STATS" (STATS: the stats file's
 *       lines joined by " | "), "resize t_ns end_ns from to", "tunables
 *       t_ns period_ms threshold", "detach t_ns end_ns errno" (0: the
 *       program was cleared), "end reason".
 *       `kmb lab check --backend ebpf` judges a run from it.
 *       For a run that must switch at given times (`lab check`'s optin),
 *       KMBSTEER_ATTACH_DELAY_MS=D sets the program D ms after kmbsteer
 *       started (loaded and verified before), and KMBSTEER_DETACH_AFTER_MS=A
 *       ends the run A ms after the program was set.
 *   kmbsteer detach DEV
 *       clears any steering program of DEV (what a killed kmbsteer left)
 *   kmbsteer trace NUMQUEUES
 *       the program through BPF_PROG_TEST_RUN and the remapper, on commands
 *       from stdin (for the differential tests):
 *         p SRC DST PROTO SPORT DPORT SEGS  steer a packet (IPv4 or IPv6
 *                                           addresses); prints the queue
 *         n N                               the queue count is now N; "."
 *         r THRESHOLD                       remap; prints the state:
 *           "T migrations flows periods", "F hash:queue ..." by hash,
 *           "L queue:load ..." for the queues whose load is not 0
 *         q                                 quit
 *   kmbsteer bench REPEAT
 *       the program's cost: verifier and translated instruction counts, and
 *       nanoseconds per run (BPF_PROG_TEST_RUN's average over REPEAT runs)
 *       of a known flow's packet, of an untracked one, and of an empty
 *       socket filter on the same packet: the harness's own share
 *
 * Exit 0 on success, 1 when a step fails, 2 on bad input or setup (one line
 * naming the problem and the fix).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steer.h"
#include "steer.skel.h"
#include "steer_mirror.h"

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define STEER_MIN_KERNEL_MAJOR	5	/* TUNSETSTEERINGEBPF: 4.16 */
#define STEER_MIN_KERNEL_MINOR	3	/* bounded loops: 5.3 */
#define STEER_POLL_MS		20	/* how soon a queue count change is seen */
#define STEER_OWNER_POLLS	50	/* how often (in polls) to look for the owner */

struct steer_entry {
	__u32 hash;
	struct steer_flow flow;
};

struct steer {
	struct steer_bpf *skel;
	struct steer_mirror *mirror;
	struct steer_config cfg;
	struct steer_entry *entries;	/* the flow map as the last sync read it */
	size_t nentries, capacity;
	__u64 *percpu;
	int ncpus;
	__u32 numqueues;
};

static volatile sig_atomic_t steer_stop;

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("kmbsteer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* libbpf's own messages: only warnings, and the verifier log on failure */
static int steer_libbpf_print(enum libbpf_print_level level, const char *fmt,
			      va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void steer_open(struct steer *s, __u32 numqueues, __u32 l3_offset)
{
	int err;

	libbpf_set_print(steer_libbpf_print);
	s->skel = steer_bpf__open_and_load();
	if (!s->skel) {
		err = errno;
		if (err == EPERM || err == EACCES)
			die(2, "loading the steering program was refused (%s): run as root or grant CAP_BPF and CAP_NET_ADMIN",
			    strerror(err));
		die(1, "loading the steering program failed (%s); the verifier's log is above", strerror(err));
	}
	s->mirror = steer_mirror_new();
	s->ncpus = libbpf_num_possible_cpus();
	if (!s->mirror || s->ncpus <= 0)
		die(1, "out of memory or no CPU count (%d)", s->ncpus);
	s->percpu = calloc(s->ncpus, sizeof(*s->percpu));
	if (!s->percpu)
		die(1, "out of memory");
	s->numqueues = numqueues;
	s->cfg.l3_offset = l3_offset;
	s->cfg.epoch = 1;	/* the seen slots start at 0: nothing seen yet */
	s->cfg.max_flows = STEER_MAX_FLOWS;
}

static void steer_close(struct steer *s)
{
	steer_bpf__destroy(s->skel);
	steer_mirror_free(s->mirror);
	free(s->entries);
	free(s->percpu);
}

static void steer_remember(struct steer *s, __u32 hash,
			   const struct steer_flow *flow)
{
	if (s->nentries == s->capacity) {
		size_t capacity = s->capacity ? 2 * s->capacity : 256;
		struct steer_entry *e = realloc(s->entries, capacity * sizeof(*e));

		if (!e)
			die(1, "out of memory for %zu flows", capacity);
		s->entries = e;
		s->capacity = capacity;
	}
	s->entries[s->nentries].hash = hash;
	s->entries[s->nentries].flow = *flow;
	s->nentries++;
}

/* Everything the program counted since the last sync, into the mirror. */
static void steer_sync(struct steer *s)
{
	int flows = bpf_map__fd(s->skel->maps.flows);
	int untracked = bpf_map__fd(s->skel->maps.untracked);
	__u32 key, next, q;
	__u32 *prev = NULL;
	struct steer_flow flow;
	int cpu;

	s->nentries = 0;
	steer_mirror_sync_begin(s->mirror);
	while (!bpf_map_get_next_key(flows, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(flows, &key, &flow))
			continue;	/* gone since: the LRU evicted it */
		steer_remember(s, key, &flow);
		steer_mirror_sync_flow(s->mirror, key, flow.queue, flow.segments);
	}
	steer_mirror_sync_end(s->mirror);

	for (q = 0; q < STEER_MAX_QUEUES; q++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(untracked, &q, s->percpu))
			die(1, "reading the untracked counters: %s", strerror(errno));
		for (cpu = 0; cpu < s->ncpus; cpu++)
			sum += s->percpu[cpu];
		steer_mirror_sync_untracked(s->mirror, q, sum);
	}
}

/* The core's decisions back into the flow map: dropped flows leave it,
 * moved ones get their queue. A moved flow's entry is read again just
 * before it is rewritten, so the segments a CPU added since the sync stay
 * in it (the next sync counts them); only those added between that read
 * and the update (microseconds, against the whole remap before: under TCG
 * a sync of thousands of flows took 180 ms, and `lab check --backend ebpf`'s
 * flood lost 307 of 109,683 segments that way) are lost to the load.
 */
static void steer_write_back(struct steer *s)
{
	int flows = bpf_map__fd(s->skel->maps.flows);
	struct steer_flow now;
	size_t i;

	for (i = 0; i < s->nentries; i++) {
		struct steer_entry *e = &s->entries[i];
		int queue = steer_mirror_queue_of(s->mirror, e->hash);

		if (queue < 0) {
			bpf_map_delete_elem(flows, &e->hash);
		} else if ((__u32)queue != e->flow.queue) {
			e->flow.queue = queue;
			if (bpf_map_lookup_elem(flows, &e->hash, &now))
				continue;	/* gone since: the LRU evicted it */
			now.queue = queue;
			bpf_map_update_elem(flows, &e->hash, &now, BPF_EXIST);
		}
	}
}

static void steer_publish(struct steer *s, bool new_period)
{
	__u32 zero = 0;

	s->cfg.numqueues = s->numqueues;
	s->cfg.flow_count = steer_mirror_flow_count(s->mirror);
	s->cfg.placements = 0;
	if (new_period)
		s->cfg.epoch++;
	steer_mirror_placements(s->mirror, s->numqueues, s->cfg.placement,
				STEER_PLACEMENTS);
	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.config), &zero,
				&s->cfg, BPF_ANY))
		die(1, "writing the steering configuration: %s", strerror(errno));
}

static void steer_remap(struct steer *s, __u32 threshold)
{
	steer_sync(s);
	steer_mirror_remap(s->mirror, s->numqueues, threshold);
	steer_write_back(s);
	steer_publish(s, true);
}

static void steer_resize(struct steer *s, __u32 numqueues)
{
	steer_sync(s);
	steer_mirror_resize(s->mirror, s->numqueues, numqueues);
	s->numqueues = numqueues;
	steer_write_back(s);
	steer_publish(s, false);
}

/* ---- trace and bench: the program through BPF_PROG_TEST_RUN ---------- */

/* An Ethernet frame of the flow; BPF_PROG_TEST_RUN pulls the Ethernet
 * header of a socket filter's packet, so the program sees it from L3 on.
 */
static int steer_frame(unsigned char *buf, const char *src, const char *dst,
		       unsigned int proto, unsigned int sport,
		       unsigned int dport)
{
	unsigned char *l4;
	int v6 = strchr(src, ':') != NULL, len;

	memset(buf, 0, 128);
	buf[12] = v6 ? 0x86 : 0x08;
	buf[13] = v6 ? 0xdd : 0x00;
	if (v6) {
		buf[14] = 0x60;
		buf[18] = 0;
		buf[19] = 16;		/* payload length */
		buf[20] = proto;
		buf[21] = 64;
		if (inet_pton(AF_INET6, src, buf + 22) != 1 ||
		    inet_pton(AF_INET6, dst, buf + 38) != 1)
			return -1;
		l4 = buf + 54;
	} else {
		buf[14] = 0x45;
		buf[17] = 36;		/* total length */
		buf[22] = 64;
		buf[23] = proto;
		if (inet_pton(AF_INET, src, buf + 26) != 1 ||
		    inet_pton(AF_INET, dst, buf + 30) != 1)
			return -1;
		l4 = buf + 34;
	}
	l4[0] = sport >> 8;
	l4[1] = sport;
	l4[2] = dport >> 8;
	l4[3] = dport;
	len = (int)(l4 - buf) + 16;
	return len;
}

static __u32 steer_run(struct steer *s, const unsigned char *frame, int len,
		       __u32 segs, int repeat, __u32 *duration)
{
	struct __sk_buff ctx = { .gso_segs = segs };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame,
		    .data_size_in = len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(bpf_program__fd(s->skel->progs.kmb_steer), &opts))
		die(1, "BPF_PROG_TEST_RUN: %s", strerror(errno));
	if (duration)
		*duration = opts.duration;
	/* what tun_ebpf_select_queue() makes of the return value */
	return s->numqueues ? opts.retval % s->numqueues : 0;
}

static int steer_cmp_entry(const void *a, const void *b)
{
	const struct steer_entry *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static void steer_print_state(struct steer *s)
{
	struct steer_mirror_stats st;
	size_t i;
	__u32 q;

	steer_mirror_snapshot(s->mirror, s->numqueues, &st);
	printf("T %u %u %u\nF", st.migrations, st.flows, st.periods);
	qsort(s->entries, s->nentries, sizeof(*s->entries), steer_cmp_entry);
	for (i = 0; i < s->nentries; i++) {
		int queue = steer_mirror_queue_of(s->mirror, s->entries[i].hash);

		if (queue >= 0)
			printf(" %u:%d", s->entries[i].hash, queue);
	}
	printf("\nL");
	for (q = 0; q < s->numqueues; q++)
		if (st.load[q])
			printf(" %u:%u", q, st.load[q]);
	printf("\n");
}

static __u32 steer_parse_queues(const char *text)
{
	char *end;
	unsigned long n = strtoul(text, &end, 10);

	if (*end || end == text || n > STEER_MAX_QUEUES)
		die(2, "queue count '%s' is not 0 .. %d", text, STEER_MAX_QUEUES);
	return n;
}

static int steer_trace(const char *numqueues)
{
	struct steer s = {};
	char line[512], src[64], dst[64];
	unsigned int proto, sport, dport, segs, threshold;
	unsigned char frame[128];
	char arg[32];
	int len;

	steer_open(&s, steer_parse_queues(numqueues), 0);
	steer_publish(&s, false);
	while (fgets(line, sizeof(line), stdin)) {
		switch (line[0]) {
		case 'p':
			if (sscanf(line + 1, "%63s %63s %u %u %u %u", src, dst,
				   &proto, &sport, &dport, &segs) != 6 ||
			    (len = steer_frame(frame, src, dst, proto, sport,
					       dport)) < 0)
				die(2, "bad packet line: %s", line);
			printf("%u\n", steer_run(&s, frame, len, segs, 1, NULL));
			break;
		case 'n':
			if (sscanf(line + 1, "%31s", arg) != 1)
				die(2, "bad resize line: %s", line);
			steer_resize(&s, steer_parse_queues(arg));
			printf(".\n");
			break;
		case 'r':
			if (sscanf(line + 1, "%u", &threshold) != 1)
				die(2, "bad remap line: %s", line);
			steer_remap(&s, threshold);
			steer_print_state(&s);
			break;
		case 'q':
			steer_close(&s);
			return 0;
		default:
			die(2, "unknown command: %s", line);
		}
		fflush(stdout);
	}
	steer_close(&s);
	return 0;
}

/* "return 0" as a socket filter: what BPF_PROG_TEST_RUN costs by itself */
static __u32 steer_bench_empty(const unsigned char *frame, int len, int repeat)
{
	const struct bpf_insn empty[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct __sk_buff ctx = { .gso_segs = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame,
		    .data_size_in = len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "kmb_empty", "GPL",
			       empty, 2, NULL);

	if (fd < 0 || bpf_prog_test_run_opts(fd, &opts))
		die(1, "the empty program: %s", strerror(errno));
	close(fd);
	return opts.duration;
}

static int steer_bench(const char *repeat_text)
{
	struct steer s = {};
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info), known, fresh, empty;
	unsigned char frame[128];
	int repeat = atoi(repeat_text), len;
	char src[32];

	if (repeat < 1)
		die(2, "repeat '%s' is not a positive count", repeat_text);
	steer_open(&s, 4, 0);
	steer_publish(&s, false);
	if (bpf_obj_get_info_by_fd(bpf_program__fd(s.skel->progs.kmb_steer),
				    &info, &info_len))
		die(1, "BPF_OBJ_GET_INFO_BY_FD: %s", strerror(errno));

	/* a flow in the table: the common case, a lookup and an add */
	len = steer_frame(frame, "198.51.100.1", "192.0.2.2", IPPROTO_UDP, 4000, 5001);
	steer_run(&s, frame, len, 1, 1, NULL);
	steer_run(&s, frame, len, 1, 1, NULL);
	steer_run(&s, frame, len, 1, repeat, &known);
	/* a packet the table does not know: hash, seen slot, untracked count
	 * (repeated, it stays unknown only while admission is refused)
	 */
	s.cfg.max_flows = 0;
	steer_publish(&s, false);
	snprintf(src, sizeof(src), "198.51.100.2");
	len = steer_frame(frame, src, "192.0.2.2", IPPROTO_UDP, 4001, 5001);
	steer_run(&s, frame, len, 1, repeat, &fresh);
	empty = steer_bench_empty(frame, len, repeat);
	printf("verified_insns=%u\nxlated_insns=%u\njited_bytes=%u\n"
	       "ns_known_flow=%u\nns_untracked=%u\nns_empty_program=%u\nrepeat=%d\n",
	       info.verified_insns, info.xlated_prog_len / 8,
	       info.jited_prog_len, known, fresh, empty, repeat);
	steer_close(&s);
	return 0;
}

/* ---- attach: a running device ---------------------------------------- */

static void steer_check_kernel(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		die(1, "cannot read the kernel release");
	if (major < STEER_MIN_KERNEL_MAJOR ||
	    (major == STEER_MIN_KERNEL_MAJOR && minor < STEER_MIN_KERNEL_MINOR))
		die(2, "kernel %s is older than %d.%d (TUNSETSTEERINGEBPF needs 4.16, the program's bounded loop 5.3): use the module back end (kmb generate/build)",
		    u.release, STEER_MIN_KERNEL_MAJOR, STEER_MIN_KERNEL_MINOR);
}

static bool steer_has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

static void steer_check_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};

	if (syscall(SYS_capget, &h, d))
		die(1, "capget: %s", strerror(errno));
	if (!steer_has_cap(d, CAP_NET_ADMIN) ||
	    !(steer_has_cap(d, CAP_BPF) || steer_has_cap(d, CAP_SYS_ADMIN)))
		die(2, "missing capabilities: steering needs CAP_NET_ADMIN and CAP_BPF (or CAP_SYS_ADMIN): run as root");
}

static int steer_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The device's tun flags as tun reports them (tun_flags in sysfs). */
static unsigned int steer_tun_flags(const char *dev)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", dev);
	if (steer_read_file(path, buf, sizeof(buf)))
		die(2, "%s is not a tun/tap device here (no %s): name a running tap, e.g. QEMU's",
		    dev, path);
	return strtoul(buf, NULL, 16);
}

/* real_num_tx_queues, which tun keeps equal to its attached queues */
static __u32 steer_queue_count(const char *dev)
{
	char path[128];
	struct dirent *e;
	__u32 n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", dev);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "tx-", 3);
	closedir(d);
	return n > STEER_MAX_QUEUES ? STEER_MAX_QUEUES : n;
}

/* Does the fdinfo of /proc/PID/fd/FD contain @needle? */
static bool steer_fdinfo_has(const char *pid, const char *fd, const char *needle)
{
	char path[300], buf[2048];

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	return !steer_read_file(path, buf, sizeof(buf)) && strstr(buf, needle);
}

/* Does process @pid hold a file of kind @link whose fdinfo has @needle? */
static bool steer_holds(const char *pid, const char *link, const char *needle)
{
	char path[300], target[64];
	struct dirent *e;
	bool found = false;
	DIR *d;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		found = !strcmp(target, link) &&
			steer_fdinfo_has(pid, e->d_name, needle);
	}
	closedir(d);
	return found;
}

/* The kernel has no getter for a tun's steering program. What it shows is
 * who holds what: a process holding a queue file of @dev (fdinfo "iff:")
 * and a socket filter program is QEMU with eBPF RSS or another kmbsteer.
 * A program whose loader has closed its file cannot be seen this way.
 */
static void steer_check_other_program(const char *dev)
{
	char iff[IFNAMSIZ + 8], comm[64] = "";
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return;
	snprintf(iff, sizeof(iff), "iff:\t%s\n", dev);
	while ((e = readdir(d))) {
		char path[300];

		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    !steer_holds(e->d_name, "/dev/net/tun", iff) ||
		    !steer_holds(e->d_name, "anon_inode:bpf-prog", "prog_type:\t1\n"))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		steer_read_file(path, comm, sizeof(comm));
		comm[strcspn(comm, "\n")] = 0;
		die(2, "%s already has a steering program (process %s, %s, holds the device and a socket filter): stop it first (QEMU: rss=off on the NIC; kmbsteer: end it)",
		    dev, e->d_name, comm);
	}
	closedir(d);
}

/* Whether a process other than this one holds a queue file of @dev. */
static bool steer_held_by_others(const char *dev)
{
	char iff[IFNAMSIZ + 8], self[16];
	struct dirent *e;
	bool held = false;
	DIR *d = opendir("/proc");

	if (!d)
		return true;
	snprintf(iff, sizeof(iff), "iff:\t%s\n", dev);
	snprintf(self, sizeof(self), "%d", getpid());
	while (!held && (e = readdir(d)))
		held = e->d_name[0] >= '0' && e->d_name[0] <= '9' &&
		       strcmp(e->d_name, self) &&
		       steer_holds(e->d_name, "/dev/net/tun", iff);
	closedir(d);
	return held;
}

/* Reads every frame queued on @fd, an attached queue file, without
 * waiting; returns how many there were.
 */
static unsigned int steer_drain(int fd)
{
	static char frame[65536 + 64];
	unsigned int frames = 0;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return 0;
	while (read(fd, frame, sizeof(frame)) >= 0)
		frames++;
	fcntl(fd, F_SETFL, fl);
	return frames;
}

/* Opens a queue file of @dev holding no queue, with @prog_fd (-1: none)
 * as the device's steering program. A queue is attached for the moment of
 * the ioctl (tun takes ioctls only from an attached or detached queue
 * file), then detached: the file holds the device, not a queue. Until the
 * program is set, tun's own selection counts that queue and may put frames
 * on it, which the detach would purge without a trace; they are read and
 * counted into *@helper_frames (if not NULL) instead. The program never
 * answers the helper's index: it steers within the queues kmbsteer polled.
 */
static int steer_set_program(const char *dev, int prog_fd,
			     unsigned int *helper_frames)
{
	unsigned int flags = steer_tun_flags(dev);
	struct ifreq ifr = {};
	int fd, err;

	if (!(flags & IFF_MULTI_QUEUE))
		die(2, "%s is a single-queue device: steering needs one created with IFF_MULTI_QUEUE (QEMU: queues=N)",
		    dev);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die(2, "/dev/net/tun: %s: load the tun module (modprobe tun)", strerror(errno));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
	/* exactly the device's own feature flags: TUNSETIFF on an existing
	 * device rewrites them (IFF_VNET_HDR, IFF_NO_PI), and QEMU depends
	 * on them
	 */
	ifr.ifr_flags = flags & ~IFF_PERSIST;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		err = errno;
		close(fd);
		die(2, "attaching a queue to %s: %s%s", dev, strerror(err),
		    err == EPERM ? ": run as root or as the device's owner with CAP_NET_ADMIN" :
		    err == EBUSY ? ": the device is busy" : "");
	}
	if (ioctl(fd, TUNSETSTEERINGEBPF, &prog_fd)) {
		err = errno;
		close(fd);
		die(1, "TUNSETSTEERINGEBPF on %s: %s", dev, strerror(err));
	}
	if (helper_frames)
		*helper_frames = steer_drain(fd);
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	if (ioctl(fd, TUNSETQUEUE, &ifr)) {
		err = errno;
		prog_fd = -1;
		ioctl(fd, TUNSETSTEERINGEBPF, &prog_fd);
		close(fd);
		die(1, "detaching the helper queue of %s: %s", dev, strerror(err));
	}
	return fd;
}

static void steer_on_signal(int sig)
{
	(void)sig;
	steer_stop = 1;
}

/* The statistics: the device line and a line per queue, each ended by @sep. */
static void steer_print_stats(struct steer *s, const char *dev, FILE *f,
			      const char *sep)
{
	struct steer_mirror_stats st;
	__u32 q;

	steer_mirror_snapshot(s->mirror, s->numqueues, &st);
	fprintf(f, "device %s policy dynamic backend ebpf queues %u flows %u migrations %u periods %u counted %llu%s",
		dev, s->numqueues, st.flows, st.migrations, st.periods,
		(unsigned long long)st.counted, sep);
	for (q = 0; q < s->numqueues; q++)
		fprintf(f, "queue %u load %u flows %u%s", q, st.load[q],
			st.queue_flows[q], q + 1 < s->numqueues ? sep : "\n");
}

static void steer_write_stats(struct steer *s, const char *dev,
			      const char *path)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		die(1, "%s: %s", tmp, strerror(errno));
	steer_print_stats(s, dev, f, "\n");
	if (fclose(f) || rename(tmp, path))
		die(1, "%s: %s", path, strerror(errno));
}

static __u64 steer_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __u64 steer_now_ms(void)
{
	return steer_now_ns() / 1000000;
}

/* One line of the history file (if any), flushed at once. */
static void __attribute__((format(printf, 2, 3)))
steer_history(FILE *f, const char *fmt, ...)
{
	va_list ap;

	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fflush(f);
}

static __u32 steer_parse_u32(const char *what, const char *text, __u32 lo,
			     __u32 hi)
{
	char *end;
	unsigned long long v = strtoull(text, &end, 10);

	if (*end || end == text || v < lo || v > hi)
		die(2, "%s '%s' is not %u .. %u", what, text, lo, hi);
	return v;
}

/* Applies @path's tunables when it changed since @seen; a bad file is
 * reported and changes nothing.
 */
static bool steer_reload(const char *path, struct timespec *seen,
			 __u32 *period, __u32 *threshold)
{
	unsigned long long p = *period, t = *threshold;
	char buf[256], *line, *save = NULL;
	struct stat st;

	if (!path || stat(path, &st) ||
	    (st.st_mtim.tv_sec == seen->tv_sec &&
	     st.st_mtim.tv_nsec == seen->tv_nsec))
		return false;
	*seen = st.st_mtim;
	if (steer_read_file(path, buf, sizeof(buf)))
		return false;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "threshold %llu", &t) != 1 &&
		    sscanf(line, "period_ms %llu", &p) != 1) {
			printf("kmbsteer: %s: '%s' is not 'threshold N' or 'period_ms M': tunables kept\n",
			       path, line);
			return false;
		}
	}
	if (t > UINT32_MAX || p < 10 || p > 60000) {
		printf("kmbsteer: %s: threshold %llu or period_ms %llu out of range (0 .. %u, 10 .. 60000): tunables kept\n",
		       path, t, p, UINT32_MAX);
		return false;
	}
	if (t == *threshold && p == *period)
		return false;
	*threshold = t;
	*period = p;
	printf("kmbsteer: now period %u ms, threshold %u\n", *period, *threshold);
	fflush(stdout);
	return true;
}

/* A lab knob (see the head of this file): 0 when unset. */
static __u64 steer_env_ms(const char *name)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long ms;

	if (!v || !*v)
		return 0;
	ms = strtoull(v, &end, 10);
	if (*end || ms > 3600000)
		die(2, "%s='%s' is not 0 .. 3600000 ms", name, v);
	return ms;
}

static int steer_attach(const char *dev, const char *period_text,
			const char *threshold_text, const char *stats,
			const char *tunables, const char *history)
{
	__u64 started_ms = steer_now_ms();
	__u64 delay_ms = steer_env_ms("KMBSTEER_ATTACH_DELAY_MS");
	__u64 detach_after_ms = steer_env_ms("KMBSTEER_DETACH_AFTER_MS"), stop_ms = 0;
	__u32 period = steer_parse_u32("period_ms", period_text, 10, 60000);
	__u32 threshold = steer_parse_u32("threshold", threshold_text, 0, UINT32_MAX);
	struct sigaction sa = { .sa_handler = steer_on_signal };
	struct timespec tunables_seen = {};
	struct steer s = {};
	unsigned int flags, helper_frames = 0;
	__u64 next, polls = 0, t0;
	const char *reason = "signal";
	FILE *hist = NULL;
	int tun, none = -1, err;

	if (strlen(dev) >= IFNAMSIZ)
		die(2, "device name '%s' is longer than %d", dev, IFNAMSIZ - 1);
	steer_check_kernel();
	steer_check_caps();
	flags = steer_tun_flags(dev);
	steer_check_other_program(dev);
	/* tun applies the flags of a TUNSETIFF (QEMU's IFF_VNET_HDR) only when
	 * no other queue file of the device exists: ours would make a VMM that
	 * opens the tap later run without them (its guest sees "bad gso")
	 */
	if (!steer_held_by_others(dev))
		printf("kmbsteer: warning: no other process holds %s: attach after the VMM opened it (tun ignores the feature flags, e.g. IFF_VNET_HDR, of a queue attached while another queue file exists)\n",
		       dev);

	if (tunables && !strcmp(tunables, "-"))
		tunables = NULL;
	if (history) {
		hist = fopen(history, "w");
		if (!hist)
			die(2, "%s: %s: name a file kmbsteer may write", history, strerror(errno));
		steer_history(hist, "start t_ns=%llu\n", (unsigned long long)steer_now_ns());
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	steer_open(&s, steer_queue_count(dev), flags & IFF_TAP ? ETH_HLEN : 0);
	while (delay_ms && !steer_stop && steer_now_ms() < started_ms + delay_ms) {
		struct timespec slice = { 0, 1000000L };

		nanosleep(&slice, NULL);
	}
	if (steer_stop) {
		steer_history(hist, "end reason=signal\n");
		steer_close(&s);
		return 0;
	}
	/* the queue count may have changed while it waited */
	s.numqueues = steer_queue_count(dev);
	steer_publish(&s, false);
	t0 = steer_now_ns();
	tun = steer_set_program(dev, bpf_program__fd(s.skel->progs.kmb_steer),
				&helper_frames);
	if (detach_after_ms)
		stop_ms = steer_now_ms() + detach_after_ms;
	steer_history(hist, "attach t_ns=%llu end_ns=%llu queues=%u period_ms=%u threshold=%u helper_frames=%u\n",
		      (unsigned long long)t0, (unsigned long long)steer_now_ns(),
		      s.numqueues, period, threshold, helper_frames);
	printf("kmbsteer: steering %s (%u queues), period %u ms, threshold %u\n",
	       dev, s.numqueues, period, threshold);
	fflush(stdout);

	if (steer_reload(tunables, &tunables_seen, &period, &threshold))
		steer_history(hist, "tunables t_ns=%llu period_ms=%u threshold=%u\n",
			      (unsigned long long)steer_now_ns(), period, threshold);
	next = steer_now_ms() + period;
	while (!steer_stop) {
		struct timespec slice = { 0, STEER_POLL_MS * 1000000L };
		__u32 n;

		nanosleep(&slice, NULL);
		if (stop_ms && steer_now_ms() >= stop_ms) {
			reason = "detach-after";
			break;
		}
		n = steer_queue_count(dev);
		if (!n) {
			reason = "gone";
			break;	/* the device went away */
		}
		/* Our detached queue file keeps a device alive that its owner
		 * (QEMU) has closed; one that is not persistent would vanish
		 * without us, so let it go.
		 */
		if (!(flags & IFF_PERSIST) && ++polls % STEER_OWNER_POLLS == 0 &&
		    !steer_held_by_others(dev)) {
			printf("kmbsteer: no other process holds %s any more: letting it go\n", dev);
			reason = "released";
			break;
		}
		if (n != s.numqueues) {
			__u32 from = s.numqueues;

			t0 = steer_now_ns();
			steer_resize(&s, n);
			steer_history(hist, "resize t_ns=%llu end_ns=%llu from=%u to=%u\n",
				      (unsigned long long)t0,
				      (unsigned long long)steer_now_ns(), from, n);
		}
		if (steer_now_ms() >= next) {
			t0 = steer_now_ns();
			steer_remap(&s, threshold);
			if (hist) {
				fprintf(hist, "remap t_ns=%llu end_ns=%llu | ",
					(unsigned long long)t0,
					(unsigned long long)steer_now_ns());
				steer_print_stats(&s, dev, hist, " | ");
				fflush(hist);
			}
			if (stats)
				steer_write_stats(&s, dev, stats);
			if (steer_reload(tunables, &tunables_seen, &period, &threshold))
				steer_history(hist, "tunables t_ns=%llu period_ms=%u threshold=%u\n",
					      (unsigned long long)steer_now_ns(), period, threshold);
			next += period;
		}
	}

	t0 = steer_now_ns();
	err = ioctl(tun, TUNSETSTEERINGEBPF, &none) ? errno : 0;
	close(tun);
	steer_history(hist, "detach t_ns=%llu end_ns=%llu errno=%d\nend reason=%s\n",
		      (unsigned long long)t0, (unsigned long long)steer_now_ns(), err, reason);
	if (hist)
		fclose(hist);
	printf("kmbsteer: %s is stock again\n", dev);
	steer_close(&s);
	return 0;
}

static int steer_detach(const char *dev)
{
	steer_check_caps();
	close(steer_set_program(dev, -1, NULL));
	printf("kmbsteer: %s has no steering program\n", dev);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "trace"))
		return steer_trace(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "bench"))
		return steer_bench(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "detach"))
		return steer_detach(argv[2]);
	if (argc >= 5 && argc <= 8 && !strcmp(argv[1], "attach"))
		return steer_attach(argv[2], argv[3], argv[4],
				    argc >= 6 ? argv[5] : NULL,
				    argc >= 7 ? argv[6] : NULL,
				    argc == 8 ? argv[7] : NULL);
	die(2, "usage: kmbsteer attach DEV PERIOD_MS THRESHOLD [STATS_FILE [TUNABLES_FILE [HISTORY_FILE]]] | detach DEV | trace NUMQUEUES | bench REPEAT");
}
