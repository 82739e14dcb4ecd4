/* BTF finder on hand-built BTF: lookups, lazy pointers, and corrupt input. */
#include <stdint.h>
#include <string.h>

#include "symbols/finders.h"
#include "symbols/symbols.h"
#include "unit.h"

static const char strs[] = "\0int\0s\0a\0b\0e\0X\0Y";
enum { S_INT = 1, S_S = 5, S_A = 7, S_B = 9, S_E = 11, S_X = 13, S_Y = 15 };

/* btf_type info word: vlen | kind << 24 | kflag << 31 */
#define INFO(kind, vlen, kflag) ((uint32_t)(vlen) | (uint32_t)(kind) << 24 | (uint32_t)(kflag) << 31)

static size_t build(unsigned char *buf)
{
	uint32_t types[] = {
		/* [1] int: name, info, size, encoding (signed, 32 bits) */
		S_INT, INFO(1, 0, 0), 4, (1u << 24) | 32,
		/* [2] struct s { int a; struct s *b; } size 16 */
		S_S, INFO(4, 2, 0), 16,
		S_A, 1, 0,
		S_B, 3, 64,
		/* [3] pointer to [2] */
		0, INFO(2, 0, 0), 2,
		/* [4] enum e { X = -1, Y = 5 } signed */
		S_E, INFO(6, 2, 1), 4,
		S_X, (uint32_t)-1,
		S_Y, 5,
	};
	uint32_t hdr[6] = { 0, 24, 0, sizeof(types), sizeof(types), sizeof(strs) };

	hdr[0] = 0xeB9F | 1u << 16;	/* magic, version 1, flags 0 */
	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + 24, types, sizeof(types));
	memcpy(buf + 24 + sizeof(types), strs, sizeof(strs));
	return 24 + sizeof(types) + sizeof(strs);
}

int main(void)
{
	unsigned char buf[512];
	size_t len = build(buf);
	struct vt_arena *arena = vt_arena_create();
	struct vt_finder *f;
	struct vt_type *t, *p;
	int64_t v;

	CHECK_OK(vt_btf_finder_from_data(buf, len, arena, &f));
	CHECK_OK(f->ops->type(f->arg, VT_TYPE_STRUCT, "s", &t));
	CHECK(t->kind == VT_TYPE_STRUCT && t->size == 16 && t->nmembers == 2);
	CHECK(strcmp(t->members[1].name, "b") == 0 && t->members[1].bit_offset == 64);
	CHECK(t->members[1].type->kind == VT_TYPE_POINTER && !t->members[1].type->target);
	CHECK_OK(vt_type_pointee(t->members[1].type, &p));
	CHECK(p == t);	/* the self-reference resolves to the same object */
	CHECK_OK(f->ops->constant(f->arg, "X", &v));
	CHECK(v == -1);
	CHECK_OK(f->ops->constant(f->arg, "Y", &v));
	CHECK(v == 5);
	CHECK_ERR(f->ops->type(f->arg, VT_TYPE_STRUCT, "nope", &t), VT_ERR_NOT_FOUND);
	CHECK_ERR(f->ops->constant(f->arg, "nope", &v), VT_ERR_NOT_FOUND);
	vt_finder_destroy(f);

	/* Corrupt: type section beyond the data, a name beyond the strings, a
	 * member type id out of range, bad magic, a short buffer. */
	len = build(buf);
	((uint32_t *)buf)[3] = 4096;
	CHECK_ERR(vt_btf_finder_from_data(buf, len, arena, &f), VT_ERR_FORMAT);
	/* libbpf 1.1 accepts these two; the finder must still answer safely. */
	len = build(buf);
	((uint32_t *)(buf + 24))[0] = 999;	/* int's name beyond the strings */
	if (!vt_btf_finder_from_data(buf, len, arena, &f)) {
		CHECK_OK(f->ops->type(f->arg, VT_TYPE_STRUCT, "s", &t));
		CHECK(t->members[0].type->kind == VT_TYPE_INT);
		vt_finder_destroy(f);
	}
	len = build(buf);
	((uint32_t *)(buf + 24))[4 + 3 + 1] = 77;	/* member a's type id */
	if (!vt_btf_finder_from_data(buf, len, arena, &f)) {
		CHECK_ERR(f->ops->type(f->arg, VT_TYPE_STRUCT, "s", &t), VT_ERR_FORMAT);
		vt_finder_destroy(f);
	}
	len = build(buf);
	buf[0] = 0;
	CHECK_ERR(vt_btf_finder_from_data(buf, len, arena, &f), VT_ERR_FORMAT);
	CHECK_ERR(vt_btf_finder_from_data(buf, 10, arena, &f), VT_ERR_FORMAT);
	vt_arena_destroy(arena);
	return unit_done("test_btf");
}
