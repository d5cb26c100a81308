// SPDX-License-Identifier: GPL-2.0
/*
 * tapstress: hold a multi-queue tap as a VMM does and churn it while traffic
 * flows, for the debug-kernel stress of `kmb lab check --scenario stress`.
 *
 * Every attached queue is drained all the time. The churn starts once -f
 * frames have been read (the traffic is flowing) and -w ms have passed.
 * With -d N the queues are
 * detached and re-attached N times (TUNSETQUEUE, a random queue each time,
 * so the last queue moves into the gap as tun keeps its queues dense); with
 * -e N a steering eBPF program (a socket filter answering queue 1) is set and
 * removed N times (TUNSETSTEERINGEBPF). The tap going away under it (ip link
 * del) ends the run cleanly: that is one of the stress steps.
 *
 * Prints "key=value" lines when the run ends; exit 0 ran, 1 a system call
 * failed in a way the kernel must not allow, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kmbtool.h"

#define TS_MAX_QUEUES	16
#define TS_FRAME	2048
#define TS_BATCH	64

struct ts_queue {
	int fd;
	bool attached;
};

static struct ts_queue queues[TS_MAX_QUEUES];
static int nqueues = 4;
static unsigned long long frames, tap_gone_errno;
static bool tap_gone;

static void die_usage(const char *why)
{
	fprintf(stderr, "tapstress: %s\n"
		"usage: tapstress [-q QUEUES] [-t SECONDS] [-w WAIT_MS] [-f FRAMES]\n"
		"                 [-d DETACH_CYCLES] [-e EBPF_CYCLES] [-i IDLE_MS] IFNAME\n", why);
	exit(2);
}

static void die_sys(const char *what)
{
	fprintf(stderr, "tapstress: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int open_queue(const char *ifname)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);

	if (fd < 0)
		die_sys("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die_sys("TUNSETIFF");
	return fd;
}

/* Read what the attached queues hold; notices the tap's deletion. */
static void drain(void)
{
	static char buf[TS_FRAME];
	int q, n;

	for (q = 0; q < nqueues; q++) {
		if (!queues[q].attached)
			continue;
		for (n = 0; n < TS_BATCH; n++) {
			ssize_t r = read(queues[q].fd, buf, sizeof(buf));

			if (r > 0) {
				frames++;
				continue;
			}
			if (r < 0 && errno != EAGAIN && errno != EINTR) {
				/* EBADFD or EIO: the device was deleted */
				tap_gone = true;
				tap_gone_errno = errno;
			}
			break;
		}
	}
}

/* Drain for @ms milliseconds (at least one round). */
static void drain_for(long long ms)
{
	long long end = now_ns() + ms * NSEC_PER_MSEC;

	do {
		drain();
		if (!tap_gone)
			poll(NULL, 0, 0);
	} while (!tap_gone && now_ns() < end);
}

static int set_queue(int q, bool attach)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(queues[q].fd, TUNSETQUEUE, &ifr) < 0)
		return -errno;
	queues[q].attached = attach;
	return 0;
}

/* A socket filter that answers 1: tun takes it modulo the queue count. */
static int load_steering_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	static char license[] = "GPL";
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = sizeof(insns) / sizeof(insns[0]);
	attr.license = (uintptr_t)license;
	return (int)syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

