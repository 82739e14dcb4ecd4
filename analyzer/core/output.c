#include "core/output.h"

#include <inttypes.h>

void vt_json_init(struct vt_json *j, FILE *fp, bool pretty)
{
	j->fp = fp;
	j->depth = 0;
	j->need_comma[0] = false;
	j->pretty = pretty;
}

void vt_json_write_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", fp); break;
		case '\\': fputs("\\\\", fp); break;
		case '\n': fputs("\\n", fp); break;
		case '\t': fputs("\\t", fp); break;
		case '\r': fputs("\\r", fp); break;
		default:
			/* Control bytes and non-UTF-8-safe high bytes escaped. */
			if (*p < 0x20 || *p == 0x7f || *p >= 0x80)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

static void indent(struct vt_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->fp);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->fp);
}

static void prefix(struct vt_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->fp);
	j->need_comma[j->depth] = true;
	if (j->depth > 0)
		indent(j);
	if (key) {
		vt_json_write_string(j->fp, key);
		fputs(j->pretty ? ": " : ":", j->fp);
	}
}

static void open_(struct vt_json *j, const char *key, char c)
{
	prefix(j, key);
	fputc(c, j->fp);
	if (j->depth < VT_JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct vt_json *j, char c)
{
	bool had = j->need_comma[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had)
		indent(j);
	fputc(c, j->fp);
}

void vt_json_object_begin(struct vt_json *j, const char *key) { open_(j, key, '{'); }
void vt_json_object_end(struct vt_json *j) { close_(j, '}'); }
void vt_json_array_begin(struct vt_json *j, const char *key) { open_(j, key, '['); }
void vt_json_array_end(struct vt_json *j) { close_(j, ']'); }

void vt_json_string(struct vt_json *j, const char *key, const char *value)
{
	prefix(j, key);
	vt_json_write_string(j->fp, value ? value : "");
}

void vt_json_u64(struct vt_json *j, const char *key, uint64_t value)
{
	prefix(j, key);
	fprintf(j->fp, "%" PRIu64, value);
}

void vt_json_i64(struct vt_json *j, const char *key, int64_t value)
{
	prefix(j, key);
	fprintf(j->fp, "%" PRId64, value);
}

void vt_json_hex(struct vt_json *j, const char *key, uint64_t value)
{
	prefix(j, key);
	fprintf(j->fp, "\"0x%" PRIx64 "\"", value);
}

void vt_json_bool(struct vt_json *j, const char *key, bool value)
{
	prefix(j, key);
	fputs(value ? "true" : "false", j->fp);
}

void vt_json_null(struct vt_json *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->fp);
}

void vt_json_string_or_null(struct vt_json *j, const char *key, const char *value)
{
	if (value && *value)
		vt_json_string(j, key, value);
	else
		vt_json_null(j, key);
}

void vt_json_finish(struct vt_json *j)
{
	fputc('\n', j->fp);
	fflush(j->fp);
}
