/* SPDX-License-Identifier: MIT */
/* mb.c: Modbus helpers over libmodbus: URLs, decoding, coalescing, I/O. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modbus.h>

#include "iiot_mb.h"

static const char *const table_names[] = {
	"coil", "discrete", "input", "holding"
};
static const char *const table_shorts[] = { "co", "di", "ir", "hr" };
static const char *const type_names[] = {
	"bool", "int16", "uint16", "int32", "uint32", "int64", "uint64",
	"float32", "float64", "bit"
};
static const char *const order_names[] = { "abcd", "badc", "cdab", "dcba" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int
iiot_mb_table_parse(const char *s)
{
	size_t i;

	for (i = 0; i < NELEM(table_names); i++)
		if (strcmp(s, table_names[i]) == 0 ||
		    strcmp(s, table_shorts[i]) == 0)
			return (int)i;
	errno = EINVAL;
	return -1;
}

const char *
iiot_mb_table_name(int table)
{
	return table >= 0 && (size_t)table < NELEM(table_names) ?
	    table_names[table] : "?";
}

const char *
iiot_mb_table_short(int table)
{
	return table >= 0 && (size_t)table < NELEM(table_shorts) ?
	    table_shorts[table] : "?";
}

int
iiot_mb_type_parse(const char *s, int *bit)
{
	size_t i;
	char *end;
	long b;

	if (strncmp(s, "bit.", 4) == 0) {
		errno = 0;
		b = strtol(s + 4, &end, 10);
		if (s[4] < '0' || s[4] > '9' || *end != '\0' || b > 15) {
			errno = EINVAL;
			return -1;
		}
		if (bit != NULL)
			*bit = (int)b;
		return IIOT_MB_BIT;
	}
	for (i = 0; i < NELEM(type_names) - 1; i++)
		if (strcmp(s, type_names[i]) == 0)
			return (int)i;
	errno = EINVAL;
	return -1;
}

const char *
iiot_mb_type_name(int type)
{
	return type >= 0 && (size_t)type < NELEM(type_names) ?
	    type_names[type] : "?";
}

int
iiot_mb_order_parse(const char *s)
{
	size_t i;

	for (i = 0; i < NELEM(order_names); i++)
		if (strcmp(s, order_names[i]) == 0)
			return (int)i;
	errno = EINVAL;
	return -1;
}

const char *
iiot_mb_order_name(int order)
{
	return order >= 0 && (size_t)order < NELEM(order_names) ?
	    order_names[order] : "?";
}

unsigned
iiot_mb_type_words(int type)
{
	switch (type) {
	case IIOT_MB_INT32:
	case IIOT_MB_UINT32:
	case IIOT_MB_FLOAT32:
		return 2;
	case IIOT_MB_INT64:
	case IIOT_MB_UINT64:
	case IIOT_MB_FLOAT64:
		return 4;
	default:
		return 1;
	}
}

int
iiot_mb_type_fits(int type, int table)
{
	if (table == IIOT_MB_COIL || table == IIOT_MB_DISCRETE)
		return type == IIOT_MB_BOOL;
	return 1;
}

/*
 * Turn the wire bytes of n registers into big-endian order for the
 * given word/byte order, or back: each order is its own inverse.
 */
static void
permute(unsigned char *b, unsigned n, int order)
{
	unsigned char t;
	unsigned i, nb = 2 * n;

	if (order == IIOT_MB_BADC || order == IIOT_MB_DCBA)
		for (i = 0; i < nb; i += 2) {
			t = b[i];
			b[i] = b[i + 1];
			b[i + 1] = t;
		}
	if (order == IIOT_MB_CDAB || order == IIOT_MB_DCBA)
		for (i = 0; i < n / 2; i++) {
			t = b[2 * i];
			b[2 * i] = b[nb - 2 - 2 * i];
			b[nb - 2 - 2 * i] = t;
			t = b[2 * i + 1];
			b[2 * i + 1] = b[nb - 1 - 2 * i];
			b[nb - 1 - 2 * i] = t;
		}
}

