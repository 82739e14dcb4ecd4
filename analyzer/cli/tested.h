/*
 * The newest kernel release vmtriage was tested on, per architecture (the
 * matrix of testdata/scenarios). A dump of a newer kernel still opens; the
 * CLI says once that its layouts may have moved past what was tested.
 */
#ifndef VT_TESTED_H
#define VT_TESTED_H

#include <stdbool.h>

#include "target/target.h"

/* "7.2" etc.; NULL for an arch never tested. */
const char *vt_tested_newest(enum vt_arch arch);

/* Is release (uname -r) newer than the newest tested on arch? */
bool vt_tested_is_newer(enum vt_arch arch, const char *release);

#endif
