#include "models/modules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

#define ELF64_SYM_SIZE 24
#define STT_FUNC_ 2

struct layout {
	uint64_t list, name, text, text_size;	/* in struct module */
	uint64_t kallsyms, symtab, num_symtab, strtab;
	uint64_t text_size_len;		/* the size member's width: unsigned int */
	bool has_kallsyms;
};

static struct vt_error *load_layout(struct vt_symbols *s, struct layout *l)
{
	struct vt_error *err;

	if ((err = vt_symbols_offsetof(s, "struct module", "list", &l->list)) ||
	    (err = vt_symbols_offsetof(s, "struct module", "name", &l->name)))
		return err;
	/* v6.4 split the layouts into mem[]; MOD_TEXT is its first entry. */
	err = vt_symbols_offsetof(s, "struct module", "mem", &l->text);
	if (!err) {
		struct vt_member_info size;

		if ((err = vt_symbols_member(s, "struct module_memory", "size", &size)))
			return err;
		l->text_size = l->text + size.offset;
		l->text_size_len = size.size;
	} else if (vt_error_catch(&err, VT_ERR_NOT_FOUND)) {
		uint64_t base, layout;
		struct vt_member_info size;

		if ((err = vt_symbols_offsetof(s, "struct module", "core_layout", &layout)) ||
		    (err = vt_symbols_offsetof(s, "struct module_layout", "base", &base)) ||
		    (err = vt_symbols_member(s, "struct module_layout", "size", &size)))
			return vt_error_prefix(err, "struct module has neither mem nor "
					       "core_layout");
		l->text = layout + base;
		l->text_size = layout + size.offset;
		l->text_size_len = size.size;
	} else {
		return err;
	}
	err = vt_symbols_offsetof(s, "struct module", "kallsyms", &l->kallsyms);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return NULL;	/* !CONFIG_KALLSYMS: ranges without names */
	if (err ||
	    (err = vt_symbols_offsetof(s, "struct mod_kallsyms", "symtab", &l->symtab)) ||
	    (err = vt_symbols_offsetof(s, "struct mod_kallsyms", "num_symtab",
				       &l->num_symtab)) ||
	    (err = vt_symbols_offsetof(s, "struct mod_kallsyms", "strtab", &l->strtab)))
		return err;
	l->has_kallsyms = true;
	return NULL;
}

static struct vt_error *read_module(struct vt_target *t, const struct layout *l,
				    uint64_t mod, struct vt_module *m)
{
	uint64_t ks = 0;
	uint32_t nsyms = 0;
	struct vt_error *err;

	memset(m, 0, sizeof(*m));
	m->addr = mod;
	if ((err = vt_target_read_kv(t, mod + l->name, m->name, sizeof(m->name) - 1)) ||
	    (err = vt_target_read_u64(t, mod + l->text, &m->text)) ||
	    (err = vt_target_read_u64(t, mod + l->text_size, &m->text_size)))
		return err;
	/* The size is an unsigned int (v4.x to v7.x): not the next member too. */
	if (l->text_size_len != 8)
		m->text_size = (uint32_t)(vt_target_info(t)->big_endian ?
					  m->text_size >> 32 : m->text_size);
	m->name[sizeof(m->name) - 1] = '\0';
	if (!l->has_kallsyms)
		return NULL;
	if ((err = vt_target_read_u64(t, mod + l->kallsyms, &ks)) || !ks)
		return err;
	if ((err = vt_target_read_u64(t, ks + l->symtab, &m->symtab)) ||
	    (err = vt_target_read_u32(t, ks + l->num_symtab, &nsyms)) ||
	    (err = vt_target_read_u64(t, ks + l->strtab, &m->strtab)))
		return err;
	m->nsyms = nsyms > VT_MAX_MODULE_SYMBOLS ? 0 : nsyms;
	return NULL;
}

struct vt_error *vt_modules_read(struct vt_target *t, struct vt_symbols *s,
				 struct vt_modules **ret)
{
	struct layout l = { 0 };
	uint64_t head, pos, next_off;
	struct vt_modules *ms;
	struct vt_error *err;