double
iiot_mb_decode(const uint16_t *regs, int type, int order, int bit)
{
	unsigned char b[8];
	unsigned i, n = iiot_mb_type_words(type);
	uint64_t u = 0;
	uint32_t u32;
	float f;
	double d;

	if (type == IIOT_MB_BIT)
		return (regs[0] >> bit) & 1;
	if (type == IIOT_MB_BOOL)
		return regs[0] != 0;
	for (i = 0; i < n; i++) {
		b[2 * i] = regs[i] >> 8;
		b[2 * i + 1] = regs[i] & 0xff;
	}
	if (n == 1) {
		if (order == IIOT_MB_BADC || order == IIOT_MB_DCBA) {
			b[2] = b[0];
			b[0] = b[1];
			b[1] = b[2];
		}
	} else
		permute(b, n, order);
	for (i = 0; i < 2 * n; i++)
		u = u << 8 | b[i];
	switch (type) {
	case IIOT_MB_INT16:
		return (int16_t)u;
	case IIOT_MB_UINT16:
		return (uint16_t)u;
	case IIOT_MB_INT32:
		return (int32_t)u;
	case IIOT_MB_UINT32:
		return (uint32_t)u;
	case IIOT_MB_INT64:
		return (double)(int64_t)u;
	case IIOT_MB_UINT64:
		return (double)u;
	case IIOT_MB_FLOAT32:
		u32 = (uint32_t)u;
		memcpy(&f, &u32, sizeof(f));
		return f;
	case IIOT_MB_FLOAT64:
		memcpy(&d, &u, sizeof(d));
		return d;
	}
	return NAN;
}

/* Round v into [lo, hi]; NaN gives 0. */
static double
clampr(double v, double lo, double hi)
{
	if (isnan(v))
		return 0;
	v = round(v);
	return v < lo ? lo : v > hi ? hi : v;
}

