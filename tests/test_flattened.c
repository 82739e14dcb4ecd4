/* makedumpfile flattened format: reassembly, truncation, bad records. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "target/flattened.h"
#include "unit.h"

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

/* Write a flattened stream of records {offset, bytes} to a memfd. */
static int make_stream(const uint64_t *offs, const char *const *data, int n,
		       bool end_record, size_t truncate_to)
{
	unsigned char head[VT_FLAT_HEADER_SIZE] = "makedumpfile";
	unsigned char rec[16];
	int fd = memfd_create("flat", 0);

	put_be64(head + 16, 1);
	put_be64(head + 24, 1);
	if (write(fd, head, sizeof(head)) != sizeof(head))
		return -1;
	for (int i = 0; i < n; i++) {
		put_be64(rec, offs[i]);
		put_be64(rec + 8, strlen(data[i]));
		if (write(fd, rec, 16) != 16 ||
		    write(fd, data[i], strlen(data[i])) != (ssize_t)strlen(data[i]))
			return -1;
	}
	if (end_record) {
		memset(rec, 0xff, sizeof(rec));
		if (write(fd, rec, 16) != 16)
			return -1;
	}
	if (truncate_to && ftruncate(fd, truncate_to))
		return -1;
	return fd;
}

int main(void)
{
	static const uint64_t offs[] = { 0, 100, 4 };
	static const char *const data[] = { "HEADER", "tail", "XX" };
	unsigned char head[64] = "makedumpfile";
	char out[128];
	uint64_t nrec;
	int in, o;

	put_be64(head + 16, 1);
	CHECK(vt_flattened_is(head, sizeof(head)));
	CHECK(!vt_flattened_is("ELF", 3));
	put_be64(head + 16, 2);
	CHECK(!vt_flattened_is(head, sizeof(head)));

	/* Later records overwrite earlier ones, at their offsets. */
	in = make_stream(offs, data, 3, true, 0);
	o = memfd_create("out", 0);
	CHECK(in >= 0 && o >= 0);
	CHECK_OK(vt_flattened_reassemble(in, o, &nrec));
	CHECK(nrec == 3);
	CHECK(pread(o, out, 104, 0) == 104);
	CHECK(memcmp(out, "HEADXX", 6) == 0);
	CHECK(memcmp(out + 100, "tail", 4) == 0);
	close(in);
	close(o);

	/* No end record: truncated. */
	in = make_stream(offs, data, 3, false, 0);
	o = memfd_create("out", 0);
	CHECK_ERR(vt_flattened_reassemble(in, o, NULL), VT_ERR_FORMAT);
	close(in);
	close(o);

	/* Cut inside a record's data. */
	in = make_stream(offs, data, 3, true, VT_FLAT_HEADER_SIZE + 16 + 3);
	o = memfd_create("out", 0);
	CHECK_ERR(vt_flattened_reassemble(in, o, NULL), VT_ERR_FORMAT);
	close(in);
	close(o);

	/* A huge offset must be refused, not turned into a huge file. */
	{
		static const uint64_t bad[] = { 1ull << 50 };
		static const char *const d[] = { "x" };

		in = make_stream(bad, d, 1, true, 0);
		o = memfd_create("out", 0);
		CHECK_ERR(vt_flattened_reassemble(in, o, NULL), VT_ERR_FORMAT);
		CHECK(lseek(o, 0, SEEK_END) == 0);
		close(in);
		close(o);
	}
	/* A negative size. */
	{
		static const uint64_t neg[] = { 8 };
		static const char *const d[] = { "abc" };
		unsigned char rec[8];

		in = make_stream(neg, d, 1, true, 0);
		put_be64(rec, (uint64_t)-5);
		CHECK(pwrite(in, rec, 8, VT_FLAT_HEADER_SIZE + 8) == 8);
		o = memfd_create("out", 0);
		CHECK_ERR(vt_flattened_reassemble(in, o, NULL), VT_ERR_FORMAT);
		close(in);
		close(o);
	}
	return unit_done("test_flattened");
}
