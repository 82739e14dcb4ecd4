/*
 * Crash signatures (models/crashsig.h) and the crash made from a stack:
 * the same crash gets the same title whether the log or the unwound trace
 * tells it (a ppc64 BUG in pmd_fragment_free, an x86 page fault in
 * stable_page_flags, a sysrq panic); the panic/dump machinery and the
 * log's unreliable entries are skipped; a trace with no names says nothing.
 */
#include <string.h>

#include "models/crashsig.h"
#include "unit.h"

struct fr {
	const char *name;
	bool exception;
};

static void make_stack(const struct fr *frames, struct vt_stack *st)
{
	memset(st, 0, sizeof(*st));
	for (; frames->name || frames->exception; frames++) {
		struct vt_frame *f = &st->frames[st->n++];

		f->symbol = frames->name;
		f->offset = 0x10;
		f->size = 0x40;
		f->exception = frames->exception;
	}
}

static void make_oops(const char *headline, const char *ip, const char *const *trace,
		      struct vt_oops *o)
{
	memset(o, 0, sizeof(*o));
	o->have_log = o->present = true;
	snprintf(o->headline, sizeof(o->headline), "%s", headline);
	snprintf(o->ip, sizeof(o->ip), "%s", ip);
	for (; *trace; trace++) {
		bool unreliable = (*trace)[0] == '?';

		o->trace_unreliable[o->ntrace] = unreliable;
		snprintf(o->trace[o->ntrace++], sizeof(o->trace[0]), "%s",
			 *trace + (unreliable ? 1 : 0));
	}
}

/* ppc64, class A firing: BUG_ON in pmd_fragment_free during hot-remove. */
static void test_bug_log_and_stack(void)
{
	static const struct fr frames[] = {
		{ "rtas_os_term", false }, { "pseries_panic", false }, { "atomic_notifier_call_chain", false },
		{ "panic", false }, { "oops_end", false }, { "die", false }, { "_exception_pkey", false },
		{ "program_check_exception", false }, { "program_check_common_virt", true },
		{ "pmd_fragment_free", false }, { "remove_pagetable", false },
		{ "radix__remove_section_mapping", false }, { "arch_remove_memory", false },
		{ "try_remove_memory", false }, { "dlpar_remove_lmb", false }, { NULL, false },
	};
	static const char *const trace[] = {
		"?show_stack+0x20/0x40", "pmd_fragment_free+0x74/0xa0",
		"remove_pagetable+0x2a0/0x5c0", "radix__remove_section_mapping+0x24/0x40",
		"arch_remove_memory+0x7c/0x120", "try_remove_memory+0x1a4/0x2a0",
		"dlpar_remove_lmb+0xc8/0x1a0", NULL,
	};
	struct vt_stack st;
	struct vt_oops o, so;
	struct vt_crash_sig a, b;

	make_stack(frames, &st);
	make_oops("kernel BUG at arch/powerpc/mm/book3s64/pgtable.c:366!",
		  "pmd_fragment_free+0x74/0xa0", trace, &o);
	CHECK(vt_crash_sig_from_oops(&o, &a));
	CHECK(vt_crash_sig_from_stack(&st, &b));
	CHECK(strcmp(a.title, "kernel BUG in pmd_fragment_free") == 0);
	CHECK(strcmp(b.title, a.title) == 0);
	CHECK(strcmp(a.source, "log") == 0 && strcmp(b.source, "stack") == 0);
	CHECK(a.nframes == VT_SIG_FRAMES && b.nframes == VT_SIG_FRAMES);
	for (int i = 0; i < VT_SIG_FRAMES; i++)
		CHECK(strcmp(a.frames[i], b.frames[i]) == 0);
	CHECK(strcmp(b.frames[1], "remove_pagetable") == 0);

	/* The plugins' view: the interrupted function as the IP, every frame. */
	vt_oops_from_stack(&st, 1, 42, "drmgr", &so);
	CHECK(so.present && so.from_stack);
	CHECK(vt_oops_ip_is(&so, "pmd_fragment_free"));
	CHECK(vt_oops_mentions(&so, "remove_pagetable"));
	CHECK(strcmp(so.headline, "kernel BUG") == 0);
	CHECK(so.cpu == 1 && so.pid == 42 && strcmp(so.comm, "drmgr") == 0);
	/* A stack-made crash is not read back as a log's. */
	CHECK(!vt_crash_sig_from_oops(&so, &a));
}