void
iiot_mb_encode(double v, int type, int order, int bit, uint16_t *regs)
{
	unsigned char b[8];
	unsigned i, n = iiot_mb_type_words(type);
	uint64_t u = 0;
	uint32_t u32;
	float f;

	switch (type) {
	case IIOT_MB_BIT:
		if (v != 0)
			regs[0] |= (uint16_t)(1u << bit);
		else
			regs[0] &= (uint16_t)~(1u << bit);
		return;
	case IIOT_MB_BOOL:
		regs[0] = v != 0;
		return;
	case IIOT_MB_INT16:
		u = (uint16_t)(int16_t)clampr(v, INT16_MIN, INT16_MAX);
		break;
	case IIOT_MB_UINT16:
		u = (uint16_t)clampr(v, 0, UINT16_MAX);
		break;
	case IIOT_MB_INT32:
		u = (uint32_t)(int32_t)clampr(v, INT32_MIN, INT32_MAX);
		break;
	case IIOT_MB_UINT32:
		u = (uint32_t)clampr(v, 0, UINT32_MAX);
		break;
	case IIOT_MB_INT64:
		/* 2^63 is not an int64_t: stop just below it. */
		v = clampr(v, -9223372036854775808.0, 9223372036854774784.0);
		u = (uint64_t)(int64_t)v;
		break;
	case IIOT_MB_UINT64:
		v = clampr(v, 0, 18446744073709549568.0);
		u = (uint64_t)v;
		break;
	case IIOT_MB_FLOAT32:
		f = (float)v;
		memcpy(&u32, &f, sizeof(u32));
		u = u32;
		break;
	case IIOT_MB_FLOAT64:
		memcpy(&u, &v, sizeof(u));
		break;
	}
	for (i = 0; i < 2 * n; i++)
		b[2 * n - 1 - i] = (unsigned char)(u >> (8 * i));
	if (n == 1) {
		if (order == IIOT_MB_BADC || order == IIOT_MB_DCBA) {
			b[2] = b[0];
			b[0] = b[1];
			b[1] = b[2];
		}
	} else
		permute(b, n, order);
	for (i = 0; i < n; i++)
		regs[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
}

/* Parse a decimal integer in [lo, hi] at s, the whole string. */
static int
parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* Apply one "key=value" query parameter of an RTU URL. */
static int
rtu_param(struct iiot_mb_url *u, char *kv)
{
	char *v = strchr(kv, '=');

	if (v == NULL)
		return -1;
	*v++ = '\0';
	if (strcmp(kv, "baud") == 0)
		return parse_int(v, 50, 4000000, &u->baud);
	if (strcmp(kv, "data") == 0)
		return parse_int(v, 5, 8, &u->data);
	if (strcmp(kv, "stop") == 0)
		return parse_int(v, 1, 2, &u->stop);
	if (strcmp(kv, "rs485") == 0)
		return parse_int(v, 0, 1, &u->rs485);
	if (strcmp(kv, "parity") == 0) {
		if (v[1] != '\0' || strchr("NEOneo", v[0]) == NULL ||
		    v[0] == '\0')
			return -1;
		u->parity = v[0] & ~0x20;
		return 0;
	}
	return -1;
}

/*
 * A host name or address: printable, without brackets, and with a colon
 * only inside brackets (an IPv6 literal), so that the canonical form of
 * the URL reads back the same.
 */
static int
host_ok(const char *h, int bracketed)
{
	for (; *h != '\0'; h++)
		if (!isgraph((unsigned char)*h) || *h == '[' || *h == ']' ||
		    *h == '@' || (*h == ':' && !bracketed))
			return 0;
	return 1;
}

int
iiot_mb_url_parse(const char *url, struct iiot_mb_url *u)
{
	char buf[512], *p, *q, *colon;
	int port;

	memset(u, 0, sizeof(*u));
	if (strlen(url) >= sizeof(buf))
		goto bad;
	if (strncmp(url, "modbus-tcp://", 13) == 0) {
		memcpy(buf, url + 13, strlen(url + 13) + 1);
		p = buf;
		if ((q = strchr(p, '/')) != NULL) {
			if (q[1] != '\0')
				goto bad;
			*q = '\0';
		}
		if (*p == '[') {
			/* An IPv6 literal: [::1]:502. */
			if ((q = strchr(p, ']')) == NULL)
				goto bad;
			*q++ = '\0';
			p++;
			colon = *q == ':' ? q : NULL;
			if (*q != '\0' && colon == NULL)
				goto bad;
		} else
			colon = strrchr(p, ':');
		if (colon != NULL) {
			*colon = '\0';
			if (parse_int(colon + 1, 1, 65535, &port) == -1)
				goto bad;
			snprintf(u->port, sizeof(u->port), "%d", port);
		} else
			snprintf(u->port, sizeof(u->port), "502");
		if (*p == '\0' || strlen(p) >= sizeof(u->host) ||
		    !host_ok(p, p != buf))
			goto bad;
		memcpy(u->host, p, strlen(p) + 1);
		return 0;
	}
	if (strncmp(url, "modbus-rtu://", 13) == 0) {
		u->rtu = 1;
		u->baud = 19200;
		u->parity = 'E';
		u->data = 8;
		u->stop = 1;
		memcpy(buf, url + 13, strlen(url + 13) + 1);
		if (buf[0] != '/')
			goto bad;
		if ((q = strchr(buf, '?')) != NULL) {
			*q++ = '\0';
			while (q != NULL && *q != '\0') {
				p = q;
				if ((q = strchr(p, '&')) != NULL)
					*q++ = '\0';
				if (rtu_param(u, p) == -1)
					goto bad;
			}
		}
		if (buf[1] == '\0' || strlen(buf) >= sizeof(u->device))
			goto bad;
		memcpy(u->device, buf, strlen(buf) + 1);
		return 0;
	}
bad:
	errno = EINVAL;
	return -1;
}

size_t
iiot_mb_url_format(const struct iiot_mb_url *u, char *buf, size_t n)
{
	int r;

	if (u->rtu)
		r = snprintf(buf, n, "modbus-rtu://%s", u->device);
	else if (strchr(u->host, ':') != NULL)
		r = snprintf(buf, n, "modbus-tcp://[%s]:%s", u->host, u->port);
	else
		r = snprintf(buf, n, "modbus-tcp://%s:%s", u->host, u->port);
	if (r < 0)
		r = 0;
	return (size_t)r < n ? (size_t)r : n > 0 ? n - 1 : 0;
}

/* qsort order of item pointers: unit, table, address. */
static int
item_cmp(const void *a, const void *b)
{
	const struct iiot_mb_item *x = *(struct iiot_mb_item *const *)a;
	const struct iiot_mb_item *y = *(struct iiot_mb_item *const *)b;

	if (x->unit != y->unit)
		return x->unit < y->unit ? -1 : 1;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->count > y->count) - (x->count < y->count);
}

