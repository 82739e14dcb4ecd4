/*
 * `vmtriage preflight`: before a memory hot-remove (DLPAR on pseries, ACPI
 * on x86), is the running kernel already in one of the bug classes' bad
 * states? One line per class and an exit status a script can gate on
 * (docs/preflight.md has a drmgr wrapper and an Ansible task).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/models.h"
#include "plugins/plugin.h"

#define EXIT_UNKNOWN 3		/* nothing found, but a class could not be told */

struct preflight {
	struct vt_target *t;
	struct vt_plugin_ran *ran;
	size_t n;
	int status;
};

static const char *status_name(int status)
{
	return status == VT_EXIT_FINDINGS ? "bad-state" : status == EXIT_UNKNOWN ? "unknown" :
	       "ok";
}

static int by_class(const void *a, const void *b)
{
	const struct vt_plugin_ran *x = a, *y = b;

	return x->p->bug_class - y->p->bug_class;
}

static struct vt_error *print_text(void *data)
{
	const struct preflight *pf = data;
	const struct vt_target_info *ti = vt_target_info(pf->t);

	printf("preflight: %s %s (%s)%s\n", vt_arch_name(ti->arch),
	       *ti->release ? ti->release : "release unknown", ti->path,
	       ti->live ? "" : ", a dump, not the running kernel");
	for (size_t i = 0; i < pf->n; i++)
		printf("%c %-14s %-15s %s\n", pf->ran[i].p->bug_class, pf->ran[i].p->name,
		       vt_verdict_name(pf->ran[i].res.verdict), pf->ran[i].res.reason);
	printf("status: %s\n", status_name(pf->status));
	return NULL;
}

static struct vt_error *print_json(struct vt_json *j, void *data)
{
	const struct preflight *pf = data;
	const struct vt_target_info *ti = vt_target_info(pf->t);

	vt_json_object_begin(j, NULL);
	vt_json_string(j, "schema", "vmtriage-preflight/1");
	vt_json_string(j, "file", ti->path);
	vt_json_bool(j, "live", ti->live);
	vt_json_string(j, "arch", vt_arch_name(ti->arch));
	vt_json_string(j, "release", ti->release);
	vt_json_string(j, "status", status_name(pf->status));
	vt_json_array_begin(j, "classes");
	for (size_t i = 0; i < pf->n; i++) {
		vt_json_object_begin(j, NULL);
		vt_json_string(j, "class", (char[]){ pf->ran[i].p->bug_class, 0 });
		vt_json_string(j, "plugin", pf->ran[i].p->name);
		vt_json_string(j, "verdict", vt_verdict_name(pf->ran[i].res.verdict));
		vt_json_string(j, "reason", pf->ran[i].res.reason);
		vt_json_object_end(j);
	}
	vt_json_array_end(j);
	vt_json_object_end(j);
	return NULL;
}

static int run_preflight(struct vt_cli *c)
{
	struct preflight pf = { .t = c->t, .status = VT_EXIT_OK };
	struct vt_models *models = NULL;
	struct vt_error *err;
	int rc;

	pf.ran = calloc(vt_nplugins, sizeof(*pf.ran));
	err = pf.ran ? vt_models_create(c->t, c->s, &models) : &vt_enomem;
	if (err) {
		free(pf.ran);
		return vt_cli_fail(c, err);
	}
	pf.n = vt_plugins_run(models, NULL, pf.ran, NULL, NULL);
	qsort(pf.ran, pf.n, sizeof(*pf.ran), by_class);
	for (size_t i = 0; i < pf.n; i++) {
		if (pf.ran[i].res.verdict >= VT_LATENT)
			pf.status = VT_EXIT_FINDINGS;
		else if (pf.ran[i].res.verdict == VT_UNKNOWN && pf.status == VT_EXIT_OK)
			pf.status = EXIT_UNKNOWN;
	}
	rc = vt_cli_emit(c, print_json, print_text, &pf);
	if (rc == VT_EXIT_OK)
		rc = pf.status;
	free(pf.ran);
	vt_models_destroy(models);
	return rc;
}

const struct vt_command vt_cmd_preflight = {
	.name = "preflight",
	.flags = VT_CMD_LIVE,
	.summary = "Before a memory hot-remove: is the running kernel in a bad state?",
	.help = "Runs every bug-class plugin on the running kernel (or on VMCORE) and\n"
		"prints one line per class: class, plugin, verdict, reason, then the\n"
		"status. For a script or a configuration-management check that gates a\n"
		"hot-remove (drmgr -r, echo 0 > .../online): see docs/preflight.md.\n",
	.exit_status = "0 ok (every class clean or not applicable), 1 a latent or fired\n"
		       "state is present, 2 error (not root, no /proc/kcore, lockdown,\n"
		       "unreadable kernel), 3 nothing found but a class could not be told\n"
		       "(unknown).",
	.main = run_preflight,
};
