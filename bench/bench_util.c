/* bench_util.c — see bench_util.h. */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *const bu_areas[BU_NAREAS] = {
	"城乡规划", "重大建设项目", "公共资源交易", "财政预决算", "安全生产",
	"税收管理", "农村集体土地征收", "国有土地上房屋征收与补偿", "保障性住房",
	"农村危房改造", "生态环境", "公共文化服务", "公共法律服务", "扶贫",
	"救灾", "食品药品监管", "城市综合执法", "就业", "社会保险", "社会救助",
	"养老服务", "户籍管理", "涉农补贴", "义务教育", "卫生健康", "市政服务"
};

double bu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bu_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void bu_check(int rc, const char *what)
{
	if (rc != 0)
		bu_die("%s: %s (%s)", what, store_strerror(rc), store_errmsg());
}

/* ---- scratch directory ------------------------------------------------- */

static char tmpdir[256];
static pid_t tmp_owner;

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void bu_rmrf(const char *path)
{
	nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

static void tmp_cleanup(void)
{
	const char *keep = getenv("GOVFED_BENCH_KEEP");

	if (keep != NULL && keep[0] != '\0' && strcmp(keep, "0") != 0) {
		if (tmpdir[0] != '\0' && getpid() == tmp_owner)
			fprintf(stderr, "bench: kept %s (GOVFED_BENCH_KEEP)\n", tmpdir);
		return;
	}
	if (tmpdir[0] != '\0' && getpid() == tmp_owner) {
		bu_rmrf(tmpdir);
		tmpdir[0] = '\0';
	}
}

static void on_signal(int sig)
{
	/* exit() runs the atexit handler; good enough for a benchmark */
	(void)sig;
	exit(130);
}

const char *bu_tmpdir(const char *tag)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/govfed-bench-%s-XXXXXX", tag);
	if (mkdtemp(tmpdir) == NULL) {
		tmpdir[0] = '\0';
		bu_die("mkdtemp: %s", strerror(errno));
	}
	tmp_owner = getpid();
	atexit(tmp_cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	return tmpdir;
}

/* ---- running programs -------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int bu_run(char *const argv[], const void *in, size_t inlen, char *out,
           size_t outcap, int quiet)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, status;
	size_t got = 0;
	pid_t pid;

	if ((in != NULL && pipe2(pin, O_CLOEXEC) != 0) ||
	    (out != NULL && pipe2(pout, O_CLOEXEC) != 0))
		bu_die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		bu_die("fork: %s", strerror(errno));
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(in != NULL ? pin[0] : devnull, 0);
		dup2(out != NULL ? pout[1] : devnull, 1);
		if (quiet)
			dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (in != NULL) {
		close(pin[0]);
		/* inputs are written whole before stdout is read: fine for the
		 * programs used here, which write little until their input ends */
		if (write_all(pin[1], in, inlen) != 0 && errno != EPIPE)
			bu_die("write to %s: %s", argv[0], strerror(errno));
		close(pin[1]);
	}
	if (out != NULL) {
		close(pout[1]);
		for (;;) {
			char sink[4096];
			ssize_t r;
			if (got + 1 < outcap)
				r = read(pout[0], out + got, outcap - 1 - got);
			else
				r = read(pout[0], sink, sizeof(sink));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			if (got + 1 < outcap)
				got += (size_t)r;
		}
		close(pout[0]);
		while (got > 0 && (out[got - 1] == '\n' || out[got - 1] == ' ' ||
		                   out[got - 1] == '\r'))
			got--;
		out[got] = '\0';
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bu_die("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- records ------------------------------------------------------------ */

uint64_t bu_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void bu_catalog_record(bu_record *out, unsigned area, unsigned serial,
                       unsigned version)
{
	static const char *const methods[] = { "主动公开", "依申请公开" };
	char id[32], raw[4096];
	const char *a = bu_areas[area % BU_NAREAS];
	int n, rc;

	snprintf(id, sizeof(id), "item-%06u", serial);
	n = snprintf(raw, sizeof(raw),
	             "{\"id\": \"%s\", \"area\": \"%s\", "
	             "\"name\": \"%s 公开事项 %u\", "
	             "\"content\": \"%s领域第%u项政府信息：办理依据、办理流程、"
	             "办理结果及监督方式（第%u版）。\", "
	             "\"basis\": \"《中华人民共和国政府信息公开条例》"
	             "第十九条、第二十条\", "
	             "\"time_limit\": \"信息形成或者变更之日起20个工作日内\", "
	             "\"subject\": \"福建省人民政府办公厅\", "
	             "\"method\": \"%s\", "
	             "\"channels\": [\"政府网站\", \"政务新媒体\", \"政务服务中心\"], "
	             "\"audience\": \"全社会\"}",
	             id, a, a, serial, a, serial, version, methods[serial % 2]);
	if (n < 0 || (size_t)n >= sizeof(raw))
		bu_die("record too long");
	snprintf(out->path, sizeof(out->path), "catalog/%s/%s.json", a, id);
	rc = store_record_prepare(&out->data, &out->len, out->path, raw,
	                          (size_t)n);
	bu_check(rc, out->path);
}

void bu_workload_make(bu_workload *w, size_t n, unsigned seeded,
                      unsigned new_pct, uint64_t seed)
{
	unsigned *ver;
	unsigned items = seeded, cap = seeded + (unsigned)n + 1;
	uint64_t s = seed ? seed : 0x9E3779B97F4A7C15ULL;

	memset(w, 0, sizeof(*w));
	w->rec = calloc(n ? n : 1, sizeof(*w->rec));
	ver = calloc(cap, sizeof(*ver));
	if (w->rec == NULL || ver == NULL)
		bu_die("out of memory");
	for (unsigned i = 0; i < seeded; i++)
		ver[i] = 1; /* the seed wrote version 1 */
	for (size_t i = 0; i < n; i++) {
		unsigned serial;
		if (items == 0 || bu_rand(&s) % 100 < new_pct) {
			serial = items++;
			w->news++;
		} else {
			serial = (unsigned)(bu_rand(&s) % items);
		}
		ver[serial]++;
		bu_catalog_record(&w->rec[i], serial % BU_NAREAS, serial,
		                  ver[serial]);
	}
	w->n = n;
	w->items = items;
	free(ver);
}

void bu_workload_free(bu_workload *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->rec[i].data);
	free(w->rec);
	memset(w, 0, sizeof(*w));
}

/* ---- environment ----------------------------------------------------------- */

void bu_print_env(void)
{
	int maj, min, rev;
	char git[128] = "?";
	char *argv[] = { "git", "--version", NULL };

	git_libgit2_version(&maj, &min, &rev);
	bu_run(argv, NULL, 0, git, sizeof(git), 1);
	printf("# libgit2 %d.%d.%d (runtime), libsodium %s, %s, %ld cpus online\n",
	       maj, min, rev, sodium_version_string(), git,
	       sysconf(_SC_NPROCESSORS_ONLN));
}