int
iiot_mb_plan(struct iiot_mb_item *items, size_t n, unsigned gap,
    struct iiot_mb_req **reqs, size_t *nreqs)
{
	struct iiot_mb_item **sorted;
	struct iiot_mb_req *r = NULL;
	size_t i, nr = 0;
	unsigned max, g, end;
	int bits;

	*reqs = NULL;
	*nreqs = 0;
	if (n == 0)
		return 0;
	if ((sorted = malloc(n * sizeof(*sorted))) == NULL)
		return -1;
	if ((r = malloc(n * sizeof(*r))) == NULL) {
		free(sorted);
		return -1;
	}
	for (i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, n, sizeof(*sorted), item_cmp);
	for (i = 0; i < n; i++) {
		struct iiot_mb_item *it = sorted[i];
		struct iiot_mb_req *last = nr > 0 ? &r[nr - 1] : NULL;

		bits = it->table == IIOT_MB_COIL ||
		    it->table == IIOT_MB_DISCRETE;
		max = bits ? IIOT_MB_MAX_BITS : IIOT_MB_MAX_REGS;
		g = bits ? 16 * gap : gap;
		if (it->count == 0 || it->count > max) {
			free(sorted);
			free(r);
			errno = EINVAL;
			return -1;
		}
		end = it->addr + it->count;
		if (last != NULL && last->unit == it->unit &&
		    last->table == it->table &&
		    it->addr <= last->addr + last->count + g &&
		    (end < last->addr + last->count ?
		    last->addr + last->count : end) - last->addr <= max) {
			if (end > last->addr + last->count)
				last->count = end - last->addr;
		} else {
			last = &r[nr++];
			last->unit = it->unit;
			last->table = it->table;
			last->addr = it->addr;
			last->count = it->count;
		}
		it->req = nr - 1;
		it->offset = it->addr - last->addr;
	}
	free(sorted);
	*reqs = r;
	*nreqs = nr;
	return 0;
}

struct iiot_mb {
	struct iiot_mb_url url;
	modbus_t *ctx;
	int connected;
	int unit;		/* the slave id last set on ctx */
};

struct iiot_mb *
iiot_mb_new(const struct iiot_mb_url *u, int64_t timeout_ms)
{
	struct iiot_mb *mb;
	uint32_t sec, usec;

	if (timeout_ms <= 0)
		timeout_ms = 1000;
	if ((mb = calloc(1, sizeof(*mb))) == NULL)
		return NULL;
	mb->url = *u;
	mb->unit = -1;
	if (u->rtu)
		mb->ctx = modbus_new_rtu(u->device, u->baud, u->parity,
		    u->data, u->stop);
	else
		mb->ctx = modbus_new_tcp_pi(u->host, u->port);
	if (mb->ctx == NULL) {
		free(mb);
		errno = EINVAL;
		return NULL;
	}
	sec = (uint32_t)(timeout_ms / 1000);
	usec = (uint32_t)(timeout_ms % 1000) * 1000;
	modbus_set_response_timeout(mb->ctx, sec, usec);
	modbus_set_byte_timeout(mb->ctx, sec, usec);
	return mb;
}

int
iiot_mb_connect(struct iiot_mb *mb)
{
	if (mb->connected)
		return 0;
	if (modbus_connect(mb->ctx) == -1)
		return -1;
	if (mb->url.rtu && mb->url.rs485 &&
	    modbus_rtu_set_serial_mode(mb->ctx, MODBUS_RTU_RS485) == -1) {
		modbus_close(mb->ctx);
		return -1;
	}
	mb->connected = 1;
	return 0;
}

int
iiot_mb_connected(const struct iiot_mb *mb)
{
	return mb->connected;
}

