/* Minimal unit-test helpers: CHECK prints file:line and counts a failure. */
#ifndef VT_TESTS_UNIT_H
#define VT_TESTS_UNIT_H

#include <stdio.h>
#include <stdlib.h>

static int unit_failures, unit_checks;

#define CHECK(cond) do { \
	unit_checks++; \
	if (!(cond)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_OK(errexpr) do { \
	struct vt_error *e_ = (errexpr); \
	unit_checks++; \
	if (e_) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: unexpected error: %s\n", __FILE__, __LINE__, e_->message); \
		vt_error_destroy(e_); \
	} \
} while (0)

#define CHECK_ERR(errexpr, code_) do { \
	struct vt_error *e_ = (errexpr); \
	unit_checks++; \
	if (!e_ || e_->code != (code_)) { \
		unit_failures++; \
		fprintf(stderr, "%s:%d: expected error %d, got %s\n", __FILE__, __LINE__, \
			(int)(code_), e_ ? e_->message : "success"); \
	} \
	vt_error_destroy(e_); \
} while (0)

/*
 * A check that fails because of a known, reported bug in the code under
 * test: printed, not counted, so the suite stays green until it is fixed.
 * When it starts to pass, the note says to turn it into a CHECK.
 */
#define CHECK_KNOWN(cond, bug) do { \
	if (!(cond)) \
		fprintf(stderr, "%s:%d: KNOWN FAILURE (%s): %s\n", __FILE__, __LINE__, \
			bug, #cond); \
	else \
		fprintf(stderr, "%s:%d: known failure now passes, make it a CHECK: %s\n", \
			__FILE__, __LINE__, #cond); \
} while (0)

/* Print the closing line test harnesses recognise and return the status. */
static inline int unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_checks - unit_failures,
	       unit_failures);
	return unit_failures ? 1 : 0;
}

#endif
