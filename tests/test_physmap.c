/*
 * Firmware and boot memory maps (models/physmap.h, models/bootlog.h) on a
 * fake dump: an e820 table behind its pointer variable, memblock.memory and
 * .reserved, and the boot log's "BIOS-e820:", "user:" and "node N:" lines.
 * Layouts are the kernel's (arch/x86/include/asm/e820/types.h: packed
 * e820_entry {u64 addr, u64 size, u32 type}, 20 bytes, after a u32
 * nr_entries; include/linux/memblock.h: memblock {bool bottom_up,
 * phys_addr_t current_limit, memblock_type memory, reserved},
 * memblock_type {cnt, max, total_size, regions, name}, memblock_region
 * {base, size, flags, nid}), given as VMCOREINFO lines in place of BTF.
 */
#include <string.h>

#include "fake_target.h"
#include "models/bootlog.h"
#include "models/physmap.h"
#include "unit.h"

#define E820_VAR 0x3000u	/* struct e820_table *e820_table */
#define E820_TAB 0x4000u
#define MEMBLOCK 0x6000u
#define REGIONS 0x7000u

static void e820_layout(struct fake *f)
{
	fake_vi(f, "SYMBOL(e820_table)=%llx", (unsigned long long)KV(E820_VAR));
	fake_vi(f, "OFFSET(e820_table.nr_entries)=0");
	fake_vi(f, "OFFSET(e820_table.entries)=4");
	fake_vi(f, "SIZE(e820_entry)=20");
	fake_vi(f, "OFFSET(e820_entry.addr)=0");
	fake_vi(f, "OFFSET(e820_entry.size)=8");
	fake_vi(f, "OFFSET(e820_entry.type)=16");
}

static void e820_entry(struct fake *f, unsigned i, uint64_t addr, uint64_t size, uint32_t type)
{
	uint64_t e = E820_TAB + 4 + 20 * i;

	fake_put64(f, e, addr);
	fake_put64(f, e + 8, size);
	fake_put32(f, e + 16, type);
}

