/* SPDX-License-Identifier: MIT */
/* main.c: iiot-sim, a simulated plant served over Modbus TCP and RTU. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <modbus.h>

#include "iiot.h"
#include "iiot_map.h"
#include "iiot_mb.h"
#include "iiot_x.h"
#include "sim.h"

#define SYNOPSIS \
	"iiot-sim [-AhoqsuVv] [-a anomaly] [-i interval] [-l addr:port]\n" \
	"                [-m map] [-p port-file] [-S seed] [--print-map]\n" \
	"                [--rtu path] [--rtu-unit id]"

#define TICK_MS		100	/* signals are updated this often */
#define MAX_CLIENTS	64

struct options {
	const char **anomalies;
	size_t nanomalies;
	int no_anomalies;
	int64_t interval;	/* ms between -o records */
	char addr[64];
	int port;
	const char *map;
	int output;
	const char *port_file;
	int print_map;
	const char *rtu;
	int rtu_unit;		/* -1: the catalogue's RTU device, or 7 */
	unsigned long long seed;
	int have_seed;
	int schedule;		/* -s: print the anomaly schedule */
	int unbuffered;
};

static void
usage(void)
{
	printf("usage: %s\n\n", SYNOPSIS);
	fputs(
"Serve a simulated plant over Modbus TCP (and RTU): the built-in press\n"
"shop, or the points of a catalogue, with realistic signals and\n"
"scheduled anomalies.\n"
"\n"
"  -A, --no-anomalies     no anomalies (default: the demo schedule)\n"
"  -a, --anomaly SPEC     schedule NAME[:SOURCE][@START][+DUR][%PERIOD];\n"
"                         NAME is oil_hot, pressure_drop, vibration,\n"
"                         power_peak or motor_stop (repeatable)\n"
"  -h, --help             print this help and exit\n"
"  -i, --interval DUR     time between -o records (default 1s)\n"
"  -l, --listen ADDR:PORT listen there (default 127.0.0.1:5020; port 0\n"
"                         picks a free port, printed on stdout)\n"
"  -m, --map FILE         serve the points of this catalogue\n"
"  -o, --output           write the true values as records on stdout\n"
"  -p, --port-file FILE   write the port there once listening\n"
"      --print-map        print the built-in catalogue and exit\n"
"  -q, --quiet            print fewer diagnostics\n"
"      --rtu PATH[?PARAMS] also serve Modbus RTU on a serial device\n"
"                         (baud=19200&parity=E&data=8&stop=1 by default)\n"
"      --rtu-unit ID      unit id answered on RTU (default: the\n"
"                         catalogue's RTU device, else 7)\n"
"  -S, --seed N           seed of the noise, for reproducible runs\n"
"  -s, --schedule         print the anomaly schedule on stderr\n"
"  -u, --unbuffered       flush every record\n"
"  -V, --version          print the version and exit\n"
"  -v, --verbose          more diagnostics (repeatable)\n",
	    stdout);
}

static void
version(void)
{
	const char *libs[] = { iiot_mb_version(), NULL };

	iiot_version_print(stdout, libs);
}

/* Parse "ADDR:PORT" (an IPv4 address) or a bare port. */
static void
parse_listen(struct options *o, const char *s)
{
	const char *colon = strrchr(s, ':');
	struct in_addr a;
	size_t n;

	if (colon == NULL) {
		o->port = (int)iiot_xint("--listen", s, 0, 65535);
		return;
	}
	n = (size_t)(colon - s);
	if (n == 0 || n >= sizeof(o->addr))
		iiot_usage_error(SYNOPSIS, "invalid --listen: '%s'", s);
	memcpy(o->addr, s, n);
	o->addr[n] = '\0';
	if (inet_pton(AF_INET, o->addr, &a) != 1)
		iiot_usage_error(SYNOPSIS, "invalid --listen address: '%s' "
		    "(an IPv4 address)", s);
	o->port = (int)iiot_xint("--listen", colon + 1, 0, 65535);
}

enum {
	OPT_PRINT_MAP = 256,
	OPT_RTU,
	OPT_RTU_UNIT,
};

