/*
 * A small JSON reader, enough to read back what vmtriage itself wrote (the
 * report of a child process, the previous run's summary.jsonl): a tree of
 * values; numbers, true/false/null are kept as their source text.
 */
#ifndef VT_JSONREAD_H
#define VT_JSONREAD_H

#include <stddef.h>

enum vt_jv_type { VT_JV_NULL, VT_JV_BOOL, VT_JV_NUMBER, VT_JV_STRING, VT_JV_ARRAY,
		  VT_JV_OBJECT };

struct vt_jv {
	enum vt_jv_type type;
	char *text;			/* string (unescaped), number, true/false */
	size_t n;			/* array items / object members */
	char **keys;			/* object only */
	struct vt_jv *items;
};

/* Parse exactly one value (surrounding whitespace allowed); NULL if invalid. */
struct vt_jv *vt_jv_parse(const char *text, size_t len);
void vt_jv_free(struct vt_jv *v);
/* Member of an object, or NULL (also when v is NULL or not an object). */
const struct vt_jv *vt_jv_get(const struct vt_jv *v, const char *key);
/* The text of a string or number member, or NULL. */
const char *vt_jv_str(const struct vt_jv *v, const char *key);

#endif
