/* The finder chain: order, KASLR, the vmlinux match check. */
#include "symbols/symbols.h"

#include "core/byteorder.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "symbols/finders.h"

#define MAX_BTF_BYTES (64u << 20)

/*
 * The finder chain: one slot (F_*) and one row of finder_rows[] a finder,
 * in the order the finders are asked for types, offsets, sizes and
 * constants. The symbol tables (the vmlinux's .symtab, the dump's
 * kallsyms, VMCOREINFO) are asked for symbols and addresses before the
 * rest: a name DWARF is asked for makes it index every compile unit
 * (hundreds of MiB on a distribution vmlinux), which a symbol table
 * answers at once. Each query's order follows from these rows and its
 * row of query_rows[]; a new finder also needs its construction in
 * vt_symbols_create().
 */
enum { F_BTF, F_DWARF, F_ELF, F_KALLSYMS, F_VMCOREINFO, F_COUNT };

static const struct finder_row {
	const char *name;
	bool symbol_table;	/* asked first for symbols and addresses */
} finder_rows[F_COUNT] = {
	[F_BTF]		= { "btf",		false },
	[F_DWARF]	= { "dwarf",		false },
	[F_ELF]		= { "elf",		true },
	[F_KALLSYMS]	= { "kallsyms",		true },
	[F_VMCOREINFO]	= { "vmcoreinfo",	true },
};

struct vt_symbols {
	struct vt_target *target;
	struct vt_arena *arena;
	struct vt_finder *finders[F_COUNT];	/* by slot; NULL = absent */
	struct vt_symbols_finder_status status[F_COUNT];
	char *details[F_COUNT];
	uint64_t kaslr;
	/* With a vmlinux, kallsyms is decoded on the first question that
	 * reaches it (the vmlinux's symtab answers first) or the first look
	 * at the finders' status, not at open. */
	bool kallsyms_pending;
	/*
	 * The vmlinux's build-id is the dump's (checked, not forced): the
	 * dump's kallsyms was generated from this link's symbols, so a name
	 * its .symtab lacks is not in kallsyms either (x86_64 6.1: all 87347
	 * kallsyms names are in the vmlinux's symtab) and a name lookup that
	 * misses there does not decode kallsyms to miss again.
	 */
	bool vmlinux_same_build;
};

static void set_status(struct vt_symbols *s, int slot, bool loaded,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_status(struct vt_symbols *s, int slot, bool loaded,
		       const char *fmt, ...)
{
	va_list ap;

	free(s->details[slot]);
	va_start(ap, fmt);
	if (vasprintf(&s->details[slot], fmt, ap) < 0)
		s->details[slot] = NULL;
	va_end(ap);
	s->status[slot].name = finder_rows[slot].name;
	s->status[slot].loaded = loaded;
	s->status[slot].detail = s->details[slot] ? s->details[slot] : "";
}

/* Silence libbpf's own stderr chatter; we report errors ourselves. */
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return 0;
}

/* Bytes of the read-only data scanned for a BTF header, and per read. */
#define BTF_SCAN_MAX (64u << 20)
#define BTF_SCAN_CHUNK (1u << 20)

/*
 * Where __start_BTF is not in kallsyms (a kernel without KALLSYMS_ALL, as
 * Debian's arm64 and ppc64el builds), find the .BTF section by its header
 * in the read-only data between _etext and _sinittext, where vmlinux.lds.h
 * puts it: magic 0xeB9F, version 1, hdr_len 24, type_off 0, str_off ==
 * type_len. A candidate counts only if libbpf then parses it whole.
 */
