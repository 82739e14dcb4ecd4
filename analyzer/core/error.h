/* Errors: functions that can fail return struct vt_error *, NULL = success. */
#ifndef VT_ERROR_H
#define VT_ERROR_H

#include <stdarg.h>
#include <stdbool.h>

enum vt_error_code {
	VT_ERR_OTHER = 1,
	VT_ERR_NOMEM,
	VT_ERR_NOT_FOUND,	/* symbol, type, member or key absent */
	VT_ERR_NODATA,		/* page excluded from a filtered dump */
	VT_ERR_FAULT,		/* address not mapped / not in the dump */
	VT_ERR_FORMAT,		/* malformed input bytes */
	VT_ERR_IO,		/* the OS said no */
	VT_ERR_MISMATCH,	/* vmlinux does not match the dump */
	VT_ERR_USAGE,		/* bad command-line argument */
	VT_ERR_UNSUPPORTED,	/* arch, format or layout we do not handle */
};

struct vt_error {
	enum vt_error_code code;
	char *message;
	bool is_static;
};

/* Preallocated errors that never need freeing (freeing them is a no-op). */
extern struct vt_error vt_enomem;
extern struct vt_error vt_not_found;

struct vt_error *vt_error_create(enum vt_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prepend "context: " to err's message; returns err (or a copy if static). */
struct vt_error *vt_error_prefix(struct vt_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vt_error_destroy(struct vt_error *err);
/* Frees err and returns true when it has the given code (the "catch" idiom). */
bool vt_error_catch(struct vt_error **errp, enum vt_error_code code);
/* Frees err and says whether there was one: for an optional read whose
 * failure leaves a default in place (a bare `if (read(...))` leaks it). */
bool vt_error_failed(struct vt_error *err);
const char *vt_error_code_name(enum vt_error_code code);

#endif
