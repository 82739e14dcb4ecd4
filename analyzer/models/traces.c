#include "models/traces.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"
#include "models/modules.h"

struct vt_traces {
	struct vt_target *t;
	struct vt_symbols *s;
	const struct vt_unwinder *u;
	struct vt_unwind_env env;
	bool state_tried;
	struct vt_error *state_err;	/* the unwinder's tables could not be read */
	struct vt_modules *mods;	/* loaded modules, read on first need */
	bool mods_tried;
};

/* ---- the env: the dump as the unwinder sees it */

static struct vt_error *env_read(void *arg, uint64_t va, void *buf, size_t len)
{
	struct vt_traces *tr = arg;

	return vt_target_read_kv(tr->t, va, buf, len);
}

static struct vt_error *env_symbol(void *arg, const char *name, uint64_t *ret)
{
	struct vt_traces *tr = arg;

	return vt_symbols_lookup(tr->s, name, ret);
}

static struct vt_error *env_offsetof(void *arg, const char *type, const char *member,
				     uint64_t *ret)
{
	struct vt_traces *tr = arg;

	return vt_symbols_offsetof(tr->s, type, member, ret);
}

static struct vt_error *env_size(void *arg, const char *type, uint64_t *ret)
{
	struct vt_traces *tr = arg;

	return vt_symbols_sizeof(tr->s, type, ret);
}

static struct vt_error *env_member_bits(void *arg, const char *type, const char *member,
					uint64_t *bit_offset, uint32_t *bit_size)
{
	struct vt_traces *tr = arg;
	struct vt_type *t;
	struct vt_member *m;
	struct vt_error *err = vt_symbols_type(tr->s, type, &t);

	if (!err)
		err = vt_type_member(t, member, bit_offset, &m);
	if (!err)
		*bit_size = m->bit_size;
	if (!err && !*bit_size) {
		/* Not a bit field: the member's whole width. */
		struct vt_member_info mi;

		if (!(err = vt_symbols_member(tr->s, type, member, &mi)))
			*bit_size = (uint32_t)(mi.size * 8);
	}
	return err;
}

static struct vt_error *env_constant(void *arg, const char *name, int64_t *ret)
{
	struct vt_traces *tr = arg;
	struct vt_error *err;

	/* VMCOREINFO's NUMBER() first: the kernel's own export, and a name no
	 * enumerator has (KERNELPACMASK) is not searched through all of DWARF. */
	err = vt_vmcoreinfo_number(vt_target_vmcoreinfo(tr->t), "NUMBER", name, ret);
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return err;
	return vt_symbols_constant(tr->s, name, ret);
}

static bool env_function(void *arg, uint64_t pc, uint64_t *start, uint64_t *size)
{
	const char *name, *module;
	uint64_t off;

	vt_traces_symbolize(arg, pc, &name, &off, size, &module);
	if (!name)
		return false;
	*start = pc - off;
	return true;
}

static struct vt_modules *modules(struct vt_traces *tr);

static bool env_module_of(void *arg, uint64_t pc, uint64_t *module)
{
	struct vt_modules *ms = modules(arg);
	struct vt_module *m = ms ? vt_modules_find(ms, pc) : NULL;

	if (m)
		*module = m->addr;
	return m != NULL;
}

static struct vt_modules *modules(struct vt_traces *tr)
{
	if (!tr->mods_tried) {
		struct vt_error *err;

		tr->mods_tried = true;
		err = vt_modules_read(tr->t, tr->s, &tr->mods);
		vt_error_destroy(err);	/* no module names, not a failure */
	}
	return tr->mods;
}

void vt_traces_symbolize(struct vt_traces *tr, uint64_t pc, const char **name,
			 uint64_t *offset, uint64_t *size, const char **module)
{
	struct vt_error *err;

	*name = NULL;
	*module = NULL;
	*size = 0;
	err = vt_symbols_addr_size(tr->s, pc, name, offset, size);
	if (!err)
		return;
	vt_error_destroy(err);
	*name = NULL;
	if (modules(tr))
		vt_modules_symbolize(tr->mods, pc, name, offset, size, module);
}

static void sym_name(void *arg, uint64_t pc, const char **name, uint64_t *offset,
		     uint64_t *size, const char **module)
{
	vt_traces_symbolize(arg, pc, name, offset, size, module);
}