static void
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "no-anomalies", no_argument, NULL, 'A' },
		{ "anomaly", required_argument, NULL, 'a' },
		{ "interval", required_argument, NULL, 'i' },
		{ "listen", required_argument, NULL, 'l' },
		{ "map", required_argument, NULL, 'm' },
		{ "output", no_argument, NULL, 'o' },
		{ "port-file", required_argument, NULL, 'p' },
		{ "print-map", no_argument, NULL, OPT_PRINT_MAP },
		{ "rtu", required_argument, NULL, OPT_RTU },
		{ "rtu-unit", required_argument, NULL, OPT_RTU_UNIT },
		{ "seed", required_argument, NULL, 'S' },
		{ "schedule", no_argument, NULL, 's' },
		IIOT_OPT_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const struct iiot_opt_common common = {
		.usage = usage, .version = version,
		.unbuffered = &o->unbuffered, .interval = &o->interval,
		.synopsis = SYNOPSIS,
	};
	int ch;

	memset(o, 0, sizeof(*o));
	snprintf(o->addr, sizeof(o->addr), "127.0.0.1");
	o->port = 5020;
	o->interval = 1000;
	o->rtu_unit = -1;
	while ((ch = getopt_long(argc, argv, "Aa:hi:l:m:op:qS:suVv",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'A':
			o->no_anomalies = 1;
			break;
		case 'a':
			o->anomalies = iiot_xrealloc(o->anomalies,
			    (o->nanomalies + 1) * sizeof(*o->anomalies));
			o->anomalies[o->nanomalies++] = optarg;
			break;
		case 'l':
			parse_listen(o, optarg);
			break;
		case 'm':
			o->map = optarg;
			break;
		case 'o':
			o->output = 1;
			break;
		case 'p':
			o->port_file = optarg;
			break;
		case 'S':
			o->seed = (unsigned long long)iiot_xint("--seed",
			    optarg, 0, LLONG_MAX);
			o->have_seed = 1;
			break;
		case 's':
			o->schedule = 1;
			break;
		case OPT_PRINT_MAP:
			o->print_map = 1;
			break;
		case OPT_RTU:
			o->rtu = optarg;
			break;
		case OPT_RTU_UNIT:
			o->rtu_unit = (int)iiot_xint("--rtu-unit", optarg, 1,
			    247);
			break;
		default:
			if (!iiot_opt_common(ch, optarg, &common))
				iiot_usage_error(SYNOPSIS, NULL);
		}
	}
	if (optind < argc)
		iiot_usage_error(SYNOPSIS, "unexpected operand: '%s'",
		    argv[optind]);
}

/* The server's state. */
struct server {
	modbus_t *tcp;
	int lfd;
	int clients[MAX_CLIENTS];
	int nclients;
	modbus_t *rtu;
	int rfd;
	int rtu_unit;
	struct plant *plant;
	unsigned long requests;
};

/* Write the port to a file, atomically: tests wait for it to appear. */
static int
write_port_file(const char *path, int port)
{
	char tmp[PATH_MAX];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		return -1;
	return 0;
}

/* Listen on TCP; returns the port bound. */
static int
listen_tcp(struct server *s, const struct options *o)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	if ((s->tcp = modbus_new_tcp(o->addr, o->port)) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot set up '%s:%d'", o->addr,
		    o->port);
	if ((s->lfd = modbus_tcp_listen(s->tcp, 16)) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot listen on '%s:%d'", o->addr,
		    o->port);
	if (getsockname(s->lfd, (struct sockaddr *)&sa, &len) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot get the port");
	modbus_set_response_timeout(s->tcp, 0, 500000);
	modbus_set_byte_timeout(s->tcp, 0, 500000);
	return ntohs(sa.sin_port);
}

/* Open the RTU device, answering one unit id. */
static void
open_rtu(struct server *s, const struct options *o)
{
	struct iiot_mb_url u;
	char url[512];

	/* PATH[?baud=...&parity=...]: the parameters of a client URL. */
	if (o->rtu[0] != '/' || snprintf(url, sizeof(url), "modbus-rtu://%s",
	    o->rtu) >= (int)sizeof(url) || iiot_mb_url_parse(url, &u) == -1)
		iiot_usage_error(SYNOPSIS, "invalid --rtu: '%s'", o->rtu);
	if ((s->rtu = modbus_new_rtu(u.device, u.baud, u.parity, u.data,
	    u.stop)) == NULL)
		iiot_err(IIOT_EXIT_FAIL, "cannot set up '%s'", u.device);
	if (modbus_set_slave(s->rtu, s->rtu_unit) == -1 ||
	    modbus_connect(s->rtu) == -1)
		iiot_errx(IIOT_EXIT_FAIL, "cannot open '%s': %s", u.device,
		    modbus_strerror(errno));
	modbus_set_response_timeout(s->rtu, 0, 500000);
	modbus_set_byte_timeout(s->rtu, 0, 100000);
	s->rfd = modbus_get_socket(s->rtu);
}

