/*
 * Loaded modules: the `modules` list, each module's name, text range and
 * symbol table (mod->kallsyms: the module's own ELF symtab and strtab, kept
 * in memory by the kernel), so addresses in modules get names without any
 * module file. Layouts from the dump's types: core_layout before v6.4,
 * mem[MOD_TEXT] since.
 */
#ifndef VT_MODULES_H
#define VT_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "symbols/symbols.h"
#include "target/target.h"

#define VT_MAX_MODULES 4096
#define VT_MAX_MODULE_SYMBOLS (1u << 18)

struct vt_module {
	uint64_t addr;			/* struct module */
	char name[56];
	uint64_t text, text_size;	/* core text (and rodata before v6.4) */
	uint64_t symtab, strtab;	/* mod->kallsyms */
	uint32_t nsyms;
	/* Loaded on first lookup: the symbols sorted by address. */
	struct vt_module_sym {
		uint64_t value, size;
		uint32_t name_off;
		char *name;		/* read on first use */
	} *syms;
	size_t nloaded;
	bool syms_tried;
};

struct vt_modules {
	struct vt_target *t;
	struct vt_module *mods;
	size_t n;
	char error[200];		/* the list stopped early: why */
};

/* Read the list. Fails for a missing layout or symbol, naming it. */
struct vt_error *vt_modules_read(struct vt_target *t, struct vt_symbols *s,
				 struct vt_modules **ret);
void vt_modules_destroy(struct vt_modules *m);

/* The module whose text holds pc; NULL if none. */
struct vt_module *vt_modules_find(struct vt_modules *m, uint64_t pc);

/* Name pc from its module's symbols; *name NULL when not known. */
void vt_modules_symbolize(struct vt_modules *m, uint64_t pc, const char **name,
			  uint64_t *offset, uint64_t *size, const char **module);

#endif