static struct vt_error *btf_scan(struct vt_symbols *s, struct vt_finder *kf,
				 uint64_t *start_ret, uint64_t *stop_ret)
{
	bool be = vt_target_info(s->target)->big_endian;
	uint64_t lo, hi;
	unsigned char *buf;
	struct vt_error *err;

	if ((err = kf->ops->symbol(kf->arg, "_etext", &lo)) ||
	    (err = kf->ops->symbol(kf->arg, "_sinittext", &hi)))
		return vt_error_prefix(err, "no __start_BTF in kallsyms and no _etext.._sinittext "
				       "to scan for it; types need a vmlinux");
	if (hi <= lo || hi - lo > BTF_SCAN_MAX)
		return vt_error_create(VT_ERR_FORMAT, "_etext 0x%" PRIx64 ".._sinittext 0x%"
				       PRIx64 ": not a read-only data range to scan", lo, hi);
	buf = malloc(BTF_SCAN_CHUNK + 24);
	if (!buf)
		return &vt_enomem;
	for (uint64_t at = lo & ~3ull; at < hi; at += BTF_SCAN_CHUNK) {
		size_t len = hi - at < BTF_SCAN_CHUNK + 24 ? hi - at : BTF_SCAN_CHUNK + 24;

		err = vt_target_read_kv(s->target, at, buf, len);
		/* A hole (not mapped, or not in the dump): try the next chunk. */
		if (vt_error_catch(&err, VT_ERR_FAULT) || vt_error_catch(&err, VT_ERR_NODATA))
			continue;
		if (err)
			break;
		for (size_t i = 0; i + 24 <= len && i < BTF_SCAN_CHUNK; i += 4) {
			const unsigned char *h = buf + i;
			uint32_t hdr_len = vt_load32(h + 4, be), type_off = vt_load32(h + 8, be);
			uint32_t type_len = vt_load32(h + 12, be), str_off = vt_load32(h + 16, be);
			uint32_t str_len = vt_load32(h + 20, be);
			uint64_t size = 24ull + type_len + str_len;

			if (vt_load16(h, be) != 0xeb9f || h[2] != 1 || hdr_len != 24 ||
			    type_off != 0 || str_off != type_len || size > MAX_BTF_BYTES ||
			    at + i + size > hi)
				continue;
			*start_ret = at + i;
			*stop_ret = at + i + size;
			free(buf);
			return NULL;
		}
	}
	free(buf);
	if (err)
		return err;
	return vt_error_create(VT_ERR_NOT_FOUND, "this kernel has no BTF in memory (no "
			       "__start_BTF in kallsyms, no BTF header in _etext.._sinittext); "
			       "types need a vmlinux");
}

static struct vt_error *btf_from_dump(struct vt_symbols *s)
{
	struct vt_finder *kf = s->finders[F_KALLSYMS];
	uint64_t start, stop;
	const char *how = "";
	struct vt_error *err;
	void *data;

	if (!kf)
		return vt_error_create(VT_ERR_NOT_FOUND,
				       "no kallsyms to locate __start_BTF");
	err = kf->ops->symbol(kf->arg, "__start_BTF", &start);
	if (!err)
		err = kf->ops->symbol(kf->arg, "__stop_BTF", &stop);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND)) {
		err = btf_scan(s, kf, &start, &stop);
		how = " (found by its header: no __start_BTF in kallsyms)";
	}
	if (err)
		return err;
	if (stop <= start || stop - start > MAX_BTF_BYTES)
		return vt_error_create(VT_ERR_FORMAT,
				       "BTF section 0x%" PRIx64 "..0x%" PRIx64 " has a bad size",
				       start, stop);
	data = malloc(stop - start);
	if (!data)
		return &vt_enomem;
	err = vt_target_read_kv(s->target, start, data, stop - start);
	if (!err)
		err = vt_btf_finder_from_data(data, stop - start, s->arena,
					      &s->finders[F_BTF]);
	free(data);
	if (!err)
		set_status(s, F_BTF, true, "from the dump, %" PRIu64 " bytes at 0x%" PRIx64 "%s",
			   stop - start, start, how);
	return err;
}

/* The running kernel's BTF as the kernel exports it, else from its memory. */
static struct vt_error *btf_live(struct vt_symbols *s)
{
	const char *path = vt_target_info(s->target)->live_btf;
	struct vt_error *err;

	if (!path)
		return btf_from_dump(s);
	err = vt_live_btf_finder_create(path, s->arena, &s->finders[F_BTF]);

