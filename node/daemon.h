/* daemon.h — govfed node run: sync with the parent and the children. */
#ifndef GOVFED_DAEMON_H
#define GOVFED_DAEMON_H

#include "cli.h"

typedef struct daemon_opts {
	int verbose;          /* log debug lines too */
	double drop_announce; /* test only: share of announcements dropped */
} daemon_opts;

/* SIGTERM and SIGINT from now on ask daemon_run to stop (at once, if they
 * come before it runs); call it first, so that a stop while the home is
 * being opened is a clean stop too. */
void daemon_catch_signals(void);

/* Runs until SIGTERM or SIGINT; returns an exit code. */
int daemon_run(node_home *h, const daemon_opts *o);

/* The status file the daemon keeps in its home (status.json). */
#define DAEMON_STATUS_FILE "status.json"

#endif
