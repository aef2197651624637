/* SPDX-License-Identifier: MIT */
/* sha256_test.c: SHA-256 against the FIPS 180-4 example vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iiot_sha256.h"
#include "tap.h"

static const struct {
	const char *msg;	/* the message, repeated rep times */
	size_t rep;
	const char *hex;	/* the expected digest */
} cases[] = {
	/* FIPS 180-4 example: "abc", one block */
	{ "abc", 1,
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	/* the empty message */
	{ "", 1,
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	/* FIPS 180-4 example: 448 bits, padding spills into a second block */
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	/* FIPS 180-4 example: one million "a", fed one byte at a time */
	{ "a", 1000000,
	  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	/* 896-bit two-block message of FIPS 180-4 (SHA-512 example text) */
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

int
main(void)
{
	size_t i, j, n = sizeof(cases) / sizeof(cases[0]);
	char hex[IIOT_SHA256_HEX], path[] = "/tmp/sha256_testXXXXXX";
	unsigned char d[IIOT_SHA256_LEN];
	struct iiot_sha256 c;
	FILE *f;
	int fd;

	tap_plan((int)n + 1);
	for (i = 0; i < n; i++) {
		iiot_sha256_init(&c);
		for (j = 0; j < cases[i].rep; j++)
			iiot_sha256_update(&c, cases[i].msg,
			    strlen(cases[i].msg));
		iiot_sha256_final(&c, d);
		iiot_sha256_hex(d, hex);
		tap_ok(strcmp(hex, cases[i].hex) == 0, cases[i].msg[0] ?
		    cases[i].msg : "(empty)");
	}
	/* The file helper gives the digest of the file's bytes. */
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL)
		return 1;
	fputs("abc", f);
	fclose(f);
	tap_ok(iiot_sha256_file(path, hex) == 0 &&
	    strcmp(hex, cases[0].hex) == 0, "file digest");
	unlink(path);
	return tap_status();
}
