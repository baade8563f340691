/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What the minimal counter shares with its loader. */
#ifndef HS_BENCH_MINIMAL_COUNTING_H
#define HS_BENCH_MINIMAL_COUNTING_H

#define MC_STATUS_SLOTS 1024 /* counters indexed by status code (100-999) */

#endif /* HS_BENCH_MINIMAL_COUNTING_H */
