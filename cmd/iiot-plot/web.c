/* SPDX-License-Identifier: MIT */
/* web.c: the dashboard's web page, written to a folder or served live. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iiot_buf.h"
#include "iiot_log.h"
#include "plot.h"

static struct MHD_Daemon *daemon_;
static char *page;		/* the HTML page */
static size_t page_len;
static char *png_path;		/* DIR/dashboard.png */

int
write_atomic(const char *path, const char *data, size_t len)
{
	struct iiot_buf tmp = IIOT_BUF_INIT;
	int fd, e;
	ssize_t w;
	size_t off = 0;

	if (iiot_buf_addf(&tmp, "%s.tmp", path) < 0)
		return -1;
	if ((fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0)
		goto fail;
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			goto fail_unlink;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp.data, path) < 0)
		goto fail_unlink;
	iiot_buf_release(&tmp);
	return 0;
fail_unlink:
	e = errno;
	unlink(tmp.data);
	errno = e;
fail:
	e = errno;
	iiot_buf_release(&tmp);
	errno = e;
	return -1;
}

/* Escape text for HTML. */
static void
html_str(struct iiot_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			iiot_buf_adds(b, "&lt;");
			break;
		case '>':
			iiot_buf_adds(b, "&gt;");
			break;
		case '&':
			iiot_buf_adds(b, "&amp;");
			break;
		case '"':
			iiot_buf_adds(b, "&quot;");
			break;
		default:
			iiot_buf_addc(b, *s);
		}
	}
}

/*
 * The page: the image, and a script that loads the next image out of
 * sight and swaps it in only once loaded, so the view never flickers.
 */
static int
make_page(struct iiot_buf *b, const char *title, int64_t refresh)
{
	iiot_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n<title>");
	html_str(b, title);
	iiot_buf_adds(b, "</title>\n<noscript><meta http-equiv=\"refresh\" "
	    "content=\"10\"></noscript>\n<style>\n"
	    "html, body { margin: 0; background: #111217; height: 100%; }\n"
	    "img { display: block; width: 100%; height: 100%;"
	    " object-fit: contain; }\n"
	    "#age { position: fixed; right: 8px; bottom: 4px; "
	    "font: 12px sans-serif; color: #9a9ca2; }\n</style>\n"
	    "</head>\n<body>\n<img id=\"dashboard\" src=\"dashboard.png\" "
	    "alt=\"");
	html_str(b, title);
	iiot_buf_addf(b, "\">\n<div id=\"age\"></div>\n<script>\n"
	    "(function () {\n"
	    "\tvar img = document.getElementById('dashboard');\n"
	    "\tvar age = document.getElementById('age');\n"
	    "\tvar every = %lld, n = 0;\n"
	    "\tfunction next() {\n"
	    "\t\tvar pre = new Image();\n"
	    "\t\tpre.onload = function () {\n"
	    "\t\t\timg.src = pre.src;\n"
	    "\t\t\tage.textContent = '';\n"
	    "\t\t\tsetTimeout(next, every);\n"
	    "\t\t};\n"
	    "\t\tpre.onerror = function () {\n"
	    "\t\t\tage.textContent = 'no connection: retrying';\n"
	    "\t\t\tsetTimeout(next, Math.max(every, 2000));\n"
	    "\t\t};\n"
	    "\t\tpre.src = 'dashboard.png?n=' + (++n) + '-' + Date.now();\n"
	    "\t}\n"
	    "\tsetTimeout(next, every);\n"
	    "})();\n</script>\n</body>\n</html>\n", (long long)refresh);
	return b->data == NULL ? -1 : 0;
}

int
web_write_page(const char *dir, const char *title, int64_t refresh)
{
	struct iiot_buf b = IIOT_BUF_INIT, path = IIOT_BUF_INIT;
	int rc = -1;

	if (make_page(&b, title, refresh) == 0 &&
	    iiot_buf_addf(&path, "%s/index.html", dir) == 0)
		rc = write_atomic(path.data, b.data, b.len);
	iiot_buf_release(&b);
	iiot_buf_release(&path);
	return rc;
}

