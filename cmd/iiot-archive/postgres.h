/* SPDX-License-Identifier: MIT */
/* postgres.h: iiot-archive on a PostgreSQL server (postgres.c). */
#ifndef POSTGRES_H
#define POSTGRES_H

struct options;

/*
 * Run the subcommand of o on the PostgreSQL database o->db names (a
 * postgresql:// URL): write, query and series as on SQLite; the others
 * fail with a message.  Returns the exit status.
 */
int cmd_pg(const struct options *o);

#endif /* POSTGRES_H */
