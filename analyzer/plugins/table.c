/* The static plugin table, in report order (by bug class). */
#include "plugins/plugin.h"

extern const struct vt_plugin vt_plugin_ptfrag_early, vt_plugin_pgd_desync,
	vt_plugin_stale_lmb, vt_plugin_ptfrag_count, vt_plugin_uninit_pages;

const struct vt_plugin *const vt_plugins[] = {
	&vt_plugin_ptfrag_early,
	&vt_plugin_pgd_desync,
	&vt_plugin_stale_lmb,
	&vt_plugin_ptfrag_count,
	&vt_plugin_uninit_pages,
};
const size_t vt_nplugins = sizeof(vt_plugins) / sizeof(vt_plugins[0]);