	if (!err) {
		set_status(s, F_BTF, true, "%s", path);
		return NULL;
	}
	vt_error_destroy(err);
	return btf_from_dump(s);
}

static struct vt_error *check_vmlinux(struct vt_symbols *s, const char *path,
				      bool force)
{
	const struct vt_vmcoreinfo *vi = vt_target_vmcoreinfo(s->target);
	const char *dump_rel = vt_target_info(s->target)->release;
	const char *dump_id = vt_vmcoreinfo_get(vi, "BUILD-ID");
	struct vt_vmlinux_id id;
	struct vt_error *err = vt_elf_vmlinux_id(path, &id);

	if (err)
		return vt_error_prefix(err, "%s", path);
	if (force)
		return NULL;
	if (*dump_rel && *id.release && strcmp(dump_rel, id.release) != 0)
		return vt_error_create(VT_ERR_MISMATCH,
			"%s is kernel %s but the dump %s is kernel %s (use --force to use it anyway)",
			path, id.release, vt_target_info(s->target)->path, dump_rel);
	/* VMCOREINFO's BUILD-ID may be truncated to 20 bytes of hex. */
	if (dump_id && *dump_id && *id.build_id &&
	    strncmp(dump_id, id.build_id, strlen(dump_id) < strlen(id.build_id) ?
		    strlen(dump_id) : strlen(id.build_id)) != 0)
		return vt_error_create(VT_ERR_MISMATCH,
			"%s has build-id %s but the dump %s has build-id %s (use --force to use it anyway)",
			path, id.build_id, vt_target_info(s->target)->path, dump_id);
	s->vmlinux_same_build = dump_id && strlen(dump_id) >= 16 && *id.build_id;
	return NULL;
}

/* kallsyms must agree with VMCOREINFO where both know a symbol. */
static struct vt_error *check_kallsyms(struct vt_symbols *s)
{
	const struct vt_vmcoreinfo *vi = vt_target_vmcoreinfo(s->target);
	struct vt_finder *kf = s->finders[F_KALLSYMS];
	/* Not mem_section: VMCOREINFO gives the array it points to. */
	static const char *const probes[] = { "_stext", "init_uts_ns", "node_online_map" };

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t a, b;
		struct vt_error *err = vt_vmcoreinfo_symbol(vi, probes[i], &a);

		if (!err)
			err = kf->ops->symbol(kf->arg, probes[i], &b);
		if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
			continue;	/* one of the two does not know it */
		if (err)
			return vt_error_prefix(err, "checking %s against VMCOREINFO", probes[i]);
		if (a != b)
			return vt_error_create(VT_ERR_FORMAT,
				"kallsyms says %s = 0x%" PRIx64 " but VMCOREINFO says 0x%" PRIx64,
				probes[i], b, a);
	}
	return NULL;
}

/* Decode the dump's kallsyms (the running kernel's: /proc/kallsyms when the
 * tables cannot be decoded); a failure is its status, not an error. */
static void load_kallsyms(struct vt_symbols *s)
{
	struct vt_error *err;
	const char *from = "decoded from the dump";

	s->kallsyms_pending = false;
	err = vt_kallsyms_finder_create(s->target, s->arena, &s->finders[F_KALLSYMS]);
	if (err && vt_target_info(s->target)->live_kallsyms) {
		const char *path = vt_target_info(s->target)->live_kallsyms;

		vt_error_destroy(err);
		from = "/proc/kallsyms (no kallsyms tables in VMCOREINFO)";
		err = vt_proc_kallsyms_finder_create(path, s->arena, &s->finders[F_KALLSYMS]);
	}
	if (!err)
		err = check_kallsyms(s);
	if (!err) {
		set_status(s, F_KALLSYMS, true, "%s", from);
	} else {
		vt_finder_destroy(s->finders[F_KALLSYMS]);
		s->finders[F_KALLSYMS] = NULL;
		set_status(s, F_KALLSYMS, false, "%s", err->message);
		vt_error_destroy(err);
	}
}

