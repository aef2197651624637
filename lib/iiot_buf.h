/* SPDX-License-Identifier: MIT */
/* iiot_buf.h: a growable byte buffer (after git's strbuf). */
#ifndef IIOT_BUF_H
#define IIOT_BUF_H

#include <stddef.h>

/*
 * A byte buffer owned by the caller.  Zero it (or use IIOT_BUF_INIT)
 * before use; data is always NUL-terminated once anything was added.
 */
struct iiot_buf {
	char *data;
	size_t len;
	size_t cap;
};
#define IIOT_BUF_INIT { NULL, 0, 0 }

/*
 * Make room for n more bytes.  Returns 0, or -1 with errno ENOMEM.
 */
int iiot_buf_grow(struct iiot_buf *b, size_t n);

/*
 * Append n bytes, a C string, one byte, or printf-formatted text.
 * Return 0, or -1 with errno ENOMEM (the buffer is then unchanged).
 */
int iiot_buf_add(struct iiot_buf *b, const void *p, size_t n);
int iiot_buf_adds(struct iiot_buf *b, const char *s);
int iiot_buf_addc(struct iiot_buf *b, char c);
int iiot_buf_addf(struct iiot_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Append s as a JSON string: quoted, with '"', '\\' and control
 * characters escaped.  n bytes of s, which must be valid UTF-8.
 */
int iiot_buf_add_json_str(struct iiot_buf *b, const char *s, size_t n);

/*
 * Append a number as JSON: the shortest form that reads back the same;
 * null for NaN and infinities.
 */
int iiot_buf_add_json_num(struct iiot_buf *b, double d);

/*
 * Empty the buffer, keeping its memory for reuse.
 */
void iiot_buf_reset(struct iiot_buf *b);

/*
 * Free the buffer's memory and zero it.
 */
void iiot_buf_release(struct iiot_buf *b);

#endif /* IIOT_BUF_H */
