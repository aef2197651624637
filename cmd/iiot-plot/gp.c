/* SPDX-License-Identifier: MIT */
/* gp.c: one long-lived gnuplot per output, fed by its own thread. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "iiot_buf.h"
#include "iiot_log.h"
#include "iiot_time.h"
#include "plot.h"

#define MARK "IIOT-PLOT-DONE"
#define REPLY_TIMEOUT 60000	/* ms: a redraw that takes longer failed */

const char *
gp_prog(void)
{
	const char *p = getenv("IIOT_GNUPLOT");

	return p != NULL && *p != '\0' ? p : "gnuplot";
}

/*
 * Start gnuplot with its stdin and stdout on pipes; stderr is ours, so
 * its complaints reach the user.  No shell: execvp.
 */
static int
gp_spawn(pid_t *pid, int *to, int *from, int quiet)
{
	int in[2], out[2], ex[2], e;
	ssize_t n;
	char *const argv[] = { (char *)gp_prog(), NULL };

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0)
		goto fail_in;
	/* A third pipe tells us whether execvp worked. */
	if (pipe2(ex, O_CLOEXEC) < 0)
		goto fail_out;
	if ((*pid = fork()) < 0)
		goto fail_ex;
	if (*pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_IGN);	/* we stop it ourselves */
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);

			if (null >= 0)
				dup2(null, 2);
		}
		execvp(argv[0], argv);
		e = errno;
		n = write(ex[1], &e, sizeof(e));
		(void)n;
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(ex[1]);
	n = read(ex[0], &e, sizeof(e));
	close(ex[0]);
	if (n == (ssize_t)sizeof(e)) {
		close(in[1]);
		close(out[0]);
		waitpid(*pid, NULL, 0);
		*pid = 0;
		errno = e;
		return -1;
	}
	*to = in[1];
	*from = out[0];
	return 0;
fail_ex:
	close(ex[0]);
	close(ex[1]);
fail_out:
	close(out[0]);
	close(out[1]);
fail_in:
	close(in[0]);
	close(in[1]);
	return -1;
}

int
gp_check(const char *term, char *err, size_t errsz)
{
	pid_t pid;
	int to, from, ok = 0;
	struct iiot_buf b = IIOT_BUF_INIT;
	char buf[512];
	ssize_t n;
	size_t have = 0;

	if (gp_spawn(&pid, &to, &from, 1) < 0) {
		snprintf(err, errsz, "cannot run '%s': %s", gp_prog(),
		    strerror(errno));
		return -1;
	}
	/* An unknown terminal leaves the previous one in place. */
	if (iiot_buf_addf(&b, "set print \"-\"\nset terminal unknown\n"
	    "set terminal %s\nprint GPVAL_TERM\nexit\n", term) == 0 &&
	    write(to, b.data, b.len) == (ssize_t)b.len) {
		close(to);
		to = -1;
		while (have < sizeof(buf) - 1 &&
		    (n = read(from, buf + have, sizeof(buf) - 1 - have)) > 0)
			have += (size_t)n;
		buf[have] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		ok = strcmp(buf, term) == 0;
	}
	iiot_buf_release(&b);
	if (to >= 0)
		close(to);
	close(from);
	waitpid(pid, NULL, 0);
	if (!ok) {
		snprintf(err, errsz, "gnuplot terminal '%s' is not available "
		    "in '%s' (gnuplot-nox has none for windows: install "
		    "gnuplot-qt or gnuplot-x11, or use -o or --term dumb)",
		    term, gp_prog());
		return -1;
	}
	return 0;
}

