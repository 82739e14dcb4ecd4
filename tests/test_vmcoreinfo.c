/* VMCOREINFO parsing: well-formed text, odd values, garbage. */
#include <string.h>

#include "core/vmcoreinfo.h"
#include "unit.h"

int main(void)
{
	static const char text[] =
		"OSRELEASE=6.1.0-56-cloud-amd64\n"
		"PAGESIZE=4096\n"
		"SYMBOL(init_top_pgt)=ffffffff8a00a000\n"
		"OFFSET(page.flags)=0\n"
		"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
		"NUMBER(kimage_voffset)=0x10\n"
		"KERNELOFFSET=8800000\n"
		"junk line without equals\n"
		"SYMBOL(bad)=xyz\n"
		"\0\0\0padding";
	struct vt_vmcoreinfo vi;
	uint64_t u;
	int64_t n;

	CHECK_OK(vt_vmcoreinfo_parse(text, sizeof(text) - 1, &vi));
	CHECK(vi.nentries == 8);
	CHECK(vi.nbad == 1);
	CHECK(strcmp(vt_vmcoreinfo_get(&vi, "OSRELEASE"), "6.1.0-56-cloud-amd64") == 0);
	CHECK_OK(vt_vmcoreinfo_symbol(&vi, "init_top_pgt", &u));
	CHECK(u == 0xffffffff8a00a000ull);
	CHECK_ERR(vt_vmcoreinfo_symbol(&vi, "absent", &u), VT_ERR_NOT_FOUND);
	CHECK_ERR(vt_vmcoreinfo_symbol(&vi, "bad", &u), VT_ERR_FORMAT);
	CHECK_OK(vt_vmcoreinfo_number(&vi, "NUMBER", "PAGE_BUDDY_MAPCOUNT_VALUE", &n));
	CHECK(n == -129);
	CHECK_OK(vt_vmcoreinfo_number(&vi, "NUMBER", "kimage_voffset", &n));
	CHECK(n == 16);
	CHECK_OK(vt_vmcoreinfo_number(&vi, "OFFSET", "page.flags", &n));
	CHECK(n == 0);
	CHECK(vt_vmcoreinfo_kernel_offset(&vi) == 0x8800000);
	vt_vmcoreinfo_deinit(&vi);

	/* Nothing usable, oversize, and empty input are errors, not crashes. */
	CHECK_ERR(vt_vmcoreinfo_parse("garbage\n\n", 10, &vi), VT_ERR_FORMAT);
	CHECK_ERR(vt_vmcoreinfo_parse("", 0, &vi), VT_ERR_FORMAT);
	CHECK_ERR(vt_vmcoreinfo_parse(text, VT_VMCOREINFO_MAX + 1, &vi), VT_ERR_FORMAT);
	/* No trailing newline, "=" at line start. */
	CHECK_OK(vt_vmcoreinfo_parse("=x\nA=1", 6, &vi));
	CHECK(vi.nentries == 1 && vi.nbad == 1);
	vt_vmcoreinfo_deinit(&vi);
	return unit_done("test_vmcoreinfo");
}
