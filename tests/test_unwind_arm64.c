/*
 * The arm64 unwinder on a fake dump: an in-memory stack (and a few other
 * regions), symbols, member offsets and constants, run through the models'
 * loop (vt_stack_unwind). Frame-record chains, PAC-signed return
 * addresses, exception boundaries (pt_regs.stackframe, frame_record_meta),
 * an IRQ stack below the task's, a leaf's caller in x30, sleeping tasks'
 * cpu_context, and garbage that must stop with a reason.
 */
#include <string.h>

#include "arch/arch.h"
#include "arch/unwind.h"
#include "models/stack.h"
#include "unit.h"

#define FP 29
#define LR 30
#define SP 31
#define PC 32
#define PSTATE 33

#define MAXMEM 4
struct region {
	uint64_t va;
	uint8_t buf[0x8000];
};

struct fake {
	struct region mem[MAXMEM];
	unsigned nmem;
	bool pac, meta, stacks;
	/* A function [fn_start, fn_start + fn_size) whose code is in memory. */
	uint64_t fn_start, fn_size;
};

static struct fake F;

static struct region *region(uint64_t va)
{
	for (unsigned i = 0; i < F.nmem; i++)
		if (va >= F.mem[i].va && va - F.mem[i].va < sizeof(F.mem[i].buf))
			return &F.mem[i];
	return NULL;
}

static struct vt_error *f_read(void *arg, uint64_t va, void *buf, size_t len)
{
	struct region *r = region(va);

	(void)arg;
	if (!r || va - r->va + len > sizeof(r->buf))
		return vt_error_create(VT_ERR_FAULT, "0x%llx not mapped", (unsigned long long)va);
	memcpy(buf, r->buf + (va - r->va), len);
	return NULL;
}

static void put64(uint64_t va, uint64_t v)
{
	struct region *r = region(va);

	if (!r) {
		fprintf(stderr, "test bug: 0x%llx\n", (unsigned long long)va);
		abort();
	}
	memcpy(r->buf + (va - r->va), &v, 8);
}

static void put32(uint64_t va, uint32_t v)
{
	memcpy(region(va)->buf + (va - region(va)->va), &v, 4);
}

#define TASK 0xffff000001000000ull
#define TSTACK 0xffff800008010000ull	/* task stack, 0x4000 */
#define ISTACK 0xffff800008020000ull	/* IRQ stack, 0x4000 */
#define PERCPU 0xffff000002000000ull	/* per-CPU area of CPU 0 and data */
#define TEXT 0xffff800010000000ull

static struct vt_error *f_symbol(void *arg, const char *name, uint64_t *ret)
{
	static const struct { const char *n; uint64_t v; } syms[] = {
		{ "__start_init_task", TEXT + 0x100000 }, { "__end_init_task", TEXT + 0x104000 },
		{ "__per_cpu_offset", PERCPU + 0x100 }, { "irq_stack_ptr", 0x200 },
	};

	(void)arg;
	for (unsigned i = 0; F.stacks && i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!strcmp(syms[i].n, name)) {
			*ret = syms[i].v;
			return NULL;
		}
	return vt_error_create(VT_ERR_NOT_FOUND, "symbol %s not found", name);
}

static struct vt_error *f_offsetof(void *arg, const char *type, const char *member,
				   uint64_t *ret)
{
	static const struct { const char *t, *m; uint64_t v; } offs[] = {
		{ "struct pt_regs", "regs", 0 }, { "struct pt_regs", "sp", 248 },
		{ "struct pt_regs", "pc", 256 }, { "struct pt_regs", "pstate", 264 },
		{ "struct pt_regs", "stackframe", 304 },
		{ "struct task_struct", "stack", 32 },
		{ "struct task_struct", "thread.cpu_context.x19", 0x100 },
		{ "struct task_struct", "thread.cpu_context.fp", 0x100 + 80 },
		{ "struct task_struct", "thread.cpu_context.sp", 0x100 + 88 },
		{ "struct task_struct", "thread.cpu_context.pc", 0x100 + 96 },
	};

	(void)arg;
	if (F.meta && !strcmp(type, "struct frame_record_meta") && !strcmp(member, "type")) {
		*ret = 16;
		return NULL;
	}
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (!strcmp(offs[i].t, type) && !strcmp(offs[i].m, member)) {
			*ret = offs[i].v;
			return NULL;
		}
	/* x20..x28 follow x19 */
	if (!strcmp(type, "struct task_struct") && !strncmp(member, "thread.cpu_context.x", 20)) {
		*ret = 0x100 + 8 * (uint64_t)(atoi(member + 20) - 19);
		return NULL;
	}
	return vt_error_create(VT_ERR_NOT_FOUND, "no member %s.%s", type, member);
}

