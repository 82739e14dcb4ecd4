/*
 * The pieces of a split kdump-compressed dump (makedumpfile --split) opened
 * as one dump: every file checked to be a piece of the same run, the set
 * given to libkdumpfile, and what the pieces given hold and lack.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "target/target_internal.h"

struct vt_error *vt_target_open_pieces(const char *const *paths, size_t n,
				       struct vt_target **ret)
{
	struct vt_dump_piece pieces[VT_TARGET_MAX_PIECES];
	struct vt_target *t;
	struct vt_error *err = NULL;
	const char *bad = paths[0];

	if (n == 1)
		return vt_target_open(paths[0], ret);
	if (n > VT_TARGET_MAX_PIECES)
		return vt_error_create(VT_ERR_USAGE, "%zu dump files: at most %d pieces of a "
				       "split dump", n, VT_TARGET_MAX_PIECES);
	if (!(t = vt_target_alloc(paths[0])))
		return &vt_enomem;
	for (size_t i = 0; i < n; i++) {
		struct vt_dump_cut cut;
		unsigned char magic[8];

		bad = paths[i];
		t->piece_fds[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
		t->npieces = i + 1;
		if (t->piece_fds[i] < 0) {
			err = vt_error_create(VT_ERR_IO, "%s", strerror(errno));
			goto fail;
		}
		if (pread(t->piece_fds[i], magic, sizeof(magic), 0) != (ssize_t)sizeof(magic) ||
		    (memcmp(magic, "KDUMP   ", 8) && memcmp(magic, "DISKDUMP", 8))) {
			err = vt_error_create(VT_ERR_FORMAT, "not a kdump-compressed file: only "
					      "the pieces of one split dump (makedumpfile "
					      "--split) are read together");
			goto fail;
		}
		if ((err = vt_dumpcheck_diskdump(t->piece_fds[i], &t->block_size, &cut,
						 &pieces[i])))
			goto fail;
		if (!pieces[i].split || memcmp(pieces[i].header, pieces[0].header,
					       sizeof(pieces[0].header)) ||
		    pieces[i].max_mapnr != pieces[0].max_mapnr) {
			err = vt_error_create(VT_ERR_FORMAT, "not a piece of the same split dump "
					      "as %s (makedumpfile --split: the same kernel, "
					      "header and size)", paths[0]);
			goto fail;
		}
		for (size_t k = 0; k < cut.nmissing; k++)
			vt_dump_range_add(t->cut.missing, &t->cut.nmissing, &t->cut.missing_omitted,
					  cut.missing[k].start, cut.missing[k].end);
		t->cut.missing_omitted += cut.missing_omitted;
		t->cut.cut |= cut.cut;
		t->cut.file_size += cut.file_size;
		t->cut.need += cut.need;
	}
	t->fd = t->piece_fds[0];
	t->piece_fds[0] = -1;
	vt_dump_split_ranges(pieces, n, t->block_size, &t->split);
	if (!(t->kdump = vt_target_new_kdump())) {
		err = &vt_enomem;
		goto fail;
	}
	{
		int fds[VT_TARGET_MAX_PIECES];

		fds[0] = t->fd;
		for (size_t i = 1; i < n; i++)
			fds[i] = t->piece_fds[i];
		if (kdump_open_fdset(t->kdump, (unsigned)n, fds) != KDUMP_OK) {
			err = vt_error_create(VT_ERR_FORMAT, "libkdumpfile cannot read the "
					      "pieces together (%s)", kdump_get_err(t->kdump));
			bad = paths[0];
			goto fail;
		}
	}
	bad = paths[0];
	if ((err = vt_target_finish_open(t)))
		goto fail;
	*ret = t;
	return NULL;
fail:
	err = vt_error_prefix(err, "%s", bad);
	vt_target_destroy(t);
	return err;
}