struct vt_error *vt_symbols_create(struct vt_target *t,
				   const struct vt_symbols_options *opts,
				   struct vt_symbols **ret)
{
	struct vt_symbols *s = calloc(1, sizeof(*s));
	const char *vmlinux = opts ? opts->vmlinux : NULL;
	struct vt_error *err;

	if (!s)
		return &vt_enomem;
	libbpf_set_print(quiet_libbpf);
	s->target = t;
	s->kaslr = vt_target_info(t)->kaslr_offset;
	s->arena = vt_arena_create();
	if (!s->arena) {
		free(s);
		return &vt_enomem;
	}
	for (int i = 0; i < F_COUNT; i++)
		set_status(s, i, false, "not tried");

	if (vmlinux) {
		if ((err = check_vmlinux(s, vmlinux, opts->force)))
			goto fail;
		err = opts->no_btf ? vt_error_create(VT_ERR_NOT_FOUND, "disabled by --no-btf") :
		      vt_btf_finder_from_elf(vmlinux, s->arena, &s->finders[F_BTF]);
		if (!err)
			set_status(s, F_BTF, true, "%s .BTF", vmlinux);
		else {
			set_status(s, F_BTF, false, "%s", err->message);
			vt_error_destroy(err);
		}
		err = vt_dwarf_finder_create(vmlinux, s->arena, &s->finders[F_DWARF]);
		if (!err)
			set_status(s, F_DWARF, true, "%s (indexed lazily)", vmlinux);
		else {
			set_status(s, F_DWARF, false, "%s", err->message);
			vt_error_destroy(err);
		}
		err = vt_elf_finder_create(vmlinux, s->arena, &s->finders[F_ELF]);
		if (err)
			goto fail;
		set_status(s, F_ELF, true, "%s .symtab, KASLR offset 0x%" PRIx64,
			   vmlinux, s->kaslr);
	} else {
		set_status(s, F_DWARF, false, "no vmlinux given");
		set_status(s, F_ELF, false, "no vmlinux given");
	}

	if (vt_target_info(t)->has_vmcoreinfo) {
		if (vmlinux)
			s->kallsyms_pending = true;
		else
			load_kallsyms(s);
		err = vt_vmcoreinfo_finder_create(vt_target_vmcoreinfo(t), s->arena,
						  &s->finders[F_VMCOREINFO]);
		if (err)
			goto fail;
		set_status(s, F_VMCOREINFO, true, "%zu entries",
			   vt_target_vmcoreinfo(t)->nentries);
	} else {
		set_status(s, F_KALLSYMS, false, "the dump has no VMCOREINFO");
		set_status(s, F_VMCOREINFO, false, "the dump has no VMCOREINFO");
	}

	if (opts && opts->no_btf) {
		set_status(s, F_BTF, false, "disabled by --no-btf");
	} else if (!s->finders[F_BTF] && !vmlinux) {
		err = vt_target_info(t)->live ? btf_live(s) : btf_from_dump(s);
		if (err) {
			set_status(s, F_BTF, false, "%s", err->message);
			vt_error_destroy(err);
		}
	}
	*ret = s;
	return NULL;
fail:
	vt_symbols_destroy(s);
	return err;
}

void vt_symbols_destroy(struct vt_symbols *s)
{
	if (!s)
		return;
	for (int i = 0; i < F_COUNT; i++) {
		vt_finder_destroy(s->finders[i]);
		free(s->details[i]);
	}
	vt_arena_destroy(s->arena);
	free(s);
}

size_t vt_symbols_finder_status(struct vt_symbols *s,
				const struct vt_symbols_finder_status **ret)
{
	if (s->kallsyms_pending)
		load_kallsyms(s);
	*ret = s->status;
	return F_COUNT;
}

struct vt_arena *vt_symbols_arena(struct vt_symbols *s)
{
	return s->arena;
}

