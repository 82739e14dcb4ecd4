/*
 * Streaming JSON writer: keys are emitted in call order (callers keep it
 * deterministic), every byte < 0x20 is escaped, nesting is bounded.
 */
#ifndef VT_OUTPUT_H
#define VT_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VT_JSON_MAX_DEPTH 32

struct vt_json {
	FILE *fp;
	int depth;
	bool need_comma[VT_JSON_MAX_DEPTH];
	bool pretty;
};

void vt_json_init(struct vt_json *j, FILE *fp, bool pretty);
/* key is NULL inside arrays and at top level. */
void vt_json_object_begin(struct vt_json *j, const char *key);
void vt_json_object_end(struct vt_json *j);
void vt_json_array_begin(struct vt_json *j, const char *key);
void vt_json_array_end(struct vt_json *j);
void vt_json_string(struct vt_json *j, const char *key, const char *value);
void vt_json_u64(struct vt_json *j, const char *key, uint64_t value);
void vt_json_i64(struct vt_json *j, const char *key, int64_t value);
/* An address or pfn as a "0x..." string (JSON numbers lose 64-bit precision). */
void vt_json_hex(struct vt_json *j, const char *key, uint64_t value);
void vt_json_bool(struct vt_json *j, const char *key, bool value);
void vt_json_null(struct vt_json *j, const char *key);
/* value, or null when it is NULL or empty ("nothing to say"). */
void vt_json_string_or_null(struct vt_json *j, const char *key, const char *value);
/* Ends the document with a newline. */
void vt_json_finish(struct vt_json *j);

/* Write s as a JSON string literal (with quotes). */
void vt_json_write_string(FILE *fp, const char *s);

#endif
