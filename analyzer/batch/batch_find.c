/*
 * `vmtriage batch`: finding the dumps (by magic, not by name: customer
 * dumps come named anything) and, in the child, the vmlinux a dump needs.
 */
#include "batch/batch.h"

#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols/debuginfod.h"
#include "symbols/finders.h"
#include "symbols/symbols.h"
#include "target/dumpcheck.h"
#include "target/sniff.h"
#include "target/target.h"

#define MAX_DEPTH 32		/* directory recursion */

const char *vt_batch_dump_magic(const char *path)
{
	switch (vt_target_sniff(path)) {
	case VT_FILE_FLATTENED: return "flattened";
	case VT_FILE_KDUMP: return "kdump";
	case VT_FILE_ELF_CORE: return "ELF core";
	default: return NULL;	/* vmlinux files and modules are not dumps */
	}
}

/*
 * A file worth reporting when it is not a dump: kdump names its output
 * vmcore (and vmcore-dmesg.txt beside it), people name them *dump*.
 */
static bool named_like_dump(const char *base)
{
	const char *dot = strrchr(base, '.');

	if (!strncmp(base, "vmcore-dmesg", 12) || !strncmp(base, "vmlinux", 7))
		return false;
	if (dot && (!strcasecmp(dot, ".txt") || !strcasecmp(dot, ".log") ||
		    !strcasecmp(dot, ".json") || !strcasecmp(dot, ".jsonl") ||
		    !strcasecmp(dot, ".stderr")))
		return false;
	return strcasestr(base, "vmcore") || strcasestr(base, "dump");
}

static bool add(struct vt_batch_dumps *ds, const char *path, const struct stat *st,
		enum vt_batch_status status)
{
	struct vt_batch_dump *d;

	if (ds->n == ds->cap) {
		size_t cap = ds->cap ? 2 * ds->cap : 64;
		struct vt_batch_dump *nd = realloc(ds->d, cap * sizeof(*nd));

		if (!nd)
			return false;
		ds->d = nd;
		ds->cap = cap;
	}
	d = &ds->d[ds->n];
	memset(d, 0, sizeof(*d));
	d->path = strdup(path);
	if (!d->path)
		return false;
	d->size = (uint64_t)st->st_size;
	d->mtime_ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
	d->status = status;
	d->exit_code = -1;
	if (status == VT_BATCH_NOT_DUMP)
		snprintf(d->message, sizeof(d->message),
			 "not a crash dump (no ELF core, KDUMP, DISKDUMP or makedumpfile magic)");
	ds->n++;
	return true;
}

static void consider_file(struct vt_batch_dumps *ds, const char *path, const struct stat *st,
			  bool explicit)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (!strncmp(base, "vmlinux", 7))
		return;
	if (vt_batch_dump_magic(path))
		add(ds, path, st, VT_BATCH_PENDING);
	else if (explicit || named_like_dump(base))
		add(ds, path, st, VT_BATCH_NOT_DUMP);
}

static void walk(struct vt_batch_dumps *ds, const char *dir, int depth)
{
	DIR *dp;
	struct dirent *de;

	if (depth > MAX_DEPTH || !(dp = opendir(dir)))
		return;
	while ((de = readdir(dp))) {
		char path[PATH_MAX];
		struct stat lst, st;

		if (de->d_name[0] == '.')
			continue;	/* ., .., and hidden (e.g. a batch's own temp files) */
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &lst) || stat(path, &st))
			continue;
		/* Symlinked directories are not followed: loops, and trees twice. */
		if (S_ISDIR(lst.st_mode))
			walk(ds, path, depth + 1);
		else if (S_ISREG(st.st_mode))
			consider_file(ds, path, &st, false);
	}
	closedir(dp);
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct vt_batch_dump *)a)->path,
		      ((const struct vt_batch_dump *)b)->path);
}

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/*
 * Result names: the path with every byte outside [A-Za-z0-9._-] made '_';
 * long ones keep their tail (the file name says more than the mount point);
 * names two paths share get the path's hash, which stays the same across
 * runs whatever else is in the batch.
 */
static void name_dumps(struct vt_batch_dumps *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		const char *p = ds->d[i].path;
		size_t len = strlen(p);
		char buf[160];
		size_t o = 0;

		if (len > 120)
			p += len - 120;
		while (*p == '/' || *p == '.')
			p++;
		for (; *p && o < 120; p++)
			buf[o++] = (isalnum((unsigned char)*p) || *p == '.' || *p == '-') ? *p : '_';
		if (!o)
			buf[o++] = '_';
		buf[o] = '\0';
		ds->d[i].name = strdup(buf);
	}
	for (size_t i = 0; i < ds->n; i++) {
		bool clash = false;

		for (size_t j = 0; j < ds->n && !clash; j++)
			clash = j != i && ds->d[i].name && ds->d[j].name &&
				!strcmp(ds->d[i].name, ds->d[j].name);
		if (clash) {
			char buf[200];

			snprintf(buf, sizeof(buf), "%s-%08x", ds->d[i].name, fnv1a(ds->d[i].path));
			free(ds->d[i].name);
			ds->d[i].name = strdup(buf);
		}
	}
}

