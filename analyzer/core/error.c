#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vt_error vt_enomem = { VT_ERR_NOMEM, (char *)"out of memory", true };
struct vt_error vt_not_found = { VT_ERR_NOT_FOUND, (char *)"not found", true };

static struct vt_error *error_vcreate(enum vt_error_code code, const char *fmt,
				      va_list ap)
{
	struct vt_error *err = malloc(sizeof(*err));

	if (!err)
		return &vt_enomem;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &vt_enomem;
	}
	err->code = code;
	err->is_static = false;
	return err;
}

struct vt_error *vt_error_create(enum vt_error_code code, const char *fmt, ...)
{
	struct vt_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = error_vcreate(code, fmt, ap);
	va_end(ap);
	return err;
}

struct vt_error *vt_error_prefix(struct vt_error *err, const char *fmt, ...)
{
	char *prefix, *joined;
	va_list ap;

	if (!err)
		return NULL;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);
	if (!prefix)
		return err;
	if (asprintf(&joined, "%s: %s", prefix, err->message) < 0) {
		free(prefix);
		return err;
	}
	free(prefix);
	if (err->is_static) {
		struct vt_error *copy = malloc(sizeof(*copy));

		if (!copy) {
			free(joined);
			return err;
		}
		copy->code = err->code;
		copy->is_static = false;
		copy->message = joined;
		return copy;
	}
	free(err->message);
	err->message = joined;
	return err;
}

void vt_error_destroy(struct vt_error *err)
{
	if (!err || err->is_static)
		return;
	free(err->message);
	free(err);
}

bool vt_error_catch(struct vt_error **errp, enum vt_error_code code)
{
	if (*errp && (*errp)->code == code) {
		vt_error_destroy(*errp);
		*errp = NULL;
		return true;
	}
	return false;
}

bool vt_error_failed(struct vt_error *err)
{
	vt_error_destroy(err);
	return err != NULL;
}

const char *vt_error_code_name(enum vt_error_code code)
{
	switch (code) {
	case VT_ERR_NOMEM: return "nomem";
	case VT_ERR_NOT_FOUND: return "not-found";
	case VT_ERR_NODATA: return "no-data";
	case VT_ERR_FAULT: return "fault";
	case VT_ERR_FORMAT: return "format";
	case VT_ERR_IO: return "io";
	case VT_ERR_MISMATCH: return "mismatch";
	case VT_ERR_USAGE: return "usage";
	case VT_ERR_UNSUPPORTED: return "unsupported";
	default: return "error";
	}
}
