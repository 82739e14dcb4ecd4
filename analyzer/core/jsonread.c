/*
 * Recursive-descent JSON reader. Input comes from files a crashed or killed
 * child may have left half-written, so every step is bounds-checked and
 * nesting is limited; anything unexpected makes the whole parse fail.
 */
#include "core/jsonread.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
	const char *p, *end;
};

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' ||
				   *ps->p == '\r'))
		ps->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string literal at ps->p (the opening quote); returns malloc'd text. */
static char *parse_string(struct parser *ps)
{
	const char *q = ps->p + 1;
	char *out, *o;

	/* Unescaped text is never longer than the literal. */
	for (const char *s = q; ; s++) {
		if (s >= ps->end)
			return NULL;
		if (*s == '\\') {
			s++;
			continue;
		}
		if (*s == '"')
			break;
	}
	out = o = malloc((size_t)(ps->end - q) + 1);
	if (!out)
		return NULL;
	while (q < ps->end && *q != '"') {
		if (*q != '\\') {
			*o++ = *q++;
			continue;
		}
		if (++q >= ps->end)
			goto bad;
		switch (*q) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'u': {
			unsigned cp = 0;

			for (int i = 1; i <= 4; i++) {
				int h = q + i < ps->end ? hexval(q[i]) : -1;

				if (h < 0)
					goto bad;
				cp = cp << 4 | (unsigned)h;
			}
			q += 4;
			/* vmtriage writes \u00XX for single bytes; keep them as bytes. */
			if (cp < 0x100) {
				*o++ = (char)cp;
			} else if (cp < 0x800) {
				*o++ = (char)(0xc0 | cp >> 6);
				*o++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*o++ = (char)(0xe0 | cp >> 12);
				*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*o++ = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default: *o++ = *q; break;	/* \" \\ \/ */
		}
		q++;
	}
	if (q >= ps->end)
		goto bad;
	*o = '\0';
	ps->p = q + 1;
	return out;
bad:
	free(out);
	return NULL;
}

static void clear(struct vt_jv *v)
{
	free(v->text);
	for (size_t i = 0; i < v->n; i++) {
		if (v->keys)
			free(v->keys[i]);
		clear(&v->items[i]);
	}
	free(v->keys);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

static bool parse_value(struct parser *ps, struct vt_jv *v, int depth);

static bool grow(struct vt_jv *v, size_t *cap, bool keys)
{
	if (v->n < *cap)
		return true;
	*cap = *cap ? *cap * 2 : 8;
	struct vt_jv *items = realloc(v->items, *cap * sizeof(*items));

	if (!items)
		return false;
	v->items = items;
	if (keys) {
		char **k = realloc(v->keys, *cap * sizeof(*k));

		if (!k)
			return false;
		v->keys = k;
	}
	return true;
}

static bool parse_container(struct parser *ps, struct vt_jv *v, int depth, bool obj)
{
	char close = obj ? '}' : ']';
	size_t cap = 0;

	v->type = obj ? VT_JV_OBJECT : VT_JV_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return true;
	}
	for (;;) {
		char *key = NULL;

		if (!grow(v, &cap, obj))
			return false;
		skip_ws(ps);
		if (obj) {
			if (ps->p >= ps->end || *ps->p != '"' || !(key = parse_string(ps)))
				return false;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				return false;
			}
			ps->p++;
			v->keys[v->n] = key;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		v->n++;		/* counted before parsing so clear() frees a partial item */
		if (!parse_value(ps, &v->items[v->n - 1], depth + 1))
			return false;
		skip_ws(ps);
		if (ps->p >= ps->end)
			return false;
		if (*ps->p == close) {
			ps->p++;
			return true;
		}
		if (*ps->p != ',')
			return false;
		ps->p++;
	}
}

static bool parse_value(struct parser *ps, struct vt_jv *v, int depth)
{
	const char *start;

	if (depth > MAX_DEPTH)
		return false;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return false;
	switch (*ps->p) {
	case '{':
		return parse_container(ps, v, depth, true);
	case '[':
		return parse_container(ps, v, depth, false);
	case '"':
		v->type = VT_JV_STRING;
		return (v->text = parse_string(ps)) != NULL;
	}
	start = ps->p;
	while (ps->p < ps->end && (strchr("+-.eE", *ps->p) || (*ps->p >= '0' && *ps->p <= '9') ||
				   (*ps->p >= 'a' && *ps->p <= 'z')))
		ps->p++;
	if (ps->p == start)
		return false;
	v->text = strndup(start, (size_t)(ps->p - start));
	if (!v->text)
		return false;
	if (!strcmp(v->text, "null"))
		v->type = VT_JV_NULL;
	else if (!strcmp(v->text, "true") || !strcmp(v->text, "false"))
		v->type = VT_JV_BOOL;
	else if ((*start >= '0' && *start <= '9') || *start == '-')
		v->type = VT_JV_NUMBER;
	else
		return false;
	return true;
}

struct vt_jv *vt_jv_parse(const char *text, size_t len)
{
	struct parser ps = { text, text + len };
	struct vt_jv *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	if (!parse_value(&ps, v, 0))
		goto bad;
	skip_ws(&ps);
	if (ps.p != ps.end)
		goto bad;
	return v;
bad:
	vt_jv_free(v);
	return NULL;
}

void vt_jv_free(struct vt_jv *v)
{
	if (!v)
		return;
	clear(v);
	free(v);
}

const struct vt_jv *vt_jv_get(const struct vt_jv *v, const char *key)
{
	if (!v || v->type != VT_JV_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return &v->items[i];
	return NULL;
}

const char *vt_jv_str(const struct vt_jv *v, const char *key)
{
	const struct vt_jv *m = vt_jv_get(v, key);

	return m && (m->type == VT_JV_STRING || m->type == VT_JV_NUMBER) ? m->text : NULL;
}