/* One question put to the chain: what is asked, where the answer goes. */
struct question {
	const char *name;	/* symbol, constant, type; type of an offset or size */
	const char *path;	/* member path, for an offset */
	uint64_t addr;		/* runtime address, for its symbol */
	const enum vt_type_kind *kinds;	/* all asked of a finder before the next */
	size_t nkinds;
	uint64_t *u64_ret;	/* address; offset into a symbol or struct; size */
	const char **name_ret;	/* symbol at an address */
	uint64_t *size_ret;	/* its size (0 unknown), when asked */
	int64_t *constant_ret;
	struct vt_type **type_ret;
};

/*
 * The finder operation of each query, with KASLR applied or removed as
 * the finder's addresses need; a finder without the operation does not
 * know the answer.
 */
/*
 * A per-CPU variable's symbol (x86_64's .data..percpu is linked at 0) is an
 * offset into each CPU's area, below kernel space: KASLR does not move it.
 * (Adding the offset made `runqueues` a wild address on every KASLR dump
 * read with its vmlinux.)
 */
static bool percpu_offset(struct vt_symbols *s, uint64_t value)
{
	return value < vt_target_info(s->target)->arch_ops->kernel_space_start;
}

static struct vt_error *ask_symbol(struct vt_symbols *s, struct vt_finder *f,
				   const struct question *q)
{
	struct vt_error *err;

	if (!f->ops->symbol)
		return &vt_not_found;
	err = f->ops->symbol(f->arg, q->name, q->u64_ret);
	if (!err && !f->runtime_addresses && !percpu_offset(s, *q->u64_ret))
		*q->u64_ret += s->kaslr;
	return err;
}

static struct vt_error *ask_address(struct vt_symbols *s, struct vt_finder *f,
				    const struct question *q)
{
	uint64_t a = q->addr, start, size;
	struct vt_error *err;

	if (!f->ops->address)
		return &vt_not_found;
	if (!f->runtime_addresses && !percpu_offset(s, a))
		a -= s->kaslr;
	err = f->ops->address(f->arg, a, q->name_ret, &start, &size);
	if (!err) {
		*q->u64_ret = a - start;
		if (q->size_ret)
			*q->size_ret = size;
	}
	return err;
}

static struct vt_error *ask_type(struct vt_symbols *s, struct vt_finder *f,
				 const struct question *q)
{
	if (!f->ops->type)
		return &vt_not_found;
	for (size_t k = 0; k < q->nkinds; k++) {
		struct vt_error *err = f->ops->type(f->arg, q->kinds[k], q->name,
						    q->type_ret);

		if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
			return err;
	}
	return &vt_not_found;
}

static struct vt_error *ask_offset(struct vt_symbols *s, struct vt_finder *f,
				   const struct question *q)
{
	uint64_t bits;
	struct vt_error *err;

	if (!f->ops->offset)
		return &vt_not_found;
	err = f->ops->offset(f->arg, q->name, q->path, &bits);
	if (!err)
		*q->u64_ret = bits / 8;
	return err;
}

static struct vt_error *ask_size(struct vt_symbols *s, struct vt_finder *f,
				 const struct question *q)
{
	return f->ops->size ? f->ops->size(f->arg, q->name, q->u64_ret) : &vt_not_found;
}

static struct vt_error *ask_constant(struct vt_symbols *s, struct vt_finder *f,
				     const struct question *q)
{
	return f->ops->constant ? f->ops->constant(f->arg, q->name, q->constant_ret) :
				  &vt_not_found;
}

enum query { Q_SYMBOL, Q_ADDRESS, Q_TYPE, Q_OFFSET, Q_SIZE, Q_CONSTANT, Q_COUNT };

static const struct query_row {
	struct vt_error *(*ask)(struct vt_symbols *s, struct vt_finder *f,
				const struct question *q);
	bool symbol_tables_first;	/* else in finder_rows[] order */
} query_rows[Q_COUNT] = {
	[Q_SYMBOL]	= { ask_symbol,		true },
	[Q_ADDRESS]	= { ask_address,	true },
	[Q_TYPE]	= { ask_type,		false },
	[Q_OFFSET]	= { ask_offset,		false },
	[Q_SIZE]	= { ask_size,		false },
	[Q_CONSTANT]	= { ask_constant,	false },
};