static void test_e820(void)
{
	struct fake f;
	struct vt_map map;
	struct vt_error *err;

	fake_init(&f, "5.4.0-test", 65536);
	e820_layout(&f);
	fake_put64(&f, E820_VAR, KV(E820_TAB));
	fake_put32(&f, E820_TAB, 4);
	e820_entry(&f, 0, 0, 0x9fc00, 1);
	e820_entry(&f, 1, 0x9fc00, 0x400, 2);
	e820_entry(&f, 2, 0xfffffffffffff000ull, 0x2000, 1);	/* wraps: dropped */
	e820_entry(&f, 3, 0x100000, 0x7ff00000, 3);
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_e820_read(f.t, f.s, "e820_table", &map));
	CHECK(!strcmp(map.name, "e820_table") && map.n == 3);
	CHECK(map.entries[0].start == 0 && map.entries[0].end == 0x9fc00 &&
	      map.entries[0].type == 1 && map.entries[0].nid == -1);
	CHECK(map.entries[1].start == 0x9fc00 && map.entries[1].end == 0xa0000 &&
	      map.entries[1].type == 2);
	CHECK(map.entries[2].start == 0x100000 && map.entries[2].end == 0x80000000 &&
	      map.entries[2].type == 3);
	vt_map_deinit(&map);
	CHECK(map.n == 0 && map.entries == NULL);

	/* A table that is not there: the error names it. */
	err = vt_e820_read(f.t, f.s, "e820_table_kexec", &map);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "e820_table_kexec"));
	vt_error_destroy(err);
	CHECK(map.n == 0 && map.entries == NULL);

	/* Filtered entries: NODATA, nothing half-built. */
	fake_filter(&f, E820_TAB + 40, 8);
	CHECK_ERR(vt_e820_read(f.t, f.s, "e820_table", &map), VT_ERR_NODATA);
	CHECK(map.n == 0 && map.entries == NULL);
	fake_unfilter(&f);

	/* A garbage count is refused, not allocated and read. */
	fake_put32(&f, E820_TAB, 0x7fffffff);
	CHECK_ERR(vt_e820_read(f.t, f.s, "e820_table", &map), VT_ERR_FORMAT);
	fake_put32(&f, E820_TAB, 0);
	CHECK_OK(vt_e820_read(f.t, f.s, "e820_table", &map));
	CHECK(map.n == 0);
	vt_map_deinit(&map);
	/* A pointer into nowhere. */
	fake_put64(&f, E820_VAR, KV(FAKE_MEM_SIZE + 0x1000));
	CHECK_ERR(vt_e820_read(f.t, f.s, "e820_table", &map), VT_ERR_FAULT);
	fake_put64(&f, E820_VAR, KV(E820_TAB));

	/* A member the types lack is named, not guessed. */
	fake_vi_drop(&f, "OFFSET(e820_entry.type)");
	CHECK_OK(fake_open(&f));
	err = vt_e820_read(f.t, f.s, "e820_table", &map);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "e820_entry") &&
	      strstr(err->message, "type"));
	vt_error_destroy(err);
	/* An entry size no e820_entry has. */
	fake_vi(&f, "OFFSET(e820_entry.type)=16");
	fake_vi_drop(&f, "SIZE(e820_entry)");
	fake_vi(&f, "SIZE(e820_entry)=16");
	CHECK_OK(fake_open(&f));
	CHECK_ERR(vt_e820_read(f.t, f.s, "e820_table", &map), VT_ERR_FORMAT);
	fake_free(&f);

	CHECK(!strcmp(vt_e820_type_name(1), "RAM") && !strcmp(vt_e820_type_name(5), "unusable"));
	CHECK(!strcmp(vt_e820_type_name(12), "PRAM") && !strcmp(vt_e820_type_name(7), "PMEM"));
	CHECK(!strcmp(vt_e820_type_name(6), "unknown"));
}

static void memblock_layout(struct fake *f, bool nid)
{
	fake_vi(f, "SYMBOL(memblock)=%llx", (unsigned long long)KV(MEMBLOCK));
	fake_vi(f, "OFFSET(memblock.memory)=16");
	fake_vi(f, "OFFSET(memblock.reserved)=56");
	fake_vi(f, "OFFSET(memblock_type.cnt)=0");
	fake_vi(f, "OFFSET(memblock_type.regions)=24");
	fake_vi(f, "SIZE(memblock_region)=24");
	fake_vi(f, "OFFSET(memblock_region.base)=0");
	fake_vi(f, "OFFSET(memblock_region.size)=8");
	fake_vi(f, "OFFSET(memblock_region.flags)=16");
	if (nid)
		fake_vi(f, "OFFSET(memblock_region.nid)=20");
}

static void region(struct fake *f, uint64_t at, uint64_t base, uint64_t size, uint32_t flags,
		   uint32_t nid)
{
	fake_put64(f, at, base);
	fake_put64(f, at + 8, size);
	fake_put32(f, at + 16, flags);
	fake_put32(f, at + 20, nid);
}

