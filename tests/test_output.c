/*
 * The JSON writer (core/output.h): exact bytes of compact and pretty
 * documents, escaping of every byte class, the 64-bit number forms, and
 * nesting past VT_JSON_MAX_DEPTH (bounded, still balanced). What it writes
 * is read back with core/jsonread.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonread.h"
#include "core/output.h"
#include "unit.h"

/* A writer into memory; out() closes it and returns the text (caller frees). */
static FILE *fp;
static char *text;
static size_t len;

static void start(struct vt_json *j, bool pretty)
{
	fp = open_memstream(&text, &len);
	if (!fp)
		abort();
	vt_json_init(j, fp, pretty);
}

static char *out(void)
{
	fclose(fp);
	return text;
}

static void sample(struct vt_json *j)
{
	vt_json_object_begin(j, NULL);
	vt_json_string(j, "name", "pgd");
	vt_json_u64(j, "n", 3);
	vt_json_array_begin(j, "list");
	vt_json_i64(j, NULL, -1);
	vt_json_bool(j, NULL, true);
	vt_json_null(j, NULL);
	vt_json_array_end(j);
	vt_json_object_begin(j, "empty");
	vt_json_object_end(j);
	vt_json_array_begin(j, "none");
	vt_json_array_end(j);
	vt_json_hex(j, "addr", 0xc000000000001000ull);
	vt_json_object_end(j);
	vt_json_finish(j);
}

static void test_compact_and_pretty(void)
{
	struct vt_json j;
	char *s;

	start(&j, false);
	sample(&j);
	s = out();
	CHECK(!strcmp(s, "{\"name\":\"pgd\",\"n\":3,\"list\":[-1,true,null],\"empty\":{},"
			 "\"none\":[],\"addr\":\"0xc000000000001000\"}\n"));
	free(s);

	start(&j, true);
	sample(&j);
	s = out();
	CHECK(!strcmp(s, "{\n"
			 "  \"name\": \"pgd\",\n"
			 "  \"n\": 3,\n"
			 "  \"list\": [\n"
			 "    -1,\n"
			 "    true,\n"
			 "    null\n"
			 "  ],\n"
			 "  \"empty\": {},\n"
			 "  \"none\": [],\n"
			 "  \"addr\": \"0xc000000000001000\"\n"
			 "}\n"));
	free(s);

	/* Top-level values: an array of scalars, then a second document. */
	start(&j, false);
	vt_json_array_begin(&j, NULL);
	vt_json_string(&j, NULL, NULL);		/* NULL writes "" */
	vt_json_array_end(&j);
	vt_json_finish(&j);
	s = out();
	CHECK(!strcmp(s, "[\"\"]\n"));
	free(s);
}

static void test_numbers(void)
{
	struct vt_json j;
	char *s;

	start(&j, false);
	vt_json_array_begin(&j, NULL);
	vt_json_u64(&j, NULL, UINT64_MAX);
	vt_json_i64(&j, NULL, INT64_MIN);
	vt_json_i64(&j, NULL, INT64_MAX);
	vt_json_hex(&j, NULL, 0);
	vt_json_hex(&j, NULL, UINT64_MAX);
	vt_json_bool(&j, NULL, false);
	vt_json_array_end(&j);
	vt_json_finish(&j);
	s = out();
	CHECK(!strcmp(s, "[18446744073709551615,-9223372036854775808,9223372036854775807,"
			 "\"0x0\",\"0xffffffffffffffff\",false]\n"));
	free(s);
}

static void test_escaping(void)
{
	/* Every byte 1..255 once: the result must be pure printable ASCII and
	 * read back to the same bytes where they are ASCII. */
	char all[256], *s;
	struct vt_json j;
	struct vt_jv *v;

	for (int i = 1; i < 256; i++)
		all[i - 1] = (char)i;
	all[255] = '\0';
	start(&j, false);
	vt_json_object_begin(&j, NULL);
	vt_json_string(&j, "k\"ey\n", all);
	vt_json_object_end(&j);
	vt_json_finish(&j);
	s = out();
	{
		bool printable = true;

		for (size_t i = 0; s[i] && s[i + 1]; i++)	/* all but the final \n */
			printable &= s[i] >= 0x20 && s[i] < 0x7f;
		CHECK(printable);
	}
	CHECK(strstr(s, "\"k\\\"ey\\n\":") != NULL);		/* the key is escaped too */
	CHECK(strstr(s, "\\u0001\\u0002") == s + 12);		/* first value bytes */
	CHECK(strstr(s, "\\u0007\\u0008\\t") != NULL);		/* no \\b shorthand */
	CHECK(strstr(s, "\\t\\n\\u000b\\u000c\\r") != NULL);
	CHECK(strstr(s, " !\\\"#") != NULL);			/* quote escaped, others kept */
	CHECK(strstr(s, "[\\\\]") != NULL);			/* backslash */
	CHECK(strstr(s, "~\\u007f\\u0080") != NULL);		/* DEL and high bytes */
	CHECK(strstr(s, "\\u00ff\"}") != NULL);
	v = vt_jv_parse(s, strlen(s));
	CHECK(v && v->type == VT_JV_OBJECT && v->n == 1);
	if (v && v->n == 1) {
		CHECK(!strcmp(v->keys[0], "k\"ey\n"));
		CHECK(v->items[0].type == VT_JV_STRING && !strncmp(v->items[0].text, all, 0x7f));
	}
	vt_jv_free(v);
	free(s);
}

/* Nesting past the bound: no write outside need_comma[], brackets balanced,
 * and the document still parses. */
static void test_deep(void)
{
	enum { N = VT_JSON_MAX_DEPTH + 8 };
	struct vt_json j;
	struct vt_jv *v;
	char *s;
	int open = 0, max = 0;

	for (int pretty = 0; pretty < 2; pretty++) {
		start(&j, pretty);
		vt_json_object_begin(&j, NULL);
		for (int i = 0; i < N; i++) {
			vt_json_array_begin(&j, i ? NULL : "deep");
			vt_json_u64(&j, NULL, (uint64_t)i);
		}
		for (int i = 0; i < N; i++)
			vt_json_array_end(&j);
		vt_json_bool(&j, "after", true);
		vt_json_object_end(&j);
		vt_json_finish(&j);
		s = out();
		open = max = 0;
		for (const char *p = s; *p; p++) {
			open += *p == '[' || *p == '{';
			open -= *p == ']' || *p == '}';
			if (open > max)
				max = open;
		}
		CHECK(open == 0 && max == N + 1);
		CHECK(j.depth == 0);
		v = vt_jv_parse(s, strlen(s));
		CHECK(v != NULL);
		CHECK(v && vt_jv_get(v, "after") && vt_jv_get(v, "deep"));
		vt_jv_free(v);
		free(s);
	}
}

int main(void)
{
	test_compact_and_pretty();
	test_numbers();
	test_escaping();
	test_deep();
	return unit_done("test_output");
}
