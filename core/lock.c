/*
 * lock.c — the run lock. See lock.h.
 */
#include "core/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core/store.h"
#include "core/store_pg.h"

/* ends the holder line of an analyst's brief write (the mark a run waits for, SP_LOCK_RUN_WAIT) */
#define ANALYST_MARK " (an analyst's write)"

struct sp_lock {
	int fd;
	char *path;
	sp_pg *pg; /* PostgreSQL: the connection holding the advisory lock (fd is -1) */
};

/* The holder line, read from the lock file ("" when none is written yet). */
static void holder_line(int fd, char *holder, size_t n)
{
	ssize_t k = pread(fd, holder, n - 1, 0);
	holder[k > 0 ? k : 0] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
}

/* flock the file: at once for an analyst; for a run, waiting up to SP_LOCK_RUN_WAIT seconds while
 * the holder is an analyst (its line ends with ANALYST_MARK) or has not written its line yet. */
static int flock_file(int fd, int analyst, char *holder, size_t n)
{
	double until = sp_mono() + (analyst ? 0 : SP_LOCK_RUN_WAIT);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return SP_OK;
		holder_line(fd, holder, n);
		size_t len = strlen(holder), m = strlen(ANALYST_MARK);
		int brief = !len || (len >= m && !strcmp(holder + len - m, ANALYST_MARK));
		if (!brief || sp_mono() >= until)
			return SP_ELOCKED;
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static int take_file(const sp_config *cfg, const char *what, int analyst, sp_lock **out, sp_err *err)
{
	sp_buf p = SP_BUF_INIT;
	sp_buf_addf(&p, "%s.lock", cfg->database);
	int fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0660);
	if (fd < 0) {
		sp_err_set(err, SP_EIO, "cannot open lock file %s: %s", p.buf, strerror(errno));
		sp_buf_release(&p);
		return SP_EIO;
	}
	char holder[256] = "";
	if (flock_file(fd, analyst, holder, sizeof(holder)) != SP_OK) {
		char *abs = realpath(p.buf, NULL);
		sp_err_set(err, SP_ELOCKED, "another run holds the lock %s (%s)", abs ? abs : p.buf, *holder ? holder : "holder unknown");
		free(abs);
		close(fd);
		sp_buf_release(&p);
		return SP_ELOCKED;
	}
	char host[128] = "?";
	gethostname(host, sizeof(host) - 1);
	char when[32];
	sp_time_iso((int64_t)time(NULL), when, sizeof(when));
	char line[512];
	int n = snprintf(line, sizeof(line), "pid %ld on %s since %s: %s%s\n", (long)getpid(), host, when, what,
			 analyst ? ANALYST_MARK : "");
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
		/* the lock is held all the same; the holder line is only informative */
	}
	sp_lock *l = sp_xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->path = sp_buf_detach(&p);
	*out = l;
	return SP_OK;
}

int sp_lock_take(const sp_config *cfg, const char *what, sp_lock **out, sp_err *err)
{
	*out = NULL;
	if (sp_store_is_server(cfg->database)) {
		sp_pg *pg;
		int rc = sp_pg_lock_take(cfg->database, what, &pg, err);
		if (rc != SP_OK)
			return rc;
		sp_lock *l = sp_xcalloc(1, sizeof(*l));
		l->fd = -1;
		l->pg = pg;
		*out = l;
		return SP_OK;
	}
	return take_file(cfg, what, 0, out, err);
}

int sp_lock_take_analyst(const sp_config *cfg, const char *what, sp_lock **out, sp_err *err)
{
	*out = NULL;
	if (sp_store_is_server(cfg->database))
		return SP_OK;
	return take_file(cfg, what, 1, out, err);
}

void sp_lock_release(sp_lock *l)
{
	if (!l)
		return;
	if (l->pg) { /* closing the session drops its advisory lock */
		sp_pg_close(l->pg);
		free(l);
		return;
	}
	if (ftruncate(l->fd, 0) != 0) {
		/* informative content only */
	}
	flock(l->fd, LOCK_UN);
	close(l->fd);
	free(l->path);
	free(l);
}