static struct vt_error *f_constant(void *arg, const char *name, int64_t *ret)
{
	(void)arg;
	if (F.pac && !strcmp(name, "KERNELPACMASK")) {
		*ret = (int64_t)0xffff000000000000ull;
		return NULL;
	}
	return vt_error_create(VT_ERR_NOT_FOUND, "no %s", name);
}

static bool f_function(void *arg, uint64_t pc, uint64_t *start, uint64_t *size)
{
	(void)arg;
	if (F.fn_size && pc >= F.fn_start && pc - F.fn_start < F.fn_size) {
		*start = F.fn_start;
		*size = F.fn_size;
		return true;
	}
	return false;
}

static const struct vt_unwinder *U;
static struct vt_unwind_env env;

static void reset(void)
{
	memset(&F, 0, sizeof(F));
	F.mem[0].va = TSTACK;
	F.mem[1].va = ISTACK;
	F.mem[2].va = PERCPU;
	F.mem[3].va = TEXT;
	F.nmem = 4;
}

static void unwind(const struct vt_regs *regs, struct vt_stack *st, int cpu)
{
	if (env.state)
		U->destroy(env.state);
	env = (struct vt_unwind_env){ .read = f_read, .symbol = f_symbol,
				      .offsetof = f_offsetof, .constant = f_constant,
				      .function = f_function, .page_size = 4096,
				      .task = TASK, .cpu = cpu };
	/* the task struct lives in the per-CPU region for the test */
	env.task = PERCPU + 0x1000;
	CHECK_OK(U->create(&env, &env.state));
	vt_stack_unwind(U, &env, NULL, regs, st);
}

static struct vt_regs start(uint64_t pc, uint64_t sp, uint64_t fp)
{
	struct vt_regs r = { 0 };

	vt_regs_set(&r, PC, pc);
	vt_regs_set(&r, SP, sp);
	vt_regs_set(&r, FP, fp);
	return r;
}

/* A frame record at fp: {next, lr}. */
static void rec(uint64_t fp, uint64_t next, uint64_t lr)
{
	put64(fp, next);
	put64(fp + 8, lr);
}

static struct vt_stack st;

static void test_chain(void)
{
	struct vt_regs r;

	reset();
	rec(TSTACK + 0x100, TSTACK + 0x200, TEXT + 0x14);
	rec(TSTACK + 0x200, TSTACK + 0x300, TEXT + 0x28);
	rec(TSTACK + 0x300, 0, 0);
	r = start(TEXT + 0x4, TSTACK + 0xf0, TSTACK + 0x100);
	unwind(&r, &st, -1);
	CHECK(st.n == 3);
	CHECK(st.stopped[0] == '\0');
	CHECK(st.frames[0].pc == TEXT + 0x4 && st.frames[0].sp == TSTACK + 0xf0);
	CHECK(st.frames[1].pc == TEXT + 0x14 && st.frames[1].sp == TSTACK + 0x110);
	CHECK(st.frames[2].pc == TEXT + 0x28 && st.frames[2].sp == TSTACK + 0x210);
}

static void test_pac(void)
{
	uint64_t signed_lr = (TEXT + 0x14) & ~0xffff000000000000ull;
	struct vt_regs r;

	signed_lr |= 0x3a00000000000000ull | 0x0080000000000000ull;	/* bit 55 kept */
	reset();
	rec(TSTACK + 0x100, 0, signed_lr);
	r = start(TEXT + 0x4, TSTACK + 0xf0, TSTACK + 0x100);
	F.pac = true;
	unwind(&r, &st, -1);
	CHECK(st.n == 2 && st.frames[1].pc == TEXT + 0x14);
	CHECK(U->clean_pc(&env, 0x3a00000000401234ull) == 0x0000000000401234ull);	/* user */
	/* Without KERNELPACMASK (a kernel that does not sign): kept as is. */
	F.pac = false;
	unwind(&r, &st, -1);
	CHECK(st.n == 2 && st.frames[1].pc == signed_lr);
}

/* pt_regs at P (its stackframe at P + 304) for an exception from EL1. */
static void ptregs(uint64_t p, uint64_t pc, uint64_t sp, uint64_t x29, uint64_t x30)
{
	put64(p + 256, pc);
	put64(p + 248, sp);
	put64(p + 8 * 29, x29);
	put64(p + 8 * 30, x30);
	put64(p + 264, 0x3c5);	/* EL1h, DAIF masked */
}

