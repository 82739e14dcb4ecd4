/* Bump allocator for type objects: freed all at once with the symbols. */
#include <stdlib.h>
#include <string.h>

#include "symbols/finder.h"

#define CHUNK_SIZE (64u << 10)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct vt_arena {
	struct chunk *head;
};

struct vt_arena *vt_arena_create(void)
{
	return calloc(1, sizeof(struct vt_arena));
}

void vt_arena_destroy(struct vt_arena *arena)
{
	if (!arena)
		return;
	for (struct chunk *c = arena->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(arena);
}

void *vt_arena_alloc(struct vt_arena *arena, size_t size)
{
	size_t align = sizeof(max_align_t);
	struct chunk *c = arena->head;
	void *p;

	size = (size + align - 1) & ~(align - 1);
	if (!c || c->cap - c->used < size) {
		size_t cap = size > CHUNK_SIZE ? size : CHUNK_SIZE;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = arena->head;
		arena->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *vt_arena_strdup(struct vt_arena *arena, const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = vt_arena_alloc(arena, len);

	if (p)
		memcpy(p, s, len);
	return p;
}
