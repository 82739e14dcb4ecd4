/*
 * The x86_64 ORC unwinder on a fake dump: a stack in memory, a small
 * hand-built ORC table (v6.4 layout: sp_reg:4 bp_reg:4 type:3 signal:1),
 * CALL frames, a pt_regs (REGS) frame, an indirect sp (the IRQ stack's
 * saved pointer), end of stack; and garbage (a loop, sp going down, an
 * unreadable stack, a pc without ORC and no frame pointer) stopping with a
 * reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "models/stack.h"

static int failures;
#define CHECK(c) do { if (!(c)) { failures++; fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c); } } while (0)

#define TEXT 0xffffffff81000000ull
#define ORC_IP 0xffffffff82000000ull
#define ORC_TBL 0xffffffff82100000ull
#define STACK 0xffffc90000000000ull	/* task stack: 16K */
#define IRQSTK 0xffffc90000100000ull	/* IRQ stack: 16K */
#define PERCPU 0xffff888000000000ull
#define NUMBERING 0xffffffff82200000ull	/* null_orc_entry, orc_fp_entry */
#define NORC 8

static uint8_t mem_stack[16384], mem_irq[16384];
static uint8_t mem_ip[4 * NORC], mem_orc[6 * NORC];
static uint8_t mem_percpu[64];
/*
 * The kernel's two static ORC entries that tell the register numbering:
 * null_orc_entry {sp 8, SP, UNDEFINED, CALL} and orc_fp_entry {sp 16,
 * bp -16, BP, PREV_SP, CALL}, here in the v4.14 numbering (SP 5, BP 4,
 * PREV_SP 1) and the 6.4 field layout (type CALL = 2).
 */
static uint8_t mem_numbering[12] = {
	8, 0, 0, 0, 0x05, 0x02,
	16, 0, 0xf0, 0xff, 0x14, 0x02,
};

static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> 8 * i); }

static struct vt_error *rd(void *arg, uint64_t va, void *buf, size_t len)
{
	static const struct { uint64_t va; uint8_t *m; size_t n; } regions[] = {
		{ STACK, mem_stack, sizeof(mem_stack) }, { IRQSTK, mem_irq, sizeof(mem_irq) },
		{ ORC_IP, mem_ip, sizeof(mem_ip) }, { ORC_TBL, mem_orc, sizeof(mem_orc) },
		{ PERCPU, mem_percpu, sizeof(mem_percpu) },
		{ NUMBERING, mem_numbering, sizeof(mem_numbering) },
	};
	(void)arg;
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		if (va >= regions[i].va && va - regions[i].va + len <= regions[i].n) {
			memcpy(buf, regions[i].m + (va - regions[i].va), len);
			return NULL;
		}
	return vt_error_create(VT_ERR_FAULT, "0x%llx not in the fake dump", (unsigned long long)va);
}

static struct vt_error *sym(void *arg, const char *name, uint64_t *ret)
{
	(void)arg;
	if (!strcmp(name, "__start_orc_unwind_ip")) *ret = ORC_IP;
	else if (!strcmp(name, "__stop_orc_unwind_ip")) *ret = ORC_IP + 4 * NORC;
	else if (!strcmp(name, "__start_orc_unwind")) *ret = ORC_TBL;
	else if (!strcmp(name, "_stext")) *ret = TEXT;
	else if (!strcmp(name, "_etext")) *ret = TEXT + 0x10000;
	else if (!strcmp(name, "hardirq_stack_ptr")) *ret = 0;
	else if (!strcmp(name, "__per_cpu_offset")) *ret = PERCPU + 32;
	else if (!strcmp(name, "null_orc_entry")) *ret = NUMBERING;
	else if (!strcmp(name, "orc_fp_entry")) *ret = NUMBERING + 6;
	else return vt_error_create(VT_ERR_NOT_FOUND, "symbol %s not found", name);
	return NULL;
}

