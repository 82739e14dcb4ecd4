/*
 * main() for the harnesses without libFuzzer: run LLVMFuzzerTestOneInput on
 * each file named (a directory: on each file in it, in name order), so that
 * `make check` replays the saved crashers with the ordinary gcc build and
 * any sanitizer it was configured with. A crasher that regressed crashes
 * here, which fails the test. With no arguments (as `make check` runs it),
 * fuzz/replay_NAME replays $top_srcdir/tests/fuzz-regressions/NAME/.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int nrun;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *p = realloc(buf, cap = cap ? 2 * cap : 65536);

			if (!p) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* Like libFuzzer: the input is exactly len bytes (ASan sees overreads). */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	nrun++;
	return 0;
}

static int filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int main(int argc, char **argv)
{
	char defdir[4096];
	char *def[2] = { argv[0], defdir };
	int bad = 0;

	if (argc == 1) {
		const char *top = getenv("top_srcdir");
		const char *base = strrchr(argv[0], '/');

		base = base ? base + 1 : argv[0];
		if (!strncmp(base, "lt-", 3))
			base += 3;
		if (strncmp(base, "replay_", 7) != 0) {
			fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
			return 2;
		}
		snprintf(defdir, sizeof(defdir), "%s/tests/fuzz-regressions/%s",
			 top ? top : ".", base + 7);
		argc = 2;
		argv = def;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **ents;
		int n;

		if (stat(argv[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			bad |= run_file(argv[i]) != 0;
			continue;
		}
		n = scandir(argv[i], &ents, filter, alphasort);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			bad = 1;
			continue;
		}
		for (int k = 0; k < n; k++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i], ents[k]->d_name);
			bad |= run_file(path) != 0;
			free(ents[k]);
		}
		free(ents);
	}
	printf("%s: replayed %d input(s)%s\n", argv[0], nrun, bad ? ", some unreadable" : "");
	return bad;
}
