#include "models/bootlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/printk.h"

struct collect {
	const char *which;
	struct vt_map *map;
	size_t cap;
	bool nomem;
};

/* p starts with the word(s) w, ended there (end, "; crypto-capable", ...). */
static bool starts_with_word(const char *p, const char *w)
{
	size_t n = strlen(w);

	return !strncmp(p, w, n) && (!p[n] || p[n] == ';' || p[n] == ' ' || p[n] == '\n');
}

/*
 * e820 type from the words after the range, as e820_print_type()
 * (arch/x86/kernel/e820.c) prints them. Matched whole, from the start:
 * a substring search read "unusable" (type 5) as "usable", RAM.
 */
static uint32_t e820_type(const char *p)
{
	unsigned t;

	while (*p == ' ')
		p++;
	if (starts_with_word(p, "usable"))
		return 1;
	if (starts_with_word(p, "ACPI data"))
		return 3;
	if (starts_with_word(p, "ACPI NVS"))
		return 4;
	if (starts_with_word(p, "unusable"))
		return 5;
	if (sscanf(p, "persistent (type %u)", &t) == 1 || sscanf(p, "type %u", &t) == 1)
		return t;
	return 2;	/* "reserved", "soft reserved" */
}

static int collect(void *arg, const struct vt_log_record *r)
{
	struct collect *c = arg;
	const char *p = r->text;
	uint64_t lo, hi;
	int nid = -1, used = 0;

	while (*p == ' ')
		p++;
	if (!strcmp(c->which, "memblock")) {
		if (sscanf(p, "node %d: [mem %" SCNx64 "-%" SCNx64 "]%n", &nid, &lo, &hi, &used) < 3)
			return 0;
	} else {
		size_t n = strlen(c->which);

		if (strncmp(p, c->which, n) || p[n] != ':' ||
		    sscanf(p + n + 1, " [mem %" SCNx64 "-%" SCNx64 "]%n", &lo, &hi, &used) < 2)
			return 0;
		used += (int)n + 1;
	}
	if (hi < lo || hi == UINT64_MAX)
		return 0;
	if (c->map->n == c->cap) {
		size_t ncap = c->cap ? 2 * c->cap : 64;
		void *np;

		if (ncap > VT_MAX_MAP_ENTRIES || !(np = realloc(c->map->entries,
								ncap * sizeof(*c->map->entries)))) {
			c->nomem = true;
			return 1;
		}
		c->map->entries = np;
		c->cap = ncap;
	}
	c->map->entries[c->map->n++] = (struct vt_map_entry){
		lo, hi + 1, strcmp(c->which, "memblock") ? e820_type(p + used) : 0, nid,
	};
	return 0;
}

struct vt_error *vt_bootlog_map(struct vt_target *t, struct vt_symbols *s,
				const char *which, struct vt_map *ret)
{
	struct collect c = { .which = which, .map = ret };
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	ret->name = !strcmp(which, "memblock") ? "memblock.memory (boot log)" :
		    !strcmp(which, "user") ? "e820 user map (boot log)" : "e820 BIOS map (boot log)";
	err = vt_log_read(t, s, collect, &c, NULL);
	if (!err && c.nomem)
		err = vt_error_create(VT_ERR_FORMAT, "too many %s lines in the log", which);
	if (!err && !ret->n)
		err = vt_error_create(VT_ERR_NOT_FOUND,
				      "the log no longer holds the boot-time %s lines", which);
	if (err)
		vt_map_deinit(ret);
	return err;
}

struct vt_error *vt_memblock_memory(struct vt_target *t, struct vt_symbols *s,
				    struct vt_map *ret, bool *from_log)
{
	*from_log = vt_target_info(t)->arch_ops->memblock_from_log;
	return *from_log ? vt_bootlog_map(t, s, "memblock", ret) :
			   vt_memblock_read(t, s, "memory", ret);
}
