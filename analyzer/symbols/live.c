/*
 * What the running kernel exports of its symbols and types (issue 15), for
 * a live target:
 *  - /proc/kallsyms, when its VMCOREINFO lists no kallsyms tables to decode
 *    (before v6.0). Runtime addresses (KASLR applied); root sees real ones
 *    (a kptr_restrict that hides them shows zeros, refused here). Module
 *    symbols ("[mod]" lines) are left out, as the decoded kallsyms does.
 *  - /sys/kernel/btf/vmlinux, the kernel's BTF as a file.
 */
#include <inttypes.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols/finders.h"

/* Bounds: a kernel has ~200 K symbols, names of at most KSYM_NAME_LEN 512. */
#define MAX_SYMS (1u << 22)
#define MAX_NAME 512

struct psym {
	uint64_t addr;
	const char *name;
};

struct proc_finder {
	struct psym *by_addr, *by_name;
	size_t n;
	struct vt_finder finder;
};

static int cmp_addr(const void *a, const void *b)
{
	const struct psym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct psym *)a)->name, ((const struct psym *)b)->name);
}

static struct vt_error *ps_symbol(void *arg, const char *name, uint64_t *ret)
{
	struct proc_finder *pf = arg;
	struct psym key = { .name = name }, *hit;

	hit = bsearch(&key, pf->by_name, pf->n, sizeof(key), cmp_name);
	if (!hit)
		return &vt_not_found;
	*ret = hit->addr;
	return NULL;
}

static struct vt_error *ps_address(void *arg, uint64_t addr, const char **name,
				   uint64_t *start, uint64_t *size)
{
	struct proc_finder *pf = arg;
	size_t i;

	if (!vt_sym_floor(pf->by_addr, pf->n, sizeof(*pf->by_addr), addr, &i, size))
		return &vt_not_found;
	*name = pf->by_addr[i].name;
	*start = pf->by_addr[i].addr;
	return NULL;
}

static void ps_destroy(void *arg)
{
	struct proc_finder *pf = arg;

	free(pf->by_addr);
	free(pf->by_name);
	free(pf);
}

static const struct vt_finder_ops proc_ops = {
	.name = "kallsyms",
	.symbol = ps_symbol,
	.address = ps_address,
	.destroy = ps_destroy,
};

static struct vt_error *parse(FILE *f, struct vt_arena *arena, struct proc_finder *pf)
{
	char line[MAX_NAME + 64];
	size_t cap = 0;
	bool any_nonzero = false;

	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[MAX_NAME];
		struct psym *p;

		if (strchr(line, '['))	/* a module's symbol */
			continue;
		if (sscanf(line, "%llx %c %511s", &addr, &type, name) != 3)
			continue;
		if (pf->n == cap) {
			if (cap >= MAX_SYMS)
				return vt_error_create(VT_ERR_FORMAT, "/proc/kallsyms: more than %u "
						       "symbols", MAX_SYMS);
			cap = cap ? 2 * cap : 4096;
			if (!(p = realloc(pf->by_addr, cap * sizeof(*p))))
				return &vt_enomem;
			pf->by_addr = p;
		}
		if (!(pf->by_addr[pf->n].name = vt_arena_strdup(arena, name)))
			return &vt_enomem;
		pf->by_addr[pf->n++].addr = addr;
		any_nonzero |= addr != 0;
	}
	if (!pf->n)
		return vt_error_create(VT_ERR_NOT_FOUND, "/proc/kallsyms lists no symbols");
	if (!any_nonzero)
		return vt_error_create(VT_ERR_NOT_FOUND, "/proc/kallsyms shows every address as "
				       "0 (kptr_restrict, or not root)");
	if (!(pf->by_name = malloc(pf->n * sizeof(*pf->by_name))))
		return &vt_enomem;
	memcpy(pf->by_name, pf->by_addr, pf->n * sizeof(*pf->by_name));
	qsort(pf->by_addr, pf->n, sizeof(*pf->by_addr), cmp_addr);
	qsort(pf->by_name, pf->n, sizeof(*pf->by_name), cmp_name);
	return NULL;
}

struct vt_error *vt_proc_kallsyms_finder_create(const char *path, struct vt_arena *arena,
						struct vt_finder **ret)
{
	struct proc_finder *pf = calloc(1, sizeof(*pf));
	FILE *f;
	struct vt_error *err;

	if (!pf)
		return &vt_enomem;
	if (!(f = fopen(path, "r"))) {
		free(pf);
		return vt_error_create(VT_ERR_IO, "%s: cannot open", path);
	}
	err = parse(f, arena, pf);
	fclose(f);
	if (err) {
		ps_destroy(pf);
		return err;
	}
	pf->finder.ops = &proc_ops;
	pf->finder.arg = pf;
	pf->finder.runtime_addresses = true;
	*ret = &pf->finder;
	return NULL;
}

/* At most this much BTF (a kernel's is 4-6 MiB). */
#define MAX_LIVE_BTF (64u << 20)

struct vt_error *vt_live_btf_finder_create(const char *path, struct vt_arena *arena,
					   struct vt_finder **ret)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	unsigned char *data = NULL;
	size_t n = 0;
	struct vt_error *err;

	if (!f)
		return vt_error_create(VT_ERR_NOT_FOUND, "%s: cannot open (no BTF exported)", path);
	if (fstat(fileno(f), &st) || st.st_size <= 0 || (uint64_t)st.st_size > MAX_LIVE_BTF ||
	    !(data = malloc((size_t)st.st_size))) {
		fclose(f);
		return vt_error_create(VT_ERR_FORMAT, "%s: no size, or over %u MiB", path,
				       MAX_LIVE_BTF >> 20);
	}
	n = fread(data, 1, (size_t)st.st_size, f);
	fclose(f);
	err = n == (size_t)st.st_size ? vt_btf_finder_from_data(data, n, arena, ret) :
	      vt_error_create(VT_ERR_IO, "%s: short read", path);
	free(data);
	return err;
}
