/* The vmlinux by build-id from debuginfod (debuginfod.h). */
#include "symbols/debuginfod.h"

#include <elfutils/debuginfod.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *vt_debuginfod_urls(const char *urls)
{
	const char *env = getenv("DEBUGINFOD_URLS");

	if (urls && *urls)
		return urls;
	return env && *env ? env : NULL;
}

/* libdebuginfod's progress callback: one line, rewritten, on stderr. */
static int show_progress(debuginfod_client *c, long done, long total)
{
	if (total > 0)
		fprintf(stderr, "\rvmtriage: debuginfod: %ld of %ld MiB", done >> 20, total >> 20);
	else
		fprintf(stderr, "\rvmtriage: debuginfod: %ld MiB", done >> 20);
	return 0;	/* go on */
}

struct vt_error *vt_debuginfod_vmlinux(const char *urls, const char *build_id, bool progress,
				       char **path_ret)
{
	const char *servers = vt_debuginfod_urls(urls);
	debuginfod_client *client;
	char *path = NULL;
	int fd;

	*path_ret = NULL;
	if (!servers)
		return vt_error_create(VT_ERR_NOT_FOUND, "no debuginfod server (DEBUGINFOD_URLS "
				       "is not set)");
	if (!build_id || !*build_id)
		return vt_error_create(VT_ERR_NOT_FOUND, "the dump gives no build-id to ask "
				       "debuginfod for");
	/* libdebuginfod reads the server list from the environment when asked. */
	if (urls && *urls && setenv("DEBUGINFOD_URLS", urls, 1) != 0)
		return vt_error_create(VT_ERR_NOMEM, "setenv DEBUGINFOD_URLS");
	client = debuginfod_begin();
	if (!client)
		return vt_error_create(VT_ERR_IO, "debuginfod: cannot start a client");
	if (progress)
		debuginfod_set_progressfn(client, show_progress);
	/* build_id_len 0: the id is given as a hex string */
	fd = debuginfod_find_debuginfo(client, (const unsigned char *)build_id, 0, &path);
	if (progress)
		fputs("\r\033[K", stderr);
	debuginfod_end(client);
	if (fd < 0) {
		free(path);
		return vt_error_create(fd == -ENOENT ? VT_ERR_NOT_FOUND : VT_ERR_IO,
				       "debuginfod (%s): no vmlinux for build-id %s: %s", servers,
				       build_id, fd == -ENOENT ? "not on the server(s)" :
				       strerror(-fd));
	}
	close(fd);
	*path_ret = path;
	return NULL;
}
