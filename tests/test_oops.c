/*
 * The crash as the log tells it (models/oops.h), from records in a fake
 * dump's printk ring: an x86 BUG with its RIP and call trace, a ppc64 oops
 * (NIP/LR, "[sp] [ip] sym" trace lines), a page fault's address, a second
 * oops after the first (ignored), the panic line, the CPU/PID/Comm header
 * before and after 6.10's UID field, and a dump without a log.
 */
#include <string.h>

#include "fake_target.h"
#include "models/oops.h"
#include "unit.h"

static void read_oops(const char *const *lines, struct vt_oops *o)
{
	struct fake f;

	fake_init(&f, "6.1.0-test", 65536);
	fake_log_init(&f, 0x1000, 0x20000, 0x8000);
	for (; *lines; lines++)
		fake_log(&f, *lines);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_oops_from_log(f.t, f.s, o));
	fake_free(&f);
}

static void test_x86_bug(void)
{
	static const char *const log[] = {
		"Freeing unused kernel image memory: 2048K",
		"CPU: 9 PID: 1 Comm: early Not tainted",	/* before any oops: ignored */
		"------------[ cut here ]------------",
		"kernel BUG at arch/x86/mm/init_64.c:123!",
		"invalid opcode: 0000 [#1] PREEMPT SMP NOPTI",
		"CPU: 1 PID: 986 Comm: modprobe Not tainted 6.1.0-test #1",
		"Hardware name: QEMU Standard PC (i440FX + PIIX, 1996)",
		"RIP: 0010:sync_global_pgds_l4+0x1c4/0x1e0",
		"Code: 48 8b 45 00 <0f> 0b",
		"Call Trace:",
		" <TASK>",
		" ? __die_body+0x1a/0x60",
		" vmemmap_populate+0x2a/0x40",
		" __populate_section_memmap.cold+0x12/0x20",
		" </TASK>",
		"Modules linked in: dummy",
		"BUG: unable to handle page fault for address: ffffc90000001000",
		"RIP: 0010:other_function+0x1/0x2",
		"Call Trace:",
		" later_frame+0x1/0x2",
		"Kernel panic - not syncing: Fatal exception",
		"---[ end Kernel panic - not syncing: Fatal exception ]---",
		NULL,
	};
	struct vt_oops o;

	read_oops(log, &o);
	CHECK(o.have_log && o.present);
	CHECK(!strcmp(o.headline, "kernel BUG at arch/x86/mm/init_64.c:123!"));
	CHECK(!strcmp(o.bug_site, "arch/x86/mm/init_64.c:123"));
	CHECK(!*o.fault_address);		/* the second oops's address is not ours */
	CHECK(!strcmp(o.ip, "sync_global_pgds_l4+0x1c4/0x1e0"));
	CHECK(o.ntrace == 3);
	CHECK(!strcmp(o.trace[0], "__die_body+0x1a/0x60"));	/* "? " dropped */
	CHECK(!strcmp(o.trace[1], "vmemmap_populate+0x2a/0x40"));
	CHECK(!strcmp(o.trace[2], "__populate_section_memmap.cold+0x12/0x20"));
	CHECK(!strcmp(o.panic, "Fatal exception"));	/* the closing "]---" line agrees */
	CHECK(o.cpu == 1 && o.pid == 986 && !strcmp(o.comm, "modprobe"));

	CHECK(vt_oops_ip_is(&o, "sync_global_pgds_l4"));
	CHECK(!vt_oops_ip_is(&o, "sync_global_pgds"));		/* a prefix is not a name */
	CHECK(vt_oops_mentions(&o, "vmemmap_populate"));
	CHECK(vt_oops_mentions(&o, "__populate_section_memmap"));	/* .cold part */
	CHECK(!vt_oops_mentions(&o, "later_frame") && !vt_oops_mentions(&o, "other_function"));
	CHECK(!vt_oops_mentions(&o, "vmemmap"));
}

