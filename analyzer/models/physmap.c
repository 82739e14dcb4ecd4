#include "models/physmap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

const char *vt_e820_type_name(uint32_t type)
{
	/* arch/x86/include/asm/e820/types.h */
	switch (type) {
	case 1: return "RAM";
	case 2: return "reserved";
	case 3: return "ACPI";
	case 4: return "NVS";
	case 5: return "unusable";
	case 7: return "PMEM";
	case 12: return "PRAM";
	case 0xefffffff: return "soft-reserved";
	case 0xe0000000: return "reserved-kern";
	default: return "unknown";
	}
}

static struct vt_error *offset(struct vt_symbols *s, const char *type,
			       const char *member, uint64_t *ret)
{
	return vt_symbols_offsetof(s, type, member, ret);
}

struct vt_error *vt_e820_read(struct vt_target *t, struct vt_symbols *s,
			      const char *table, struct vt_map *ret)
{
	uint64_t var, addr, o_nr, o_entries, esize, o_addr, o_size, o_type;
	unsigned char *buf = NULL;
	uint32_t nr;
	struct vt_error *err;
	bool be = vt_target_info(t)->big_endian;

	memset(ret, 0, sizeof(*ret));
	ret->name = table;
	if ((err = vt_symbols_lookup(s, table, &var)) ||
	    (err = vt_target_read_u64(t, var, &addr)) ||
	    (err = offset(s, "struct e820_table", "nr_entries", &o_nr)) ||
	    (err = offset(s, "struct e820_table", "entries", &o_entries)) ||
	    (err = vt_symbols_sizeof(s, "struct e820_entry", &esize)) ||
	    (err = offset(s, "struct e820_entry", "addr", &o_addr)) ||
	    (err = offset(s, "struct e820_entry", "size", &o_size)) ||
	    (err = offset(s, "struct e820_entry", "type", &o_type)) ||
	    (err = vt_target_read_u32(t, addr + o_nr, &nr)))
		return vt_error_prefix(err, "%s", table);
	if (nr > VT_MAX_MAP_ENTRIES || esize < 20 || esize > 64)
		return vt_error_create(VT_ERR_FORMAT, "%s: %u entries of %" PRIu64 " bytes",
				       table, nr, esize);
	ret->entries = calloc(nr + 1, sizeof(*ret->entries));
	buf = malloc((size_t)nr * esize + 1);
	if (!ret->entries || !buf) {
		free(buf);
		vt_map_deinit(ret);
		return &vt_enomem;
	}
	err = vt_target_read_kv(t, addr + o_entries, buf, (size_t)nr * esize);
	if (err) {
		free(buf);
		vt_map_deinit(ret);
		return vt_error_prefix(err, "%s entries", table);
	}
	for (uint32_t i = 0; i < nr; i++) {
		const unsigned char *e = buf + (size_t)i * esize;
		uint64_t a = vt_load64(e + o_addr, be), sz = vt_load64(e + o_size, be);

		if (a + sz < a)		/* wraps: corrupt entry */
			continue;
		ret->entries[ret->n].start = a;
		ret->entries[ret->n].end = a + sz;
		ret->entries[ret->n].type = vt_load32(e + o_type, be);
		ret->entries[ret->n].nid = -1;
		ret->n++;
	}
	free(buf);
	return NULL;
}

struct vt_error *vt_memblock_read(struct vt_target *t, struct vt_symbols *s,
				  const char *which, struct vt_map *ret)
{
	uint64_t mb, o_type, o_cnt, o_regions, rsize, o_base, o_size, o_flags, o_nid,
		 cnt, regions;
	bool be = vt_target_info(t)->big_endian, have_nid = true;
	unsigned char *buf;
	struct vt_error *err;

	memset(ret, 0, sizeof(*ret));
	ret->name = strcmp(which, "memory") == 0 ? "memblock.memory" : "memblock.reserved";
	if ((err = vt_symbols_lookup(s, "memblock", &mb)) ||
	    (err = offset(s, "struct memblock", which, &o_type)) ||
	    (err = offset(s, "struct memblock_type", "cnt", &o_cnt)) ||
	    (err = offset(s, "struct memblock_type", "regions", &o_regions)) ||
	    (err = vt_symbols_sizeof(s, "struct memblock_region", &rsize)) ||
	    (err = offset(s, "struct memblock_region", "base", &o_base)) ||
	    (err = offset(s, "struct memblock_region", "size", &o_size)) ||
	    (err = offset(s, "struct memblock_region", "flags", &o_flags)) ||
	    (err = vt_target_read_u64(t, mb + o_type + o_cnt, &cnt)) ||
	    (err = vt_target_read_u64(t, mb + o_type + o_regions, &regions)))
		return vt_error_prefix(err, "%s", ret->name);
	err = offset(s, "struct memblock_region", "nid", &o_nid);
	if (err) {
		vt_error_destroy(err);
		have_nid = false;
	}
	if (cnt > VT_MAX_MAP_ENTRIES || rsize < 16 || rsize > 64)
		return vt_error_create(VT_ERR_FORMAT, "%s: cnt %" PRIu64, ret->name, cnt);
	/* After boot x86 frees the region arrays: regions may point anywhere. */
	ret->entries = calloc(cnt + 1, sizeof(*ret->entries));
	buf = malloc(cnt * rsize + 1);
	if (!ret->entries || !buf) {
		free(buf);
		vt_map_deinit(ret);
		return &vt_enomem;
	}
	err = vt_target_read_kv(t, regions, buf, cnt * rsize);
	for (uint64_t i = 0; !err && i < cnt; i++) {
		const unsigned char *r = buf + i * rsize;
		uint64_t base = vt_load64(r + o_base, be), size = vt_load64(r + o_size, be);

		if (base + size < base || size == 0)
			continue;
		ret->entries[ret->n].start = base;
		ret->entries[ret->n].end = base + size;
		ret->entries[ret->n].type = vt_load32(r + o_flags, be);
		ret->entries[ret->n].nid = have_nid ? (int)vt_load32(r + o_nid, be) : -1;
		ret->n++;
	}
	free(buf);
	if (err) {
		vt_map_deinit(ret);
		return vt_error_prefix(err, "%s regions", ret->name);
	}
	return NULL;
}

void vt_map_deinit(struct vt_map *map)
{
	free(map->entries);
	map->entries = NULL;
	map->n = 0;
}