/* struct pt_regs: x86_64's 21 slots; task_struct.stack at 0x10. */
static const char *const pt[] = { "r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9",
	"r8", "ax", "cx", "dx", "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss" };

static struct vt_error *off(void *arg, const char *type, const char *m, uint64_t *ret)
{
	(void)arg;
	if (!strcmp(type, "struct pt_regs"))
		for (unsigned i = 0; i < sizeof(pt) / sizeof(pt[0]); i++)
			if (!strcmp(m, pt[i])) { *ret = 8 * i; return NULL; }
	if (!strcmp(type, "struct orc_entry") && !strcmp(m, "sp_offset")) { *ret = 0; return NULL; }
	if (!strcmp(type, "struct orc_entry") && !strcmp(m, "bp_offset")) { *ret = 2; return NULL; }
	if (!strcmp(type, "struct task_struct") && !strcmp(m, "stack")) { *ret = 0x10; return NULL; }
	return vt_error_create(VT_ERR_NOT_FOUND, "offset of %s.%s not known", type, m);
}

static struct vt_error *size(void *arg, const char *type, uint64_t *ret)
{
	(void)arg;
	if (!strcmp(type, "struct orc_entry")) *ret = 6;
	else if (!strcmp(type, "struct pt_regs")) *ret = 21 * 8;
	else if (!strcmp(type, "struct irq_stack")) *ret = 16384;
	else return vt_error_create(VT_ERR_NOT_FOUND, "size of %s not known", type);
	return NULL;
}

static struct vt_error *bits(void *arg, const char *type, const char *m, uint64_t *bo,
			     uint32_t *bs)
{
	(void)arg; (void)type;
	if (!strcmp(m, "sp_reg")) { *bo = 32; *bs = 4; }
	else if (!strcmp(m, "bp_reg")) { *bo = 36; *bs = 4; }
	else if (!strcmp(m, "type")) { *bo = 40; *bs = 3; }
	else if (!strcmp(m, "signal")) { *bo = 43; *bs = 1; }
	else return vt_error_create(VT_ERR_NOT_FOUND, "no member %s", m);
	return NULL;
}

static struct vt_error *constant(void *arg, const char *n, int64_t *r)
{
	(void)arg; (void)r;
	return vt_error_create(VT_ERR_NOT_FOUND, "%s", n);
}

/* ORC entries: ip (TEXT + off), sp_reg, sp_offset, bp_reg, bp_offset, type. */
enum { SP = 5, BP = 4, PREV_SP = 1, SP_IND = 9, UNDEF = 0 };
enum { T_UNDEF = 0, T_END = 1, T_CALL = 2, T_REGS = 3 };
static void orc(int i, uint64_t ip_off, unsigned spr, int spo, unsigned bpr, int bpo, unsigned type)
{
	int32_t rel = (int32_t)((TEXT + ip_off) - (ORC_IP + 4 * (uint64_t)i));
	unsigned b = spr | bpr << 4 | type << 8;

	memcpy(mem_ip + 4 * i, &rel, 4);
	mem_orc[6 * i] = (uint8_t)spo; mem_orc[6 * i + 1] = (uint8_t)(spo >> 8);
	mem_orc[6 * i + 2] = (uint8_t)bpo; mem_orc[6 * i + 3] = (uint8_t)(bpo >> 8);
	mem_orc[6 * i + 4] = (uint8_t)b; mem_orc[6 * i + 5] = (uint8_t)(b >> 8);
}

static void table(void)
{
	orc(0, 0x000, SP, 8, UNDEF, 0, T_CALL);		/* f0: leaf, no push */
	orc(1, 0x100, SP, 16, PREV_SP, -16, T_CALL);	/* f1: push rbp */
	orc(2, 0x200, SP_IND, 8, UNDEF, 0, T_CALL);	/* f2: on the IRQ stack, sp saved at (rsp) */
	orc(3, 0x300, SP, 0, UNDEF, 0, T_REGS);		/* f3: entry code, pt_regs at sp */
	orc(4, 0x400, SP, 8, UNDEF, 0, T_CALL);		/* f4: interrupted leaf */
	orc(5, 0x500, UNDEF, 0, UNDEF, 0, T_END);	/* f5: end of stack */
	orc(6, 0x600, UNDEF, 0, UNDEF, 0, T_UNDEF);	/* f6: no unwind info */
	orc(7, 0x700, SP, 8, UNDEF, 0, T_CALL);		/* f7: call frame whose return loops */
}