static void sym_lines(void *arg, uint64_t pc, struct vt_srcloc *out, size_t max, size_t *n)
{
	struct vt_traces *tr = arg;

	vt_error_destroy(vt_symbols_lines(tr->s, pc, out, max, n));
}

struct vt_error *vt_traces_create(struct vt_target *t, struct vt_symbols *s,
				  struct vt_traces **ret)
{
	const struct vt_target_info *info = vt_target_info(t);
	struct vt_traces *tr = calloc(1, sizeof(*tr));

	if (!tr)
		return &vt_enomem;
	tr->t = t;
	tr->s = s;
	tr->u = info->arch_ops->unwinder;
	tr->env = (struct vt_unwind_env){
		.arg = tr, .big_endian = info->big_endian, .page_size = info->page_size,
		.read = env_read, .symbol = env_symbol, .offsetof = env_offsetof,
		.size = env_size, .member_bits = env_member_bits, .constant = env_constant,
		.function = env_function, .module_of = env_module_of,
		.release = info->release ? info->release : "",
	};
	*ret = tr;
	return NULL;
}

void vt_traces_destroy(struct vt_traces *tr)
{
	if (!tr)
		return;
	if (tr->u && tr->u->destroy && tr->env.state)
		tr->u->destroy(tr->env.state);
	vt_error_destroy(tr->state_err);
	vt_modules_destroy(tr->mods);
	free(tr);
}

/* The unwinder and its per-dump state, or why there is none. */
static struct vt_error *ready(struct vt_traces *tr)
{
	if (!tr->u)
		return vt_error_create(VT_ERR_UNSUPPORTED, "no unwinder for %s",
				       vt_target_info(tr->t)->arch_ops->name);
	if (!tr->state_tried) {
		tr->state_tried = true;
		if (tr->u->create)
			tr->state_err = tr->u->create(&tr->env, &tr->env.state);
	}
	if (tr->state_err)
		return vt_error_create(tr->state_err->code, "%s", tr->state_err->message);
	return NULL;
}

struct vt_error *vt_traces_panic_cpu(struct vt_traces *tr, int *cpu_ret)
{
	uint64_t addr;
	uint32_t v;
	struct vt_error *err;

	if ((err = vt_symbols_lookup(tr->s, "panic_cpu", &addr)) ||
	    (err = vt_target_read_u32(tr->t, addr, &v)))
		return vt_error_prefix(err, "panic_cpu");
	if ((int32_t)v < 0)
		return vt_error_create(VT_ERR_NOT_FOUND, "no CPU was in panic() (panic_cpu "
				       "is %d)", (int32_t)v);
	*cpu_ret = (int)v;
	return NULL;
}

#define NT_PRSTATUS_ 1

/*
 * The kernel's own copy: crash_notes, a per-CPU ELF note buffer that
 * crash_save_cpu() fills on the way into a kdump kernel ("CORE",
 * NT_PRSTATUS). Empty (all zero) when no crash kernel ran.
 */
static struct vt_error *crash_notes_prstatus(struct vt_traces *tr, unsigned cpu,
					     uint8_t *buf, size_t cap, size_t *len)
{
	uint64_t notes, pcpu, off;
	uint8_t hdr[12];
	uint32_t namesz, descsz, type;
	struct vt_error *err;

	if ((err = vt_symbols_lookup(tr->s, "crash_notes", &notes)) ||
	    (err = vt_target_read_u64(tr->t, notes, &notes)) ||
	    (err = vt_symbols_lookup(tr->s, "__per_cpu_offset", &pcpu)) ||
	    (err = vt_target_read_u64(tr->t, pcpu + 8 * (uint64_t)cpu, &off)) ||
	    (err = vt_target_read_kv(tr->t, notes + off, hdr, sizeof(hdr))))
		return vt_error_prefix(err, "crash_notes");
	namesz = vt_load32(hdr, tr->env.big_endian);
	descsz = vt_load32(hdr + 4, tr->env.big_endian);
	type = vt_load32(hdr + 8, tr->env.big_endian);
	if (type != NT_PRSTATUS_ || namesz != 5 || descsz == 0 || descsz > cap)
		return vt_error_create(VT_ERR_NOT_FOUND, "crash_notes of CPU %u hold no "
				       "NT_PRSTATUS (no crash kernel saved them)", cpu);
	if ((err = vt_target_read_kv(tr->t, notes + off + sizeof(hdr) + 8, buf, descsz)))
		return vt_error_prefix(err, "crash_notes of CPU %u", cpu);
	*len = descsz;
	return NULL;
}

