#include "models/crashsig.h"

#include <stdio.h>
#include <string.h>

/*
 * The functions a crash passes through on its way to the dump, on x86_64,
 * ppc64 and arm64: panic and its notifiers (pvpanic, RTAS os-term), the
 * stop of the other CPUs, kexec's crash path, the oops printer, and the
 * trap and fault handlers that lead to die(). A name ending in '*' is a
 * prefix. None of them is where a crash happens.
 */
static const char *const machinery[] = {
	"panic", "vpanic", "nmi_panic", "panic_smp_self_stop", "panic_other_cpus_shutdown",
	"__crash_kexec", "crash_kexec", "crash_save_cpu", "crash_setup_regs",
	"machine_kexec", "machine_crash_shutdown", "native_machine_crash_shutdown",
	"default_machine_crash_shutdown", "crash_smp_send_stop", "kdump_nmi_shootdown_cpus",
	"pvpanic*", "atomic_notifier_call_chain", "notifier_call_chain",
	"raw_notifier_call_chain", "blocking_notifier_call_chain",
	"rtas_os_term", "rtas_call", "rtas_call_unlocked", "enter_rtas", "pseries_panic",
	"ppc_panic_fadump_handler", "ppc_panic_platform_handler",
	"__delay", "__delay_cycles", "delay_tsc", "delay_halt*", "mdelay", "udelay",
	"__udelay", "__ndelay", "__const_udelay", "do_enter_rtas",
	"native_safe_halt", "native_halt", "halt", "cpu_relax", "default_idle",
	"smp_send_stop", "stop_this_cpu", "__sysvec_reboot", "sysvec_reboot",
	"asm_sysvec_reboot", "nmi_cpu_backtrace", "local_cpu_stop", "ipi_cpu_crash_stop",
	"do_handle_IPI", "ipi_handler", "smp_handle_nmi_ipi", "crash_ipi_callback",
	"dump_stack", "dump_stack_lvl", "dump_backtrace", "show_stack", "show_regs", "__show_regs",
	"_printk", "printk", "vprintk*", "console_*", "__die", "die", "die_body",
	"die_addr", "oops_end", "oops_begin", "bust_spinlocks", "__warn", "warn_slowpath_fmt",
	"do_trap", "do_error_trap", "handle_bug", "report_bug", "exc_*", "asm_exc_*",
	"page_fault_oops", "kernelmode_fixup_or_oops", "handle_page_fault",
	"do_kern_addr_fault", "do_user_addr_fault", "no_context", "__bad_area_nosemaphore",
	"bad_area_nosemaphore", "spurious_kernel_fault",
	"_exception", "_exception_pkey", "program_check_exception", "program_check_common*",
	"do_page_fault", "__do_page_fault", "___do_page_fault", "bad_page_fault",
	"__bad_page_fault", "bad_kernel_fault", "data_access_common*",
	"instruction_access_common*", "interrupt_return*",
	"die_kernel_fault", "__do_kernel_fault", "do_mem_abort", "do_translation_fault",
	"do_bad_area", "el1_abort", "el1_da", "el1h_64_sync*", "el1_dbg", "el1_brk64",
	"call_el1_break_hook", "bug_brk_handler", "bug_handler", "brk_handler",
	"do_debug_exception", "arm64_exit_nmi", "el1h_64_irq*", "el1_interrupt",
};

bool vt_crash_machinery(const char *name)
{
	size_t len = strcspn(name, ".");	/* "panic.cold" is panic */

	for (size_t i = 0; i < sizeof(machinery) / sizeof(machinery[0]); i++) {
		const char *m = machinery[i];
		size_t n = strlen(m);

		if (m[n - 1] == '*' ? strncmp(name, m, n - 1) == 0 :
				      n == len && strncmp(name, m, len) == 0)
			return true;
	}
	return false;
}

/* Frames that show what kind of crash it was, in the order asked. */
static const struct marker {
	const char *kind;
	const char *const fn[12];
} markers[] = {
	/* (ppc64's program check is the trap instruction BUG and WARN use) */
	{ "kernel BUG", { "handle_bug", "report_bug", "exc_invalid_op",
			  "program_check_exception", "program_check_common_virt",
			  "program_check_common", "bug_brk_handler", "bug_handler" } },
	{ "general protection fault", { "exc_general_protection" } },
	{ "BUG: unable to handle page fault", {
		"page_fault_oops", "exc_page_fault", "do_page_fault", "__do_page_fault",
		"___do_page_fault", "bad_page_fault", "__bad_page_fault", "bad_kernel_fault",
		"die_kernel_fault", "__do_kernel_fault", "do_mem_abort" } },
	{ "hung task", { "check_hung_uninterruptible_tasks", "check_hung_task" } },
	{ "BUG: soft lockup", { "watchdog_timer_fn" } },
	{ "hard LOCKUP", { "watchdog_overflow_callback", "watchdog_hardlockup_check" } },
};

