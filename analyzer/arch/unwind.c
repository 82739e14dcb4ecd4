#include "arch/unwind.h"

#include "core/byteorder.h"

struct vt_error *vt_unwind_read_u64(const struct vt_unwind_env *env, uint64_t va,
				    uint64_t *ret)
{
	uint8_t b[8];
	struct vt_error *err = env->read(env->arg, va, b, sizeof(b));

	if (!err)
		*ret = vt_load64(b, env->big_endian);
	return err;
}

struct vt_error *vt_unwind_read_u32(const struct vt_unwind_env *env, uint64_t va,
				    uint32_t *ret)
{
	uint8_t b[4];
	struct vt_error *err = env->read(env->arg, va, b, sizeof(b));

	if (!err)
		*ret = vt_load32(b, env->big_endian);
	return err;
}