/* The piece info of a kdump-compressed file; false for anything else. */
static bool read_piece(const char *path, struct vt_dump_piece *piece)
{
	struct vt_dump_cut cut;
	struct vt_error *err;
	int fd;

	if (vt_target_sniff(path) != VT_FILE_KDUMP ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	memset(piece, 0, sizeof(*piece));
	err = vt_dumpcheck_diskdump(fd, NULL, &cut, piece);
	close(fd);
	vt_error_destroy(err);
	return !err && piece->split;
}

/*
 * The pieces of one makedumpfile --split run (the same disk_dump_header:
 * utsname, timestamp, sizes) are one dump: the first by path carries the
 * others, which leave the list. Up to VT_TARGET_MAX_PIECES per set.
 */
static void group_pieces(struct vt_batch_dumps *ds)
{
	struct vt_dump_piece *pc = calloc(ds->n ? ds->n : 1, sizeof(*pc));
	bool *is = calloc(ds->n ? ds->n : 1, sizeof(*is));

	for (size_t i = 0; pc && is && i < ds->n; i++)
		is[i] = ds->d[i].status == VT_BATCH_PENDING && read_piece(ds->d[i].path, &pc[i]);
	for (size_t i = 0; pc && is && i < ds->n; i++) {
		if (!is[i])
			continue;
		for (size_t j = i + 1; j < ds->n; j++) {
			char **np;

			if (!is[j] || memcmp(pc[i].header, pc[j].header, sizeof(pc[i].header)) ||
			    ds->d[i].npieces + 1 >= VT_TARGET_MAX_PIECES ||
			    !(np = realloc(ds->d[i].pieces, (ds->d[i].npieces + 1) * sizeof(*np))))
				continue;
			ds->d[i].pieces = np;
			np[ds->d[i].npieces++] = ds->d[j].path;
			ds->d[i].size += ds->d[j].size;
			ds->d[j].path = NULL;	/* taken */
			is[j] = false;
		}
	}
	/* drop the entries whose path a set took */
	for (size_t i = 0, w = 0; i <= ds->n; i++) {
		if (i == ds->n) {
			ds->n = w;
			break;
		}
		if (ds->d[i].path)
			ds->d[w++] = ds->d[i];
	}
	free(pc);
	free(is);
}

bool vt_batch_find(char **paths, int npaths, struct vt_batch_dumps *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		size_t len = strlen(paths[i]);

		if (stat(paths[i], &st)) {
			fprintf(stderr, "vmtriage batch: %s: %s\n", paths[i], strerror(errno));
			return false;
		}
		if (S_ISDIR(st.st_mode)) {
			char *dir = strdup(paths[i]);

			if (!dir)
				return false;
			while (len > 1 && dir[len - 1] == '/')
				dir[--len] = '\0';
			walk(ret, dir, 0);
			free(dir);
		} else {
			consider_file(ret, paths[i], &st, true);
		}
	}
	qsort(ret->d, ret->n, sizeof(*ret->d), by_path);
	/* The same file given twice (or found twice) is triaged once. */
	for (size_t i = 1; i < ret->n; ) {
		if (!strcmp(ret->d[i].path, ret->d[i - 1].path)) {
			free(ret->d[i].path);
			memmove(&ret->d[i], &ret->d[i + 1], (ret->n - i - 1) * sizeof(*ret->d));
			ret->n--;
		} else {
			i++;
		}
	}
	group_pieces(ret);
	name_dumps(ret);
	for (size_t i = 0; i < ret->n; i++)
		if (!ret->d[i].name)
			return false;
	return true;
}

void vt_batch_dumps_deinit(struct vt_batch_dumps *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		for (size_t k = 0; k < ds->d[i].npieces; k++)
			free(ds->d[i].pieces[k]);
		free(ds->d[i].pieces);
	}
	for (size_t i = 0; i < ds->n; i++) {
		free(ds->d[i].path);
		free(ds->d[i].name);
		free(ds->d[i].verdicts);
	}
	free(ds->d);
	memset(ds, 0, sizeof(*ds));
}

/* Does the vmlinux at path belong to the dump? Build-id first, else release. */
static bool matches(const char *path, const char *release, const char *build_id)
{
	struct vt_vmlinux_id id;
	struct vt_error *err;
	size_t n;

	if (access(path, R_OK))
		return false;
	err = vt_elf_vmlinux_id(path, &id);
	if (err) {
		vt_error_destroy(err);
		return false;
	}
	if (build_id && *build_id && *id.build_id) {
		/* VMCOREINFO's BUILD-ID may be cut to 20 bytes of hex. */
		n = strlen(build_id) < strlen(id.build_id) ? strlen(build_id) : strlen(id.build_id);
		return !strncasecmp(build_id, id.build_id, n);
	}
	return *release && !strcmp(release, id.release);
}

