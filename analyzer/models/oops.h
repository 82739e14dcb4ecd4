/*
 * The crash as the kernel log tells it: the first oops/BUG headline, the
 * BUG site, the faulting address, the instruction-pointer symbol, the call
 * trace, and the panic line. Input of the plugins' "fired" signatures.
 */
#ifndef VT_OOPS_H
#define VT_OOPS_H

#include <stdbool.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

#define VT_OOPS_MAX_TRACE 48

struct vt_oops {
	bool have_log;
	char log_error[200];		/* why there is no log, when have_log is false */
	bool present;			/* an oops, BUG or panic was logged */
	char headline[256];		/* "kernel BUG at ...", "BUG: unable to ..." */
	char bug_site[160];		/* "arch/x86/mm/init_64.c:123" */
	char fault_address[40];		/* hex, no 0x */
	char ip[96];			/* "sync_global_pgds_l4+0x1c4/0x1e0" */
	char lr[96];			/* ppc64 link register symbol */
	char trace[VT_OOPS_MAX_TRACE][96];
	bool trace_unreliable[VT_OOPS_MAX_TRACE];	/* printed with "?" or "(unreliable)" */
	int ntrace;
	char panic[256];
	/* Made from the crashed task's unwound trace, not read in the log
	 * (crashsig.h): headline is then the kind ("kernel BUG"). */
	bool from_stack;
	int cpu, pid;
	char comm[32];
};

/*
 * Read the log and fill ret. A log that cannot be read is not an error of
 * this call (have_log false, log_error says why), except running out of
 * memory, which is returned.
 */
struct vt_error *vt_oops_from_log(struct vt_target *t, struct vt_symbols *s,
				  struct vt_oops *ret);
/* Does sym (a function name) appear as the IP, LR or in the call trace? */
bool vt_oops_mentions(const struct vt_oops *o, const char *sym);
/* Is sym the instruction pointer's function? */
bool vt_oops_ip_is(const struct vt_oops *o, const char *sym);

#endif
