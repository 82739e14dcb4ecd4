/*
 * Device-tree bytes from a dump: the FDT reader (boot FDT, kexec segments)
 * and the ibm,dynamic-memory(-v2)/lookup-arrays decoders. Byte 0 picks the
 * entry point; the rest is the blob or property value. Mode 0 also runs the
 * LMB decoders on whatever /ibm,dynamic-reconfiguration-memory the FDT has.
 */
#include "devtree/devtree.h"
#include "devtree/drmem.h"
#include "fuzz.h"

static void use_lmbs(const struct vt_lmb_array *a)
{
	char buf[128];

	for (size_t i = 0; i < a->n && i < 64; i++) {
		(void)vt_lmb_find(a, a->lmbs[i].base);
		(void)vt_drmem_flags_str(a->lmbs[i].flags, buf, sizeof(buf));
	}
	(void)vt_lmb_find(a, 0x10000000);
}

static void fdt(const uint8_t *data, size_t size)
{
	struct vt_dt *dt;
	const struct vt_dt_node *n;
	struct vt_lmb_array a;
	struct vt_assoc_arrays aa;
	struct vt_error *err = vt_dt_from_fdt(data, size, &dt);

	if (err) {
		vt_error_destroy(err);
		return;
	}
	(void)vt_dt_find(dt, "/");
	(void)vt_dt_find(dt, "/memory@0");
	(void)vt_dt_find(dt, "/cpus/");
	n = vt_dt_find(dt, "/ibm,dynamic-reconfiguration-memory");
	if (n) {
		const struct vt_dt_prop *p = vt_dt_prop(n, "ibm,associativity-lookup-arrays");

		err = vt_drmem_decode_node(n, &a);
		if (!err) {
			use_lmbs(&a);
			vt_lmb_array_deinit(&a);
		}
		vt_error_destroy(err);
		if (p && vt_dt_prop_complete(p)) {
			err = vt_drmem_decode_assoc(p->value, p->have, &aa);
			if (!err)
				vt_drmem_assoc_deinit(&aa);
			vt_error_destroy(err);
		}
	}
	vt_dt_destroy(dt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_lmb_array a;
	struct vt_assoc_arrays aa;
	struct vt_error *err;
	uint64_t lmb_size;

	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fdt(data + 1, size - 1);
		break;
	case 1:
	case 2:
		/* lmb-size from bytes 1..8 (when refused: 256 MiB), then the property. */
		if (size < 9)
			return 0;
		err = vt_drmem_lmb_size(data + 1, 8, &lmb_size);
		if (err)
			lmb_size = 256u << 20;
		vt_error_destroy(err);
		err = (data[0] & 3) == 1 ?
		      vt_drmem_decode_v1(data + 9, size - 9, lmb_size, &a) :
		      vt_drmem_decode_v2(data + 9, size - 9, lmb_size, &a);
		if (!err) {
			use_lmbs(&a);
			vt_lmb_array_deinit(&a);
		}
		vt_error_destroy(err);
		break;
	case 3:
		err = vt_drmem_decode_assoc(data + 1, size - 1, &aa);
		if (!err)
			vt_drmem_assoc_deinit(&aa);
		vt_error_destroy(err);
		break;
	}
	return 0;
}
