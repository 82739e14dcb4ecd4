/*
 * One ops table per architecture (x86_64.c, ppc64.c, arm64.c): how the
 * dump names it, how its kernel translation is set up from VMCOREINFO, its
 * page-table format, and the few address-space facts the models need. The
 * rest of the program asks these tables; it never tests which arch it is.
 */
#ifndef VT_ARCH_H
#define VT_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/pgtable.h"
#include "arch/pgwalk.h"
#include "arch/unwind.h"
#include "core/error.h"
#include "core/vmcoreinfo.h"

enum vt_arch {
	VT_ARCH_UNKNOWN,
	VT_ARCH_X86_64,
	VT_ARCH_PPC64,
	VT_ARCH_ARM64,
};

/* The kernel translation an arch sets up from VMCOREINFO. */
struct vt_arch_mmu {
	uint64_t kernel_pgd;		/* physical address of the kernel's top table */
	char method[160];		/* how, for `info` */
	struct vt_ptfmt fmt;		/* the kernel half's table format */
	bool la57;			/* x86_64: 5-level paging */
	uint64_t sme_mask;		/* x86_64: SME C-bit, cleared from entries */
	struct vt_arm64_geometry arm64;	/* arm64: fmt points to it */
};

struct vt_arch_ops {
	enum vt_arch arch;
	const char *name;		/* vmtriage's and crash's name */
	const char *kdump_name;		/* libkdumpfile's arch.name */
	unsigned elf_machine;		/* e_machine of its cores (EM_*) */
	/* VMCOREINFO shows a kernel of this arch (QEMU's dumps name none). */
	bool (*named_by)(const struct vt_vmcoreinfo *vi);
	/* Set up the kernel translation; an error names the missing fact. */
	struct vt_error *(*setup)(const struct vt_vmcoreinfo *vi, uint32_t page_size,
				  bool big_endian, struct vt_arch_mmu *mmu);
	/* A kernel address translated without a walk (ppc64's linear map). */
	bool (*direct)(const struct vt_arch_mmu *mmu, uint64_t va, uint64_t *pa);
	/* The va range [lo, hi] and top-table base of the user or kernel half. */
	void (*half)(const struct vt_arch_mmu *mmu, bool user, struct vt_pgwalk_limits *lim);
	/* A leaf entry's attribute bits: no address, no accessed/dirty. */
	uint64_t (*leaf_flags)(uint64_t entry);

	/* Address-space and kernel facts. */
	uint64_t kernel_space_start;	/* every kernel pointer is at or above */
	uint64_t vmemmap_start;		/* a fixed vmemmap (struct page of pfn 0); 0 none */
	bool kallsyms_abs_percpu;	/* kallsyms offsets: per-cpu ones absolute */
	bool firmware_e820;		/* the firmware memory map is e820 */
	bool memblock_from_log;		/* memblock is known from the boot log */
	bool pseries_lmbs;		/* memory in device-tree LMBs (DLPAR) */
	bool srat_in_log;		/* NUMA ranges printed by the SRAT parser */
	bool pt_fragments;		/* page tables share pages (pt_frag_refcount) */
	/* Stack unwinding (unwind.h); NULL: none for this arch yet. */
	const struct vt_unwinder *unwinder;
	/* The newest kernel release tested on this arch ("7.2"; cli/tested.c);
	 * keep in step with testdata/pins.sh. */
	const char *tested_release;
};

extern const struct vt_arch_ops vt_arch_x86_64, vt_arch_ppc64, vt_arch_arm64;
/* x86_64's ORC unwinder (unwind_x86_64.c). */
extern const struct vt_unwinder vt_unwinder_x86_64;

/* NULL when the arch is not supported. */
const struct vt_arch_ops *vt_arch_ops(enum vt_arch arch);
/* By our name, libkdumpfile's or crash's (MACHINE_TYPE), in any case. */
const struct vt_arch_ops *vt_arch_by_name(const char *name);
/* By an ELF core's e_machine; NULL when no arch has it. */
const struct vt_arch_ops *vt_arch_by_elf_machine(unsigned machine);
const struct vt_arch_ops *vt_arch_from_vmcoreinfo(const struct vt_vmcoreinfo *vi);
const char *vt_arch_name(enum vt_arch arch);
/* "x86_64, ppc64, aarch64": the supported archs, for messages. */
const char *vt_arch_supported(void);

#endif