void
iiot_mb_close(struct iiot_mb *mb)
{
	int e = errno;

	if (mb->connected) {
		modbus_close(mb->ctx);
		mb->connected = 0;
	}
	errno = e;
}

void
iiot_mb_free(struct iiot_mb *mb)
{
	if (mb == NULL)
		return;
	iiot_mb_close(mb);
	modbus_free(mb->ctx);
	free(mb);
}

/*
 * Prepare a request to unit: connected, and the slave id set.
 */
static int
prepare(struct iiot_mb *mb, int unit)
{
	if (!mb->connected && iiot_mb_connect(mb) == -1)
		return -1;
	if (unit != mb->unit) {
		if (modbus_set_slave(mb->ctx, unit) == -1)
			return -1;
		mb->unit = unit;
	}
	return 0;
}

/*
 * After a failed request: a Modbus exception leaves the link usable;
 * anything else (timeout, reset, bad frame) may leave stray bytes or a
 * dead socket, so close it and let the next request reconnect.
 */
static int
failed(struct iiot_mb *mb)
{
	int e = errno;

	if (e < MODBUS_ENOBASE || e > EMBXGTAR) {
		iiot_mb_close(mb);
		if (mb->url.rtu)
			modbus_flush(mb->ctx);
	}
	errno = e;
	return -1;
}

int
iiot_mb_read_regs(struct iiot_mb *mb, int unit, int table, unsigned addr,
    unsigned count, uint16_t *regs)
{
	int r;

	if (prepare(mb, unit) == -1)
		return failed(mb);
	if (table == IIOT_MB_HOLDING)
		r = modbus_read_registers(mb->ctx, (int)addr, (int)count, regs);
	else if (table == IIOT_MB_INPUT)
		r = modbus_read_input_registers(mb->ctx, (int)addr,
		    (int)count, regs);
	else {
		errno = EINVAL;
		return -1;
	}
	if (r == -1)
		return failed(mb);
	if ((unsigned)r != count) {
		errno = EMBBADDATA;
		return failed(mb);
	}
	return 0;
}

int
iiot_mb_read_bits(struct iiot_mb *mb, int unit, int table, unsigned addr,
    unsigned count, uint8_t *bits)
{
	int r;

	if (prepare(mb, unit) == -1)
		return failed(mb);
	if (table == IIOT_MB_COIL)
		r = modbus_read_bits(mb->ctx, (int)addr, (int)count, bits);
	else if (table == IIOT_MB_DISCRETE)
		r = modbus_read_input_bits(mb->ctx, (int)addr, (int)count,
		    bits);
	else {
		errno = EINVAL;
		return -1;
	}
	if (r == -1)
		return failed(mb);
	if ((unsigned)r != count) {
		errno = EMBBADDATA;
		return failed(mb);
	}
	return 0;
}

int
iiot_mb_write_bit(struct iiot_mb *mb, int unit, unsigned addr, int on)
{
	if (prepare(mb, unit) == -1)
		return failed(mb);
	if (modbus_write_bit(mb->ctx, (int)addr, on ? 1 : 0) == -1)
		return failed(mb);
	return 0;
}

int
iiot_mb_write_reg(struct iiot_mb *mb, int unit, unsigned addr, uint16_t val)
{
	if (prepare(mb, unit) == -1)
		return failed(mb);
	if (modbus_write_register(mb->ctx, (int)addr, val) == -1)
		return failed(mb);
	return 0;
}

int
iiot_mb_write_coil(const char *url, int unit, unsigned addr, int on,
    int64_t timeout_ms)
{
	struct iiot_mb_url u;
	struct iiot_mb *mb;
	int r, e;

	if (iiot_mb_url_parse(url, &u) == -1)
		return -1;
	if ((mb = iiot_mb_new(&u, timeout_ms)) == NULL)
		return -1;
	r = iiot_mb_write_bit(mb, unit, addr, on);
	e = errno;
	iiot_mb_free(mb);
	errno = e;
	return r;
}

const char *
iiot_mb_strerror(int code)
{
	return modbus_strerror(code);
}

const char *
iiot_mb_version(void)
{
	return "libmodbus " LIBMODBUS_VERSION_STRING;
}