/* x86_64, class E firing: a page fault in stable_page_flags. */
static void test_page_fault(void)
{
	static const struct fr frames[] = {
		{ "pvpanic_panic_notify", false }, { "notifier_call_chain", false },
		{ "atomic_notifier_call_chain", false }, { "panic", false }, { "oops_end", false },
		{ "page_fault_oops", false }, { "exc_page_fault", false }, { "asm_exc_page_fault", true },
		{ "stable_page_flags", false }, { "kpageflags_read", false }, { "proc_reg_read", false },
		{ "vfs_read", false }, { "ksys_read", false }, { NULL, false },
	};
	static const char *const trace[] = {
		"kpageflags_read+0xa9/0x150", "?exc_page_fault+0x5b/0x150",
		"proc_reg_read+0x56/0xa0", "vfs_read+0xab/0x300", "ksys_read+0x6b/0xf0", NULL,
	};
	struct vt_stack st;
	struct vt_oops o, so;
	struct vt_crash_sig a, b;

	make_stack(frames, &st);
	make_oops("BUG: unable to handle page fault for address: fffffffffffffffe",
		  "stable_page_flags+0x2a/0x3d0", trace, &o);
	CHECK(vt_crash_sig_from_oops(&o, &a));
	CHECK(vt_crash_sig_from_stack(&st, &b));
	CHECK(strcmp(a.title, "BUG: unable to handle page fault in stable_page_flags") == 0);
	CHECK(strcmp(b.title, a.title) == 0);
	/* the unreliable "? exc_page_fault" is not a frame of the signature */
	for (int i = 0; i < a.nframes; i++)
		CHECK(strcmp(a.frames[i], "exc_page_fault") != 0);
	CHECK(strcmp(a.frames[2], b.frames[2]) == 0);
	vt_oops_from_stack(&st, 0, 7, "dd", &so);
	CHECK(vt_oops_ip_is(&so, "stable_page_flags"));
	CHECK(strcmp(so.headline, "BUG: unable to handle page fault") == 0);
	CHECK(so.fault_address[0] == '\0');	/* not known from a stack */
}

/* A sysrq crash: no oops, the panic's caller is the site; ".cold" folded. */
static void test_panic(void)
{
	static const struct fr frames[] = {
		{ "native_halt", false }, { "delay_halt", false }, { "panic", false }, { "sysrq_handle_crash", false },
		{ "__handle_sysrq.cold", false }, { "write_sysrq_trigger", false }, { NULL, false },
	};
	static const char *const trace[] = {
		"dump_stack_lvl+0x44/0x5c", "panic+0x118/0x2f4", "?_printk+0x68/0x83",
		"sysrq_handle_crash+0x16/0x20", "__handle_sysrq.cold+0x44/0x11c",
		"write_sysrq_trigger+0x24/0x40", NULL,
	};
	struct vt_stack st;
	struct vt_oops o;
	struct vt_crash_sig a, b;

	make_stack(frames, &st);
	make_oops("", "", trace, &o);
	snprintf(o.panic, sizeof(o.panic), "sysrq triggered crash");
	CHECK(vt_crash_sig_from_oops(&o, &a));
	CHECK(vt_crash_sig_from_stack(&st, &b));
	CHECK(strcmp(a.title, "panic in sysrq_handle_crash") == 0);
	CHECK(strcmp(b.title, a.title) == 0);
	CHECK(strcmp(a.frames[1], "__handle_sysrq") == 0 && strcmp(b.frames[1], "__handle_sysrq") == 0);
	CHECK(vt_crash_machinery("panic.cold") && vt_crash_machinery("pvpanic_mmio_write"));
	CHECK(!vt_crash_machinery("panicky_function") && !vt_crash_machinery("pmd_fragment_free"));
}

/* x86_64, class B firing: the BUG trap in sync_global_pgds_l4 (what the
 * pgd-desync plugin's stack rule reads: the kind and the interrupted IP). */
static void test_x86_bug(void)
{
	static const struct fr frames[] = {
		{ "pvpanic_panic_notify", false }, { "atomic_notifier_call_chain", false },
		{ "panic", false }, { "oops_end", false }, { "do_trap", false },
		{ "do_error_trap", false }, { "handle_bug", false }, { "exc_invalid_op", false },
		{ "asm_exc_invalid_op", true }, { "sync_global_pgds_l4", false },
		{ "vmemmap_populate", false }, { "__populate_section_memmap", false },
		{ "sparse_add_section", false }, { NULL, false },
	};
	struct vt_stack st;
	struct vt_oops so;
	struct vt_crash_sig sig;

	make_stack(frames, &st);
	vt_oops_from_stack(&st, 0, 1, "modprobe", &so);
	CHECK(strcmp(so.headline, "kernel BUG") == 0 && so.from_stack);
	CHECK(vt_oops_ip_is(&so, "sync_global_pgds_l4"));
	CHECK(vt_crash_sig_from_stack(&st, &sig));
	CHECK(strcmp(sig.title, "kernel BUG in sync_global_pgds_l4") == 0);
	CHECK(strcmp(sig.frames[1], "vmemmap_populate") == 0);
}

static void test_nothing_to_say(void)
{
	static const struct fr frames[] = { { NULL, true }, { 0 } };
	struct vt_stack st;
	struct vt_oops o;
	struct vt_crash_sig sig;

	memset(&st, 0, sizeof(st));
	CHECK(!vt_crash_sig_from_stack(&st, &sig) && !sig.source);
	make_stack(frames, &st);	/* one frame, no name */
	CHECK(vt_crash_sig_from_stack(&st, &sig));
	CHECK(strcmp(sig.title, "panic") == 0 && sig.nframes == 0);
	memset(&o, 0, sizeof(o));
	CHECK(!vt_crash_sig_from_oops(&o, &sig));
}

int main(void)
{
	test_bug_log_and_stack();
	test_page_fault();
	test_panic();
	test_x86_bug();
	test_nothing_to_say();
	return unit_done("test_crashsig");
}
