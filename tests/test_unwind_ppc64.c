/*
 * The ppc64 unwinder on a fake stack: a fake env over an in-memory image of
 * two THREAD_SIZE stacks (a task's and an IRQ stack), a task_struct and a
 * per-CPU pointer, with the generic loop of models/stack.c around it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/unwind.h"
#include "core/byteorder.h"
#include "models/stack.h"
#include "unit.h"

#define TS 16384ull			/* THREAD_SIZE */
#define BASE 0xc000000001000000ull	/* the task's stack */
#define IRQ (BASE + TS)			/* the hardirq stack */
#define DATA (BASE + 2 * TS)		/* task_struct, hardirq_ctx[] */
#define MEMSZ (3 * TS)
#define TASK DATA
#define HARDIRQ_CTX (DATA + 0x800)
#define TEXT 0xc000000000010000ull	/* fake functions, 0x100 bytes each */
#define FN(i) (TEXT + 0x100ull * (i))
#define PT_REGS_SIZE 384
#define MSR_PR (1ull << 14)

static uint8_t mem[MEMSZ];
static bool big;
static const char *release = "6.12.0";

static void store64(uint8_t *p, uint64_t v, bool be)
{
	for (int i = 0; i < 8; i++)
		p[be ? 7 - i : i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint64_t va, uint64_t v)
{
	store64(mem + (va - BASE), v, big);
}

static struct vt_error *f_read(void *arg, uint64_t va, void *buf, size_t len)
{
	(void)arg;
	if (va < BASE || va - BASE > MEMSZ || len > MEMSZ - (va - BASE))
		return vt_error_create(VT_ERR_FAULT, "fake: 0x%" PRIx64 " unmapped", va);
	memcpy(buf, mem + (va - BASE), len);
	return NULL;
}

static struct vt_error *f_symbol(void *arg, const char *name, uint64_t *ret)
{
	(void)arg;
	if (strcmp(name, "hardirq_ctx") == 0) {
		*ret = HARDIRQ_CTX;
		return NULL;
	}
	return vt_error_create(VT_ERR_NOT_FOUND, "fake: no symbol %s", name);
}

static struct vt_error *f_offsetof(void *arg, const char *type, const char *member,
				   uint64_t *ret)
{
	(void)arg;
	if (strcmp(type, "struct task_struct") == 0 && strcmp(member, "stack") == 0)
		*ret = 8;
	else if (strcmp(type, "struct task_struct") == 0 && strcmp(member, "thread.ksp") == 0)
		*ret = 16;
	else
		return vt_error_create(VT_ERR_NOT_FOUND, "fake: no %s.%s", type, member);
	return NULL;
}

static struct vt_error *f_size(void *arg, const char *type, uint64_t *ret)
{
	(void)arg;
	if (strcmp(type, "union thread_union") == 0)
		*ret = TS;
	else if (strcmp(type, "struct pt_regs") == 0)
		*ret = PT_REGS_SIZE;
	else
		return vt_error_create(VT_ERR_NOT_FOUND, "fake: no type %s", type);
	return NULL;
}

static struct vt_error *f_constant(void *arg, const char *name, int64_t *ret)
{
	(void)arg;
	(void)ret;
	return vt_error_create(VT_ERR_NOT_FOUND, "fake: no constant %s", name);
}

static bool f_function(void *arg, uint64_t pc, uint64_t *start, uint64_t *size)
{
	(void)arg;
	if (pc < TEXT || pc >= FN(32))
		return false;
	*start = pc & ~0xffull;
	*size = 0x100;
	return true;
}

static bool f_module_of(void *arg, uint64_t pc, uint64_t *module)
{
	(void)arg;
	(void)pc;
	(void)module;
	return false;
}

static struct vt_unwind_env env_new(void)
{
	struct vt_unwind_env env = {
		.big_endian = big, .page_size = 65536, .read = f_read, .symbol = f_symbol,
		.offsetof = f_offsetof, .size = f_size, .constant = f_constant,
		.function = f_function, .module_of = f_module_of, .task = TASK, .cpu = 0,
		.release = release,
	};

	CHECK_OK(vt_unwinder_ppc64.create(&env, &env.state));
	return env;
}

static void reset(void)
{
	memset(mem, 0, sizeof(mem));
	put64(TASK + 8, BASE);			/* task->stack */
	put64(HARDIRQ_CTX, IRQ);		/* hardirq_ctx[0] */
}

/* A frame at sp whose caller's frame is at chain; its callee returns to ret. */
static void frame(uint64_t sp, uint64_t chain, uint64_t callee_ret)
{
	put64(sp, chain);
	put64(sp + 16, callee_ret);
}

static struct vt_regs start(uint64_t pc, uint64_t sp)
{
	struct vt_regs r = { 0 };

	vt_regs_set(&r, 32, pc);
	vt_regs_set(&r, 1, sp);
	return r;
}

static void unwind(struct vt_unwind_env *env, const struct vt_regs *r, struct vt_stack *s)
{
	vt_stack_unwind(&vt_unwinder_ppc64, env, NULL, r, s);
}

/* An interrupt frame at sp (the release's layout): marker, pt_regs. */
static void int_frame(uint64_t sp, uint64_t chain, bool old_layout, uint64_t nip,
		      uint64_t r1, uint64_t lr, uint64_t msr)
{
	uint64_t regs = sp + (old_layout ? 112 : 48);

	put64(sp, chain);
	put64(sp + (old_layout ? 96 : 32), old_layout ? 0x7265677368657265ull
			: big ? 0x52454753ull : 0x53474552ull);
	put64(regs + 8 * 1, r1);
	put64(regs + 8 * 32, nip);
	put64(regs + 8 * 33, msr);
	put64(regs + 8 * 36, lr);
}

static void test_chain(void)
{
	struct vt_unwind_env env;
	struct vt_stack s;
	struct vt_regs r;
	uint64_t s0 = BASE + 0x3000, s1 = s0 + 0x80, s2 = s1 + 0x100, s3 = s2 + 0x40;

	reset();
	frame(s0, s1, 0);
	frame(s1, s2, FN(1) + 0x20);	/* fn0 returns into fn1 */
	frame(s2, s3, FN(2) + 0x30);
	frame(s3, 0, FN(3) + 0x40);	/* the last: back chain 0 */
	env = env_new();
	r = start(FN(0) + 0x10, s0);
	unwind(&env, &r, &s);
	CHECK(s.n == 4);
	CHECK(s.stopped[0] == '\0');
	CHECK(s.frames[0].pc == FN(0) + 0x10 && s.frames[0].sp == s0);
	CHECK(s.frames[1].pc == FN(1) + 0x20 && s.frames[1].sp == s1);
	CHECK(s.frames[2].pc == FN(2) + 0x30 && s.frames[2].sp == s2);
	CHECK(s.frames[3].pc == FN(3) + 0x40 && s.frames[3].sp == s3);
	CHECK(!s.frames[1].exception && !s.frames[1].next_stack && !s.frames[1].method);
	vt_unwinder_ppc64.destroy(env.state);
}

static void test_exception(bool old_layout)
{
	struct vt_unwind_env env;
	struct vt_stack s;
	struct vt_regs r;
	uint64_t s0 = BASE + 0x2000, x = s0 + 0x100, s1 = x + 0x300, top = BASE + TS - 0x200;

	release = old_layout ? "6.1.0-50-powerpc64le" : "6.12.107+deb13-powerpc64le";
	reset();
	frame(s0, x, 0);
	frame(x, s1, FN(5) + 0x8);		/* fn4 (the handler) returns into entry code */
	/* The interrupt at x stopped fn6 at nip, with r1 s1 and LR in fn7. */
	int_frame(x, s1, old_layout, FN(6) + 0x44, s1, FN(7) + 0x18, 0x8000000000001033ull);
	frame(s1, top, 0);
	/* The task's top: a syscall's frame from user mode. */
	int_frame(top, 0x7fffff000000ull, old_layout, 0x10001000, 0x7fffff000000ull, 0x10002000,
		  0x800000000000f033ull | MSR_PR);
	put64(top + 16, FN(8) + 0x20);		/* fn7 returns into fn8 (entry code) */
	env = env_new();
	r = start(FN(4) + 0x10, s0);
	unwind(&env, &r, &s);
	CHECK(s.stopped[0] == '\0');
	CHECK(s.n == 5);
	CHECK(s.frames[1].pc == FN(5) + 0x8 && s.frames[1].sp == x);
	CHECK(s.frames[1].exception);
	CHECK(s.frames[1].regs_addr == x + (old_layout ? 112 : 48));
	/* nip is exact; fn6 had no frame (s1 is fn7's): its caller is pt_regs' LR. */
	CHECK(s.frames[2].pc == FN(6) + 0x44 && s.frames[2].sp == s1);
	CHECK(s.frames[2].method && strcmp(s.frames[2].method, "link register") == 0);
	CHECK(s.frames[3].pc == FN(7) + 0x18 && s.frames[3].sp == s1);
	CHECK(s.frames[4].pc == FN(8) + 0x20 && s.frames[4].sp == top);
	CHECK(s.frames[4].exception && s.frames[4].regs_addr == top + (old_layout ? 112 : 48));
	vt_unwinder_ppc64.destroy(env.state);

	/* The other layout's marker offset is not an interrupt frame. */
	release = old_layout ? "6.12.0" : "6.1.0";
	env = env_new();
	unwind(&env, &r, &s);
	CHECK(!s.frames[1].exception);
	vt_unwinder_ppc64.destroy(env.state);
	release = "6.12.0";
}

static void test_leaf(void)
{
	struct vt_unwind_env env;
	struct vt_stack s;
	struct vt_regs r;
	uint64_t g = BASE + 0x3000, h = g + 0x90;

	reset();
	frame(g, h, FN(9) + 0x4);	/* stale: an earlier callee of fn1's */
	frame(h, 0, FN(2) + 0x30);	/* fn1 (frame g) returns into fn2 */
	env = env_new();
	/* fn0 is a leaf with no frame: r1 is fn1's frame, LR returns into fn1. */
	r = start(FN(0) + 0x8, g);
	vt_regs_set(&r, 36, FN(1) + 0x24);
	vt_regs_set(&r, 33, 0x8000000000001033ull);
	unwind(&env, &r, &s);
	CHECK(s.stopped[0] == '\0');
	CHECK(s.n == 3);
	CHECK(s.frames[1].pc == FN(1) + 0x24 && s.frames[1].sp == g);
	CHECK(s.frames[0].method && strcmp(s.frames[0].method, "link register") == 0);
	CHECK(s.frames[2].pc == FN(2) + 0x30 && s.frames[2].sp == h);

	/* LR inside pc's own function (a call made earlier): the back chain. */
	frame(g, h, FN(9) + 0x4);
	r = start(FN(0) + 0x8, BASE + 0x2f00);
	frame(BASE + 0x2f00, g, 0);
	put64(g + 16, FN(1) + 0x24);
	vt_regs_set(&r, 36, FN(0) + 0x40);
	unwind(&env, &r, &s);
	CHECK(s.n == 3 && s.frames[1].pc == FN(1) + 0x24 && s.frames[1].sp == g);
	CHECK(!s.frames[0].method);
	/* LR equal to the back chain's return: the function has its frame. */
	vt_regs_set(&r, 36, FN(1) + 0x24);
	unwind(&env, &r, &s);
	CHECK(s.n == 3 && !s.frames[0].method);
	/* A user-mode register set: nothing to unwind, a normal end. */
	vt_regs_set(&r, 33, MSR_PR);
	unwind(&env, &r, &s);
	CHECK(s.n == 1 && s.stopped[0] == '\0');
	vt_unwinder_ppc64.destroy(env.state);
}

static void test_irq_stack(void)
{
	struct vt_unwind_env env;
	struct vt_stack s;
	struct vt_regs r;
	uint64_t i0 = IRQ + 0x3e00, t0 = BASE + 0x1000;	/* the task stack is below */

	reset();
	frame(i0, t0, 0);
	frame(t0, 0, FN(3) + 0x10);
	env = env_new();
	r = start(FN(2), i0);
	unwind(&env, &r, &s);
	CHECK(s.stopped[0] == '\0' && s.n == 2);
	CHECK(s.frames[0].next_stack && strcmp(s.frames[0].next_stack, "task") == 0);
	/* and back up: the task stack calls onto the hardirq stack */
	reset();
	frame(t0, i0, 0);
	frame(i0, 0, FN(3) + 0x10);
	unwind(&env, &(struct vt_regs){ 0 }, &s);
	CHECK(s.n == 0 && s.stopped[0]);		/* no registers */
	r = start(FN(2), t0);
	unwind(&env, &r, &s);
	CHECK(s.n == 2 && s.frames[0].next_stack &&
	      strcmp(s.frames[0].next_stack, "hardirq") == 0);
	vt_unwinder_ppc64.destroy(env.state);
}

static void test_garbage(void)
{
	struct vt_unwind_env env;
	struct vt_stack s;
	struct vt_regs r;
	uint64_t s0 = BASE + 0x2000, s1 = s0 + 0x100;

	reset();
	env = env_new();
	/* a frame that is its own caller */
	frame(s0, s0, FN(1));
	r = start(FN(0), s0);
	unwind(&env, &r, &s);
	CHECK(s.stopped[0] && s.n <= 2);
	/* a chain going down */
	frame(s0, s1, 0);
	frame(s1, s0 + 0x40, FN(1));
	frame(s0 + 0x40, 0, FN(2));
	unwind(&env, &r, &s);
	CHECK(strstr(s.stopped, "did not move up") != NULL);
	CHECK(s.n == 2);	/* the frame below is not listed */
	/* unreadable: the chain leaves the mapped memory */
	frame(s1, 0xc000000fff000000ull, FN(1));
	unwind(&env, &r, &s);
	CHECK(strstr(s.stopped, "0xc000000fff000000") != NULL);
	/* misaligned */
	frame(s1, s1 + 0x38, FN(1));
	unwind(&env, &r, &s);
	CHECK(strstr(s.stopped, "aligned") != NULL);
	/* a user address as the back chain of a plain frame */
	frame(s1, 0x7fff0000, FN(1));
	unwind(&env, &r, &s);
	CHECK(strstr(s.stopped, "aligned kernel") != NULL);
	/* a return address that is not a kernel address */
	frame(s1, s1 + 0x40, FN(1));
	frame(s1 + 0x40, 0, 0x1234);
	unwind(&env, &r, &s);
	CHECK(strstr(s.stopped, "0x1234") != NULL);
	/* absurd depth: 200 frames of 32 bytes */
	reset();
	for (unsigned i = 0; i < 200; i++)
		frame(BASE + 0x100 + 32 * i, BASE + 0x100 + 32 * (i + 1), FN(i % 8));
	r = start(FN(0), BASE + 0x100);
	unwind(&env, &r, &s);
	CHECK(s.n == VT_STACK_MAX_FRAMES && strstr(s.stopped, "frames") != NULL);
	/* ping-pong between the two stacks */
	reset();
	frame(BASE + 0x1000, IRQ + 0x1000, FN(1));
	frame(IRQ + 0x1000, BASE + 0x1000, FN(2));
	r = start(FN(0), BASE + 0x1000);
	unwind(&env, &r, &s);
	CHECK(s.stopped[0] && s.n <= VT_STACK_MAX_SWITCHES + 2);
	/* an interrupt frame whose pt_regs r1 is garbage */
	reset();
	int_frame(s0, s1, false, FN(3), 0xdead, FN(4), 0);
	r = start(FN(0), s0);
	unwind(&env, &r, &s);
	CHECK(strstr(s.stopped, "0xdead") != NULL);
	/* a stack pointer outside the kernel */
	r = start(FN(0), 0x1000);
	unwind(&env, &r, &s);
	CHECK(s.n == 1 && s.stopped[0]);
	vt_unwinder_ppc64.destroy(env.state);
}

static void test_task_regs(void)
{
	struct vt_unwind_env env;
	struct vt_regs r;
	uint64_t ksp = BASE + 0x3a00, chain = ksp + 48 + PT_REGS_SIZE;

	reset();
	env = env_new();
	put64(TASK + 16, ksp);
	put64(ksp, chain);
	put64(ksp + 48 + 8 * 32, FN(3) + 0x1d8);	/* _switch's NIP */
	CHECK_OK(vt_unwinder_ppc64.task_regs(&env, TASK, &r));
	CHECK(vt_regs_has(&r, 32) && r.r[32] == FN(3) + 0x1d8);
	CHECK(vt_regs_has(&r, 1) && r.r[1] == chain);
	CHECK(!vt_regs_has(&r, 36));
	/* a switch frame of the other layout's size */
	put64(ksp, ksp + 112 + PT_REGS_SIZE);
	CHECK_ERR(vt_unwinder_ppc64.task_regs(&env, TASK, &r), VT_ERR_FORMAT);
	/* a back chain below ksp, and a ksp that is not an address */
	put64(ksp, ksp - 0x100);
	CHECK_ERR(vt_unwinder_ppc64.task_regs(&env, TASK, &r), VT_ERR_FORMAT);
	put64(TASK + 16, 0x1234);
	CHECK_ERR(vt_unwinder_ppc64.task_regs(&env, TASK, &r), VT_ERR_FORMAT);
	put64(TASK + 16, 0xc000000fff000000ull);
	CHECK_ERR(vt_unwinder_ppc64.task_regs(&env, TASK, &r), VT_ERR_FAULT);
	vt_unwinder_ppc64.destroy(env.state);
	/* the 6.1 layout: pt_regs at 112 */
	release = "6.1.0";
	env = env_new();
	put64(TASK + 16, ksp);
	put64(ksp, ksp + 112 + PT_REGS_SIZE);
	put64(ksp + 112 + 8 * 32, FN(3) + 0x1c0);
	CHECK_OK(vt_unwinder_ppc64.task_regs(&env, TASK, &r));
	CHECK(r.r[32] == FN(3) + 0x1c0 && r.r[1] == ksp + 112 + PT_REGS_SIZE);
	vt_unwinder_ppc64.destroy(env.state);
	release = "6.12.0";
}

static void test_no_release(void)
{
	struct vt_unwind_env env = {
		.big_endian = false, .read = f_read, .symbol = f_symbol,
		.offsetof = f_offsetof, .size = f_size, .constant = f_constant,
		.function = f_function, .module_of = f_module_of, .release = "",
	};
	void *state = NULL;

	CHECK_ERR(vt_unwinder_ppc64.create(&env, &state), VT_ERR_NOT_FOUND);
	CHECK(state == NULL);
}

static void test_prstatus(void)
{
	uint8_t note[112 + 8 * 48] = { 0 };
	struct vt_regs r;

	/* pr_reg: gpr[32], nip, msr, orig_gpr3, ctr, link ... */
	store64(note + 112 + 8 * 1, 0xc000000001234560ull, false);
	store64(note + 112 + 8 * 32, 0xc000000000050060ull, false);
	store64(note + 112 + 8 * 36, 0xc000000000050058ull, false);
	CHECK_OK(vt_stack_regs_from_prstatus(&vt_unwinder_ppc64, note, sizeof(note), false,
					     &r, NULL));
	CHECK(r.r[vt_unwinder_ppc64.sp] == 0xc000000001234560ull);
	CHECK(r.r[vt_unwinder_ppc64.pc] == 0xc000000000050060ull);
	CHECK(strcmp(vt_unwinder_ppc64.reg_names[36], "lr") == 0 &&
	      r.r[36] == 0xc000000000050058ull);
	CHECK(strcmp(vt_unwinder_ppc64.reg_names[vt_unwinder_ppc64.pc], "pc") == 0);
}

int main(void)
{
	test_chain();
	test_exception(false);
	test_exception(true);
	test_leaf();
	test_irq_stack();
	test_garbage();
	test_task_regs();
	test_no_release();
	test_prstatus();
	/* big-endian memory, an ELFv2 kernel (no dot symbols) */
	big = true;
	test_chain();
	test_exception(false);
	test_task_regs();
	big = false;
	printf("test_unwind_ppc64: %d checks, %d failed\n", unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}
