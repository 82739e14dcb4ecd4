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
					size_t cap, const char *key, uint64_t h)
{
	size_t i = h & (cap - 1);

	while (slots[i].key && (slots[i].hash != (uint32_t)h ||
				strcmp(slots[i].key, key) != 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static bool resize(struct vt_strmap *m, size_t ncap)
{
	struct vt_strmap_slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return false;
	/* Keys are distinct: probe for an empty slot only (cap <= 2^32). */
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key) {
			size_t j = m->slots[i].hash & (ncap - 1);

			while (ns[j].key)
				j = (j + 1) & (ncap - 1);
			ns[j] = m->slots[i];
		}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return true;
}

static bool grow(struct vt_strmap *m)
{
	return resize(m, m->cap ? m->cap * 2 : 64);
}

bool vt_strmap_reserve(struct vt_strmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 64;

	while ((n + 1) * 4 > cap * 3)
		cap *= 2;
	return cap == m->cap || resize(m, cap);
}

uint64_t *vt_strmap_insert(struct vt_strmap *m, const char *key, uint64_t value,
			   bool *added)
{
	struct vt_strmap_slot *s;
	uint64_t h;

	if ((m->count + 1) * 4 > m->cap * 3 && !grow(m))
		return NULL;
	h = hash_str(key);
	s = find_slot(m->slots, m->cap, key, h);
	*added = !s->key;
	if (!s->key) {
		s->key = key;
		s->hash = (uint32_t)h;
		s->value = value;
		m->count++;
	}
	return &s->value;
}

static bool put(struct vt_strmap *m, const char *key, uint64_t value,
		bool overwrite)
{
	bool added;
	uint64_t *v = vt_strmap_insert(m, key, value, &added);

	if (!v)
		return false;
	if (!added && overwrite)
		*v = value;
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
	s = find_slot(m->slots, m->cap, key, hash_str(key));
	if (!s->key)
		return false;
	*ret = s->value;
	return true;
}
