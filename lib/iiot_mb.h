/* SPDX-License-Identifier: MIT */
/* iiot_mb.h: Modbus helpers over libmodbus: URLs, decoding, coalescing, I/O. */
#ifndef IIOT_MB_H
#define IIOT_MB_H

#include <stddef.h>
#include <stdint.h>

/* Tables (data models) of a Modbus device. */
#define IIOT_MB_COIL		0	/* read/write bits, function 1/5 */
#define IIOT_MB_DISCRETE	1	/* read-only bits, function 2 */
#define IIOT_MB_INPUT		2	/* read-only registers, fn 4 */
#define IIOT_MB_HOLDING		3	/* read/write registers, fn 3/6 */

/* Value types; a register holds 16 bits. */
#define IIOT_MB_BOOL		0	/* a bit, or a register != 0 */
#define IIOT_MB_INT16		1
#define IIOT_MB_UINT16		2
#define IIOT_MB_INT32		3
#define IIOT_MB_UINT32		4
#define IIOT_MB_INT64		5
#define IIOT_MB_UINT64		6
#define IIOT_MB_FLOAT32		7
#define IIOT_MB_FLOAT64		8
#define IIOT_MB_BIT		9	/* one bit of a register */

/*
 * Word and byte orders of multi-register values, named after the bytes
 * of a 32-bit value ABCD (A most significant) as they appear on the
 * wire.  abcd: big-endian words, high word first (the Modbus norm);
 * cdab: low word first; badc: bytes swapped in each word; dcba: fully
 * little-endian.  64-bit values extend the same rule to four words; a
 * 16-bit value is byte-swapped by badc and dcba.
 */
#define IIOT_MB_ABCD		0
#define IIOT_MB_BADC		1
#define IIOT_MB_CDAB		2
#define IIOT_MB_DCBA		3

/* Protocol limits of one read request. */
#define IIOT_MB_MAX_REGS	125
#define IIOT_MB_MAX_BITS	2000

/*
 * Names of tables, types and orders.  The _parse functions return the
 * constant, or -1 with errno EINVAL.  Tables are "coil", "discrete",
 * "input" and "holding" (also "co", "di", "ir", "hr"); types are
 * "bool", "int16" ... "float64", and "bit.N" (N from 0, the least
 * significant bit, to 15), which also sets *bit (may be NULL otherwise).
 * The _name functions return a static string.  iiot_mb_table_short()
 * gives the two-letter form used in origins.
 */
int iiot_mb_table_parse(const char *s);
const char *iiot_mb_table_name(int table);
const char *iiot_mb_table_short(int table);
int iiot_mb_type_parse(const char *s, int *bit);
const char *iiot_mb_type_name(int type);
int iiot_mb_order_parse(const char *s);
const char *iiot_mb_order_name(int order);

/*
 * Return the number of registers a type occupies (1 for bool and bit,
 * 2 for 32-bit types, 4 for 64-bit types).
 */
unsigned iiot_mb_type_words(int type);

/*
 * Return 1 if a type may live in a table: bit tables hold only bool.
 */
int iiot_mb_type_fits(int type, int table);

/*
 * Decode a value from registers as received (host-order words, each
 * the big-endian pair of bytes on the wire).
 * regs: iiot_mb_type_words(type) registers; bit: for IIOT_MB_BIT.
 * Returns the value as a double (64-bit integers beyond 2^53 are
 * rounded).
 */
double iiot_mb_decode(const uint16_t *regs, int type, int order, int bit);

/*
 * Encode a value into registers, the inverse of iiot_mb_decode(): the
 * value is rounded and clamped to the range of integer types.  For
 * IIOT_MB_BIT, regs[0] is updated in place.
 */
void iiot_mb_encode(double v, int type, int order, int bit, uint16_t *regs);

/*
 * A device address, parsed from a URL:
 *   modbus-tcp://HOST[:PORT]          (port 502 by default)
 *   modbus-rtu://DEVICE[?baud=19200&parity=E&data=8&stop=1&rs485=1]
 * where DEVICE is an absolute path (modbus-rtu:///dev/ttyUSB0).  RTU
 * defaults are 19200 baud, 8 data bits, even parity, 1 stop bit.
 */
struct iiot_mb_url {
	int rtu;		/* 0 for TCP, 1 for RTU */
	char host[256];		/* TCP: host name or address */
	char port[16];		/* TCP: port or service */
	char device[256];	/* RTU: serial device path */
	int baud;		/* RTU */
	char parity;		/* RTU: 'N', 'E' or 'O' */
	int data, stop;		/* RTU */
	int rs485;		/* RTU: set RS-485 mode on the port */
};