/* Read a whole file into memory (the dashboard image is small). */
static char *
slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t r;
	size_t off = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || st.st_size > 256 * 1024 * 1024 ||
	    (buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	*len = off;
	return buf;
}

static enum MHD_Result
reply(struct MHD_Connection *con, unsigned code, const char *type,
    void *data, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, data, mode);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(con, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* Read-only: GET and HEAD of the page and the image, nothing else. */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *con, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	static char msg405[] = "method not allowed\n";
	static char msg404[] = "not found\n";
	static char msg503[] = "no dashboard drawn yet\n";
	char *png;
	size_t len;

	(void)cls;
	(void)version;
	(void)upload;
	/*
	 * Any other method is refused at once, before its body is read: a
	 * response cannot be queued while a body is arriving.
	 */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply(con, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
		    msg405, sizeof(msg405) - 1, MHD_RESPMEM_PERSISTENT);
	if (*state == NULL) {
		/* Called once for headers: answer on the last call. */
		*state = (void *)1;
		return MHD_YES;
	}
	if (*upload_len != 0) {
		/* A GET with a body: drop it, answer when it has all come. */
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0)
		return reply(con, MHD_HTTP_OK, "text/html; charset=utf-8",
		    page, page_len, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/dashboard.png") == 0) {
		if ((png = slurp(png_path, &len)) == NULL)
			return reply(con, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "text/plain", msg503, sizeof(msg503) - 1,
			    MHD_RESPMEM_PERSISTENT);
		return reply(con, MHD_HTTP_OK, "image/png", png, len,
		    MHD_RESPMEM_MUST_FREE);
	}
	return reply(con, MHD_HTTP_NOT_FOUND, "text/plain", msg404,
	    sizeof(msg404) - 1, MHD_RESPMEM_PERSISTENT);
}

int
web_listen(const char *addr, const char *dir, const char *title,
    int64_t refresh, char *err, size_t errsz)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr *sa;
	struct iiot_buf b = IIOT_BUF_INIT, pp = IIOT_BUF_INIT;
	char host[128];
	const char *colon;
	char *end;
	long port;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
	sigset_t all, old;
	size_t hl;

	colon = strrchr(addr, ':');
	if (colon == NULL || colon == addr ||
	    (hl = (size_t)(colon - addr)) >= sizeof(host)) {
		snprintf(err, errsz, "--listen: expected HOST:PORT: '%s'",
		    addr);
		return -1;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port < 1 || port > 65535) {
		snprintf(err, errsz, "--listen: bad port: '%s'", addr);
		return -1;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6.sin6_addr) != 1)
			goto bad;
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&s6;
		flags |= MHD_USE_IPv6;
	} else {
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		if (inet_pton(AF_INET, host, &s4.sin_addr) != 1)
			goto bad;
		s4.sin_family = AF_INET;
		s4.sin_port = htons((uint16_t)port);
		sa = (struct sockaddr *)&s4;
	}
	if (make_page(&b, title, refresh) < 0 ||
	    iiot_buf_addf(&pp, "%s/dashboard.png", dir) < 0) {
		iiot_buf_release(&b);
		iiot_buf_release(&pp);
		snprintf(err, errsz, "cannot allocate");
		return -1;
	}
	png_path = pp.data;
	page = b.data;
	page_len = b.len;
	/* The server's thread takes no signals: they are the main's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	daemon_ = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle,
	    NULL, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (daemon_ == NULL) {
		snprintf(err, errsz, "cannot listen on '%s': %s", addr,
		    errno ? strerror(errno) : "libmicrohttpd failed");
		web_stop();
		return -1;
	}
	return 0;
bad:
	snprintf(err, errsz, "--listen: not a numeric address: '%s'", addr);
	return -1;
}

void
web_stop(void)
{
	if (daemon_ != NULL)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	free(page);
	page = NULL;
	free(png_path);
	png_path = NULL;
}

const char *
web_version(void)
{
	return MHD_get_version();
}
