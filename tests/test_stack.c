/*
 * The unwind loop (models/stack.c) with a toy unwinder whose step reads the
 * caller's (pc, sp) from a table: a normal chain ends where the unwinder
 * says; the loop stops, with a reason, on the same frame twice, a stack
 * pointer not moving up, a step error, the frame cap, too many stack switches
 * and a missing pc; return addresses are named from pc - 1; NT_PRSTATUS
 * parsing takes pr_reg at 112 in either byte order.
 */
#include <string.h>

#include "models/stack.h"
#include "unit.h"

enum { R_PC, R_SP, NREGS };
static const char *const names[NREGS] = { "pc", "sp" };

/* The toy stack: frame i has (pc[i], sp[i]); flags per step. */
struct toy {
	uint64_t pc[200], sp[200];
	bool exception[200], fail[200], end[200];
	size_t n;
};

static struct toy toy;

static size_t find(uint64_t pc, uint64_t sp)
{
	for (size_t i = 0; i < toy.n; i++)
		if (toy.pc[i] == pc && toy.sp[i] == sp)
			return i;
	return toy.n;
}

static struct vt_error *toy_step(const struct vt_unwind_env *env, struct vt_regs *regs,
				 struct vt_step_info *info)
{
	size_t i = find(regs->r[R_PC], regs->r[R_SP]);

	(void)env;
	if (i >= toy.n || toy.fail[i])
		return vt_error_create(VT_ERR_FAULT, "toy: cannot read frame %zu", i);
	if (toy.end[i]) {
		info->end = true;
		return NULL;
	}
	info->exception = toy.exception[i];
	if (i + 1 >= toy.n) {
		regs->valid = 1u << R_SP;	/* no pc */
		return NULL;
	}
	vt_regs_set(regs, R_PC, toy.pc[i + 1]);
	vt_regs_set(regs, R_SP, toy.sp[i + 1]);
	return NULL;
}

static const char *const prs[] = { "sp", NULL, "pc" };
static const struct vt_unwinder toy_unwinder = {
	.nregs = NREGS, .reg_names = names, .pc = R_PC, .sp = R_SP,
	.prstatus_regs = prs, .prstatus_nregs = 3, .step = toy_step,
};

/* Names: function "f<pc/0x100>" starting at each 0x100. */
static char namebuf[64][24];
static void toy_name(void *arg, uint64_t pc, const char **name, uint64_t *offset,
		     uint64_t *size, const char **module)
{
	size_t k = (pc / 0x100) % 64;

	(void)arg;
	snprintf(namebuf[k], sizeof(namebuf[k]), "f%zu", (size_t)(pc / 0x100));
	*name = namebuf[k];
	*offset = pc % 0x100;
	*size = 0x100;
	*module = NULL;
}

static const struct vt_symbolizer sym = { .name = toy_name };
static const struct vt_unwind_env env = { 0 };

static void chain(size_t n)
{
	memset(&toy, 0, sizeof(toy));
	toy.n = n;
	for (size_t i = 0; i < n; i++) {
		toy.pc[i] = 0x1000 + 0x100 * i + 0x10;
		toy.sp[i] = 0x8000 + 0x20 * i;
	}
	toy.end[n - 1] = true;
}

static void unwind(struct vt_stack *st)
{
	struct vt_regs r = { 0 };

	vt_regs_set(&r, R_PC, toy.pc[0]);
	vt_regs_set(&r, R_SP, toy.sp[0]);
	vt_stack_unwind(&toy_unwinder, &env, &sym, &r, st);
}

static struct vt_stack st;

int main(void)
{
	chain(6);
	unwind(&st);
	CHECK(st.n == 6 && st.stopped[0] == '\0');
	CHECK(strcmp(st.frames[0].symbol, "f16") == 0 && st.frames[0].offset == 0x10);
	/* A return address at a function's start names the caller (pc - 1). */
	toy.pc[3] = 0x1400;
	unwind(&st);
	CHECK(st.n == 6 && strcmp(st.frames[3].symbol, "f19") == 0 &&
	      st.frames[3].offset == 0x100);

	chain(6);			/* the same frame again: the sp did not move */
	toy.pc[3] = toy.pc[2];
	toy.sp[3] = toy.sp[2];
	unwind(&st);
	CHECK(st.n == 3 && strstr(st.stopped, "did not move up"));
	toy.exception[2] = true;	/* even across an exception frame */
	unwind(&st);
	CHECK(st.n == 3 && strstr(st.stopped, "same frame twice"));

	chain(6);			/* the stack pointer goes down */
	toy.sp[4] = toy.sp[3] - 8;
	unwind(&st);
	CHECK(st.n == 4 && strstr(st.stopped, "did not move up"));
	toy.exception[3] = true;	/* ... unless an exception frame was crossed */
	unwind(&st);
	CHECK(st.n == 6 && !*st.stopped && st.frames[3].exception);

	chain(6);			/* a step that fails */
	toy.fail[2] = true;
	unwind(&st);
	CHECK(st.n == 3 && strstr(st.stopped, "cannot read frame 2"));

	chain(150);			/* the frame cap */
	unwind(&st);
	CHECK(st.n == VT_STACK_MAX_FRAMES && strstr(st.stopped, "more than"));

	chain(20);			/* too many stack switches */
	for (size_t i = 0; i < 20; i++)
		toy.exception[i] = true;
	unwind(&st);
	CHECK(st.n == VT_STACK_MAX_SWITCHES + 1 && strstr(st.stopped, "stack switches"));

	chain(4);			/* the caller's pc is not known */
	toy.end[3] = false;
	unwind(&st);
	CHECK(st.n == 4 && strstr(st.stopped, "not known"));

	{				/* no starting registers */
		struct vt_regs r = { 0 };

		vt_stack_unwind(&toy_unwinder, &env, &sym, &r, &st);
		CHECK(st.n == 0 && *st.stopped);
	}
	{				/* NT_PRSTATUS: pr_pid at 32, pr_reg at 112 */
		uint8_t note[112 + 24] = { 0 };
		struct vt_regs r;
		int32_t pid;

		note[32] = 7;
		note[112] = 0x40;	/* sp, little-endian */
		note[112 + 16 + 7] = 0x12;	/* pc, big-endian reading: 0x12 low byte */
		CHECK_OK(vt_stack_regs_from_prstatus(&toy_unwinder, note, sizeof(note), false,
						     &r, &pid));
		CHECK(pid == 7 && r.r[R_SP] == 0x40 && r.r[R_PC] == 0x12ull << 56);
		CHECK(vt_regs_has(&r, R_SP) && vt_regs_has(&r, R_PC));
		CHECK_OK(vt_stack_regs_from_prstatus(&toy_unwinder, note, sizeof(note), true,
						     &r, NULL));
		CHECK(r.r[R_PC] == 0x12 && r.r[R_SP] == 0x40ull << 56);
		CHECK_ERR(vt_stack_regs_from_prstatus(&toy_unwinder, note, 120, false, &r, NULL),
			  VT_ERR_FORMAT);
	}
	return unit_done("test_stack");
}
