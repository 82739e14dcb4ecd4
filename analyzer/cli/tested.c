#include "cli/tested.h"

#include <stdio.h>

#include "models/pagetype.h"

/* Keep in step with testdata/pins.sh (the newest kernel of each arch). */
static const struct {
	enum vt_arch arch;
	int major, minor;
	const char *name;
} newest[] = {
	{ VT_ARCH_X86_64, 7, 2, "7.2" },
	{ VT_ARCH_PPC64, 6, 12, "6.12" },
	{ VT_ARCH_ARM64, 6, 12, "6.12" },
};

const char *vt_tested_newest(enum vt_arch arch)
{
	for (size_t i = 0; i < sizeof(newest) / sizeof(newest[0]); i++)
		if (newest[i].arch == arch)
			return newest[i].name;
	return NULL;
}

bool vt_tested_is_newer(enum vt_arch arch, const char *release)
{
	int major, minor;

	if (!vt_release_version(release, &major, &minor))
		return false;
	for (size_t i = 0; i < sizeof(newest) / sizeof(newest[0]); i++)
		if (newest[i].arch == arch)
			return major > newest[i].major ||
			       (major == newest[i].major && minor > newest[i].minor);
	return false;
}