/* kallsyms cannot name addr: below kernel space without absolute per-CPU
 * entries (x86_64's), or above the same build's symtab (user, module pcs). */
static bool kallsyms_silent(struct vt_symbols *s, uint64_t addr)
{
	const struct vt_arch_ops *arch = vt_target_info(s->target)->arch_ops;

	return (!arch->kallsyms_abs_percpu && addr < arch->kernel_space_start) ||
	       (s->vmlinux_same_build && s->finders[F_ELF] &&
		vt_elf_finder_above_all(s->finders[F_ELF], addr - s->kaslr));
}

/*
 * The one walk of the chain: ask each finder in the query's order until
 * one answers or fails. Round 0 asks the symbol tables where the query
 * wants them first, round 1 every other finder, both in finder_rows[]
 * order. "Not found" moves on to the next finder; any other error is the
 * answer. Returns &vt_not_found when no finder knows.
 */
static struct vt_error *ask_chain(struct vt_symbols *s, enum query which,
				  const struct question *q)
{
	const struct query_row *qr = &query_rows[which];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < F_COUNT; i++) {
			bool first = qr->symbol_tables_first && finder_rows[i].symbol_table;
			struct vt_finder *f;
			struct vt_error *err;

			/* kallsyms answers only symbols and addresses. */
			if (i == F_KALLSYMS && s->kallsyms_pending && first == (round == 0) &&
			    ((which == Q_ADDRESS && !kallsyms_silent(s, q->addr)) ||
			     (which == Q_SYMBOL && !s->vmlinux_same_build)))
				load_kallsyms(s);
			f = s->finders[i];
			if (!f || first != (round == 0))
				continue;
			err = qr->ask(s, f, q);
			if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
				return err;
		}
	}
	return &vt_not_found;
}

struct vt_error *vt_symbols_lookup(struct vt_symbols *s, const char *name,
				   uint64_t *addr_ret)
{
	const struct question q = { .name = name, .u64_ret = addr_ret };
	struct vt_error *err = ask_chain(s, Q_SYMBOL, &q);

	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return vt_error_create(VT_ERR_NOT_FOUND, "symbol %s not found", name);
	return err;
}

struct vt_error *vt_symbols_addr(struct vt_symbols *s, uint64_t addr,
				 const char **name_ret, uint64_t *offset_ret)
{
	return vt_symbols_addr_size(s, addr, name_ret, offset_ret, NULL);
}

struct vt_error *vt_symbols_addr_size(struct vt_symbols *s, uint64_t addr,
				      const char **name_ret, uint64_t *offset_ret,
				      uint64_t *size_ret)
{
	const struct question q = {
		.addr = addr, .name_ret = name_ret, .u64_ret = offset_ret,
		.size_ret = size_ret,
	};
	struct vt_error *err = ask_chain(s, Q_ADDRESS, &q);

	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return vt_error_create(VT_ERR_NOT_FOUND, "no symbol at 0x%" PRIx64, addr);
	return err;
}

struct vt_error *vt_symbols_lines(struct vt_symbols *s, uint64_t addr,
				  struct vt_srcloc *out, size_t max, size_t *n_ret)
{
	*n_ret = 0;
	for (int i = 0; i < F_COUNT; i++) {
		struct vt_finder *f = s->finders[i];
		struct vt_error *err;

		if (!f || !f->ops->lines)
			continue;
		err = f->ops->lines(f->arg, f->runtime_addresses ? addr : addr - s->kaslr,
				    out, max, n_ret);
		if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
			return err;
	}
	return vt_error_create(VT_ERR_NOT_FOUND, "no source line for 0x%" PRIx64
			       " (no vmlinux DWARF covers it)", addr);
}

