#include "cli/tested.h"

#include <stdio.h>

#include "models/pagetype.h"

const char *vt_tested_newest(enum vt_arch arch)
{
	const struct vt_arch_ops *a = vt_arch_ops(arch);

	return a ? a->tested_release : NULL;
}

bool vt_tested_is_newer(enum vt_arch arch, const char *release)
{
	const char *newest = vt_tested_newest(arch);
	int major, minor, tmajor, tminor;

	if (!newest || !vt_release_version(release, &major, &minor) ||
	    !vt_release_version(newest, &tmajor, &tminor))
		return false;
	return major > tmajor || (major == tmajor && minor > tminor);
}