static void test_memblock(void)
{
	struct fake f;
	struct vt_map map;
	struct vt_error *err;

	fake_init(&f, "5.4.0-test", 65536);
	memblock_layout(&f, true);
	/* memory: 4 regions, one empty and one wrapping (both dropped) */
	fake_put64(&f, MEMBLOCK + 16, 4);
	fake_put64(&f, MEMBLOCK + 16 + 24, KV(REGIONS));
	region(&f, REGIONS, 0, 0x10000000, 0, 0);
	region(&f, REGIONS + 24, 0x10000000, 0, 0, 0);
	region(&f, REGIONS + 48, 0xfffffffff0000000ull, 0x20000000, 0, 0);
	region(&f, REGIONS + 72, 0x20000000, 0x10000000, 2, 1);	/* MEMBLOCK_MIRROR */
	/* reserved: 1 region elsewhere */
	fake_put64(&f, MEMBLOCK + 56, 1);
	fake_put64(&f, MEMBLOCK + 56 + 24, KV(REGIONS + 0x400));
	region(&f, REGIONS + 0x400, 0x1000, 0x3000, 0, 0);
	CHECK_OK(fake_open(&f));

	CHECK_OK(vt_memblock_read(f.t, f.s, "memory", &map));
	CHECK(!strcmp(map.name, "memblock.memory") && map.n == 2);
	CHECK(map.entries[0].start == 0 && map.entries[0].end == 0x10000000 &&
	      map.entries[0].nid == 0 && map.entries[0].type == 0);
	CHECK(map.entries[1].start == 0x20000000 && map.entries[1].end == 0x30000000 &&
	      map.entries[1].nid == 1 && map.entries[1].type == 2);
	vt_map_deinit(&map);
	CHECK_OK(vt_memblock_read(f.t, f.s, "reserved", &map));
	CHECK(!strcmp(map.name, "memblock.reserved") && map.n == 1);
	CHECK(map.entries[0].start == 0x1000 && map.entries[0].end == 0x4000);
	vt_map_deinit(&map);

	/* x86 frees the region array after boot: its memory filtered, or the
	 * pointer left dangling, is an error, not a list of garbage. */
	fake_filter(&f, REGIONS + 0x400, 24);
	CHECK_ERR(vt_memblock_read(f.t, f.s, "reserved", &map), VT_ERR_NODATA);
	CHECK(map.n == 0 && !map.entries);
	fake_unfilter(&f);
	fake_put64(&f, MEMBLOCK + 56 + 24, 0xdeadbeef00000000ull);
	err = vt_memblock_read(f.t, f.s, "reserved", &map);
	CHECK(err != NULL && map.n == 0);
	vt_error_destroy(err);
	/* A garbage count is refused before anything is allocated. */
	fake_put64(&f, MEMBLOCK + 56, 1ull << 40);
	CHECK_ERR(vt_memblock_read(f.t, f.s, "reserved", &map), VT_ERR_FORMAT);

	/* No nid member (!CONFIG_NUMA): nid -1, the rest read. */
	fake_vi_drop(&f, "OFFSET(memblock_region.nid)");
	CHECK_OK(fake_open(&f));
	CHECK_OK(vt_memblock_read(f.t, f.s, "memory", &map));
	CHECK(map.n == 2 && map.entries[1].nid == -1 && map.entries[1].type == 2);
	vt_map_deinit(&map);
	/* A required member missing: named. */
	fake_vi_drop(&f, "OFFSET(memblock_type.regions)");
	CHECK_OK(fake_open(&f));
	err = vt_memblock_read(f.t, f.s, "memory", &map);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "memblock_type") &&
	      strstr(err->message, "regions") && strstr(err->message, "memblock.memory"));
	vt_error_destroy(err);
	fake_free(&f);
}

