/*
 * The device tree model: shared builders, lookups, and the walker of the
 * kernel's live tree (of_root). The flattened-blob reader is in fdt.c.
 */
#include "devtree/devtree_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/byteorder.h"

struct vt_dt *vt_dt_alloc(const char *source, uint64_t addr)
{
	struct vt_dt *dt = calloc(1, sizeof(*dt));

	if (dt) {
		dt->source = source;
		dt->addr = addr;
	}
	return dt;
}

void vt_dt_problem(struct vt_dt *dt, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (dt->nproblems >= VT_DT_MAX_PROBLEMS) {
		dt->problems_omitted++;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg)
		dt->problems[dt->nproblems++] = msg;
	else
		dt->problems_omitted++;
}

struct vt_dt_node *vt_dt_node_add(struct vt_dt *dt, struct vt_dt_node *parent,
				  const char *name, uint64_t addr)
{
	struct vt_dt_node *n = calloc(1, sizeof(*n));
	int rc;

	if (!n)
		return NULL;
	n->name = strdup(parent ? name : "");
	if (!parent)
		rc = asprintf(&n->path, "/");
	else if (!parent->parent)
		rc = asprintf(&n->path, "/%s", name);
	else
		rc = asprintf(&n->path, "%s/%s", parent->path, name);
	if (rc < 0)
		n->path = NULL;
	if (!n->name || !n->path) {
		free(n->name);
		free(n->path);
		free(n);
		return NULL;
	}
	n->addr = addr;
	n->parent = parent;
	if (parent) {
		n->depth = parent->depth + 1;
		if (parent->last_child_)
			parent->last_child_->sibling = n;
		else
			parent->child = n;
		parent->last_child_ = n;
	} else {
		dt->root = n;
	}
	dt->nnodes++;
	return n;
}

struct vt_dt_prop *vt_dt_prop_add(struct vt_dt *dt, struct vt_dt_prop ***tail,
				  const char *name, const void *value, uint32_t have,
				  int64_t length, uint64_t addr)
{
	struct vt_dt_prop *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->name = strdup(name);
	/* One spare NUL so printers may treat a string value as a C string. */
	p->value = malloc((size_t)have + 1);
	if (!p->name || !p->value) {
		free(p->name);
		free(p->value);
		free(p);
		return NULL;
	}
	if (have)
		memcpy(p->value, value, have);
	p->value[have] = '\0';
	p->have = have;
	p->length = length;
	p->addr = addr;
	**tail = p;
	*tail = &p->next;
	dt->nprops++;
	dt->value_bytes += have;
	return p;
}

static void free_props(struct vt_dt_prop *p)
{
	while (p) {
		struct vt_dt_prop *next = p->next;

		free(p->name);
		free(p->value);
		free(p);
		p = next;
	}
}

void vt_dt_destroy(struct vt_dt *dt)
{
	struct vt_dt_node *n;

	if (!dt)
		return;
	/* Iterative post-order free: no recursion on a (bounded) deep tree. */
	n = dt->root;
	while (n) {
		struct vt_dt_node *parent;

		if (n->child) {
			n = n->child;
			continue;
		}
		parent = n->parent;
		if (parent)
			parent->child = n->sibling;
		free_props(n->props);
		free_props(n->deadprops);
		free(n->name);
		free(n->path);
		free(n);
		n = parent;
	}
	for (size_t i = 0; i < dt->nproblems; i++)
		free(dt->problems[i]);
	free(dt->rsv);
	free(dt);
}

/* Compare one path component with a node name; "memory" matches "memory@0"
 * only when it is the sole such child (handled by the caller's first match). */
static bool component_is(const char *comp, size_t len, const char *name)
{
	if (strncmp(comp, name, len) != 0)
		return false;
	return name[len] == '\0' || (name[len] == '@' && !memchr(comp, '@', len));
}

