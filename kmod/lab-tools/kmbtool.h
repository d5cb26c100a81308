/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mqtap and udpflows both need besides the payload format: time in
 * nanoseconds and strict number parsing. Each tool defines die_usage(),
 * which prints its own usage and exits 2.
 */
#ifndef KMBTOOL_H
#define KMBTOOL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NSEC_PER_SEC		1000000000LL
#define NSEC_PER_MSEC		1000000LL
#define NSEC_PER_USEC		1000LL

static void die_usage(const char *why);

static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* A decimal in [min, max], or a usage error naming @what. */
static inline long long parse_num(const char *s, long long min, long long max,
				  const char *what)
{
	char *end, msg[128];
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		snprintf(msg, sizeof(msg), "%s must be an integer in %lld..%lld, got '%s'",
			 what, min, max, s);
		die_usage(msg);
	}
	return v;
}

#endif /* KMBTOOL_H */