static int set_steering(int fd, int prog)
{
	return ioctl(fd, TUNSETSTEERINGEBPF, &prog) < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	long long seconds = 30, wait_ms = 500, idle_ms = 300, deadline;
	unsigned long long wait_frames = 0;
	long detach_cycles = 0, ebpf_cycles = 0, detach_done = 0, ebpf_done = 0;
	long detach_errors = 0, ebpf_errors = 0;
	int opt, q, prog = -1, first_error = 0;
	uint64_t x = 88172645463325252ull;
	const char *ifname;

	while ((opt = getopt(argc, argv, "q:t:w:f:d:e:i:")) != -1) {
		switch (opt) {
		case 'q':
			nqueues = (int)parse_num(optarg, 2, TS_MAX_QUEUES, "-q QUEUES");
			break;
		case 't':
			seconds = parse_num(optarg, 1, 3600, "-t SECONDS");
			break;
		case 'w':
			wait_ms = parse_num(optarg, 0, 600000, "-w WAIT_MS");
			break;
		case 'f':
			wait_frames = (unsigned long long)parse_num(optarg, 0, 1000000000, "-f FRAMES");
			break;
		case 'd':
			detach_cycles = (long)parse_num(optarg, 0, 1000000, "-d DETACH_CYCLES");
			break;
		case 'e':
			ebpf_cycles = (long)parse_num(optarg, 0, 1000000, "-e EBPF_CYCLES");
			break;
		case 'i':
			idle_ms = parse_num(optarg, 0, 600000, "-i IDLE_MS");
			break;
		default:
			die_usage("unknown option");
		}
	}
	if (optind != argc - 1)
		die_usage("one IFNAME expected");
	ifname = argv[optind];
	if (strlen(ifname) >= IFNAMSIZ)
		die_usage("IFNAME too long");

	for (q = 0; q < nqueues; q++) {
		queues[q].fd = open_queue(ifname);
		queues[q].attached = true;
	}
	if (ebpf_cycles) {
		prog = load_steering_prog();
		if (prog < 0)
			die_sys("BPF_PROG_LOAD of the steering program");
	}
	printf("READY queues=%d\n", nqueues);
	fflush(stdout);
	deadline = now_ns() + seconds * NSEC_PER_SEC;
	drain_for(wait_ms);
	while (!tap_gone && frames < wait_frames && now_ns() < deadline)
		drain_for(1);
	printf("churn_after_frames=%llu\n", frames);
	fflush(stdout);

	while (!tap_gone && now_ns() < deadline &&
	       (detach_done < detach_cycles || ebpf_done < ebpf_cycles)) {
		if (detach_done < detach_cycles) {
			int err;

			q = (int)(xorshift(&x) % (uint64_t)nqueues);
			err = set_queue(q, false);
			drain_for((long long)(xorshift(&x) % 3));
			if (!err)
				err = set_queue(q, true);
			if (err && !tap_gone) {
				detach_errors++;
				if (!first_error)
					first_error = err;
			}
			detach_done++;
		}
		if (ebpf_done < ebpf_cycles) {
			int err = set_steering(queues[0].fd, prog);

			drain_for(2);
			if (!err)
				err = set_steering(queues[0].fd, -1);
			if (err && !tap_gone) {
				ebpf_errors++;
				if (!first_error)
					first_error = err;
			}
			ebpf_done++;
		}
		drain();
	}
	/* churn: a little longer, for the traffic still in flight; hold: until
	 * the bound, or until the tap is deleted under us
	 */
	if (detach_cycles || ebpf_cycles)
		deadline = now_ns() + idle_ms * NSEC_PER_MSEC < deadline ?
			   now_ns() + idle_ms * NSEC_PER_MSEC : deadline;
	while (!tap_gone && now_ns() < deadline)
		drain_for(10);

	if (prog >= 0)
		close(prog);
	for (q = 0; q < nqueues; q++)
		close(queues[q].fd);
	printf("detach_cycles=%ld\ndetach_errors=%ld\nebpf_cycles=%ld\nebpf_errors=%ld\n"
	       "first_error=%s\nframes=%llu\ntap_gone=%d\ntap_gone_errno=%s\n",
	       detach_done, detach_errors, ebpf_done, ebpf_errors,
	       first_error ? strerrorname_np(-first_error) : "none", frames, tap_gone ? 1 : 0,
	       tap_gone ? strerrorname_np((int)tap_gone_errno) : "none");
	return detach_errors || ebpf_errors ? 1 : 0;
}
