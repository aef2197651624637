/* SPDX-License-Identifier: MIT */
/* iiot_sha256.h: SHA-256 (FIPS 180-4) of memory and of files. */
#ifndef IIOT_SHA256_H
#define IIOT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define IIOT_SHA256_LEN	32	/* bytes of a digest */
#define IIOT_SHA256_HEX	65	/* size of its hex form and NUL */

/* A running hash, owned by the caller; set up with iiot_sha256_init. */
struct iiot_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	unsigned char buf[64];
	size_t nbuf;
};

/*
 * Start a hash.
 */
void iiot_sha256_init(struct iiot_sha256 *c);

/*
 * Add n bytes at p (borrowed) to the hash.
 */
void iiot_sha256_update(struct iiot_sha256 *c, const void *p, size_t n);

/*
 * Finish the hash and store the digest in out (IIOT_SHA256_LEN bytes).
 * The context must be initialized again before reuse.
 */
void iiot_sha256_final(struct iiot_sha256 *c, unsigned char *out);

/*
 * Write a digest as lowercase hex and a NUL into hex, which must hold
 * IIOT_SHA256_HEX bytes.
 */
void iiot_sha256_hex(const unsigned char *digest, char *hex);

/*
 * Hash n bytes at p into hex (IIOT_SHA256_HEX bytes).
 */
void iiot_sha256_hex_of(const void *p, size_t n, char *hex);

/*
 * Hash the contents of the file at path into hex (IIOT_SHA256_HEX bytes).
 * Returns 0, or -1 with errno from open(2) or read(2).
 */
int iiot_sha256_file(const char *path, char *hex);

#endif /* IIOT_SHA256_H */
