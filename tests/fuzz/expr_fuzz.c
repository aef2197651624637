/* SPDX-License-Identifier: MIT */
/* expr_fuzz.c: fuzz filter expressions: compile, then evaluate on random fields. */
#include "iiot.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul, *p, *end = data + size;
	struct iiot_expr *e;
	struct iiot_val *vars = NULL, out;
	char err[256], *src;
	size_t i, n, k, len;
	double d;

	/* The expression, then a NUL, then bytes that make up the fields. */
	nul = memchr(data, '\0', size);
	src = fuzz_str(data, nul ? (size_t)(nul - data) : size);
	p = nul ? nul + 1 : end;
	if ((e = iiot_expr_new(src, err, sizeof(err))) == NULL) {
		FUZZ_ASSERT(err[0] != '\0');
		free(src);
		return 0;
	}
	n = iiot_expr_nvars(e);
	if (n > 0 && (vars = calloc(n, sizeof(*vars))) == NULL)
		abort();
	for (k = 0; k < 4; k++) {
		for (i = 0; i < n; i++) {
			FUZZ_ASSERT(iiot_expr_var(e, i) != NULL);
			vars[i].type = IIOT_V_NULL;
			if (p >= end)
				continue;
			switch (*p++ % 3) {
			case 1:
				d = 0;
				len = (size_t)(end - p) < sizeof(d) ?
				    (size_t)(end - p) : sizeof(d);
				memcpy(&d, p, len);
				p += len;
				vars[i].type = IIOT_V_NUM;
				vars[i].num = d;
				break;
			case 2:
				len = p < end ? *p++ % 16 : 0;
				if (len > (size_t)(end - p))
					len = (size_t)(end - p);
				vars[i].type = IIOT_V_STR;
				vars[i].str = (const char *)p;
				vars[i].len = len;
				p += len;
				break;
			}
		}
		FUZZ_ASSERT(iiot_expr_value(e, vars, &out) == 0);
		FUZZ_ASSERT(out.type == IIOT_V_NULL || out.type == IIOT_V_NUM ||
		    out.type == IIOT_V_STR);
		if (out.type == IIOT_V_STR && out.len > 0)
			FUZZ_ASSERT(out.str != NULL);
		(void)iiot_expr_test(e, vars);
		if (p >= end)
			break;
	}
	free(vars);
	iiot_expr_free(e);
	free(src);
	return 0;
}