struct vt_error *vt_traces_cpu_regs(struct vt_traces *tr, unsigned cpu,
				    struct vt_regs *ret, char *from, size_t from_len)
{
	uint8_t note[1024];
	size_t len;
	struct vt_error *err, *err2;

	if (!tr->u)
		return ready(tr);
	err = vt_target_prstatus(tr->t, cpu, note, sizeof(note), &len);
	snprintf(from, from_len, "NT_PRSTATUS note of CPU %u", cpu);
	if (err && err->code == VT_ERR_NOT_FOUND) {
		if ((err2 = crash_notes_prstatus(tr, cpu, note, sizeof(note), &len))) {
			struct vt_error *both = vt_error_create(VT_ERR_NOT_FOUND, "%s; %s",
								err->message, err2->message);

			vt_error_destroy(err);
			vt_error_destroy(err2);
			return both;
		}
		vt_error_destroy(err);
		err = NULL;
		snprintf(from, from_len, "crash_notes of CPU %u", cpu);
	}
	if (err)
		return err;
	if ((err = vt_stack_regs_from_prstatus(tr->u, note, len, tr->env.big_endian, ret,
					       NULL)))
		return vt_error_prefix(err, "CPU %u", cpu);
	return NULL;
}

struct vt_error *vt_traces_task_stack(struct vt_traces *tr, const struct vt_task *task,
				      struct vt_stack *ret)
{
	struct vt_regs regs;
	struct vt_error *err;
	char from[80];

	ret->n = 0;
	ret->stopped[0] = '\0';
	if ((err = ready(tr)))
		return err;
	if (task->active && task->cpu >= 0) {
		err = vt_traces_cpu_regs(tr, (unsigned)task->cpu, &regs, from, sizeof(from));
	} else {
		memset(&regs, 0, sizeof(regs));
		err = tr->u->task_regs(&tr->env, task->addr, &regs);
		regs.pc_is_return = true;	/* saved at the call into the switch */
		snprintf(from, sizeof(from), "the state saved at its last switch");
	}
	if (err)
		return err;
	tr->env.task = task->addr;
	tr->env.cpu = task->active ? task->cpu : -1;
	vt_stack_unwind(tr->u, &tr->env, &(const struct vt_symbolizer){ tr, sym_name, sym_lines },
			&regs, ret);
	snprintf(ret->regs_from, sizeof(ret->regs_from), "%s", from);
	return NULL;
}

struct vt_error *vt_traces_pt_regs(struct vt_traces *tr, uint64_t addr, struct vt_regs *ret)
{
	uint8_t raw[8 * VT_REGS_MAX];
	uint64_t size;
	struct vt_error *err;

	if ((err = ready(tr)))
		return err;
	if ((err = vt_symbols_sizeof(tr->s, "struct pt_regs", &size)))
		return vt_error_prefix(err, "pt_regs");
	if (size > 8 * tr->u->prstatus_nregs)
		size = 8 * tr->u->prstatus_nregs;
	if (size > sizeof(raw))
		size = sizeof(raw);
	if ((err = vt_target_read_kv(tr->t, addr, raw, size)))
		return vt_error_prefix(err, "pt_regs at 0x%" PRIx64, addr);
	vt_stack_regs_from_pt_regs(tr->u, raw, size, tr->env.big_endian, ret);
	return NULL;
}

const char *vt_traces_reg_name(struct vt_traces *tr, unsigned i)
{
	return tr->u && i < tr->u->nregs ? tr->u->reg_names[i] : NULL;
}

void vt_traces_reg_list(struct vt_traces *tr, uint64_t mask, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (unsigned i = 0; i < 64 && used < len; i++) {
		const char *name = mask >> i & 1 ? vt_traces_reg_name(tr, i) : NULL;

		if (name)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
						 name);
	}
}