static void test_ppc64_fault(void)
{
	static const char *const log[] = {
		"sysrq: Trigger a crash",
		"CPU: 0 UID: 0 PID: 77 Comm: sh Not tainted 6.12.0 #1",	/* 6.10+ form */
		"BUG: Unable to handle kernel data access on write at 0xc00c000000200000",
		"Faulting instruction address: 0xc000000000123456",
		"Oops: Kernel access of bad area, sig: 11 [#1]",
		"NIP [c000000000123456] memset+0x68/0x104",
		"LR [c000000000654321] sparse_add_section+0x1f0/0x2a0",
		"Call Trace:",
		"[c0000000071e3a00] [c000000000654321] sparse_add_section+0x1f0/0x2a0 (unreliable)",
		"[c0000000071e3a80] [c000000000111111] __add_pages+0xa0/0x1b0",
		"Instruction dump:",
		NULL,
	};
	struct vt_oops o;

	read_oops(log, &o);
	CHECK(o.present && o.have_log);
	CHECK(!strncmp(o.headline, "BUG: Unable to handle kernel data access", 40));
	CHECK(!strcmp(o.fault_address, "c00c000000200000"));	/* " at 0x" */
	CHECK(!*o.bug_site);
	CHECK(!strcmp(o.ip, "memset+0x68/0x104"));
	CHECK(!strcmp(o.lr, "sparse_add_section+0x1f0/0x2a0"));
	CHECK(o.ntrace == 2 && !strcmp(o.trace[0], "sparse_add_section+0x1f0/0x2a0"));
	CHECK(o.ntrace == 2 && !strcmp(o.trace[1], "__add_pages+0xa0/0x1b0"));
	CHECK(o.cpu == 0 && o.pid == 77 && !strcmp(o.comm, "sh"));	/* after the sysrq */
	CHECK(!*o.panic);
	CHECK(vt_oops_mentions(&o, "sparse_add_section") && vt_oops_ip_is(&o, "memset"));
	CHECK(!vt_oops_ip_is(&o, "sparse_add_section"));
}

static void test_quiet_and_bounded(void)
{
	static const char *const quiet[] = {
		"Linux version 6.1.0-test",
		"CPU: 0 PID: 1 Comm: init",
		"Call Trace:",		/* a warning's trace, no oops: no verdict */
		NULL,
	};
	static const char *const address[] = {
		"BUG: unable to handle page fault for address: ffffea0000400000",
		NULL,
	};
	static const char *const old_x86[] = {	/* before v4.20's "address:" form */
		"BUG: unable to handle kernel paging request at ffffc90000001000",
		NULL,
	};
	const char *many[VT_OOPS_MAX_TRACE + 10];
	char frames[VT_OOPS_MAX_TRACE + 5][32];
	struct vt_oops o;
	int n = 0;

	read_oops(quiet, &o);
	CHECK(o.have_log && !o.present && !*o.headline && o.cpu == -1 && o.pid == -1);
	read_oops(address, &o);
	CHECK(o.present && !strcmp(o.fault_address, "ffffea0000400000"));
	read_oops(old_x86, &o);
	CHECK(o.present);
	CHECK(!strcmp(o.fault_address, "ffffc90000001000"));	/* "request at " */

	/* A trace longer than the array keeps the first VT_OOPS_MAX_TRACE. */
	many[n++] = "Oops: general protection fault";
	many[n++] = "Call Trace:";
	for (int i = 0; i < VT_OOPS_MAX_TRACE + 5; i++) {
		snprintf(frames[i], sizeof(frames[i]), " frame%d+0x1/0x2", i);
		many[n++] = frames[i];
	}
	many[n++] = "---[ end trace ]---";
	many[n] = NULL;
	read_oops(many, &o);
	CHECK(o.ntrace == VT_OOPS_MAX_TRACE);
	CHECK(!strcmp(o.trace[VT_OOPS_MAX_TRACE - 1], "frame47+0x1/0x2"));
}

static void test_no_log(void)
{
	struct fake f;
	struct vt_oops o;

	fake_init(&f, "6.1.0-test", 65536);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_oops_from_log(f.t, f.s, &o));	/* not an error of this call */
	CHECK(!o.have_log && !o.present && *o.log_error);
	fake_free(&f);

	/* The ring's memory filtered away: every record skipped. No log, said
	 * why, not an empty log read as "no oops" from memory not in the dump. */
	fake_init(&f, "6.1.0-test", 65536);
	fake_log_init(&f, 0x1000, 0x20000, 0x1000);
	fake_log(&f, "kernel BUG at mm/x.c:1!");
	fake_filter(&f, 0x20000, 0x1000);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_oops_from_log(f.t, f.s, &o));
	CHECK(!o.present);
	CHECK(!o.have_log && *o.log_error);
	fake_free(&f);
}

int main(void)
{
	test_x86_bug();
	test_ppc64_fault();
	test_quiet_and_bounded();
	test_no_log();
	return unit_done("test_oops");
}