struct vt_error *vt_symbols_type(struct vt_symbols *s, const char *spec,
				 struct vt_type **ret)
{
	static const struct { const char *prefix; enum vt_type_kind kind; } tags[] = {
		{ "struct ", VT_TYPE_STRUCT },
		{ "union ", VT_TYPE_UNION },
		{ "enum ", VT_TYPE_ENUM },
	};
	/*
	 * A bare name ("nodemask_t"): every kind of one finder before the next,
	 * so a typedef BTF has is not first asked of DWARF as a struct (which
	 * would index all of DWARF for a name it cannot have).
	 */
	static const enum vt_type_kind bare[] = {
		VT_TYPE_STRUCT, VT_TYPE_UNION, VT_TYPE_TYPEDEF, VT_TYPE_ENUM,
		VT_TYPE_INT, VT_TYPE_FLOAT,
	};
	struct question q = {
		.name = spec, .kinds = bare, .nkinds = sizeof(bare) / sizeof(bare[0]),
		.type_ret = ret,
	};
	struct vt_error *err;

	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		size_t n = strlen(tags[i].prefix);

		if (strncmp(spec, tags[i].prefix, n) == 0) {
			q.name = spec + n;
			q.kinds = &tags[i].kind;
			q.nkinds = 1;
			break;
		}
	}
	err = ask_chain(s, Q_TYPE, &q);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND)) {
		if (!s->finders[F_BTF] && !s->finders[F_DWARF])
			return vt_error_create(VT_ERR_NOT_FOUND,
				"type %s not found: this dump has no BTF and no vmlinux was given, "
				"so only the structs VMCOREINFO describes are known; "
				"give the vmlinux (with DWARF) for full types", spec);
		return vt_error_create(VT_ERR_NOT_FOUND, "type %s not found", spec);
	}
	return err;
}

/* Strip "struct "/"union " for VMCOREINFO keys, which use bare names. */
static const char *bare_name(const char *spec)
{
	const char *sp = strchr(spec, ' ');

	return sp ? sp + 1 : spec;
}

struct vt_error *vt_symbols_offsetof(struct vt_symbols *s, const char *type,
				     const char *path, uint64_t *ret)
{
	const struct question q = { .name = bare_name(type), .path = path, .u64_ret = ret };
	struct vt_type *t;
	uint64_t bits;
	struct vt_error *err = vt_symbols_type(s, type, &t);

	if (!err) {
		err = vt_type_member(t, path, &bits, NULL);
		if (!err)
			*ret = bits / 8;
		return err;
	}
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return err;
	err = ask_chain(s, Q_OFFSET, &q);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return vt_error_create(VT_ERR_NOT_FOUND, "offset of %s.%s not known", type, path);
	return err;
}

struct vt_error *vt_symbols_member(struct vt_symbols *s, const char *type,
				   const char *path, struct vt_member_info *ret)
{
	struct vt_type *t;
	struct vt_member *m;
	uint64_t bits;
	struct vt_error *err = vt_symbols_type(s, type, &t);

	if (!err) {
		err = vt_type_member(t, path, &bits, &m);
		if (err)
			return err;
		ret->offset = bits / 8;
		ret->type = vt_type_unqualified(m->type);
		ret->size = ret->type ? ret->type->size : 0;
		return NULL;
	}
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return err;
	ret->size = 0;
	ret->type = NULL;
	return vt_symbols_offsetof(s, type, path, &ret->offset);
}

struct vt_error *vt_symbols_sizeof(struct vt_symbols *s, const char *type,
				   uint64_t *ret)
{
	const struct question q = { .name = bare_name(type), .u64_ret = ret };
	struct vt_type *t;
	struct vt_error *err = vt_symbols_type(s, type, &t);

	if (!err) {
		*ret = vt_type_unqualified(t)->size;
		return NULL;
	}
	if (!vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return err;
	err = ask_chain(s, Q_SIZE, &q);
	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return vt_error_create(VT_ERR_NOT_FOUND, "size of %s not known", type);
	return err;
}

struct vt_error *vt_symbols_constant(struct vt_symbols *s, const char *name,
				     int64_t *ret)
{
	const struct question q = { .name = name, .constant_ret = ret };
	struct vt_error *err = ask_chain(s, Q_CONSTANT, &q);

	if (vt_error_catch(&err, VT_ERR_NOT_FOUND))
		return vt_error_create(VT_ERR_NOT_FOUND, "constant %s not found", name);
	return err;
}