	if ((err = load_layout(s, &l)) ||
	    (err = vt_symbols_lookup(s, "modules", &head)) ||
	    (err = vt_symbols_offsetof(s, "struct list_head", "next", &next_off)))
		return vt_error_prefix(err, "modules");
	if (!(ms = calloc(1, sizeof(*ms))))
		return &vt_enomem;
	ms->t = t;
	err = vt_target_read_u64(t, head + next_off, &pos);
	while (!err && pos != head) {
		struct vt_module *m, *grown;

		if (ms->n == VT_MAX_MODULES) {
			snprintf(ms->error, sizeof(ms->error), "more than %d modules "
				 "(a cycle?)", VT_MAX_MODULES);
			break;
		}
		if (!(grown = realloc(ms->mods, (ms->n + 1) * sizeof(*ms->mods)))) {
			vt_modules_destroy(ms);
			return &vt_enomem;
		}
		ms->mods = grown;
		m = &ms->mods[ms->n];
		if ((err = read_module(t, &l, pos - l.list, m)))
			break;
		ms->n++;
		err = vt_target_read_u64(t, pos + next_off, &pos);
	}
	if (err) {
		snprintf(ms->error, sizeof(ms->error), "module list: %s", err->message);
		vt_error_destroy(err);
	}
	*ret = ms;
	return NULL;
}

void vt_modules_destroy(struct vt_modules *ms)
{
	if (!ms)
		return;
	for (size_t i = 0; i < ms->n; i++) {
		for (size_t j = 0; j < ms->mods[i].nloaded; j++)
			free(ms->mods[i].syms[j].name);
		free(ms->mods[i].syms);
	}
	free(ms->mods);
	free(ms);
}

struct vt_module *vt_modules_find(struct vt_modules *ms, uint64_t pc)
{
	for (size_t i = 0; i < ms->n; i++) {
		struct vt_module *m = &ms->mods[i];

		if (pc >= m->text && pc - m->text < m->text_size)
			return m;
	}
	return NULL;
}

static bool read_ok(struct vt_modules *ms, uint64_t va, void *buf, size_t len)
{
	struct vt_error *err = vt_target_read_kv(ms->t, va, buf, len);

	vt_error_destroy(err);
	return !err;
}

static int by_value(const void *a, const void *b)
{
	const struct vt_module_sym *x = a, *y = b;

	return x->value < y->value ? -1 : x->value > y->value;
}

/* The module's function symbols inside its text, sorted; one read. */
static void load_syms(struct vt_modules *ms, struct vt_module *m)
{
	bool be = vt_target_info(ms->t)->big_endian;
	uint8_t *raw;

	m->syms_tried = true;
	if (!m->nsyms || !(raw = malloc((size_t)m->nsyms * ELF64_SYM_SIZE)))
		return;
	/* An unreadable table: no names, shown as "?". */
	if (!read_ok(ms, m->symtab, raw, (size_t)m->nsyms * ELF64_SYM_SIZE) ||
	    !(m->syms = calloc(m->nsyms, sizeof(*m->syms)))) {
		free(raw);
		return;
	}
	for (uint32_t i = 0; i < m->nsyms; i++) {
		const uint8_t *e = raw + (size_t)i * ELF64_SYM_SIZE;
		uint64_t value = vt_load64(e + 8, be);

		if ((e[4] & 0xf) != STT_FUNC_ || value < m->text ||
		    value - m->text >= m->text_size)
			continue;
		m->syms[m->nloaded++] = (struct vt_module_sym){
			.value = value, .size = vt_load64(e + 16, be),
			.name_off = vt_load32(e, be),
		};
	}
	free(raw);
	qsort(m->syms, m->nloaded, sizeof(*m->syms), by_value);
}

void vt_modules_symbolize(struct vt_modules *ms, uint64_t pc, const char **name,
			  uint64_t *offset, uint64_t *size, const char **module)
{
	struct vt_module *m = vt_modules_find(ms, pc);
	struct vt_module_sym *best = NULL;

	*name = NULL;
	if (!m)
		return;
	*module = m->name;
	if (!m->syms_tried)
		load_syms(ms, m);
	for (size_t lo = 0, hi = m->nloaded; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->syms[mid].value <= pc) {
			best = &m->syms[mid];
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (!best)
		return;
	if (!best->name) {
		char buf[128] = "";

		/* (a name near the end of a page that ends the table: shorter) */
		if (!read_ok(ms, m->strtab + best->name_off, buf, sizeof(buf) - 1) &&
		    !read_ok(ms, m->strtab + best->name_off, buf, 32))
			return;
		buf[sizeof(buf) - 1] = '\0';
		if (!(best->name = strdup(buf)))
			return;
	}
	*name = best->name;
	*offset = pc - best->value;
	*size = best->size;
}
