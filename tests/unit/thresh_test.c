/* SPDX-License-Identifier: MIT */
/* thresh_test.c: unit tests for the alarm rules and their state machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iiot_buf.h"
#include "iiot_log.h"
#include "iiot_rec.h"
#include "iiot_thresh.h"
#include "tap.h"

/*
 * Each case feeds a series "m/t" with "SECONDS=VALUE" steps (a step
 * "SECONDS!" ticks the clock without a record; "SECONDS=VALUE/bad" has
 * quality bad) and expects the events as "STATE:SEVERITY@SECONDS ...".
 */
static const struct {
	const char *rules;
	const char *steps;
	const char *events;
} cases[] = {
	/* A plain threshold fires and resolves at once. */
	{ "rule a t > 5", "0=1 1=6 2=7 3=5", "firing:warning@1 resolved:warning@3" },
	/* >= fires on the limit. */
	{ "rule a t >= 5", "0=5 1=4", "firing:warning@0 resolved:warning@1" },
	/* Hysteresis: 78 is between the levels and changes nothing. */
	{ "rule a t > 80 clear < 75", "0=81 1=78 2=80 3=74",
	    "firing:warning@0 resolved:warning@3" },
	/* for: interrupted, then held to the end. */
	{ "rule a t > 5 for 10s", "0=6 5=4 10=6 15=6 20=6",
	    "firing:warning@20" },
	/* for runs out while no record comes: fired by the tick. */
	{ "rule a t > 5 for 10s", "0=6 30!", "firing:warning@10" },
	/* clear-for: the clear condition must hold that long. */
	{ "rule a t > 5 clear-for 10s", "0=6 1=4 5=6 6=4 16=4",
	    "firing:warning@0 resolved:warning@16" },
	/* Escalation up and down, one alarm. */
	{ "rule a t > 5 escalate critical > 10", "0=6 1=11 2=7 3=1",
	    "firing:warning@0 escalated:critical@1 escalated:warning@2 "
	    "resolved:warning@3" },
	/* A jump straight past the escalation fires critical. */
	{ "rule a t > 5 escalate critical > 10", "0=20",
	    "firing:critical@0" },
	/* Reminders while firing; after a gap, one for the periods missed. */
	{ "rule a t > 5 repeat 10s", "0=6 10=6 15=6 45=6 46=1",
	    "firing:warning@0 reminder:warning@10 reminder:warning@20 "
	    "resolved:warning@46" },
	/* The cap mutes a second firing within the period, and its end. */
	{ "rule a t > 5 at most once per 1m", "0=6 1=1 2=6 3=1 70=6",
	    "firing:warning@0 resolved:warning@1 firing:warning@70" },
	/* Flapping: one notice, then the settled state when it is news. */
	{ "rule a t > 5 flap 3 in 10s", "0=6 1=1 2=6 3=1 4=6 30!",
	    "firing:warning@0 resolved:warning@1 flapping:warning@2 "
	    "firing:warning@14" },
	/* Flapping that settles where the world last heard: nothing. */
	{ "rule a t > 5 flap 3 in 10s", "0=6 1=1 2=6 3=1 30!",
	    "firing:warning@0 resolved:warning@1 flapping:warning@2" },
	/* Bad-quality values are not compared. */
	{ "rule a t > 5", "0=1 1=9/bad 2=1", "" },
	/* quality != good. */
	{ "rule a t quality != good", "0=1 1=9/bad 2=1",
	    "firing:warning@1 resolved:warning@2" },
	/* Range. */
	{ "rule a t outside 0 10", "0=5 1=11 2=5 3=-1",
	    "firing:warning@1 resolved:warning@2 firing:warning@3" },
	/* Rate per minute: 1 per second is 60/min. */
	{ "rule a t rate > 30/min", "0=0 1=0.1 2=1.1 3=1.2",
	    "firing:warning@2 resolved:warning@3" },
	/* Stale in data time, resolved by the next record. */
	{ "rule a t stale 10s", "0=1 5=1 30! 31=1",
	    "firing:warning@15 resolved:warning@31" },
	/* Severity info. */
	{ "rule a t < 0 severity info", "0=-1", "firing:info@0" },
	/* A silence: the event is still there (flag checked apart). */
	{ "rule a t > 5\nsilence a from 1970-01-01T00:00:00Z to "
	    "1970-01-01T00:01:00Z", "0=6", "firing:warning@0" },
	/* Defaults apply to the rules that follow. */
	{ "default severity critical for 5s\nrule a t > 5", "0=6 5=6",
	    "firing:critical@5" },
};