/* Reap a gnuplot that is gone or is to go, and say how it ended. */
static void
gp_reap(struct output *o, int warn)
{
	int st = 0;

	if (o->pid == 0)
		return;
	close(o->to_gp);
	close(o->from_gp);
	if (!warn)
		kill(o->pid, SIGTERM);
	waitpid(o->pid, &st, 0);
	if (warn) {
		if (WIFSIGNALED(st))
			iiot_warnx("gnuplot (pid %ld) was killed by signal "
			    "%d; restarting it", (long)o->pid, WTERMSIG(st));
		else
			iiot_warnx("gnuplot (pid %ld) exited with status %d; "
			    "restarting it", (long)o->pid, WEXITSTATUS(st));
	}
	o->pid = 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Append a path as a gnuplot string. */
static void
qpath(struct iiot_buf *b, const char *s)
{
	iiot_buf_addc(b, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			iiot_buf_addc(b, '\\');
		iiot_buf_addc(b, *s);
	}
	iiot_buf_addc(b, '"');
}

/* Write a whole file, replacing it. */
static int
write_file(const char *path, const char *p, size_t n)
{
	int fd, e;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		return -1;
	if (write_all(fd, p, n) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/* The commands that set up the output's terminal. */
static void
term_setup(struct output *o, struct iiot_buf *b)
{
	int fs = o->width >= 1600 ? 12 : 10;

	iiot_buf_adds(b, "set print \"-\"\n");
	switch (o->term) {
	case T_PNG:
		if (o->termname != NULL) {
			iiot_buf_addf(b, "set terminal png size %d,%d "
			    "noenhanced truecolor\n", o->width, o->height);
			break;
		}
		iiot_buf_addf(b, "set terminal pngcairo size %d,%d noenhanced "
		    "font \"DejaVu Sans,%d\" linewidth 1.2\n", o->width,
		    o->height, fs);
		break;
	case T_SVG:
		iiot_buf_addf(b, "set terminal svg size %d,%d fixed noenhanced "
		    "font \"DejaVu Sans,%d\" linewidth 1.2\n", o->width,
		    o->height, fs);
		break;
	case T_PDF:
		iiot_buf_addf(b, "set terminal pdfcairo size %.3fin,%.3fin "
		    "noenhanced font \"DejaVu Sans,%d\" linewidth 1.2\n",
		    o->width / 96.0, o->height / 96.0, fs);
		break;
	case T_DUMB:
		iiot_buf_addf(b, "set terminal dumb size %d,%d noenhanced %s\n",
		    o->width, o->height, isatty(1) ? "ansi" : "mono");
		break;
	case T_SIXEL:
		iiot_buf_addf(b, "set terminal sixelgd size %d,%d truecolor noenhanced "
		    "font \"DejaVu Sans,%d\"\n", o->width, o->height, fs);
		break;
	case T_WINDOW:
		iiot_buf_addf(b, "set terminal %s size %d,%d noraise "
		    "noenhanced font \"DejaVu Sans,%d\"\n", o->termname,
		    o->width, o->height, fs);
		break;
	}
}

/* Send one redraw and wait for gnuplot to confirm it.  0, or -1. */
static int
redraw(struct output *o, const struct iiot_buf *script)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	char buf[65536], mark[64], *m;
	struct pollfd pfd;
	int64_t t0 = iiot_mono_ms(), left;
	ssize_t n;
	size_t cmdlen = 0;
	int r, rc = -1;

	if (o->pid == 0) {
		if (gp_spawn(&o->pid, &o->to_gp, &o->from_gp, 0) < 0) {
			iiot_complain(&o->nogp, iiot_mono_ms(), "cannot run "
			    "'%s': %s", gp_prog(), strerror(errno));
			return -1;
		}
		iiot_complain_clear(&o->nogp, "'%s' runs again", gp_prog());
		o->seq = 0;
	}
	o->seq++;
	snprintf(mark, sizeof(mark), MARK " %lu\n", o->seq);
	term_setup(o, &b);
	if (o->path != NULL) {
		iiot_buf_adds(&b, "set output ");
		qpath(&b, o->tmp);
		iiot_buf_adds(&b, "\n");
	}
	else if (o->term != T_WINDOW)
		iiot_buf_adds(&b, "set output\n");
	iiot_buf_add(&b, script->data, script->len);
	if (o->path != NULL)
		iiot_buf_adds(&b, "unset output\n");
	/*
	 * The commands go through a file: gnuplot reads its stdin a byte
	 * at a time, which costs more than the drawing.  The pipe carries
	 * only "load" and the marker that says the redraw is done.
	 */
	if (write_file(o->cmdfile, b.data, b.len) < 0) {
		iiot_warn("cannot write '%s'", o->cmdfile);
		goto out;
	}
	cmdlen = b.len;
	iiot_buf_reset(&b);
	iiot_buf_adds(&b, "load ");
	qpath(&b, o->cmdfile);
	if (iiot_buf_addf(&b, "\nset print \"-\"\nprint \"\\n%.*s\"\n",
	    (int)strlen(mark) - 1, mark) < 0)
		goto out;
	if (write_all(o->to_gp, b.data, b.len) < 0) {
		if (errno == EPIPE)
			gp_reap(o, 1);
		else
			iiot_warn("cannot write to gnuplot");
		goto out;
	}
	iiot_buf_reset(&o->frame);
	for (;;) {
		left = REPLY_TIMEOUT - (iiot_mono_ms() - t0);
		if (left <= 0) {
			iiot_warnx("gnuplot did not finish a redraw in %d s; "
			    "restarting it", REPLY_TIMEOUT / 1000);
			gp_reap(o, 0);
			goto out;
		}
		pfd.fd = o->from_gp;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		n = read(o->from_gp, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			gp_reap(o, 1);
			goto out;
		}
		iiot_buf_add(&o->frame, buf, (size_t)n);
		if (o->frame.len >= strlen(mark) &&
		    memcmp(o->frame.data + o->frame.len - strlen(mark), mark,
		    strlen(mark)) == 0)
			break;
	}
	/* The frame is what came before the marker (and its newline). */
	m = o->frame.data + o->frame.len - strlen(mark);
	if (m > o->frame.data && m[-1] == '\n')
		m--;
	o->frame.len = (size_t)(m - o->frame.data);
	if (o->path != NULL) {
		if (rename(o->tmp, o->path) < 0) {
			iiot_warn("cannot rename '%s' to '%s'", o->tmp,
			    o->path);
			goto out;
		}
	} else if (o->term == T_DUMB || o->term == T_SIXEL) {
		/* Home and clear, then the frame, in one write. */
		if (write_all(1, "\033[H\033[2J", 7) < 0 ||
		    write_all(1, o->frame.data, o->frame.len) < 0)
			goto out;
	}
	rc = 0;
out:
	o->last_ms = iiot_mono_ms() - t0;
	iiot_debug(1, "redraw %lu of '%s': %lld ms, %zu bytes of commands%s",
	    o->seq, o->path != NULL ? o->path : "terminal",
	    (long long)o->last_ms, cmdlen, rc < 0 ? " (failed)" : "");
	iiot_buf_release(&b);
	return rc;
}

static void *
run(void *arg)
{
	struct output *o = arg;
	struct iiot_buf job = IIOT_BUF_INIT;
	int rc;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->busy && !o->quit)
			pthread_cond_wait(&o->cv, &o->mu);
		if (!o->busy && o->quit)
			break;
		/* Take the job, so the main thread may queue the next. */
		iiot_buf_reset(&job);
		iiot_buf_add(&job, o->job.data, o->job.len);
		pthread_mutex_unlock(&o->mu);
		rc = redraw(o, &job);
		/* A gnuplot found dead is restarted: draw again at once. */
		if (rc < 0 && o->pid == 0 && !o->quit)
			rc = redraw(o, &job);
		pthread_mutex_lock(&o->mu);
		o->failed = rc < 0;
		o->drawn++;
		o->busy = 0;
		pthread_cond_broadcast(&o->cv);
	}
	pthread_mutex_unlock(&o->mu);
	iiot_buf_release(&job);
	return NULL;
}

