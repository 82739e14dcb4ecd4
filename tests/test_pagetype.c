/* page_type decoding in the three encodings (analyzer/models/pagetype.h), no dump. */
#include <string.h>

#include "models/pagetype.h"
#include "unit.h"

int main(void)
{
	struct vt_pagetype_encoding e;
	int maj, min;

	/* v5.11-v6.9 #defines: a type is set when its bit is CLEAR under the base. */
	memset(&e, 0, sizeof(e));
	e.kind = VT_PAGETYPE_INVERTED;
	e.base = 0xf0000000u;
	e.value[VT_PAGE_TYPE_BUDDY] = 0x80;
	e.value[VT_PAGE_TYPE_OFFLINE] = 0x100;
	e.value[VT_PAGE_TYPE_TABLE] = 0x200;
	e.value[VT_PAGE_TYPE_GUARD] = 0x400;
	CHECK(vt_pagetype_decode(&e, 0xffffff7fu) == VT_PAGE_TYPE_BUDDY);
	CHECK(vt_pagetype_decode(&e, 0xfffffdffu) == VT_PAGE_TYPE_TABLE);
	CHECK(vt_pagetype_decode(&e, 0xfffffbffu) == VT_PAGE_TYPE_GUARD);
	CHECK(vt_pagetype_decode(&e, 0xfffffeffu) == VT_PAGE_TYPE_OFFLINE);
	CHECK(vt_pagetype_decode(&e, 0xffffffffu) == VT_PAGE_TYPE_NONE);	/* _mapcount -1 */
	CHECK(vt_pagetype_decode(&e, 0x00000000u) == VT_PAGE_TYPE_NONE);	/* mapped once */
	CHECK(vt_pagetype_decode(&e, 0x7fffff7fu) == VT_PAGE_TYPE_NONE);	/* base not set */

	/* v6.10-6.11: enum pagetype, base 0x80000000, PG_table 0x10000000. */
	memset(&e, 0, sizeof(e));
	e.kind = VT_PAGETYPE_INVERTED;
	e.base = 0x80000000u;
	e.value[VT_PAGE_TYPE_BUDDY] = 0x40000000u;
	e.value[VT_PAGE_TYPE_TABLE] = 0x10000000u;
	e.value[VT_PAGE_TYPE_SLAB] = 0x04000000u;
	CHECK(vt_pagetype_decode(&e, 0xbfffffffu) == VT_PAGE_TYPE_BUDDY);
	CHECK(vt_pagetype_decode(&e, 0xefffffffu) == VT_PAGE_TYPE_TABLE);
	CHECK(vt_pagetype_decode(&e, 0xfbffffffu) == VT_PAGE_TYPE_SLAB);
	CHECK(vt_pagetype_decode(&e, 0xffffffffu) == VT_PAGE_TYPE_NONE);

	/* v6.12+: the top byte is the type (PGTY_buddy 0xf0, table 0xf2, slab 0xf5);
	 * the low 24 bits are the type's own data (buddy order, slab data). */
	memset(&e, 0, sizeof(e));
	e.kind = VT_PAGETYPE_TOP_BYTE;
	e.value[VT_PAGE_TYPE_BUDDY] = 0xf0;
	e.value[VT_PAGE_TYPE_OFFLINE] = 0xf1;
	e.value[VT_PAGE_TYPE_TABLE] = 0xf2;
	e.value[VT_PAGE_TYPE_GUARD] = 0xf3;
	e.value[VT_PAGE_TYPE_HUGETLB] = 0xf4;
	e.value[VT_PAGE_TYPE_SLAB] = 0xf5;
	CHECK(vt_pagetype_decode(&e, 0xf0000003u) == VT_PAGE_TYPE_BUDDY);
	CHECK(vt_pagetype_decode(&e, 0xf2000000u) == VT_PAGE_TYPE_TABLE);
	CHECK(vt_pagetype_decode(&e, 0xf5000000u) == VT_PAGE_TYPE_SLAB);
	CHECK(vt_pagetype_decode(&e, 0xf4000000u) == VT_PAGE_TYPE_HUGETLB);
	CHECK(vt_pagetype_decode(&e, 0xffffffffu) == VT_PAGE_TYPE_NONE);
	CHECK(vt_pagetype_decode(&e, 0x00000001u) == VT_PAGE_TYPE_NONE);
	/* The 5.11-6.9 reading of a 6.12 slab page would say "table": not here. */
	CHECK(vt_pagetype_decode(&e, 0xf5000000u) != VT_PAGE_TYPE_TABLE);

	/* An unknown encoding decodes nothing to a type. */
	memset(&e, 0, sizeof(e));
	CHECK(vt_pagetype_decode(&e, 0xf2000000u) == VT_PAGE_TYPE_UNKNOWN);
	CHECK(vt_pagetype_decode(&e, 0xfffffdffu) == VT_PAGE_TYPE_UNKNOWN);

	CHECK(!strcmp(vt_page_type_name(VT_PAGE_TYPE_SLAB), "slab"));
	CHECK(!strcmp(vt_page_type_name(VT_PAGE_TYPE_COUNT), "?"));
	CHECK(vt_release_version("6.12.57+deb13-amd64", &maj, &min) && maj == 6 && min == 12);
	CHECK(!vt_release_version("garbage", &maj, &min));
	CHECK(!vt_release_version(NULL, &maj, &min));
	return unit_done("test_pagetype");
}