/* Rules that must not load, and the start of their message. */
static const struct {
	const char *rules;
	const char *err;
} bad[] = {
	/* Unknown statement. */
	{ "alarm a t > 5", "f:1: unknown statement 'alarm'" },
	/* Missing condition. */
	{ "rule a t", "f:1: missing condition" },
	/* Bad operator. */
	{ "rule a t => 5", "f:1: bad condition '=>'" },
	/* Bad number. */
	{ "rule a t > five", "f:1: bad threshold: 'five'" },
	/* Unknown clause, on a continuation line: the statement's line. */
	{ "\nrule a t > 5\n  sometimes", "f:2: unknown clause 'sometimes'" },
	/* Bad rate unit. */
	{ "rule a t rate > 5/fortnight", "f:1: bad rate '5/fortnight'" },
	/* Duplicate rule. */
	{ "rule a t > 5\nrule a t < 1", "f:2: rule 'a' already defined" },
	/* Bad name. */
	{ "rule a/b t > 5", "f:1: bad rule name 'a/b'" },
	/* Range the wrong way round. */
	{ "rule a t outside 5 1", "f:1: lower limit above upper limit" },
	/* A clear level needs a value condition. */
	{ "rule a t stale 5s clear < 3", "f:1: clear needs a value" },
	/* Unterminated quote. */
	{ "action x exec \"/bin/true", "f:1: unterminated quote" },
	/* at most once per, misspelt. */
	{ "rule a t > 5 at most twice per 1h", "f:1: want 'at most once" },
	/* Flap count out of range. */
	{ "rule a t > 5 flap 1 in 1m", "f:1: flap count must be 2" },
	/* A rule naming an action nobody defined. */
	{ "rule a t > 5 action nope", "f:1: no action 'nope'" },
	/* Bad silence time. */
	{ "silence a from never to 1h", "f:1: bad silence time" },
};

/* One line of TAP: newlines in a description become " / ". */
static void
ok_line(int ok, char *desc)
{
	char *p;

	while ((p = strchr(desc, '\n')) != NULL)
		*p = '/';
	tap_ok(ok, desc);
}

static void
collect(void *arg, const struct iiot_thresh_event *ev)
{
	struct iiot_buf *b = arg;

	iiot_buf_addf(b, "%s%s:%s@%lld", b->len ? " " : "", ev->state,
	    ev->severity, (long long)(ev->ts / 1000));
}

static int
run_case(size_t i, struct iiot_buf *out)
{
	struct iiot_thresh *t;
	struct iiot_rec r;
	char err[256], line[256], *steps, *w, *save, *eq, *q;
	int n;

	if ((t = iiot_thresh_new(0)) == NULL || iiot_rec_init(&r) == -1)
		return -1;
	if (iiot_thresh_parse(t, cases[i].rules, "f", 1, 0, err,
	    sizeof(err)) == -1 || iiot_thresh_finish(t, err,
	    sizeof(err)) == -1) {
		printf("# %s\n", err);
		iiot_thresh_free(t);
		iiot_rec_release(&r);
		return -1;
	}
	steps = strdup(cases[i].steps);
	for (w = strtok_r(steps, " ", &save); w;
	    w = strtok_r(NULL, " ", &save)) {
		if (w[strlen(w) - 1] == '!') {
			iiot_thresh_tick(t, atoll(w) * 1000, collect, out);
			continue;
		}
		eq = strchr(w, '=');
		q = strchr(w, '/');
		if (q)
			*q++ = '\0';
		n = snprintf(line, sizeof(line), "{\"ts\":%lld,\"source\":"
		    "\"m\",\"sensor\":\"t\",\"value\":%s%s%s%s}", atoll(w),
		    eq + 1, q ? ",\"quality\":\"" : "", q ? q : "",
		    q ? "\"" : "");
		if (iiot_rec_parse(&r, line, (size_t)n) == -1)
			printf("# bad step '%s'\n", w);
		else
			iiot_thresh_feed(t, &r, collect, out);
	}
	iiot_buf_adds(out, "");
	free(steps);
	iiot_rec_release(&r);
	iiot_thresh_free(t);
	return 0;
}