int
out_start(struct output *o)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	const char *tmp = getenv("TMPDIR");
	sigset_t all, old;
	int e;

	/* A private folder for the commands of each redraw. */
	if (iiot_buf_addf(&b, "%s/iiot-plot-gp.XXXXXX", tmp != NULL &&
	    *tmp != '\0' ? tmp : "/tmp") < 0)
		return -1;
	if (mkdtemp(b.data) == NULL) {
		iiot_buf_release(&b);
		return -1;
	}
	o->cmddir = b.data;
	b.data = NULL;
	iiot_buf_release(&b);
	if (iiot_buf_addf(&b, "%s/commands.gp", o->cmddir) < 0)
		return -1;
	o->cmdfile = b.data;

	if (pthread_mutex_init(&o->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&o->cv, NULL) != 0)
		return -1;
	/* Signals are for the main thread, which reads the records. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&o->thread, NULL, run, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		errno = e;
		return -1;
	}
	o->started = 1;
	return 0;
}

int
out_idle(struct output *o)
{
	int idle;

	pthread_mutex_lock(&o->mu);
	idle = !o->busy;
	pthread_mutex_unlock(&o->mu);
	return idle;
}

int
out_submit(struct output *o, const struct iiot_buf *script)
{
	int ok = 0;

	pthread_mutex_lock(&o->mu);
	if (!o->busy) {
		iiot_buf_reset(&o->job);
		if (iiot_buf_add(&o->job, script->data, script->len) == 0) {
			o->busy = 1;
			ok = 1;
			pthread_cond_broadcast(&o->cv);
		}
	}
	pthread_mutex_unlock(&o->mu);
	return ok;
}

void
out_wait(struct output *o, int64_t timeout_ms)
{
	int64_t end = iiot_mono_ms() + timeout_ms;
	struct timespec ts;

	pthread_mutex_lock(&o->mu);
	while (o->busy && iiot_mono_ms() < end) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&o->cv, &o->mu, &ts);
	}
	pthread_mutex_unlock(&o->mu);
}

void
out_stop(struct output *o)
{
	if (o->started) {
		pthread_mutex_lock(&o->mu);
		o->quit = 1;
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->thread, NULL);
		pthread_cond_destroy(&o->cv);
		pthread_mutex_destroy(&o->mu);
		o->started = 0;
	}
	if (o->pid != 0) {
		/* Ask politely: a window terminal closes its window. */
		if (write_all(o->to_gp, "exit\n", 5) == 0) {
			close(o->to_gp);
			close(o->from_gp);
			waitpid(o->pid, NULL, 0);
			o->pid = 0;
		} else
			gp_reap(o, 0);
	}
	if (o->tmp != NULL)
		unlink(o->tmp);
	if (o->cmdfile != NULL)
		unlink(o->cmdfile);
	if (o->cmddir != NULL)
		rmdir(o->cmddir);
	free(o->cmdfile);
	free(o->cmddir);
	iiot_buf_release(&o->job);
	iiot_buf_release(&o->frame);
	free(o->path);
	free(o->tmp);
	free(o->termname);
	free(o->dir);
}
