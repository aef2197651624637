/* SPDX-License-Identifier: MIT */
/* freeport.c: print a TCP port on 127.0.0.1 that is free right now. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Bind port 0 on loopback and print the port the kernel chose.  Tests
 * use it to start servers on ports that no other test run holds.
 */
int
main(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return 1;
	printf("%d\n", ntohs(sa.sin_port));
	close(fd);
	return 0;
}