int
main(void)
{
	size_t i, ncases = sizeof(cases) / sizeof(cases[0]);
	size_t nbad = sizeof(bad) / sizeof(bad[0]);
	struct iiot_buf out = IIOT_BUF_INIT;
	struct iiot_thresh *t;
	char err[256], desc[300];
	int ok;

	tap_plan((int)(ncases + nbad + 4));
	for (i = 0; i < ncases; i++) {
		iiot_buf_reset(&out);
		ok = run_case(i, &out) == 0 &&
		    strcmp(out.data ? out.data : "", cases[i].events) == 0;
		if (!ok)
			printf("# got '%s'\n# want '%s'\n",
			    out.data ? out.data : "", cases[i].events);
		snprintf(desc, sizeof(desc), "events of '%s' on '%s'",
		    cases[i].rules, cases[i].steps);
		ok_line(ok, desc);
	}
	for (i = 0; i < nbad; i++) {
		t = iiot_thresh_new(0);
		err[0] = '\0';
		ok = iiot_thresh_parse(t, bad[i].rules, "f", 1, 0, err,
		    sizeof(err)) == -1 || iiot_thresh_finish(t, err,
		    sizeof(err)) == -1;
		ok = ok && errno == IIOT_ESYNTAX &&
		    strncmp(err, bad[i].err, strlen(bad[i].err)) == 0;
		if (!ok)
			printf("# got '%s'\n", err);
		snprintf(desc, sizeof(desc), "'%s' is refused: %s",
		    bad[i].rules, bad[i].err);
		ok_line(ok, desc);
		iiot_thresh_free(t);
	}
	/* Severity names round-trip. */
	tap_ok(iiot_thresh_sev_parse("critical") == IIOT_SEV_CRITICAL &&
	    strcmp(iiot_thresh_sev_name(IIOT_SEV_INFO), "info") == 0,
	    "severity names");
	tap_ok(iiot_thresh_sev_parse("fatal") == -1 && errno == EINVAL,
	    "unknown severity is EINVAL");
	/* State written and read back gives the same text. */
	{
		struct iiot_buf a = IIOT_BUF_INIT, b = IIOT_BUF_INIT;
		struct iiot_thresh *t2 = iiot_thresh_new(0);
		struct iiot_rec r;
		const char *l = "{\"ts\":5,\"source\":\"m\",\"sensor\":\"t\","
		    "\"value\":9}";

		t = iiot_thresh_new(0);
		iiot_rec_init(&r);
		iiot_thresh_parse(t, "rule a t > 5 repeat 1m", "f", 1, 0, err,
		    sizeof(err));
		iiot_thresh_parse(t2, "rule a t > 5 repeat 1m", "f", 1, 0, err,
		    sizeof(err));
		iiot_rec_parse(&r, l, strlen(l));
		iiot_thresh_feed(t, &r, NULL, NULL);
		iiot_buf_adds(&a, "");
		iiot_thresh_state_write(t, &a);
		iiot_thresh_state_read(t2, a.data, 0);
		iiot_buf_adds(&b, "");
		iiot_thresh_state_write(t2, &b);
		tap_ok(a.len > 0 && strcmp(a.data, b.data) == 0,
		    "state round-trips");
		iiot_buf_release(&a);
		iiot_buf_release(&b);
		iiot_rec_release(&r);
		iiot_thresh_free(t);
		iiot_thresh_free(t2);
	}
	/* Limits for plots: fire, clear and escalation levels. */
	{
		struct iiot_thresh_limit l[8];
		size_t k;

		t = iiot_thresh_new(0);
		iiot_thresh_parse(t, "rule a press*/oil > 65 clear < 62 "
		    "escalate critical > 75\nrule b x outside 1 2\n"
		    "rule c */oil stale 1m", "f", 1, 0, err, sizeof(err));
		k = iiot_thresh_limits(t, "press1", "oil", l, 8);
		tap_ok(k == 3 && l[0].value == 65 && !l[0].clear &&
		    l[1].value == 62 && l[1].clear && l[2].value == 75 &&
		    l[2].sev == IIOT_SEV_CRITICAL &&
		    iiot_thresh_limits(t, "m", "x", NULL, 0) == 2,
		    "limits of a series");
		iiot_thresh_free(t);
	}
	iiot_buf_release(&out);
	return tap_status();
}
