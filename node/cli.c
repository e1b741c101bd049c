/* cli.c — messages, option parsing and files for the commands. */
#define _GNU_SOURCE
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fputs("govfed: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage(const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "govfed %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'govfed %s --help'\n", name);
	return EXIT_USAGE;
}

int cli_exit_for(int rc)
{
	switch (rc) {
	case STORE_OK:
		return EXIT_OK;
	case STORE_EJSON:
	case STORE_ESCHEMA:
	case STORE_ETOOBIG:
	case STORE_ENOTFOUND:
	case STORE_EREJECT:
	case STORE_EFORK:
	case STORE_ESTALE:
	case STORE_EINVAL:
	case STORE_EUNCHANGED:
	case STORE_EWAIT:
		return EXIT_NO;
	default:
		return EXIT_RUNTIME;
	}
}

int cli_getopt(const char *name, int argc, char **argv,
               const struct option *opts, int *idx)
{
	int c;

	opterr = 0;
	*idx = -1;
	c = getopt_long(argc, argv, ":", opts, idx);
	if (c == -1) {
		if (optind < argc) {
			cli_usage(name, "unexpected argument '%s'", argv[optind]);
			return -2;
		}
		return -1;
	}
	if (c == ':') {
		cli_usage(name, "option '%s' needs a value", argv[optind - 1]);
		return -2;
	}
	if (c == '?') {
		cli_usage(name, "unknown option '%s'", argv[optind - 1]);
		return -2;
	}
	return *idx;
}

int cli_read_file(const char *path, size_t max, const char *what, char **out,
                  size_t *len)
{
	struct stat sb;
	char *buf;
	size_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_err("cannot open %s '%s': %s", what, path, strerror(errno));
		return errno == ENOENT ? EXIT_NO : EXIT_RUNTIME;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		cli_err("%s '%s' is not a regular file", what, path);
		close(fd);
		return EXIT_NO;
	}
	if ((size_t)sb.st_size > max) {
		cli_err("%s '%s' is too large (%lld bytes; the limit is %zu)", what,
		        path, (long long)sb.st_size, max);
		close(fd);
		return EXIT_NO;
	}
	buf = malloc(max + 1);
	if (buf == NULL) {
		close(fd);
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	/* read at most max+1 bytes: the file may grow after fstat */
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cli_err("cannot read %s '%s': %s", what, path, strerror(errno));
			free(buf);
			close(fd);
			return EXIT_RUNTIME;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			cli_err("%s '%s' is too large (the limit is %zu bytes)", what,
			        path, max);
			free(buf);
			close(fd);
			return EXIT_NO;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return EXIT_OK;
}

int cli_write_file(const char *path, const void *data, size_t len, int mode)
{
	char tmp[4200];
	const char *p = data;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cli_tty(void)
{
	return isatty(STDERR_FILENO);
}

int cli_dispatch(const char *name, const char *usage, const cli_sub *subs,
                 size_t n, int argc, char **argv)
{
	char names[512];
	size_t len = 0;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (!strcmp(argv[1], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	names[0] = '\0';
	for (size_t i = 0; i < n && len < sizeof(names); i++)
		len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
		                        i ? ", " : "", subs[i].name);
	return cli_usage(name, "'%s' is not a %s command (%s)", argv[1], name,
	                 names);
}