static struct vt_unwind_env env = {
	.read = rd, .symbol = sym, .offsetof = off, .size = size, .member_bits = bits,
	.constant = constant, .task = 0, .cpu = 0,
};

static void start(struct vt_regs *r, uint64_t pc, uint64_t sp, uint64_t bp)
{
	memset(r, 0, sizeof(*r));
	vt_regs_set(r, 16, pc);
	vt_regs_set(r, 7, sp);
	vt_regs_set(r, 6, bp);
}

int main(void)
{
	const struct vt_unwinder *u = &vt_unwinder_x86_64;
	static struct vt_stack st;
	struct vt_regs r;
	uint8_t *irq = mem_irq, *s = mem_stack;
	void *state = NULL;
	struct vt_error *err;
	uint64_t irq_top = IRQSTK + 16384 - 8;

	table();
	/* per-CPU: __per_cpu_offset[0] = PERCPU, hardirq_stack_ptr at +0. */
	put64(mem_percpu + 32, PERCPU);
	put64(mem_percpu, irq_top);
	err = u->create(&env, &state);
	CHECK(!err);
	if (err) { fprintf(stderr, "%s\n", err->message); vt_error_destroy(err); return 1; }
	env.state = state;

	/*
	 * IRQ stack: f0 at irq sp A (ret -> f1+5 at A), f1 pushes rbp:
	 * [A+8] = saved rbp, [A+16] = ret -> f2+5; f2's cfa = (A+24) -> the
	 * task stack's T, + 8 ... the entry frame f3 at T: pt_regs at T, its
	 * ip = f4+3 (interrupted), sp = T2; f4 returns (ret at T2) to f5 (end).
	 */
	uint64_t A = IRQSTK + 0x3f00, T = STACK + 0x3000, T2 = STACK + 0x3e00;
	put64(irq + (A - IRQSTK), TEXT + 0x105);
	put64(irq + (A + 8 - IRQSTK), 0x1111);		/* f1's saved rbp */
	put64(irq + (A + 16 - IRQSTK), TEXT + 0x205);
	put64(irq + (A + 24 - IRQSTK), T - 8);		/* the saved task sp (indirect) */
	put64(s + (T - 8 - STACK), TEXT + 0x305);	/* f2 returns into f3 */
	put64(s + (T - STACK) + 16 * 8, TEXT + 0x403);	/* pt_regs.ip */
	put64(s + (T - STACK) + 17 * 8, 0x10);		/* pt_regs.cs: kernel */
	put64(s + (T - STACK) + 19 * 8, T2);		/* pt_regs.sp */
	put64(s + (T - STACK) + 4 * 8, 0x2222);		/* pt_regs.bp */
	put64(s + (T2 - STACK), TEXT + 0x505);
	env.task = 0;
	start(&r, TEXT + 0x10, A, 0);
	vt_stack_unwind(u, &env, NULL, &r, &st);
	CHECK(st.stopped[0] == '\0');
	CHECK(st.n == 6);
	if (st.n == 6) {
		CHECK(st.frames[1].pc == TEXT + 0x105 && st.frames[1].sp == A + 8);
		CHECK(st.frames[2].pc == TEXT + 0x205 && st.frames[2].sp == A + 24);
		CHECK(st.frames[3].pc == TEXT + 0x305 && st.frames[3].sp == T);
		CHECK(st.frames[3].exception && st.frames[3].regs_addr == T);
		CHECK(st.frames[4].pc == TEXT + 0x403 && st.frames[4].sp == T2);
		CHECK(st.frames[5].pc == TEXT + 0x505);
	}
	if (st.stopped[0])
		fprintf(stderr, "stopped: %s\n", st.stopped);

	/* A pt_regs from user mode ends the trace at the entry frame. */
	put64(s + (T - STACK) + 17 * 8, 0x33);
	start(&r, TEXT + 0x300, T, 0);
	vt_stack_unwind(u, &env, NULL, &r, &st);
	CHECK(st.n == 1 && st.frames[0].exception && !st.stopped[0]);
	put64(s + (T - STACK) + 17 * 8, 0x10);

	/* Undefined ORC: a stop with a reason. */
	start(&r, TEXT + 0x610, STACK + 0x100, 0);
	vt_stack_unwind(u, &env, NULL, &r, &st);
	CHECK(st.n == 1 && strstr(st.stopped, "undefined"));

	/* A loop: a pt_regs that points back at its own entry frame. */
	put64(s + (T - STACK) + 16 * 8, TEXT + 0x300);
	put64(s + (T - STACK) + 19 * 8, T);
	start(&r, TEXT + 0x300, T, 0);
	vt_stack_unwind(u, &env, NULL, &r, &st);
	CHECK(st.n == 1 && strstr(st.stopped, "same frame twice"));

	/* sp going down on the same stack (an indirect sp pointing below). */
	env.task = 0x1000;	/* no task_struct readable there: no task stack known */
	put64(s + 0x300, STACK + 0x1f8);
	put64(s + 0x1f8, TEXT + 0x20);
	start(&r, TEXT + 0x210, STACK + 0x300, 0);
	vt_stack_unwind(u, &env, NULL, &r, &st);
	CHECK(st.n == 1 && strstr(st.stopped, "did not move up"));
	env.task = 0;

	/* An unreadable stack. */
	start(&r, TEXT + 0x10, 0xffffc90000800000ull, 0);
	vt_stack_unwind(u, &env, NULL, &r, &st);
	CHECK(st.n == 1 && strstr(st.stopped, "not in the fake dump"));

	/* A pc without ORC and no usable frame pointer. */
	start(&r, 0xffffffffa0000000ull, STACK + 0x100, 0);
	vt_stack_unwind(u, &env, NULL, &r, &st);
	CHECK(st.n == 1 && strstr(st.stopped, "no ORC entry"));

	/* ... and with one: the frame-pointer fallback, marked. */
	put64(s + 0x180, STACK + 0x1c0);
	put64(s + 0x188, TEXT + 0x505);
	start(&r, 0xffffffffa0000000ull, STACK + 0x100, STACK + 0x180);
	vt_stack_unwind(u, &env, NULL, &r, &st);
	CHECK(st.n == 2 && st.frames[0].method && !strcmp(st.frames[0].method, "frame pointer"));
	CHECK(st.n == 2 && st.frames[1].sp == STACK + 0x190 && !st.stopped[0]);

	u->destroy(state);

	/* The 7.x numbering (SP 3, BP 4, PREV_SP 8) is recognised ... */
	mem_numbering[4] = 0x03;
	mem_numbering[10] = 0x84;
	state = NULL;
	err = u->create(&env, &state);
	CHECK(!err);
	vt_error_destroy(err);
	u->destroy(state);
	/* ... and one that fits no known numbering stops create(), naming it. */
	mem_numbering[10] = 0x24;
	state = NULL;
	err = u->create(&env, &state);
	CHECK(err && strstr(err->message, "numbering") && strstr(err->message, "PREV_SP=2"));
	vt_error_destroy(err);
	u->destroy(state);

	/* A format with neither end nor signal: a clear error from create(). */
	env.member_bits = NULL;
	state = NULL;
	err = u->create(&env, &state);
	CHECK(err && strstr(err->message, "format"));
	vt_error_destroy(err);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("test_unwind_x86_64: ok\n");
	return failures != 0;
}
