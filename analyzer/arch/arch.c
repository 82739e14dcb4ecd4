/* The table of supported architectures and lookups in it. */
#include "arch/arch.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct vt_arch_ops *const arches[] = {
	&vt_arch_x86_64,
	&vt_arch_ppc64,
	&vt_arch_arm64,
};
#define NARCHES (sizeof(arches) / sizeof(arches[0]))

const struct vt_arch_ops *vt_arch_ops(enum vt_arch arch)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (arches[i]->arch == arch)
			return arches[i];
	return NULL;
}

const struct vt_arch_ops *vt_arch_by_name(const char *name)
{
	for (size_t i = 0; name && i < NARCHES; i++)
		if (strcasecmp(arches[i]->name, name) == 0 ||
		    strcasecmp(arches[i]->kdump_name, name) == 0)
			return arches[i];
	return NULL;
}

const struct vt_arch_ops *vt_arch_by_elf_machine(unsigned machine)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (arches[i]->elf_machine == machine)
			return arches[i];
	return NULL;
}

const struct vt_arch_ops *vt_arch_from_vmcoreinfo(const struct vt_vmcoreinfo *vi)
{
	for (size_t i = 0; i < NARCHES; i++)
		if (arches[i]->named_by(vi))
			return arches[i];
	return NULL;
}

const char *vt_arch_name(enum vt_arch arch)
{
	const struct vt_arch_ops *a = vt_arch_ops(arch);

	return a ? a->name : "unknown";
}

const char *vt_arch_supported(void)
{
	static char list[64];

	if (!*list)
		for (size_t i = 0; i < NARCHES; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", arches[i]->kdump_name);
	return list;
}
