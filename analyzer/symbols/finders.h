/* Constructors of the finders; each owns its resources until destroy. */
#ifndef VT_FINDERS_H
#define VT_FINDERS_H

#include <stddef.h>
#include <stdint.h>

#include "target/target.h"
#include "core/vmcoreinfo.h"
#include "symbols/finder.h"

/* BTF via libbpf: raw .BTF bytes (from the dump), or a vmlinux's section. */
struct vt_error *vt_btf_finder_from_data(const void *data, size_t size,
					 struct vt_arena *arena,
					 struct vt_finder **ret);
struct vt_error *vt_btf_finder_from_elf(const char *path,
					struct vt_arena *arena,
					struct vt_finder **ret);

/*
 * In an address-sorted array of n entries of stride bytes, each starting
 * with its uint64_t address: the last entry at or below addr (*i) and the
 * distance to the next higher address (*size). False below the first, past
 * the last, or 16 MiB or more into a gap (too wide to be that symbol's).
 */
bool vt_sym_floor(const void *base, size_t n, size_t stride, uint64_t addr, size_t *i,
		  uint64_t *size);

/* The running kernel's /proc/kallsyms (runtime addresses; modules left out),
 * and its /sys/kernel/btf/vmlinux (live.c). */
struct vt_error *vt_proc_kallsyms_finder_create(const char *path, struct vt_arena *arena,
						struct vt_finder **ret);
struct vt_error *vt_live_btf_finder_create(const char *path, struct vt_arena *arena,
					   struct vt_finder **ret);

/* DWARF via libdw from a vmlinux, indexed one CU at a time on demand. */
struct vt_error *vt_dwarf_finder_create(const char *path,
					struct vt_arena *arena,
					struct vt_finder **ret);

/* ELF .symtab via libelf (link-time addresses). */
struct vt_error *vt_elf_finder_create(const char *path, struct vt_arena *arena,
				      struct vt_finder **ret);
/*
 * Identity of a vmlinux, to refuse one that does not match the dump:
 * the GNU build-id (hex) and the release string from init_uts_ns or
 * linux_banner. Either may be "" when absent.
 */
struct vt_vmlinux_id {
	char build_id[41];
	char release[65];
};
struct vt_error *vt_elf_vmlinux_id(const char *path, struct vt_vmlinux_id *ret);

/* Whether a link-time address is above every addressable symbol of an ELF
 * finder's symtab. */
bool vt_elf_finder_above_all(struct vt_finder *f, uint64_t addr);

/* kallsyms decoded from the dump's own tables (runtime addresses). */
struct vt_error *vt_kallsyms_finder_create(struct vt_target *t,
					   struct vt_arena *arena,
					   struct vt_finder **ret);

/* VMCOREINFO SYMBOL/SIZE/OFFSET/NUMBER (runtime addresses). */
struct vt_error *vt_vmcoreinfo_finder_create(const struct vt_vmcoreinfo *vi,
					     struct vt_arena *arena,
					     struct vt_finder **ret);

void vt_finder_destroy(struct vt_finder *f);

#endif
