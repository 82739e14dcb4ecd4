/*
 * Where the kernel died, said two ways that do not depend on each other:
 *   - a signature: a normalized title like syzkaller's ("kernel BUG in
 *     pmd_fragment_free", "BUG: unable to handle page fault in
 *     stable_page_flags", "panic in sysrq_handle_crash") and the top frames
 *     without offsets, the panic and dump machinery skipped;
 *   - the crash as a struct vt_oops, made from the crashed task's unwound
 *     trace when the log has none, so the plugins' "fired" rules match on
 *     either.
 * The same crash gets the same title from the log and from the stack.
 */
#ifndef VT_CRASHSIG_H
#define VT_CRASHSIG_H

#include <stdbool.h>

#include "models/oops.h"
#include "models/stack.h"

#define VT_SIG_FRAMES 5

struct vt_crash_sig {
	const char *source;		/* "log", "stack"; NULL: no crash known */
	char kind[64];			/* "kernel BUG", "panic", ... */
	char function[96];		/* where: the interrupted or first real function */
	char title[200];		/* kind " in " function (or kind alone) */
	char frames[VT_SIG_FRAMES][96];	/* the top frames, no offsets */
	int nframes;
};

/* From the log's oops; false when the log tells no crash. */
bool vt_crash_sig_from_oops(const struct vt_oops *o, struct vt_crash_sig *ret);
/* From an unwound trace; false when it has no frame to name. */
bool vt_crash_sig_from_stack(const struct vt_stack *st, struct vt_crash_sig *ret);

/*
 * The crash as the trace tells it: headline the kind, ip the function the
 * exception interrupted (or the first real frame), trace every named frame,
 * from_stack set. cpu, pid and comm are the crashed task's.
 */
void vt_oops_from_stack(const struct vt_stack *st, int cpu, int pid, const char *comm,
			struct vt_oops *ret);

/* Is name part of the panic/oops/dump machinery (not where a crash is)? */
bool vt_crash_machinery(const char *name);

#endif