static bool find_in_dir(const char *dir, const char *release, const char *build_id,
			char *out, size_t len)
{
	char path[PATH_MAX];
	DIR *dp;
	struct dirent *de;
	bool found = false;

	if (*release) {
		snprintf(path, sizeof(path), "%s/vmlinux-%s", dir, release);
		if (matches(path, release, build_id))
			goto hit;
		snprintf(path, sizeof(path), "%s/%s/vmlinux", dir, release);
		if (matches(path, release, build_id))
			goto hit;
	}
	/* Renamed files: only a build-id identifies them safely. */
	if (!build_id || !*build_id || !(dp = opendir(dir)))
		return false;
	while (!found && (de = readdir(dp))) {
		struct stat st;

		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		found = matches(path, release, build_id);
	}
	closedir(dp);
	if (!found)
		return false;
hit:
	snprintf(out, len, "%s", path);
	return true;
}

static bool has_btf(struct vt_target *t)
{
	struct vt_symbols_options opts = { 0 };
	const struct vt_symbols_finder_status *st;
	struct vt_symbols *s;
	struct vt_error *err = vt_symbols_create(t, &opts, &s);
	bool btf = false;

	if (err) {
		vt_error_destroy(err);
		return false;
	}
	for (size_t i = 0, n = vt_symbols_finder_status(s, &st); i < n; i++)
		if (!strcmp(st[i].name, "btf"))
			btf = st[i].loaded;
	vt_symbols_destroy(s);
	return btf;
}

/* Tabs and newlines would break the one-line record. */
static void put_field(FILE *fp, const char *s, char sep)
{
	for (; *s; s++)
		fputc(*s == '\t' || *s == '\n' ? ' ' : *s, fp);
	fputc(sep, fp);
}

bool vt_batch_identify(const char *dump, char **debuginfo, int ndebuginfo,
		       const char *debuginfod_urls, char *vmlinux_ret, size_t len, int fd)
{
	static const char *const system_dirs[] = { "/usr/lib/debug/boot" };
	struct vt_target *t;
	struct vt_error *err = vt_target_open(dump, &t);
	const struct vt_target_info *ti;
	const char *bid = NULL;
	char note[256] = "", dir[PATH_MAX];
	FILE *fp;

	*vmlinux_ret = '\0';
	if (err) {
		fprintf(stderr, "vmtriage: %s\n", err->message);
		vt_error_destroy(err);
		return false;
	}
	ti = vt_target_info(t);
	if (vt_target_vmcoreinfo(t))
		bid = vt_vmcoreinfo_get(vt_target_vmcoreinfo(t), "BUILD-ID");
	if (!has_btf(t)) {
		const char *slash = strrchr(dump, '/');
		bool found = false;

		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - dump) : 1,
			 slash ? dump : ".");
		if (slash == dump)
			strcpy(dir, "/");
		snprintf(vmlinux_ret, len, "%s/vmlinux", dir);
		found = matches(vmlinux_ret, ti->release, bid);
		for (int i = 0; !found && i < ndebuginfo; i++)
			found = find_in_dir(debuginfo[i], ti->release, bid, vmlinux_ret, len);
		for (size_t i = 0; !found && i < sizeof(system_dirs) / sizeof(*system_dirs); i++)
			found = find_in_dir(system_dirs[i], ti->release, bid, vmlinux_ret, len);
		if (!found && debuginfod_urls) {
			char *path = NULL;

			err = vt_debuginfod_vmlinux(debuginfod_urls, bid, false, &path);
			if (!err && matches(path, ti->release, bid)) {
				snprintf(vmlinux_ret, len, "%s", path);
				snprintf(note, sizeof(note), "vmlinux from debuginfod");
				found = true;
			} else {
				snprintf(note, sizeof(note), "%s; ", err ? err->message :
					 "debuginfod gave a vmlinux of another build");
			}
			vt_error_destroy(err);
			free(path);
		}
		if (!found) {
			size_t used = strlen(note);

			*vmlinux_ret = '\0';
			snprintf(note + used, sizeof(note) - used,
				 "no BTF in the dump and no vmlinux for %s%s%s: types from VMCOREINFO only",
				 *ti->release ? ti->release : "release unknown",
				 bid ? ", build-id " : "", bid ? bid : "");
		}
	}
	fp = fdopen(fd, "w");
	if (fp) {
		put_field(fp, ti->release, '\t');
		put_field(fp, vt_arch_name(ti->arch), '\t');
		put_field(fp, ti->format, '\t');
		put_field(fp, vmlinux_ret, '\t');
		put_field(fp, note, '\n');
		fclose(fp);
	}
	vt_target_destroy(t);
	return true;
}
