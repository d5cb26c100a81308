/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The remapper's side of the eBPF back end: a mirror of the flow table on
 * which the module's own balancer core (balancer_core.c, rendered from
 * generator/templates/balancer_core.c.sbn) makes every decision. The caller
 * (kmbsteer.c) moves data between the maps and the mirror; it never decides.
 */
#ifndef KMB_STEER_MIRROR_H
#define KMB_STEER_MIRROR_H

#include <stdbool.h>
#include <stdint.h>

#include "steer.h"

struct steer_mirror;

struct steer_mirror_stats {
	uint32_t flows;
	uint32_t migrations;
	uint32_t periods;
	uint64_t counted;	/* segments in all periods' loads so far */
	uint32_t load[STEER_MAX_QUEUES];
	uint32_t queue_flows[STEER_MAX_QUEUES];
};

struct steer_mirror *steer_mirror_new(void);
void steer_mirror_free(struct steer_mirror *m);

/* A sync: begin, then every flow of the map and every queue's untracked sum
 * (cumulative, as the maps hold them), then end, which drops the flows the
 * map no longer has. The segments since the previous sync are added to the
 * mirror's counters, which the core's remap takes.
 */
void steer_mirror_sync_begin(struct steer_mirror *m);
void steer_mirror_sync_flow(struct steer_mirror *m, uint32_t hash,
			    uint32_t queue, uint64_t segments);
void steer_mirror_sync_untracked(struct steer_mirror *m, uint32_t queue,
				 uint64_t segments);
void steer_mirror_sync_end(struct steer_mirror *m);

/* The queue count went from @from to @to: every queue at or above @to left
 * as the last one (the remapper sees counts, not which queue went).
 */
void steer_mirror_resize(struct steer_mirror *m, uint32_t from, uint32_t to);

/* The core's remapper, one period. */
void steer_mirror_remap(struct steer_mirror *m, uint32_t numqueues,
			uint32_t threshold);

/* After a remap or a resize: the queue of flow @hash (STEER_UNPLACED for an
 * unplaced one), or -1 when the mirror dropped it.
 */
int steer_mirror_queue_of(struct steer_mirror *m, uint32_t hash);
uint32_t steer_mirror_flow_count(struct steer_mirror *m);

/* The queues the next @count placements get (see steer.h), by the core's
 * tun_balance_least_loaded() over the mirror as it is now.
 */
void steer_mirror_placements(struct steer_mirror *m, uint32_t numqueues,
			     uint16_t *placement, uint32_t count);

void steer_mirror_snapshot(struct steer_mirror *m, uint32_t numqueues,
			   struct steer_mirror_stats *s);

#endif /* KMB_STEER_MIRROR_H */