/*
 * "name+0x1/0x2" -> "name", and the compiler's clones and splits
 * ("name.cold", "name.isra.0", "name.constprop.0") -> "name": the same
 * function whatever the build made of it.
 */
static void bare_name(const char *s, char *dst, size_t len)
{
	snprintf(dst, len, "%s", s);
	dst[strcspn(dst, "+ \t.")] = '\0';
}

static void set_title(struct vt_crash_sig *sig)
{
	if (*sig->function)
		snprintf(sig->title, sizeof(sig->title), "%s in %s", sig->kind, sig->function);
	else
		snprintf(sig->title, sizeof(sig->title), "%s", sig->kind);
}

/* The frames from where (an index into names) on, machinery skipped. */
static void take_frames(struct vt_crash_sig *sig, const char *const *names, int n, int from)
{
	for (int i = from < 0 ? 0 : from; i < n && sig->nframes < VT_SIG_FRAMES; i++)
		if (names[i] && *names[i] && !vt_crash_machinery(names[i]))
			snprintf(sig->frames[sig->nframes++], sizeof(sig->frames[0]), "%s",
				 names[i]);
}

/* The log's headline -> a kind. */
static void kind_from_headline(const char *h, char *kind, size_t len)
{
	static const struct { const char *prefix, *kind; } kinds[] = {
		{ "kernel BUG at", "kernel BUG" },
		/* A NULL dereference is a page fault at a small address; an
		 * unwound trace cannot tell them apart (the address is in CR2 or
		 * FAR, not in pt_regs), so both sources give one title. */
		{ "BUG: kernel NULL pointer dereference", "BUG: unable to handle page fault" },
		{ "BUG: Kernel NULL pointer dereference", "BUG: unable to handle page fault" },
		{ "BUG: unable to handle", "BUG: unable to handle page fault" },
		{ "BUG: Unable to handle", "BUG: unable to handle page fault" },
		{ "Unable to handle kernel", "BUG: unable to handle page fault" },
		{ "general protection fault", "general protection fault" },
		{ "BUG: soft lockup", "BUG: soft lockup" },
		{ "BUG: Bad page state", "BUG: Bad page state" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(h, kinds[i].prefix, strlen(kinds[i].prefix)) == 0) {
			snprintf(kind, len, "%s", kinds[i].kind);
			return;
		}
	/* "BUG: something at/in ...", "Oops: ..." : the words before any detail. */
	snprintf(kind, len, "%.*s", (int)(len - 1), h);
	kind[strcspn(kind, ",[(0123456789")] = '\0';
	for (size_t n = strlen(kind); n && kind[n - 1] == ' '; n--)
		kind[n - 1] = '\0';
}

bool vt_crash_sig_from_oops(const struct vt_oops *o, struct vt_crash_sig *sig)
{
	const char *names[VT_OOPS_MAX_TRACE];
	char bare[VT_OOPS_MAX_TRACE][96];
	int first = -1;

	memset(sig, 0, sizeof(*sig));
	if (!o->present || o->from_stack)
		return false;
	for (int i = 0; i < o->ntrace; i++) {
		bare_name(o->trace[i], bare[i], sizeof(bare[i]));
		names[i] = o->trace_unreliable[i] ? NULL : bare[i];
		if (!names[i])
			continue;
		if (first < 0 && !vt_crash_machinery(bare[i]))
			first = i;
	}
	sig->source = "log";
	if (*o->headline) {
		kind_from_headline(o->headline, sig->kind, sizeof(sig->kind));
		bare_name(o->ip, sig->function, sizeof(sig->function));
	} else {
		snprintf(sig->kind, sizeof(sig->kind), "panic");
		if (first >= 0)
			snprintf(sig->function, sizeof(sig->function), "%s", bare[first]);
	}
	/* The frames from the crash site on: the IP, then the trace below it. */
	if (*sig->function) {
		char lr[96];

		snprintf(sig->frames[sig->nframes++], sizeof(sig->frames[0]), "%s",
			 sig->function);
		/* ppc64: the caller of a function that had not saved LR yet is
		 * only in LR (the trace starts above it, as an unwinder's does). */
		bare_name(o->lr, lr, sizeof(lr));
		if (*lr && strcmp(lr, sig->function) && !vt_crash_machinery(lr) &&
		    !(o->ntrace && strcmp(bare[0], lr) == 0))
			snprintf(sig->frames[sig->nframes++], sizeof(sig->frames[0]), "%s", lr);
		for (int i = 0; i < o->ntrace; i++)
			if (strcmp(bare[i], sig->function) == 0) {
				first = i + 1;
				break;
			}
	}
	take_frames(sig, names, o->ntrace, first);
	set_title(sig);
	return true;
}

/* Index of the first frame naming one of the marker's functions, or -1. */
static int find_marker(const struct vt_stack *st, const struct marker *mk)
{
	for (size_t i = 0; i < st->n; i++)
		for (size_t k = 0; k < 12 && mk->fn[k]; k++)
			if (st->frames[i].symbol && strcmp(st->frames[i].symbol, mk->fn[k]) == 0)
				return (int)i;
	return -1;
}

/* The crash site in st: its index, and the kind in kind. */
static int crash_site(const struct vt_stack *st, char *kind, size_t len)
{
	for (size_t m = 0; m < sizeof(markers) / sizeof(markers[0]); m++) {
		int at = find_marker(st, &markers[m]);

		if (at < 0)
			continue;
		snprintf(kind, len, "%s", markers[m].kind);
		/* The function the exception interrupted: after the first
		 * exception frame at or below the handler. */
		for (size_t i = (size_t)at; i + 1 < st->n; i++)
			if (st->frames[i].exception)
				return (int)i + 1;
		break;
	}
	size_t from = 0;

	if (!*kind)
		snprintf(kind, len, "panic");
	/* A panic's site is its caller: below the outermost panic frame, so a
	 * helper of panic()'s tail this table lacks cannot be taken for it. */
	for (size_t i = 0; i < st->n; i++)
		if (st->frames[i].symbol && (!strcmp(st->frames[i].symbol, "panic") ||
					     !strcmp(st->frames[i].symbol, "vpanic") ||
					     !strcmp(st->frames[i].symbol, "nmi_panic")))
			from = i + 1;
	for (size_t i = from; i < st->n; i++)
		if (st->frames[i].symbol && !vt_crash_machinery(st->frames[i].symbol))
			return (int)i;
	return -1;
}

bool vt_crash_sig_from_stack(const struct vt_stack *st, struct vt_crash_sig *sig)
{
	const char *names[VT_STACK_MAX_FRAMES];
	char bare[VT_STACK_MAX_FRAMES][96];
	int site;

	memset(sig, 0, sizeof(*sig));
	if (!st->n)
		return false;
	site = crash_site(st, sig->kind, sizeof(sig->kind));
	for (size_t i = 0; i < st->n; i++) {
		names[i] = NULL;
		if (st->frames[i].symbol) {
			bare_name(st->frames[i].symbol, bare[i], sizeof(bare[i]));
			names[i] = bare[i];
		}
	}
	sig->source = "stack";
	if (site >= 0 && names[site]) {
		snprintf(sig->function, sizeof(sig->function), "%s", names[site]);
		snprintf(sig->frames[sig->nframes++], sizeof(sig->frames[0]), "%s",
			 sig->function);
		site++;
	}
	take_frames(sig, names, (int)st->n, site);
	set_title(sig);
	return true;
}

/* "sym+0xoff/0xsize", as the kernel prints a frame. */
static void frame_text(const struct vt_frame *f, char *dst, size_t len)
{
	snprintf(dst, len, "%s+0x%llx/0x%llx", f->symbol, (unsigned long long)f->offset,
		 (unsigned long long)f->size);
}

void vt_oops_from_stack(const struct vt_stack *st, int cpu, int pid, const char *comm,
			struct vt_oops *o)
{
	int site;

	memset(o, 0, sizeof(*o));
	o->cpu = cpu;
	o->pid = pid;
	snprintf(o->comm, sizeof(o->comm), "%s", comm);
	if (!st->n)
		return;
	o->present = true;
	o->from_stack = true;
	site = crash_site(st, o->headline, sizeof(o->headline));
	if (site >= 0 && st->frames[site].symbol)
		frame_text(&st->frames[site], o->ip, sizeof(o->ip));
	for (size_t i = 0; i < st->n && o->ntrace < VT_OOPS_MAX_TRACE; i++)
		if (st->frames[i].symbol)
			frame_text(&st->frames[i], o->trace[o->ntrace++], sizeof(o->trace[0]));
}