static void test_ptregs(void)
{
	uint64_t p = TSTACK + 0x400;
	struct vt_regs r;

	reset();
	/* handler's record -> the entry code's record in pt_regs -> interrupted */
	rec(TSTACK + 0x100, p + 304, TEXT + 0x800);	/* lr in el1h_64_irq */
	rec(p + 304, TSTACK + 0x700, TEXT + 0x40);	/* {x29, ELR} */
	ptregs(p, TEXT + 0x40, TSTACK + 0x600, TSTACK + 0x700, TEXT + 0x60);
	rec(TSTACK + 0x700, 0, 0);
	r = start(TEXT + 0x4, TSTACK + 0xf0, TSTACK + 0x100);
	unwind(&r, &st, -1);
	CHECK(st.n == 3);
	CHECK(st.stopped[0] == '\0');
	CHECK(st.frames[1].pc == TEXT + 0x800 && st.frames[1].exception);
	CHECK(st.frames[1].regs_addr == p);
	CHECK(st.frames[2].pc == TEXT + 0x40 && st.frames[2].sp == TSTACK + 0x600);
	CHECK(!st.frames[2].exception);

	/* The interrupted function is a leaf with no frame: its caller is x30. */
	F.fn_start = TEXT + 0x30;
	F.fn_size = 0x20;
	for (uint64_t a = F.fn_start; a < F.fn_start + F.fn_size; a += 4)
		put32(a, 0xd503201f);	/* nop */
	unwind(&r, &st, -1);
	CHECK(st.n == 4 && st.stopped[0] == '\0');
	CHECK(st.frames[3].pc == TEXT + 0x60 && st.frames[3].sp == TSTACK + 0x600);
	CHECK(st.frames[2].method && !strcmp(st.frames[2].method, "link register"));
	/* ... and once "mov x29, sp" ran, the record at x29 is its own. */
	put32(F.fn_start + 4, 0x910003fd);
	unwind(&r, &st, -1);
	CHECK(st.n == 3 && st.stopped[0] == '\0');
	CHECK(st.frames[2].method == NULL);

	/* A record that only looks like pt_regs (pc differs): a plain frame. */
	ptregs(p, TEXT + 0x44, TSTACK + 0x600, TSTACK + 0x700, TEXT + 0x60);
	F.fn_size = 0;
	unwind(&r, &st, -1);
	CHECK(!st.frames[1].exception);
	CHECK(st.n == 3 && st.frames[2].pc == TEXT + 0x40);
}

static void test_meta(void)
{
	uint64_t p = TSTACK + 0x400;
	struct vt_regs r;

	reset();
	F.meta = true;
	rec(TSTACK + 0x100, p + 304, TEXT + 0x800);
	rec(p + 304, 0, 0);
	put64(p + 304 + 16, 2);	/* FRAME_META_TYPE_PT_REGS */
	ptregs(p, TEXT + 0x40, TSTACK + 0x600, TSTACK + 0x700, TEXT + 0x60);
	rec(TSTACK + 0x700, 0, 0);
	put64(TSTACK + 0x700 + 16, 1);	/* FRAME_META_TYPE_FINAL */
	r = start(TEXT + 0x4, TSTACK + 0xf0, TSTACK + 0x100);
	unwind(&r, &st, -1);
	CHECK(st.n == 3 && st.stopped[0] == '\0');
	CHECK(st.frames[1].exception && st.frames[1].regs_addr == p);
	CHECK(st.frames[2].pc == TEXT + 0x40);
	/* A reserved type stops with a reason. */
	put64(TSTACK + 0x700 + 16, 7);
	unwind(&r, &st, -1);
	CHECK(st.n == 3 && strstr(st.stopped, "of type 7"));
}

static void test_irq_stack(void)
{
	struct vt_regs r;

	reset();
	F.stacks = true;
	put64(PERCPU + 0x100, PERCPU);			/* __per_cpu_offset[0] */
	put64(PERCPU + 0x1000 + 32, TSTACK);		/* task->stack */
	put64(0x200 + PERCPU, ISTACK);			/* irq_stack_ptr of CPU 0 */
	rec(ISTACK + 0x3f00, ISTACK + 0x3fe0, TEXT + 0x14);
	rec(ISTACK + 0x3fe0, TSTACK + 0x3e00, TEXT + 0x28);	/* to the task stack, below */
	rec(TSTACK + 0x3e00, TSTACK + 0x3f00, TEXT + 0x3c);
	rec(TSTACK + 0x3f00, 0, 0);
	r = start(TEXT + 0x4, ISTACK + 0x3ef0, ISTACK + 0x3f00);
	unwind(&r, &st, 0);
	CHECK(st.n == 4);
	CHECK(st.stopped[0] == '\0');
	CHECK(st.frames[3].pc == TEXT + 0x3c && st.frames[3].sp == TSTACK + 0x3e10);
	CHECK(st.frames[2].next_stack && !strcmp(st.frames[2].next_stack, "task"));
	CHECK(st.frames[0].next_stack == NULL && st.frames[1].next_stack == NULL);
	/* Without the stacks known, going down is garbage. */
	F.stacks = false;
	unwind(&r, &st, 0);
	CHECK(st.n == 2 && strstr(st.stopped, "went down"));
}

