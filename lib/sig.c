/* SPDX-License-Identifier: MIT */
/* sig.c: signal flags, installed without SA_RESTART, and re-raise. */
#include <sys/time.h>

#include <signal.h>
#include <string.h>

#include "iiot_sig.h"

volatile sig_atomic_t iiot_sig_term;
volatile sig_atomic_t iiot_sig_hup;

/*
 * A program told to stop must not stay blocked for ever, say writing to
 * a reader that stalled: half a second after the first signal, a timer
 * starts interrupting blocking calls (EINTR) every 250 ms, so that it gets
 * back to its loop, sees the flag and ends.
 */
static void
on_term(int sig)
{
	struct itimerval it = { { 0, 250000 }, { 0, 500000 } };

	if (iiot_sig_term == 0)
		setitimer(ITIMER_REAL, &it, NULL);
	iiot_sig_term = sig;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

static void
on_hup(int sig)
{
	(void)sig;
	iiot_sig_hup = 1;
}

int
iiot_sig_install(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = on_alarm;
	if (sigaction(SIGALRM, &sa, NULL) < 0)
		return -1;
	if (flags & IIOT_SIG_HUP) {
		sa.sa_handler = on_hup;
		if (sigaction(SIGHUP, &sa, NULL) < 0)
			return -1;
	}
	if (flags & IIOT_SIG_NOPIPE) {
		sa.sa_handler = SIG_IGN;
		if (sigaction(SIGPIPE, &sa, NULL) < 0)
			return -1;
	}
	return 0;
}

void
iiot_sig_reraise(void)
{
	struct sigaction sa;
	int sig = iiot_sig_term;

	if (sig == 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	raise(sig);
}
