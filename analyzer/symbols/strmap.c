#include "symbols/strmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

void vt_strmap_init(struct vt_strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void vt_strmap_deinit(struct vt_strmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct vt_strmap_slot *find_slot(struct vt_strmap_slot *slots,
					size_t cap, const char *key)
{
	size_t i = hash_str(key) & (cap - 1);

	while (slots[i].key && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static bool grow(struct vt_strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct vt_strmap_slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return false;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*find_slot(ns, ncap, m->slots[i].key) = m->slots[i];
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return true;
}

static bool put(struct vt_strmap *m, const char *key, uint64_t value,
		bool overwrite)
{
	struct vt_strmap_slot *s;

	if ((m->count + 1) * 4 > m->cap * 3 && !grow(m))
		return false;
	s = find_slot(m->slots, m->cap, key);
	if (!s->key) {
		s->key = key;
		s->value = value;
		m->count++;
	} else if (overwrite) {
		s->value = value;
	}
	return true;
}

bool vt_strmap_add(struct vt_strmap *m, const char *key, uint64_t value)
{
	return put(m, key, value, false);
}

bool vt_strmap_set(struct vt_strmap *m, const char *key, uint64_t value)
{
	return put(m, key, value, true);
}

bool vt_strmap_get(const struct vt_strmap *m, const char *key, uint64_t *ret)
{
	const struct vt_strmap_slot *s;

	if (!m->cap)
		return false;
	s = find_slot(m->slots, m->cap, key);
	if (!s->key)
		return false;
	*ret = s->value;
	return true;
}
