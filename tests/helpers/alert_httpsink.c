/* SPDX-License-Identifier: MIT */
/* alert_httpsink.c: an HTTP listener that stores each request for tests. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * alert_httpsink PORT DIR [STATUS]: listen on 127.0.0.1:PORT; write each
 * request (request line, headers and body) to DIR/req.N, N from 1,
 * and answer STATUS (default 200).  Runs until killed.
 */
int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int ls, c, one = 1, n = 0, status;
	char buf[65536], path[4096], *hdr_end, *cl;
	size_t len, want;
	ssize_t k;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: alert_httpsink port dir [status]\n");
		return 2;
	}
	status = argc > 3 ? atoi(argv[3]) : 200;
	signal(SIGPIPE, SIG_IGN);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(ls, 16) == -1) {
		perror("alert_httpsink");
		return 1;
	}
	for (;;) {
		if ((c = accept(ls, NULL, NULL)) == -1)
			continue;
		len = 0;
		want = 0;
		hdr_end = NULL;
		while (len < sizeof(buf) - 1) {
			k = read(c, buf + len, sizeof(buf) - 1 - len);
			if (k <= 0)
				break;
			len += k;
			buf[len] = '\0';
			if (hdr_end == NULL &&
			    (hdr_end = strstr(buf, "\r\n\r\n")) != NULL) {
				cl = strcasestr(buf, "\r\nContent-Length:");
				want = (size_t)(hdr_end + 4 - buf) +
				    (cl && cl < hdr_end ? strtoul(cl + 17,
				    NULL, 10) : 0);
			}
			if (hdr_end != NULL && len >= want)
				break;
		}
		/* A bare connection (a port probe) is no request. */
		snprintf(path, sizeof(path), "%s/req.tmp", argv[2]);
		if (len > 0 && (f = fopen(path, "w")) != NULL) {
			fwrite(buf, 1, len, f);
			fclose(f);
			snprintf(buf, sizeof(buf), "%s/req.%d", argv[2], ++n);
			rename(path, buf);
		}
		k = snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\n"
		    "Content-Length: 0\r\nConnection: close\r\n\r\n", status);
		if (write(c, buf, (size_t)k) < 0)
			perror("alert_httpsink");
		close(c);
	}
}
