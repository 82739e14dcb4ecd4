/* Unaligned loads in a given byte order (dumps may be of either). */
#ifndef VT_BYTEORDER_H
#define VT_BYTEORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Byte-wise composition: host-order independent; compilers emit one load. */
static inline uint64_t vt_be64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 |
	       (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
	       (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
	       (uint64_t)b[6] << 8 | b[7];
}

static inline uint32_t vt_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static inline uint16_t vt_be16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint64_t vt_le64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)b[7] << 56 | (uint64_t)b[6] << 48 |
	       (uint64_t)b[5] << 40 | (uint64_t)b[4] << 32 |
	       (uint64_t)b[3] << 24 | (uint64_t)b[2] << 16 |
	       (uint64_t)b[1] << 8 | b[0];
}

static inline uint32_t vt_le32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[1] << 8 | b[0];
}

static inline uint16_t vt_le16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[1] << 8 | b[0]);
}

static inline uint64_t vt_load64(const void *p, bool big_endian)
{
	return big_endian ? vt_be64(p) : vt_le64(p);
}

static inline uint32_t vt_load32(const void *p, bool big_endian)
{
	return big_endian ? vt_be32(p) : vt_le32(p);
}

static inline uint16_t vt_load16(const void *p, bool big_endian)
{
	return big_endian ? vt_be16(p) : vt_le16(p);
}

/* The inverse of vt_load64: v into p's 8 bytes in the given byte order. */
static inline void vt_store64(void *p, uint64_t v, bool big_endian)
{
	uint8_t *b = p;

	for (int i = 0; i < 8; i++)
		b[big_endian ? 7 - i : i] = (uint8_t)(v >> (8 * i));
}

#endif