static void boot_log(struct fake *f)
{
	fake_log_init(f, 0x1000, 0x20000, 0x4000);
	fake_log(f, "Linux version 5.4.0-test");
	fake_log(f, "BIOS-provided physical RAM map:");
	fake_log(f, "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable");
	fake_log(f, "BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved");
	fake_log(f, "BIOS-e820: [mem 0x0000000000100000-0x000000007ffdffff] usable");
	fake_log(f, "BIOS-e820: [mem 0x000000007ffe0000-0x000000007ffe0fff] ACPI data");
	fake_log(f, "BIOS-e820: [mem 0x000000007ffe1000-0x000000007ffe1fff] ACPI NVS");
	fake_log(f, "BIOS-e820: [mem 0x0000000080000000-0x00000000801fffff] unusable");
	fake_log(f, "BIOS-e820: [mem 0x0000000100000000-0x000000013fffffff] persistent (type 7)");
	fake_log(f, "BIOS-e820: [mem 0x0000000140000000-0x000000017fffffff] persistent (type 12)");
	fake_log(f, "BIOS-e820: [mem 0x0000000180000000-0x0000000180000fff] type 20");
	fake_log(f, "BIOS-e820: [mem 0x0000000200000000-0x00000001ffffffff] usable"); /* hi < lo */
	fake_log(f, "e820: update [mem 0x00000000-0x00000fff] usable ==> reserved");
	fake_log(f, "user-defined physical RAM map:");
	fake_log(f, "user: [mem 0x0000000000000000-0x000000000009fbff] usable");
	fake_log(f, "user: [mem 0x0000000000100000-0x000000003fffffff] usable");
	fake_log(f, "Early memory node ranges");
	fake_log(f, "  node   0: [mem 0x0000000000001000-0x000000000009efff]");
	fake_log(f, "  node   0: [mem 0x0000000000100000-0x000000003fffffff]");
	fake_log(f, "  node   1: [mem 0x0000000040000000-0x000000007ffdffff]");
	fake_log(f, "Zeroed struct page in unavailable ranges: 98 pages");
}

static void test_bootlog(void)
{
	struct fake f;
	struct vt_map map;
	struct vt_error *err;

	fake_init(&f, "5.4.0-test", 65536);
	boot_log(&f);
	CHECK_OK(fake_open(&f));

	CHECK_OK(vt_bootlog_map(f.t, f.s, "memblock", &map));
	CHECK(map.n == 3 && strstr(map.name, "boot log"));
	if (map.n == 3) {
		CHECK(map.entries[0].start == 0x1000 && map.entries[0].end == 0x9f000 &&
		      map.entries[0].nid == 0);
		CHECK(map.entries[1].start == 0x100000 && map.entries[1].end == 0x40000000);
		CHECK(map.entries[2].start == 0x40000000 && map.entries[2].end == 0x7ffe0000 &&
		      map.entries[2].nid == 1);
	}
	vt_map_deinit(&map);

	CHECK_OK(vt_bootlog_map(f.t, f.s, "BIOS-e820", &map));
	CHECK(map.n == 9);	/* the inverted range is dropped */
	if (map.n == 9) {
		CHECK(map.entries[0].start == 0 && map.entries[0].end == 0x9fc00 &&
		      map.entries[0].type == 1 && map.entries[0].nid == -1);
		CHECK(map.entries[1].type == 2 && map.entries[1].end == 0xa0000);
		CHECK(map.entries[2].type == 1);
		CHECK(map.entries[3].type == 3 && map.entries[4].type == 4);
		/* e820_print_type() prints "unusable" for type 5. */
		CHECK(map.entries[5].type == 5);
		CHECK(map.entries[6].type == 7 && map.entries[7].type == 12);
		CHECK(map.entries[8].type == 20 && map.entries[8].end == 0x180001000);
	}
	vt_map_deinit(&map);

	CHECK_OK(vt_bootlog_map(f.t, f.s, "user", &map));
	CHECK(map.n == 2 && map.entries[1].end == 0x40000000 && map.entries[1].type == 1);
	vt_map_deinit(&map);

	/* No such lines: NOT_FOUND saying so, nothing allocated. */
	err = vt_bootlog_map(f.t, f.s, "BIOS-e801", &map);
	CHECK(err && err->code == VT_ERR_NOT_FOUND && strstr(err->message, "BIOS-e801"));
	vt_error_destroy(err);
	CHECK(map.n == 0 && !map.entries);

	/* No log at all: the log's own error comes back. */
	fake_vi_drop(&f, "SYMBOL(log_buf)");
	CHECK_OK(fake_open(&f));
	err = vt_bootlog_map(f.t, f.s, "memblock", &map);
	CHECK(err != NULL && map.n == 0 && !map.entries);
	vt_error_destroy(err);
	fake_free(&f);
}

int main(void)
{
	test_e820();
	test_memblock();
	test_bootlog();
	return unit_done("test_physmap");
}
