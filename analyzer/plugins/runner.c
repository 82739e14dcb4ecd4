/* The plugin runner: the arch gate and the run of each plugin. */
#include "plugins/plugin.h"

#include <string.h>

const struct vt_plugin *vt_plugin_find(const char *name)
{
	for (size_t i = 0; name && i < vt_nplugins; i++)
		if (!strcmp(vt_plugins[i]->name, name))
			return vt_plugins[i];
	return NULL;
}

size_t vt_plugins_run(struct vt_models *m, const char *only, struct vt_plugin_ran *ran,
		      void (*progress)(void *arg, size_t i, size_t n, const char *name),
		      void *arg)
{
	struct vt_plugin_ctx ctx = { .m = m };
	const char *arch = vt_models_arch(m)->name;
	size_t n = 0;

	for (size_t i = 0; i < vt_nplugins; i++) {
		const struct vt_plugin *p = vt_plugins[i];
		struct vt_result *res = &ran[n].res;
		struct vt_error *err;

		if (only && strcmp(p->name, only))
			continue;
		memset(&ran[n], 0, sizeof(ran[n]));
		ran[n++].p = p;
		if (p->arch_gate && strcmp(p->arch_gate, arch)) {
			vt_result_set(res, VT_NOT_APPLICABLE, "%s only; this dump is %s",
				      p->arch_gate, arch);
			continue;
		}
		if (progress)
			progress(arg, i, vt_nplugins, p->name);
		err = p->run(&ctx, res);
		if (err) {
			vt_result_set(res, VT_UNKNOWN, "plugin failed: %s", err->message);
			vt_error_destroy(err);
		}
	}
	return n;
}