/*
 * Parse a URL into u.  Returns 0, or -1 with errno EINVAL.
 */
int iiot_mb_url_parse(const char *url, struct iiot_mb_url *u);

/*
 * Write the canonical form of u ("modbus-tcp://host:port" or
 * "modbus-rtu:///dev/x") into buf of size n.  Returns its length.
 */
size_t iiot_mb_url_format(const struct iiot_mb_url *u, char *buf, size_t n);

/*
 * One point to read, for iiot_mb_plan(): the request that reads it and
 * where its value starts in the request's answer are filled in.
 */
struct iiot_mb_item {
	int unit;		/* in: unit id */
	int table;		/* in: IIOT_MB_* table */
	unsigned addr;		/* in: first register or bit */
	unsigned count;		/* in: registers (or bits) it takes */
	size_t req;		/* out: index of its request */
	unsigned offset;	/* out: position in that request's answer */
};

/* One read request of a plan. */
struct iiot_mb_req {
	int unit;
	int table;
	unsigned addr;
	unsigned count;
};

/*
 * Coalesce reads: group items of the same unit and table whose
 * addresses are at most gap registers (or 16 x gap bits) apart into
 * requests within the protocol limits.
 * items, n: the points, borrowed; their req and offset are set.
 * reqs: receives an array the caller frees with free(); nreqs its size.
 * Returns 0, or -1 with errno ENOMEM or EINVAL (an item larger than a
 * request).
 */
int iiot_mb_plan(struct iiot_mb_item *items, size_t n, unsigned gap,
    struct iiot_mb_req **reqs, size_t *nreqs);

struct iiot_mb;		/* opaque: a connection to one device */

/*
 * Make a connection handle for u (copied), not yet connected.
 * timeout_ms: bound of each response and of the connection, at most a
 * few seconds; 0 means 1000.
 * Returns a handle the caller frees with iiot_mb_free(), or NULL with
 * errno (ENOMEM, EINVAL).
 */
struct iiot_mb *iiot_mb_new(const struct iiot_mb_url *u, int64_t timeout_ms);

/*
 * Connect, or reconnect after a failure.  Returns 0, or -1 with errno.
 */
int iiot_mb_connect(struct iiot_mb *mb);

/*
 * Return 1 if the handle is connected.
 */
int iiot_mb_connected(const struct iiot_mb *mb);

/*
 * Close the connection (the handle may connect again).
 */
void iiot_mb_close(struct iiot_mb *mb);

/*
 * Free a handle, closing it first.  NULL is allowed.
 */
void iiot_mb_free(struct iiot_mb *mb);

/*
 * Read count registers (input or holding) into regs, or count bits
 * (coil or discrete) into bits, one byte (0 or 1) per bit.  Errors
 * that leave the link in doubt (timeouts, resets) close the
 * connection, so the next call must iiot_mb_connect() again; Modbus
 * exceptions do not.
 * Return 0, or -1 with errno (system errors, or libmodbus codes
 * described by iiot_mb_strerror()).
 */
int iiot_mb_read_regs(struct iiot_mb *mb, int unit, int table,
    unsigned addr, unsigned count, uint16_t *regs);
int iiot_mb_read_bits(struct iiot_mb *mb, int unit, int table,
    unsigned addr, unsigned count, uint8_t *bits);

/*
 * Write one coil (function 5) or one holding register (function 6).
 * Return 0, or -1 with errno.
 */
int iiot_mb_write_bit(struct iiot_mb *mb, int unit, unsigned addr, int on);
int iiot_mb_write_reg(struct iiot_mb *mb, int unit, unsigned addr,
    uint16_t val);

/*
 * Drive a coil in one call, for alarms that switch a stack light:
 * connect to url, set coil addr of unit to on, and close.
 * url: as for iiot_mb_url_parse(), borrowed.
 * timeout_ms: as for iiot_mb_new().
 * Returns 0, or -1 with errno (EINVAL for a bad URL).
 */
int iiot_mb_write_coil(const char *url, int unit, unsigned addr, int on,
    int64_t timeout_ms);

/*
 * Describe an errno set by this module, including libmodbus's codes
 * (Modbus exceptions, bad CRC...).  Returns a static string.
 */
const char *iiot_mb_strerror(int code);

/*
 * Return the version of libmodbus, as "libmodbus X.Y.Z" (static).
 */
const char *iiot_mb_version(void);

#endif /* IIOT_MB_H */
