/* A string-keyed open-addressing hash map (keys are borrowed, not copied). */
#ifndef VT_STRMAP_H
#define VT_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vt_strmap_slot {
	const char *key;	/* NULL = empty */
	uint64_t value;
	uint32_t hash;		/* low half of key's hash: compared first, reused on growth */
};

struct vt_strmap {
	struct vt_strmap_slot *slots;
	size_t cap;		/* power of two */
	size_t count;
};

void vt_strmap_init(struct vt_strmap *m);
void vt_strmap_deinit(struct vt_strmap *m);
/* Insert or keep the first value for key; false on allocation failure. */
/* Room for n keys without growing (false: out of memory). */
bool vt_strmap_reserve(struct vt_strmap *m, size_t n);
/*
 * key's value slot, one probe for both "is it there" and "put it there":
 * a new key gets value and *added = true; NULL when out of memory.
 */
uint64_t *vt_strmap_insert(struct vt_strmap *m, const char *key, uint64_t value,
			   bool *added);
bool vt_strmap_add(struct vt_strmap *m, const char *key, uint64_t value);
/* Insert or overwrite. */
bool vt_strmap_set(struct vt_strmap *m, const char *key, uint64_t value);
bool vt_strmap_get(const struct vt_strmap *m, const char *key, uint64_t *ret);

#endif