/* Answer one request on ctx, from the bank of its unit id. */
static int
serve(struct server *s, modbus_t *ctx, int unit_at, int fixed_unit)
{
	uint8_t q[MODBUS_TCP_MAX_ADU_LENGTH];
	modbus_mapping_t *mm;
	int rc, unit;

	if ((rc = modbus_receive(ctx, q)) <= 0)
		return rc;
	s->requests++;
	unit = fixed_unit >= 0 ? fixed_unit : q[unit_at];
	if ((mm = plant_bank(s->plant, unit)) == NULL) {
		iiot_debug(1, "request for unknown unit %d", unit);
		return modbus_reply_exception(ctx, q,
		    MODBUS_EXCEPTION_GATEWAY_TARGET);
	}
	return modbus_reply(ctx, q, rc, mm);
}

/* Accept a client, or refuse it when too many are connected. */
static void
accept_client(struct server *s)
{
	int fd;

	if ((fd = accept(s->lfd, NULL, NULL)) == -1) {
		iiot_warn("cannot accept a connection");
		return;
	}
	if (s->nclients == MAX_CLIENTS || fd >= FD_SETSIZE) {
		iiot_warnx("too many clients: connection refused");
		close(fd);
		return;
	}
	s->clients[s->nclients++] = fd;
	iiot_debug(1, "client connected (%d now)", s->nclients);
}

/* Wait for requests until the next tick, and answer them. */
static void
serve_until(struct server *s, int64_t deadline)
{
	struct timeval tv;
	fd_set rd;
	int64_t left;
	int i, maxfd, n;

	FD_ZERO(&rd);
	FD_SET(s->lfd, &rd);
	maxfd = s->lfd;
	for (i = 0; i < s->nclients; i++) {
		FD_SET(s->clients[i], &rd);
		if (s->clients[i] > maxfd)
			maxfd = s->clients[i];
	}
	if (s->rtu != NULL) {
		FD_SET(s->rfd, &rd);
		if (s->rfd > maxfd)
			maxfd = s->rfd;
	}
	left = deadline - iiot_mono_ms();
	if (left < 0)
		left = 0;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if ((n = select(maxfd + 1, &rd, NULL, NULL, &tv)) <= 0) {
		if (n == -1 && errno != EINTR)
			iiot_err(IIOT_EXIT_FAIL, "cannot wait for requests");
		return;
	}
	for (i = 0; i < s->nclients; i++) {
		if (!FD_ISSET(s->clients[i], &rd))
			continue;
		modbus_set_socket(s->tcp, s->clients[i]);
		if (serve(s, s->tcp, modbus_get_header_length(s->tcp) - 1,
		    -1) == -1) {
			/* Gone, or garbage: drop this client only. */
			close(s->clients[i]);
			s->clients[i--] = s->clients[--s->nclients];
			iiot_debug(1, "client left (%d now)", s->nclients);
		}
	}
	if (FD_ISSET(s->lfd, &rd))
		accept_client(s);
	if (s->rtu != NULL && FD_ISSET(s->rfd, &rd) &&
	    serve(s, s->rtu, 0, s->rtu_unit) == -1)
		modbus_flush(s->rtu);
}

/* Write the true values of every point as records. */
static int
write_records(struct server *s, struct iiot_buf *out)
{
	iiot_buf_reset(out);
	plant_records(s->plant, iiot_now_ms(), out);
	if ((out->len > 0 && fwrite(out->data, 1, out->len, stdout) !=
	    out->len) || fflush(stdout) != 0) {
		if (errno == EPIPE) {
			/* A reader that went away ends us like a filter. */
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
		}
		iiot_warn("cannot write records");
		return -1;
	}
	return 0;
}

/* Load the catalogue to serve: the file, or the built-in plant. */
static struct iiot_map *
load(const struct options *o)
{
	struct iiot_map *m;
	char err[512];

	if (o->map != NULL)
		m = iiot_map_load(o->map, err, sizeof(err));
	else
		m = iiot_map_parse(plant_default_map,
		    strlen(plant_default_map), "built-in plant", err,
		    sizeof(err));
	if (m == NULL)
		iiot_errx(errno == ENOMEM ? IIOT_EXIT_FAIL : IIOT_EXIT_USAGE,
		    "%s", err);
	return m;
}

/* The unit answered on RTU: the option, the catalogue's, or 7. */
static int
rtu_unit(const struct options *o, const struct iiot_map *m)
{
	const struct iiot_map_dev *d;
	size_t i;

	if (o->rtu_unit > 0)
		return o->rtu_unit;
	for (i = 0; i < iiot_map_ndevs(m); i++) {
		d = iiot_map_dev(m, i);
		if (strncmp(d->url, "modbus-rtu:", 11) == 0)
			return d->unit;
	}
	return 7;
}