const struct vt_dt_node *vt_dt_find(const struct vt_dt *dt, const char *path)
{
	const struct vt_dt_node *n = dt ? dt->root : NULL;

	if (!n || !path || path[0] != '/')
		return NULL;
	while (n && *path) {
		const struct vt_dt_node *c;
		size_t len;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		len = strcspn(path, "/");
		/* Exact match first, then unit-address-less ("memory" -> "memory@0"). */
		for (c = n->child; c; c = c->sibling)
			if (strlen(c->name) == len && !strncmp(c->name, path, len))
				break;
		if (!c)
			for (c = n->child; c; c = c->sibling)
				if (component_is(path, len, c->name))
					break;
		n = c;
		path += len;
	}
	return n;
}

const struct vt_dt_prop *vt_dt_prop(const struct vt_dt_node *n, const char *name)
{
	for (const struct vt_dt_prop *p = n ? n->props : NULL; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

bool vt_dt_prop_complete(const struct vt_dt_prop *p)
{
	return p && p->length >= 0 && (uint64_t)p->length == p->have;
}

/* --- the live tree ------------------------------------------------------ */

/* Open-addressing set of addresses: the cycle guard of every list walk. */
struct addrset {
	uint64_t *slots;
	size_t cap, n;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* 1: inserted, 0: already there, -1: out of memory. Address 0 is never added. */
static int addrset_add(struct addrset *s, uint64_t a)
{
	size_t i;

	if (s->n * 2 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		uint64_t *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return -1;
		for (size_t j = 0; j < s->cap; j++) {
			if (!s->slots[j])
				continue;
			for (i = mix(s->slots[j]) & (ncap - 1); ns[i]; i = (i + 1) & (ncap - 1))
				;
			ns[i] = s->slots[j];
		}
		free(s->slots);
		s->slots = ns;
		s->cap = ncap;
	}
	for (i = mix(a) & (s->cap - 1); s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == a)
			return 0;
	s->slots[i] = a;
	s->n++;
	return 1;
}

struct walk {
	vt_dt_read_fn read;
	void *arg;
	const struct vt_dt_layout *l;
	struct vt_dt *dt;
	struct addrset nodes, props;
	unsigned char *vbuf;		/* VT_DT_MAX_VALUE bytes */
	bool nomem, budget_hit, depth_hit, count_hit;
};

static uint64_t ld64(const struct walk *w, const unsigned char *p)
{
	return vt_load64(p, w->l->big_endian);
}

/*
 * A C string at addr, at most VT_DT_MAX_NAME - 1 bytes, read up to page
 * boundaries so a short name at the end of a mapped page is still read.
 * *cut: no NUL found within the cap (or the rest was unreadable).
 */
static struct vt_error *read_str(struct walk *w, uint64_t addr, char *out, bool *cut)
{
	size_t got = 0;

	*cut = false;
	while (got < VT_DT_MAX_NAME - 1) {
		size_t n = 4096 - ((addr + got) & 4095);
		struct vt_error *err;
		char *nul;

		if (n > VT_DT_MAX_NAME - 1 - got)
			n = VT_DT_MAX_NAME - 1 - got;
		err = w->read(w->arg, addr + got, out + got, n);
		if (err) {
			if (!got)
				return err;
			vt_error_destroy(err);
			*cut = true;
			break;
		}
		nul = memchr(out + got, '\0', n);
		if (nul)
			return NULL;
		got += n;
	}
	out[got] = '\0';
	*cut = true;
	return NULL;
}

/* The node's own name from full_name (a basename since 4.14, a path before). */
static void node_name(struct walk *w, uint64_t node, uint64_t full, uint64_t name,
		      char *out)
{
	struct vt_error *err = NULL;
	bool cut = false;
	char *slash;

	out[0] = '\0';
	if (full)
		err = read_str(w, full, out, &cut);
	else if (name)
		err = read_str(w, name, out, &cut);
	if (err) {
		vt_dt_problem(w->dt, "node 0x%" PRIx64 ": name unreadable: %s", node,
			      err->message);
		vt_error_destroy(err);
		snprintf(out, VT_DT_MAX_NAME, "?node@%" PRIx64, node);
		return;
	}
	if (cut)
		vt_dt_problem(w->dt, "node 0x%" PRIx64 ": name has no NUL within %d bytes "
			      "(cut)", node, VT_DT_MAX_NAME - 1);
	slash = strrchr(out, '/');
	if (slash && slash[1])
		memmove(out, slash + 1, strlen(slash + 1) + 1);
	else if (slash)
		*slash = '\0';
}

static void walk_props(struct walk *w, const char *node_path, const char *list,
		       uint64_t first, struct vt_dt_prop **head, size_t *count)
{
	struct vt_dt_prop **tail = head;
	const struct vt_dt_layout *l = w->l;
	uint64_t p = first;
	size_t n = 0;

	while (p) {
		unsigned char raw[512];	/* offsets <= 400: layout check */
		char name[VT_DT_MAX_NAME];
		uint64_t end = l->prop_next + 8, nameptr, value, next;
		int64_t length;
		uint32_t have;
		struct vt_dt_prop *prop;
		struct vt_error *err;
		bool cut;
		int added;

		if (n >= VT_DT_MAX_PROPS) {
			vt_dt_problem(w->dt, "%s: %s list longer than %d (cut)", node_path,
				      list, VT_DT_MAX_PROPS);
			break;
		}
		added = addrset_add(&w->props, p);
		if (added < 0) {
			w->nomem = true;
			return;
		}
		if (!added) {
			vt_dt_problem(w->dt, "%s: %s list revisits property 0x%" PRIx64
				      " (cycle, cut)", node_path, list, p);
			break;
		}
		if (l->prop_name + 8 > end)
			end = l->prop_name + 8;
		if (l->prop_value + 8 > end)
			end = l->prop_value + 8;
		if (l->prop_length + 4 > end)
			end = l->prop_length + 4;
		err = w->read(w->arg, p, raw, end);
		if (err) {
			vt_dt_problem(w->dt, "%s: %s entry 0x%" PRIx64 " unreadable: %s (cut)",
				      node_path, list, p, err->message);
			vt_error_destroy(err);
			break;
		}
		nameptr = ld64(w, raw + l->prop_name);
		length = (int32_t)vt_load32(raw + l->prop_length, l->big_endian);
		value = ld64(w, raw + l->prop_value);
		next = ld64(w, raw + l->prop_next);
		err = nameptr ? read_str(w, nameptr, name, &cut) :
			vt_error_create(VT_ERR_FORMAT, "NULL name");
		if (err) {
			vt_dt_problem(w->dt, "%s: property 0x%" PRIx64 ": name unreadable: %s",
				      node_path, p, err->message);
			vt_error_destroy(err);
			snprintf(name, sizeof(name), "?prop@%" PRIx64, p);
		} else if (cut) {
			vt_dt_problem(w->dt, "%s: property 0x%" PRIx64 ": name has no NUL "
				      "within %d bytes (cut)", node_path, p, VT_DT_MAX_NAME - 1);
		}
		have = 0;
		if (length < 0) {
			vt_dt_problem(w->dt, "%s: %s: negative length %" PRId64, node_path,
				      name, length);
		} else if (length > 0 && !value) {
			vt_dt_problem(w->dt, "%s: %s: length %" PRId64 " but NULL value",
				      node_path, name, length);
		} else if (length > 0) {
			have = length > VT_DT_MAX_VALUE ? VT_DT_MAX_VALUE : (uint32_t)length;
			if (have < length)
				vt_dt_problem(w->dt, "%s: %s: length %" PRId64 ", kept %u bytes",
					      node_path, name, length, have);
			if (w->dt->value_bytes + have > VT_DT_MAX_TOTAL) {
				if (!w->budget_hit)
					vt_dt_problem(w->dt, "values past %u MiB not read",
						      VT_DT_MAX_TOTAL >> 20);
				w->budget_hit = true;
				have = 0;
			}
			err = have ? w->read(w->arg, value, w->vbuf, have) : NULL;
			if (err) {
				vt_dt_problem(w->dt, "%s: %s: value at 0x%" PRIx64 " unreadable: %s",
					      node_path, name, value, err->message);
				vt_error_destroy(err);
				have = 0;
			}
		}
		prop = vt_dt_prop_add(w->dt, &tail, name, w->vbuf, have, length, p);
		if (!prop) {
			w->nomem = true;
			return;
		}
		prop->value_addr = value;
		n++;
		p = next;
	}
	*count = n;
}

/* Reads the node at addr, its properties and (recursively) its children;
 * *sibling_ret gets its sibling pointer for the caller's loop. */
static void walk_node(struct walk *w, uint64_t addr, struct vt_dt_node *parent,
		      uint64_t *sibling_ret)
{
	const struct vt_dt_layout *l = w->l;
	uint64_t fields[] = { l->node_name, l->node_full_name, l->node_properties,
			      l->node_deadprops, l->node_parent, l->node_child,
			      l->node_sibling };
	unsigned char raw[512];	/* offsets <= 400: layout check */
	char name[VT_DT_MAX_NAME];
	uint64_t end = l->node_phandle + 4, child, up;
	struct vt_dt_node *n;
	struct vt_error *err;

	*sibling_ret = 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i] + 8 > end)
			end = fields[i] + 8;
	err = w->read(w->arg, addr, raw, end);
	if (err) {
		vt_dt_problem(w->dt, "%s: child node 0x%" PRIx64 " unreadable: %s (cut)",
			      parent ? parent->path : "/", addr, err->message);
		vt_error_destroy(err);
		return;
	}
	*sibling_ret = ld64(w, raw + l->node_sibling);
	node_name(w, addr, ld64(w, raw + l->node_full_name), ld64(w, raw + l->node_name),
		  name);
	n = vt_dt_node_add(w->dt, parent, name, addr);
	if (!n) {
		w->nomem = true;
		return;
	}
	n->phandle = vt_load32(raw + l->node_phandle, l->big_endian);
	up = ld64(w, raw + l->node_parent);
	if (parent && up != parent->addr)
		vt_dt_problem(w->dt, "%s: parent pointer 0x%" PRIx64 " is not the parent "
			      "0x%" PRIx64, n->path, up, parent->addr);
	walk_props(w, n->path, "properties", ld64(w, raw + l->node_properties),
		   &n->props, &n->nprops);
	walk_props(w, n->path, "deadprops", ld64(w, raw + l->node_deadprops),
		   &n->deadprops, &n->ndeadprops);
	child = ld64(w, raw + l->node_child);
	if (child && n->depth + 1 >= VT_DT_MAX_DEPTH) {
		if (!w->depth_hit)
			vt_dt_problem(w->dt, "%s: deeper than %d levels (cut)", n->path,
				      VT_DT_MAX_DEPTH);
		w->depth_hit = true;
		return;
	}
	while (child && !w->nomem) {
		uint64_t next;
		int added;

		if (w->dt->nnodes >= VT_DT_MAX_NODES) {
			if (!w->count_hit)
				vt_dt_problem(w->dt, "more than %d nodes (cut)", VT_DT_MAX_NODES);
			w->count_hit = true;
			return;
		}
		added = addrset_add(&w->nodes, child);
		if (added < 0) {
			w->nomem = true;
			return;
		}
		if (!added) {
			vt_dt_problem(w->dt, "%s: child/sibling list revisits node 0x%" PRIx64
				      " (cycle, cut)", n->path, child);
			return;
		}
		walk_node(w, child, n, &next);
		child = next;
	}
}

struct vt_error *vt_dt_walk_live(vt_dt_read_fn read, void *arg,
				 const struct vt_dt_layout *l, uint64_t root,
				 struct vt_dt **ret)
{
	struct walk w = { .read = read, .arg = arg, .l = l };
	uint64_t sibling;
	unsigned char probe[8];
	struct vt_error *err;

	*ret = NULL;
	{
		const uint64_t *off = &l->node_name;

		/* Every offset field, node_name..prop_next, is one bounded read. */
		for (; off <= &l->prop_next; off++)
			if (*off > 400)
				return vt_error_create(VT_ERR_UNSUPPORTED, "device tree layout: "
						       "member offset %" PRIu64, *off);
	}
	err = read(arg, root, probe, sizeof(probe));
	if (err)
		return vt_error_prefix(err, "of_root 0x%" PRIx64, root);
	w.dt = vt_dt_alloc("live tree (of_root)", root);
	w.vbuf = malloc(VT_DT_MAX_VALUE);
	if (!w.dt || !w.vbuf || addrset_add(&w.nodes, root) < 0) {
		free(w.vbuf);
		free(w.nodes.slots);
		vt_dt_destroy(w.dt);
		return &vt_enomem;
	}
	walk_node(&w, root, NULL, &sibling);
	free(w.vbuf);
	free(w.nodes.slots);
	free(w.props.slots);
	if (w.nomem || !w.dt->root) {
		vt_dt_destroy(w.dt);
		return w.nomem ? &vt_enomem :
			vt_error_create(VT_ERR_FAULT, "of_root 0x%" PRIx64 " unreadable", root);
	}
	*ret = w.dt;
	return NULL;
}

struct vt_error *vt_dt_layout_from_symbols(struct vt_symbols *s, bool big_endian,
					   struct vt_dt_layout *ret)
{
	static const struct { const char *type, *member; size_t off; } want[] = {
#define F(t, m, f) { "struct " t, m, offsetof(struct vt_dt_layout, f) }
		F("device_node", "name", node_name),
		F("device_node", "phandle", node_phandle),
		F("device_node", "full_name", node_full_name),
		F("device_node", "properties", node_properties),
		F("device_node", "deadprops", node_deadprops),
		F("device_node", "parent", node_parent),
		F("device_node", "child", node_child),
		F("device_node", "sibling", node_sibling),
		F("property", "name", prop_name),
		F("property", "length", prop_length),
		F("property", "value", prop_value),
		F("property", "next", prop_next),
#undef F
	};

	memset(ret, 0, sizeof(*ret));
	ret->big_endian = big_endian;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t *dst = (uint64_t *)((char *)ret + want[i].off);
		struct vt_error *err = vt_symbols_offsetof(s, want[i].type, want[i].member, dst);

		if (err)
			return vt_error_prefix(err, "device tree layout (%s.%s)",
					       want[i].type, want[i].member);
		/* The walker reads a node or property in one bounded read. */
		if (*dst > 400)
			return vt_error_create(VT_ERR_UNSUPPORTED, "%s.%s at offset %" PRIu64,
					       want[i].type, want[i].member, *dst);
	}
	return NULL;
}

static struct vt_error *read_kv(void *arg, uint64_t addr, void *buf, size_t len)
{
	return vt_target_read_kv(arg, addr, buf, len);
}

struct vt_error *vt_dt_read_live(struct vt_target *t, struct vt_symbols *s,
				 struct vt_dt **ret)
{
	struct vt_dt_layout l;
	uint64_t var, root;
	struct vt_error *err;

	*ret = NULL;
	err = vt_symbols_lookup(s, "of_root", &var);
	if (err)
		return vt_error_prefix(err, "no of_root symbol (no device tree, or no "
				       "data symbols: give the vmlinux)");
	err = vt_dt_layout_from_symbols(s, vt_target_info(t)->big_endian, &l);
	if (err)
		return vt_error_prefix(err, "no device tree types (give the vmlinux)");
	err = vt_target_read_u64(t, var, &root);
	if (err)
		return vt_error_prefix(err, "reading of_root");
	if (!root)
		return vt_error_create(VT_ERR_NOT_FOUND, "of_root is NULL: no device tree");
	return vt_dt_walk_live(read_kv, t, &l, root, ret);
}
