/* SPDX-License-Identifier: MIT */
/* thresh_fuzz.c: fuzz the rules file (iiot-rules(5)), then drive its alarms. */
#include "iiot.h"
#include "fuzz.h"

/* 2026-11-29T00:00:00Z, a fixed "now" so that runs repeat. */
#define FUZZ_NOW INT64_C(1795910400000)

static void
thresh_event(void *arg, const struct iiot_thresh_event *ev)
{
	size_t *n = arg, i;

	FUZZ_ASSERT(ev->alert != NULL && ev->state != NULL &&
	    ev->severity != NULL && ev->sensor != NULL);
	FUZZ_ASSERT(ev->sev >= IIOT_SEV_INFO && ev->sev <= IIOT_SEV_CRITICAL);
	for (i = 0; i < ev->nactions; i++)
		FUZZ_ASSERT(ev->actions[i] != NULL);
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iiot_thresh *t, *t2;
	struct iiot_thresh_alarm a;
	struct iiot_thresh_limit lim[8];
	struct iiot_buf st = IIOT_BUF_INIT;
	struct iiot_rec r;
	const uint8_t *nul;
	const char *line, *eol, *end;
	char err[256], *text, *tail;
	size_t nev = 0, it;
	int64_t ts = FUZZ_NOW;

	/* The rules, then a NUL, then records (JSON Lines) to feed them. */
	nul = memchr(data, '\0', size);
	text = fuzz_str(data, nul ? (size_t)(nul - data) : size);
	tail = nul ? fuzz_str(nul + 1, size - (size_t)(nul - data) - 1) :
	    fuzz_str(data, 0);
	if ((t = iiot_thresh_new(0)) == NULL)
		abort();
	if (iiot_thresh_parse(t, text, "fuzz.rules", 1, FUZZ_NOW, err,
	    sizeof(err)) < 0 || iiot_thresh_finish(t, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0');
		goto out;
	}
	for (it = 0; it < iiot_thresh_nactions(t); it++)
		FUZZ_ASSERT(iiot_thresh_action(t, it) != NULL);
	if (iiot_rec_init(&r) < 0)
		abort();
	end = tail + strlen(tail);
	for (line = tail; line < end; line = eol + 1) {
		if ((eol = strchr(line, '\n')) == NULL)
			eol = end;
		if (iiot_rec_parse(&r, line, (size_t)(eol - line)) < 0)
			continue;
		if (!r.has_ts)
			iiot_rec_set_ts(&r, ts += 1000);
		(void)iiot_thresh_feed(t, &r, thresh_event, &nev);
		(void)iiot_thresh_limits(t, r.source, r.sensor, lim, 8);
	}
	iiot_rec_release(&r);
	(void)iiot_thresh_tick(t, ts + 86400000, thresh_event, &nev);
	(void)iiot_thresh_deadline(t);
	(void)iiot_thresh_ack(t, "*");
	it = 0;
	while (iiot_thresh_alarm_next(t, &it, &a))
		FUZZ_ASSERT(a.alert != NULL && a.state != NULL);

	/* The state written is read back by the same rules. */
	FUZZ_ASSERT(iiot_thresh_state_write(t, &st) == 0);
	if ((t2 = iiot_thresh_new(0)) == NULL)
		abort();
	if (iiot_thresh_parse(t2, text, "fuzz.rules", 1, FUZZ_NOW, err,
	    sizeof(err)) == 0 && iiot_thresh_finish(t2, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(iiot_thresh_state_read(t2, st.data ? st.data : "",
		    0) >= 0);
		/* And hostile state text is skipped, not trusted. */
		FUZZ_ASSERT(iiot_thresh_state_read(t2, tail, 0) >= 0);
	}
	iiot_thresh_free(t2);
out:
	iiot_buf_release(&st);
	iiot_thresh_free(t);
	free(text);
	free(tail);
	return 0;
}