/* Make the plant and its anomaly schedule. */
static struct plant *
make_plant(const struct options *o, const struct iiot_map *m)
{
	struct iiot_buf b = IIOT_BUF_INIT;
	struct plant *pl;
	size_t i;

	if ((pl = plant_new(m, o->have_seed ? o->seed :
	    (unsigned long long)iiot_now_ms())) == NULL)
		iiot_errx(errno == EINVAL ? IIOT_EXIT_USAGE : IIOT_EXIT_FAIL,
		    "cannot simulate '%s': %s", o->map ? o->map : "plant",
		    errno == EINVAL ? "unknown sim= model" : strerror(errno));
	for (i = 0; i < o->nanomalies; i++)
		if (plant_add_anomaly(pl, o->anomalies[i]) == -1)
			iiot_usage_error(SYNOPSIS, "invalid --anomaly: '%s'",
			    o->anomalies[i]);
	if (o->nanomalies == 0 && !o->no_anomalies)
		plant_default_anomalies(pl);
	if (o->schedule) {
		plant_schedule(pl, &b);
		if (b.len > 0)
			fputs(b.data, stderr);
		iiot_buf_release(&b);
	}
	return pl;
}

/*
 * iiot-sim serves a simulated plant: it listens for Modbus TCP clients
 * (and answers Modbus RTU on a serial line), updates the signals of
 * every point ten times a second, and answers reads and writes from
 * one register bank per unit id, until SIGTERM.
 */
int
main(int argc, char **argv)
{
	struct options o;
	struct server s;
	struct iiot_map *m;
	struct iiot_buf out = IIOT_BUF_INIT;
	int64_t start, tick, every;
	int port, i, status = IIOT_EXIT_OK;

	iiot_setprogname(argv[0]);
	parse_args(argc, argv, &o);
	if (o.print_map) {
		fputs(plant_default_map, stdout);
		free(o.anomalies);
		return iiot_out_close() == 0 ? 0 : 1;
	}
	if (o.output && o.port == 0 && o.port_file == NULL)
		iiot_usage_error(SYNOPSIS, "-o with port 0 needs --port-file");

	memset(&s, 0, sizeof(s));
	m = load(&o);
	s.plant = make_plant(&o, m);
	s.rtu_unit = rtu_unit(&o, m);
	start = iiot_mono_ms();
	port = listen_tcp(&s, &o);
	if (o.rtu != NULL)
		open_rtu(&s, &o);
	if (iiot_sig_install(IIOT_SIG_NOPIPE) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot install signal handlers");
	iiot_out_init(o.unbuffered);
	if (o.port_file != NULL && write_port_file(o.port_file, port) == -1)
		iiot_err(IIOT_EXIT_FAIL, "cannot write '%s'", o.port_file);
	if (o.port == 0 && o.port_file == NULL) {
		printf("%d\n", port);
		fflush(stdout);
	}
	iiot_debug(1, "listening on %s:%d", o.addr, port);

	/*
	 * Simulated time advances in ticks, whatever the load, so that a
	 * seed gives the same signals; late ticks are caught up.
	 */
	every = o.interval / TICK_MS > 0 ? o.interval / TICK_MS : 1;
	for (tick = 0; !iiot_sig_term; ) {
		if (tick > 0)
			serve_until(&s, start + tick * TICK_MS);
		if (iiot_sig_term || iiot_mono_ms() < start + tick * TICK_MS)
			continue;
		plant_step(s.plant, tick * TICK_MS);
		if (o.output && tick % every == 0 &&
		    write_records(&s, &out) == -1) {
			status = IIOT_EXIT_FAIL;
			break;
		}
		tick++;
	}
	iiot_debug(1, "%lu requests answered", s.requests);

	for (i = 0; i < s.nclients; i++)
		close(s.clients[i]);
	if (s.rtu != NULL) {
		modbus_close(s.rtu);
		modbus_free(s.rtu);
	}
	close(s.lfd);
	modbus_free(s.tcp);
	plant_free(s.plant);
	iiot_map_free(m);
	iiot_buf_release(&out);
	free(o.anomalies);
	if (iiot_out_close() == -1 && status == IIOT_EXIT_OK) {
		iiot_warn("cannot write records");
		status = IIOT_EXIT_FAIL;
	}
	iiot_sig_reraise();
	return status;
}