static void test_garbage(void)
{
	struct vt_regs r = start(TEXT + 0x4, TSTACK + 0xf0, TSTACK + 0x100);

	reset();
	rec(TSTACK + 0x100, TSTACK + 0x100, TEXT + 0x14);	/* itself */
	unwind(&r, &st, -1);
	CHECK(st.n == 1 && strstr(st.stopped, "went down"));

	rec(TSTACK + 0x100, TSTACK + 0x200, TEXT + 0x14);	/* a cycle of two */
	rec(TSTACK + 0x200, TSTACK + 0x100, TEXT + 0x28);
	unwind(&r, &st, -1);
	CHECK(st.n == 2 && strstr(st.stopped, "went down"));

	rec(TSTACK + 0x100, 0xffff900000000000ull, TEXT + 0x14);	/* unreadable */
	unwind(&r, &st, -1);
	CHECK(st.n == 2 && strstr(st.stopped, "frame record at 0xffff900000000000"));

	rec(TSTACK + 0x100, TSTACK + 0x203, TEXT + 0x14);	/* unaligned */
	unwind(&r, &st, -1);
	CHECK(st.n == 2 && strstr(st.stopped, "not aligned"));

	for (uint64_t a = TSTACK + 0x100; a < TSTACK + 0x100 + 200 * 0x20; a += 0x20)
		rec(a, a + 0x20, TEXT + 0x100 + (a & 0xfff));	/* absurd depth */
	unwind(&r, &st, -1);
	CHECK(st.n == VT_STACK_MAX_FRAMES && strstr(st.stopped, "more than"));

	r = start(TEXT + 0x4, TSTACK + 0xf0, 0);		/* no frame at all */
	vt_regs_set(&r, LR, 0);
	unwind(&r, &st, -1);
	CHECK(st.n == 1 && st.stopped[0] == '\0');
}

static void test_task_regs(void)
{
	struct vt_regs r;

	reset();
	put64(PERCPU + 0x1000 + 0x100 + 80, TSTACK + 0x100);	/* fp */
	put64(PERCPU + 0x1000 + 0x100 + 88, TSTACK + 0xe0);	/* sp */
	put64(PERCPU + 0x1000 + 0x100 + 96, TEXT + 0x8);	/* pc */
	put64(PERCPU + 0x1000 + 0x100 + 8, 0x20);		/* x20 */
	unwind(&(struct vt_regs){ 0 }, &st, -1);	/* sets env */
	CHECK(strstr(st.stopped, "no program counter"));
	CHECK_OK(U->task_regs(&env, PERCPU + 0x1000, &r));
	CHECK(r.r[PC] == TEXT + 0x8 && r.r[SP] == TSTACK + 0xe0 && r.r[FP] == TSTACK + 0x100);
	CHECK(r.r[20] == 0x20 && !vt_regs_has(&r, LR));
	CHECK_ERR(U->task_regs(&env, 0xffff900000000000ull, &r), VT_ERR_FAULT);
}

static void test_prstatus(void)
{
	uint8_t note[112 + 34 * 8] = { 0 };
	struct vt_regs r;
	int32_t pid;

	for (unsigned i = 0; i < 34; i++)
		note[112 + 8 * i] = (uint8_t)i;
	note[32] = 7;
	CHECK_OK(vt_stack_regs_from_prstatus(U, note, sizeof(note), false, &r, &pid));
	CHECK(pid == 7 && r.r[FP] == 29 && r.r[LR] == 30 && r.r[SP] == 31 && r.r[PC] == 32 &&
	      r.r[PSTATE] == 33);
	CHECK(!strcmp(U->reg_names[LR], "lr") && !strcmp(U->reg_names[FP], "x29"));
}

int main(void)
{
	U = vt_arch_ops(VT_ARCH_ARM64)->unwinder;
	CHECK(U != NULL);
	if (!U)
		return unit_done("test_unwind_arm64");
	test_chain();
	test_pac();
	test_ptregs();
	test_meta();
	test_irq_stack();
	test_garbage();
	test_task_regs();
	test_prstatus();
	if (env.state)
		U->destroy(env.state);
	return unit_done("test_unwind_arm64");
}
