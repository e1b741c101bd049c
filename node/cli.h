/* cli.h — what the command files share: exit codes, messages, homes. */
#ifndef GOVFED_CLI_H
#define GOVFED_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "keys.h"
#include "store.h"

/* Exit codes (README: "Exit codes"). */
enum {
	EXIT_OK = 0,
	EXIT_NO = 1,      /* a negative answer: verification failed, refused */
	EXIT_USAGE = 2,   /* bad command line */
	EXIT_RUNTIME = 3  /* i/o, unreachable peer, corrupt store */
};

typedef struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmd;

/* "govfed: <message>\n" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error for command `name`: prints the message and a pointer to
 * --help; returns EXIT_USAGE. */
int cli_usage(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The exit code for a store error. */
int cli_exit_for(int store_rc);

/*
 * Parses long options only. Returns the option's index in `opts` (>= 0),
 * -1 at the end, or -2 after printing a usage error (unknown option,
 * missing argument, a stray positional argument). `optarg` holds the
 * argument. Every command takes --help.
 */
int cli_getopt(const char *name, int argc, char **argv,
               const struct option *opts, int *idx);

/* Reads a whole file of at most `max` bytes (NUL-terminated). Prints why
 * on failure and returns the exit code to use. */
int cli_read_file(const char *path, size_t max, const char *what, char **out,
                  size_t *len);

/* Writes a file atomically (temp file, fsync, rename), with `mode`. */
int cli_write_file(const char *path, const void *data, size_t len, int mode);

/* Is stderr a terminal (for progress lines)? */
int cli_tty(void);

/* A subcommand: `govfed CMD NAME ...` runs fn(argc - 1, argv + 1). */
typedef struct cli_sub {
	const char *name;
	int (*fn)(int argc, char **argv);
} cli_sub;

/* Runs the subcommand argv[1] of command `name`: none prints `usage` to
 * stderr (EXIT_USAGE), --help or help prints it to stdout (EXIT_OK); an
 * unknown one is a usage error that lists the n names of subs. */
int cli_dispatch(const char *name, const char *usage, const cli_sub *subs,
                 size_t n, int argc, char **argv);

/* ---- a node's home directory ------------------------------------------ */

typedef struct node_config {
	char id[KEYS_ID_MAX + 1];
	store_level level;
	char name[STORE_NAME_MAX];
	char parent[KEYS_ID_MAX + 1]; /* "" for the province */
	char parent_url[256];         /* "" if none */
	char listen[256];             /* "" if none */
	char root_key[512];           /* path, relative to the home */
	/* sync tuning (node run); defaults in config.c */
	int beacon_ms;
	int checkpoint_ms;
	int stale_ms;
	int sync_step;                /* commits per catch-up step */
} node_config;

int config_load(node_config *cfg, const char *path);
int config_save(const node_config *cfg, const char *path);

typedef struct node_home {
	char dir[4096];
	node_config cfg;
	store *st;
	keys_secret *sk;     /* loaded with HOME_KEY */
	keys_public root;
} node_home;

#define HOME_KEY 0x1   /* load node.key */

/* Opens a home: config.json, root key, store (and the key). Prints what is
 * wrong and returns an exit code; 0 on success. */
int home_open(node_home *h, const char *dir, unsigned flags);
void home_close(node_home *h);
/* Writes the genesis commit if the own history is still empty. */
int home_ensure_genesis(node_home *h);
/* After a write: pack loose objects when there are many. Never fails the
 * command; a problem is printed as a warning. */
void home_maintain(node_home *h);
/* "DIR/name" */
void home_path(const node_home *h, char *out, size_t outlen, const char *name);

/* ---- commands -------------------------------------------------------- */

int cmd_init(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_person(int argc, char **argv);
int cmd_doc(int argc, char **argv);
int cmd_task(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_feed(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_demo(int argc, char **argv);

#endif
