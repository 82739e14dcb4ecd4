/*
 * The registers a trace starts from (models/traces.c) on the fake ppc64
 * dump, which has no NT_PRSTATUS notes: a CPU's registers come from the
 * kernel's crash_notes (the per-CPU ELF note crash_save_cpu() fills before
 * a kdump kernel runs), read at crash_notes + __per_cpu_offset[cpu]; an
 * empty buffer (no crash kernel ran) or a missing symbol is an error that
 * says so; panic_cpu says which CPU panicked, -1 that none did.
 */
#include <string.h>

#include "fake_target.h"
#include "models/traces.h"
#include "unit.h"

#define NOTES_PTR 0x2000u	/* crash_notes: a per-CPU pointer */
#define PCPU 0x2100u		/* __per_cpu_offset[] */
#define PANIC_CPU 0x2200u
#define BUF0 0x3000u		/* CPU 0's note buffer (offset 0) */
#define CPU1_OFF 0x1000u	/* CPU 1's per-CPU offset */

/* An ELF note "CORE" NT_PRSTATUS with ppc64's pr_reg: gpr[32], nip, msr, ... */
static void put_prstatus(struct fake *f, uint64_t pa, uint64_t r1, uint64_t nip)
{
	fake_put32(f, pa, 5);		/* namesz: "CORE\0" */
	fake_put32(f, pa + 4, 112 + 8 * 45);
	fake_put32(f, pa + 8, 1);	/* NT_PRSTATUS */
	fake_puts(f, pa + 12, "CORE");
	fake_put32(f, pa + 20 + 32, 77);		/* pr_pid */
	fake_put64(f, pa + 20 + 112 + 8 * 1, r1);	/* gpr[1] */
	fake_put64(f, pa + 20 + 112 + 8 * 32, nip);	/* nip */
}

int main(void)
{
	struct fake f;
	struct vt_traces *tr;
	struct vt_regs regs;
	char from[80];
	int cpu = -1;
	struct vt_error *err;

	fake_init(&f, "6.1.0-test", 65536);
	fake_vi(&f, "SYMBOL(crash_notes)=%llx", (unsigned long long)KV(NOTES_PTR));
	fake_vi(&f, "SYMBOL(__per_cpu_offset)=%llx", (unsigned long long)KV(PCPU));
	fake_vi(&f, "SYMBOL(panic_cpu)=%llx", (unsigned long long)KV(PANIC_CPU));
	fake_put64(&f, NOTES_PTR, KV(BUF0));
	fake_put64(&f, PCPU, 0);
	fake_put64(&f, PCPU + 8, CPU1_OFF);
	fake_put32(&f, PANIC_CPU, 1);
	put_prstatus(&f, BUF0, 0xc000000000001230ull, 0xc000000000005670ull);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_traces_create(f.t, f.s, &tr));

	CHECK_OK(vt_traces_panic_cpu(tr, &cpu));
	CHECK(cpu == 1);

	CHECK_OK(vt_traces_cpu_regs(tr, 0, &regs, from, sizeof(from)));
	CHECK(strstr(from, "crash_notes of CPU 0") != NULL);
	/* ppc64's numbering: r1 is register 1, the pc (nip) after the 32 GPRs */
	CHECK(regs.r[1] == 0xc000000000001230ull && vt_regs_has(&regs, 1));
	CHECK(regs.r[32] == 0xc000000000005670ull && vt_regs_has(&regs, 32));

	/* CPU 1's buffer is empty: no crash kernel saved it. */
	err = vt_traces_cpu_regs(tr, 1, &regs, from, sizeof(from));
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "no crash kernel"));
	vt_error_destroy(err);
	vt_traces_destroy(tr);

	/* No panic; no crash_notes symbol: both said. */
	fake_put32(&f, PANIC_CPU, 0xffffffffu);
	fake_vi_drop(&f, "SYMBOL(crash_notes)");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_traces_create(f.t, f.s, &tr));
	err = vt_traces_panic_cpu(tr, &cpu);
	CHECK(err && strstr(err->message, "no CPU was in panic()"));
	vt_error_destroy(err);
	err = vt_traces_cpu_regs(tr, 0, &regs, from, sizeof(from));
	CHECK(err && strstr(err->message, "crash_notes"));
	vt_error_destroy(err);
	vt_traces_destroy(tr);
	fake_free(&f);
	return unit_done("test_traces");
}
