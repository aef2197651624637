/* SPDX-License-Identifier: MIT */
/* alert_mbserver.c: a Modbus TCP server whose coils tests can drive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <unistd.h>

#include <modbus.h>

/*
 * alert_mbserver PORT: serve 100 coils, 100 discrete inputs and 100
 * registers of each kind on 127.0.0.1:PORT, any unit id, for clients
 * one after the other.  Runs until killed.
 */
int
main(int argc, char **argv)
{
	modbus_t *ctx;
	modbus_mapping_t *map;
	uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
	int ls, s, rc;

	if (argc != 2) {
		fprintf(stderr, "usage: alert_mbserver port\n");
		return 2;
	}
	ctx = modbus_new_tcp("127.0.0.1", atoi(argv[1]));
	map = modbus_mapping_new(100, 100, 100, 100);
	if (ctx == NULL || map == NULL)
		return 1;
	if ((ls = modbus_tcp_listen(ctx, 4)) == -1) {
		fprintf(stderr, "alert_mbserver: %s\n", modbus_strerror(errno));
		return 1;
	}
	for (;;) {
		if ((s = modbus_tcp_accept(ctx, &ls)) == -1)
			continue;
		while ((rc = modbus_receive(ctx, q)) != -1)
			if (rc > 0)
				modbus_reply(ctx, q, rc, map);
		close(s);
	}
}
