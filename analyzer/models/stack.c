#include "models/stack.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/byteorder.h"

#define PRSTATUS_PID 32
#define PRSTATUS_REGS 112

static int reg_index(const struct vt_unwinder *u, const char *name)
{
	for (unsigned i = 0; i < u->nregs; i++)
		if (strcmp(u->reg_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* The first nwords of pr_reg (or of a pt_regs: the same order) into regs. */
static void decode_pr_reg(const struct vt_unwinder *u, const uint8_t *p, size_t nwords,
			  bool big_endian, struct vt_regs *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < nwords && i < u->prstatus_nregs; i++) {
		int r;

		if (!u->prstatus_regs[i] || (r = reg_index(u, u->prstatus_regs[i])) < 0)
			continue;
		vt_regs_set(ret, (unsigned)r, vt_load64(p + 8 * i, big_endian));
	}
}

struct vt_error *vt_stack_regs_from_prstatus(const struct vt_unwinder *u,
					     const void *note, size_t len, bool big_endian,
					     struct vt_regs *ret, int32_t *pid_ret)
{
	const uint8_t *p = note;

	memset(ret, 0, sizeof(*ret));
	if (len < PRSTATUS_REGS + 8 * u->prstatus_nregs)
		return vt_error_create(VT_ERR_FORMAT, "NT_PRSTATUS of %zu bytes: want %zu "
				       "for this arch's registers", len,
				       PRSTATUS_REGS + 8 * u->prstatus_nregs);
	if (pid_ret)
		*pid_ret = (int32_t)vt_load32(p + PRSTATUS_PID, big_endian);
	decode_pr_reg(u, p + PRSTATUS_REGS, u->prstatus_nregs, big_endian, ret);
	return NULL;
}

void vt_stack_regs_from_pt_regs(const struct vt_unwinder *u, const void *raw, size_t len,
				bool big_endian, struct vt_regs *ret)
{
	decode_pr_reg(u, raw, len / 8, big_endian, ret);
}

static void name_frame(const struct vt_symbolizer *sym, struct vt_frame *f, bool call)
{
	uint64_t off = 0, size = 0;

	f->symbol = NULL;
	f->module = NULL;
	if (!sym || !sym->name)
		return;
	/*
	 * A return address may be the first byte after a call to a function
	 * that does not return: name the call's own function (pc - 1).
	 */
	sym->name(sym->arg, call ? f->pc - 1 : f->pc, &f->symbol, &off, &size, &f->module);
	if (f->symbol) {
		f->offset = call ? off + 1 : off;
		f->size = size;
	}
	if (sym->lines) {
		size_t n = 0;

		sym->lines(sym->arg, call ? f->pc - 1 : f->pc, f->src, VT_FRAME_SRC, &n);
		f->nsrc = (unsigned)n;
	}
}

void vt_stack_unwind(const struct vt_unwinder *u, const struct vt_unwind_env *env,
		     const struct vt_symbolizer *sym, const struct vt_regs *start,
		     struct vt_stack *ret)
{
	struct vt_regs regs = *start;
	unsigned switches = 0;
	bool call = start->pc_is_return;	/* the current pc is a return address */

	ret->n = 0;
	ret->stopped[0] = '\0';
	if (!vt_regs_has(&regs, u->pc) || !vt_regs_has(&regs, u->sp)) {
		snprintf(ret->stopped, sizeof(ret->stopped),
			 "no program counter or stack pointer to start from");
		return;
	}
	for (;;) {
		struct vt_frame *f = &ret->frames[ret->n];
		struct vt_step_info info = { 0 };
		struct vt_error *err;
		uint64_t pc = regs.r[u->pc];

		if (u->clean_pc)
			pc = u->clean_pc(env, pc);
		memset(f, 0, sizeof(*f));
		f->pc = pc;
		f->sp = regs.r[u->sp];
		name_frame(sym, f, call);
		ret->n++;
		if (ret->n >= 2 && f->pc == f[-1].pc && f->sp == f[-1].sp) {
			snprintf(ret->stopped, sizeof(ret->stopped),
				 "the same frame twice (pc 0x%" PRIx64 ", sp 0x%" PRIx64 ")",
				 f->pc, f->sp);
			ret->n--;
			return;
		}
		if (ret->n == VT_STACK_MAX_FRAMES) {
			snprintf(ret->stopped, sizeof(ret->stopped),
				 "more than %d frames", VT_STACK_MAX_FRAMES);
			return;
		}
		err = u->step(env, &regs, &info);
		if (err) {
			snprintf(ret->stopped, sizeof(ret->stopped), "%s", err->message);
			vt_error_destroy(err);
			return;
		}
		f->exception = info.exception;
		f->regs_addr = info.regs_addr;
		f->next_stack = info.new_stack;
		f->method = info.method;
		if (info.end)
			return;
		if (!vt_regs_has(&regs, u->pc) || !vt_regs_has(&regs, u->sp)) {
			snprintf(ret->stopped, sizeof(ret->stopped),
				 "the caller's program counter or stack pointer is not known");
			return;
		}
		if (info.new_stack || info.exception) {
			if (++switches > VT_STACK_MAX_SWITCHES) {
				snprintf(ret->stopped, sizeof(ret->stopped),
					 "more than %d stack switches", VT_STACK_MAX_SWITCHES);
				return;
			}
		} else if (regs.r[u->sp] < f->sp || (regs.r[u->sp] == f->sp && !info.leaf)) {
			snprintf(ret->stopped, sizeof(ret->stopped),
				 "the stack pointer did not move up (0x%" PRIx64 " to 0x%" PRIx64 ")",
				 f->sp, regs.r[u->sp]);
			return;
		}
		if (regs.r[u->pc] == 0) {
			/* A zero return address ends some stacks (kernel threads). */
			return;
		}
		call = !info.exception;
	}
}
