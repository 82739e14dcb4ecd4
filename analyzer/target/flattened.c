#include "target/flattened.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/byteorder.h"

#define FLAT_SIGNATURE "makedumpfile"
#define FLAT_TYPE 1
#define COPY_CHUNK (1u << 20)

bool vt_flattened_is(const void *head, size_t len)
{
	const unsigned char *p = head;

	if (len < 32 || memcmp(p, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE)) != 0)
		return false;
	/* The signature field is 16 bytes, NUL-padded; then be64 type. */
	return vt_be64(p + 16) == FLAT_TYPE;
}

static struct vt_error *pread_full(int fd, void *buf, size_t len, uint64_t off,
				   bool *eof)
{
	size_t done = 0;

	*eof = false;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vt_error_create(VT_ERR_IO, "read at %llu: %s",
					       (unsigned long long)(off + done),
					       strerror(errno));
		}
		if (n == 0) {
			*eof = true;
			return NULL;
		}
		done += n;
	}
	return NULL;
}

static struct vt_error *pwrite_full(int fd, const void *buf, size_t len,
				    uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vt_error_create(VT_ERR_IO,
					       "writing reassembled dump: %s",
					       strerror(errno));
		}
		done += n;
	}
	return NULL;
}

struct vt_error *vt_flattened_reassemble(int in_fd, int out_fd,
					 uint64_t *nrecords_ret)
{
	unsigned char head[VT_FLAT_HEADER_SIZE];
	struct vt_error *err;
	uint64_t pos = VT_FLAT_HEADER_SIZE, nrec = 0, limit;
	struct stat st;
	char *buf;
	bool eof;

	if (fstat(in_fd, &st))
		return vt_error_create(VT_ERR_IO, "stat: %s", strerror(errno));
	err = pread_full(in_fd, head, sizeof(head), 0, &eof);
	if (err)
		return err;
	if (eof || !vt_flattened_is(head, sizeof(head)))
		return vt_error_create(VT_ERR_FORMAT,
				       "not a makedumpfile flattened stream");
	limit = 2 * (uint64_t)st.st_size + (16u << 20);
	buf = malloc(COPY_CHUNK);
	if (!buf)
		return &vt_enomem;
	for (;;) {
		unsigned char rec[16];
		int64_t off, size;

		err = pread_full(in_fd, rec, sizeof(rec), pos, &eof);
		if (err)
			goto out;
		if (eof) {
			err = vt_error_create(VT_ERR_FORMAT,
				"flattened stream truncated at byte %llu (no end record)",
				(unsigned long long)pos);
			goto out;
		}
		off = (int64_t)vt_be64(rec);
		size = (int64_t)vt_be64(rec + 8);
		pos += sizeof(rec);
		if (off == -1 && size == -1)
			break;
		if (size >= 0 && (uint64_t)size > (uint64_t)st.st_size - pos) {
			err = vt_error_create(VT_ERR_FORMAT,
				"flattened stream truncated: record %llu needs %lld bytes, %llu left",
				(unsigned long long)nrec, (long long)size,
				(unsigned long long)(st.st_size - pos));
			goto out;
		}
		if (off < 0 || size < 0 || (uint64_t)off > limit ||
		    (uint64_t)size > limit - (uint64_t)off) {
			err = vt_error_create(VT_ERR_FORMAT,
				"flattened record %llu at byte %llu has bad offset %lld / size %lld",
				(unsigned long long)nrec,
				(unsigned long long)(pos - sizeof(rec)),
				(long long)off, (long long)size);
			goto out;
		}
		for (int64_t done = 0; done < size;) {
			size_t n = (size_t)(size - done) < COPY_CHUNK ?
				   (size_t)(size - done) : COPY_CHUNK;

			err = pread_full(in_fd, buf, n, pos, &eof);
			if (!err && eof)
				err = vt_error_create(VT_ERR_FORMAT,
						      "flattened stream truncated in record %llu",
						      (unsigned long long)nrec);
			if (!err)
				err = pwrite_full(out_fd, buf, n,
						  (uint64_t)(off + done));
			if (err)
				goto out;
			pos += n;
			done += n;
		}
		nrec++;
	}
	if (nrecords_ret)
		*nrecords_ret = nrec;
out:
	free(buf);
	return err;
}
