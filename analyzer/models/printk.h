/*
 * The kernel log from the dump: the lockless printk_ringbuffer of 5.10+, or
 * the log_buf ring of 3.5..5.9 (layouts from the dump's types, or from
 * VMCOREINFO, which lists every offset makedumpfile and crash need).
 */
#ifndef VT_PRINTK_H
#define VT_PRINTK_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

/* Longest record text kept (the kernel's limit is 1024 - header). */
#define VT_LOG_MAX_TEXT 2048

struct vt_log_record {
	uint64_t seq;
	uint64_t ts_nsec;
	unsigned level, facility;
	uint32_t caller_id;	/* bit 31: CPU, else task pid */
	const char *text;	/* NUL-terminated, not including a newline */
	size_t len;
};

/* Returns non-zero to stop. */
typedef int (*vt_log_fn)(void *arg, const struct vt_log_record *rec);

/*
 * Visit the records still in the ring, oldest first. Records overwritten
 * while the kernel was writing, or whose pages are missing, are skipped and
 * counted in *skipped_ret (may be NULL).
 */
struct vt_error *vt_log_read(struct vt_target *t, struct vt_symbols *s,
			     vt_log_fn fn, void *arg, uint64_t *skipped_ret);

#endif
