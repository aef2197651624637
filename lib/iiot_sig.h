/* SPDX-License-Identifier: MIT */
/* iiot_sig.h: signal flags, installed without SA_RESTART, and re-raise. */
#ifndef IIOT_SIG_H
#define IIOT_SIG_H

#include <signal.h>

/*
 * Set by the handlers: the number of the terminating signal (SIGINT or
 * SIGTERM) received, and whether SIGHUP was received.  Programs test
 * them between records; the handlers do nothing else.
 */
extern volatile sig_atomic_t iiot_sig_term;
extern volatile sig_atomic_t iiot_sig_hup;

#define IIOT_SIG_HUP	0x1	/* also catch SIGHUP (reopen, reread) */
#define IIOT_SIG_NOPIPE	0x2	/* ignore SIGPIPE (programs with sockets) */

/*
 * Install the handlers for SIGINT and SIGTERM, and, by flags, SIGHUP and
 * SIG_IGN for SIGPIPE.  Without SA_RESTART, so a blocking read returns
 * EINTR.  From 500 ms after SIGINT or SIGTERM on, a timer (SIGALRM)
 * interrupts blocking calls every 250 ms, so that none holds the exit.
 * Returns 0, or -1 with errno.
 */
int iiot_sig_install(int flags);

/*
 * End the program the way the received terminating signal would have:
 * restore its default action and raise it.  Returns only if no such
 * signal was received.
 */
void iiot_sig_reraise(void);

#endif /* IIOT_SIG_H */
