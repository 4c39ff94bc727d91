/*
 * dbserver: start and stop real PostgreSQL and MariaDB servers for the tests.
 * See dbserver.h for what a started server holds and how cleanup is ensured.
 *
 * The cleanup paths (dbserver_stop, the atexit and signal handlers) share one
 * routine, stop_entry(), written with async-signal-safe calls only (kill,
 * waitpid, nanosleep, fork, execve), so the signal handler may use it.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dbserver.h"
#include "testutil.h"

#define PG_INITDB DBSERVER_PG_BINDIR "/initdb"
#define PG_POSTGRES DBSERVER_PG_BINDIR "/postgres"
#define PG_PSQL DBSERVER_PG_BINDIR "/psql"
#define MY_INSTALL_DB "/usr/bin/mariadb-install-db"
#define MY_SERVER "/usr/sbin/mariadbd"
#define MY_CLIENT "/usr/bin/mariadb"
#define OPENSSL "/usr/bin/openssl"

#define START_TIMEOUT_S 20.0
#define INIT_TIMEOUT_S 60.0
#define STOP_TIMEOUT_S 10.0
#define MAX_SERVERS 16
#define PORT_TRIES 3
#define SETUP_TRIES 20
#define OWNER_FILE "dbserver.owner" /* pid of the test process, for sweep_stale_dirs() */

/* A started server as the cleanup paths see it. A copy, not a pointer to the
 * caller's struct, so a struct gone out of scope leaves nothing dangling. */
struct entry {
	bool used;
	bool reaped;     /* pid already waited for: do not signal it again */
	enum dbserver_kind kind;
	pid_t owner;     /* the process that started it; a forked child exiting must not stop it */
	pid_t pid;       /* also its process group: servers call setsid() */
	char dir[256];
};

/* Credentials to run a program as (resolved before fork: no NSS in the child). */
struct creds {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[64];
};

static struct entry entries[MAX_SERVERS];
static bool atexit_done;
static char last_err[8192];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to timeout_s for pid to end. True once it has; *status is set when
 * we reaped it ourselves. Async-signal-safe. */
static bool reap(pid_t pid, double timeout_s, int *status)
{
	double end = now_s() + timeout_s;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid) {
			if (status)
				*status = st;
			return true;
		}
		/* Not our child (someone else reaped it): poll for it to vanish. */
		if (r < 0 && errno == ECHILD && kill(pid, 0) < 0 && errno == ESRCH)
			return true;
		if (now_s() >= end)
			return false;
		sleep_ms(10);
	}
}

/* rm -rf a directory made by tu_tmpdir (and nothing else). Async-signal-safe. */
static void rm_rf(const char *dir)
{
	static char *const envp[] = { NULL };
	char *const argv[] = { "/bin/rm", "-rf", "--", (char *)dir, NULL };
	pid_t pid;

	if (strncmp(dir, "/tmp/aisec-test.", 16) != 0)
		return;
	/* Again if something still running wrote into it meanwhile ("Directory not empty"). */
	for (int i = 0; i < 3 && access(dir, F_OK) == 0; i++) {
		if (i)
			sleep_ms(100);
		pid = fork();
		if (pid == 0) {
			execve(argv[0], argv, envp);
			_exit(127);
		}
		if (pid > 0)
			reap(pid, 30, NULL);
	}
}

/* Shut the server down, kill what is left of its session, remove its
 * directory, free the slot. Async-signal-safe. */
static void stop_entry(struct entry *e)
{
	if (e->pid > 0) {
		if (!e->reaped) {
			/* PostgreSQL: SIGINT is the fast shutdown (SIGTERM would wait for clients). */
			kill(e->pid, e->kind == DB_POSTGRES ? SIGINT : SIGTERM);
			if (!reap(e->pid, STOP_TIMEOUT_S, NULL)) {
				kill(-e->pid, SIGKILL);
				reap(e->pid, 5.0, NULL);
			}
		}
		/* Backends or helpers left behind after a kill die with their group. */
		kill(-e->pid, SIGKILL);
		e->pid = 0;
	}
	if (e->dir[0])
		rm_rf(e->dir);
	e->used = false;
}

static void stop_all_entries(void)
{
	pid_t me = getpid();

	for (int i = 0; i < MAX_SERVERS; i++)
		if (entries[i].used && entries[i].owner == me)
			stop_entry(&entries[i]);
}

static void at_exit(void)
{
	stop_all_entries();
}

/* SA_RESETHAND restored the default action on entry, so the re-raised signal
 * (blocked until we return) ends the process as it would have. */
static void on_fatal_signal(int sig)
{
	int saved = errno;

	stop_all_entries();
	errno = saved;
	raise(sig);
}

/* atexit once; signal handlers wherever nobody else has installed one. */
static void install_hooks(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGABRT };

	if (!atexit_done && atexit(at_exit) == 0)
		atexit_done = true;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old, sa = { .sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND };

		if (sigaction(sigs[i], NULL, &old) || (old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL)
			continue;
		sigemptyset(&sa.sa_mask);
		sigaction(sigs[i], &sa, NULL);
	}
}

/* Append the last lines of path (about 2 KB) to last_err. */
static void append_log_tail(const char *path)
{
	size_t used = strlen(last_err);
	char buf[2048];
	struct stat st;
	off_t from;
	ssize_t n;
	char *p;
	int fd;

	if (!path || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) == 0) {
		from = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
		n = pread(fd, buf, sizeof(buf) - 1, from);
		if (n > 0) {
			buf[n] = '\0';
			/* Start at a line boundary unless the whole file fit. */
			p = from > 0 && strchr(buf, '\n') ? strchr(buf, '\n') + 1 : buf;
			snprintf(last_err + used, sizeof(last_err) - used, "\n--- end of %s:\n%s", path, p);
		}
	}
	close(fd);
}

/* Record why a start failed (plus the tail of log when given) and return err. */
static int set_err(int err, const char *log, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_err, sizeof(last_err), fmt, ap);
	va_end(ap);
	append_log_tail(log);
	return err;
}

/* Print last_err a line at a time (cmocka's print_error cuts long messages). */
static void print_last_err(void)
{
	const char *p = last_err;

	while (*p) {
		size_t n = strcspn(p, "\n");

		print_error("%s%.*s\n", p == last_err ? "dbserver: " : "", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* set_err and print it at once: for failures before there is anything to undo. */
static int fail_now(int err, const char *msg)
{
	set_err(err, NULL, "%s", msg);
	print_last_err();
	return err;
}

static const char *describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "ended with wait status %#x", st);
	return buf;
}

static int check_bins(const char *const *bins, const char *packages)
{
	char msg[512];

	for (; *bins; bins++) {
		if (access(*bins, X_OK)) {
			snprintf(msg, sizeof(msg), "%s not found or not executable (%s): install %s (make deps)", *bins,
				 strerror(errno), packages);
			return fail_now(-ENOENT, msg);
		}
	}
	return 0;
}

static int lookup_creds(const char *user, struct creds *c)
{
	struct passwd *pw = getpwnam(user);

	if (!pw || pw->pw_uid == 0)
		return -ENOENT;
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	c->ngroups = (int)(sizeof(c->groups) / sizeof(c->groups[0]));
	if (getgrouplist(user, pw->pw_gid, c->groups, &c->ngroups) < 0) {
		c->groups[0] = pw->pw_gid;
		c->ngroups = 1;
	}
	return 0;
}

/*
 * Fork and exec argv in dir, with a clean environment, stdin from /dev/null and
 * stdout/stderr appended to log, in a session of its own, as `as` when given
 * (setgroups + setgid + setuid, like initgroups), killed by deathsig when this
 * process dies. Returns the pid or a negative errno.
 */
static pid_t spawn(const char *const *argv, const char *dir, const char *log, const struct creds *as, int deathsig)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "LANG=C", NULL };
	pid_t parent = getpid(), pid;
	int logfd, nullfd, err;

	logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return -errno;
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0) {
		err = -errno;
		close(logfd);
		return err;
	}
	pid = fork();
	if (pid == 0) {
		setsid();
		dup2(nullfd, STDIN_FILENO);
		dup2(logfd, STDOUT_FILENO);
		dup2(logfd, STDERR_FILENO);
		/* Test fds (listeners, pipes) must not live on in the server. */
		if (close_range(3, ~0U, 0))
			for (int fd = 3; fd < 4096; fd++)
				close(fd);
		if (as && (setgroups((size_t)as->ngroups, as->groups) || setgid(as->gid) || setuid(as->uid))) {
			dprintf(STDERR_FILENO, "dbserver: cannot switch to uid %u: %s\n", (unsigned)as->uid,
				strerror(errno));
			_exit(126);
		}
		if (chdir(dir)) {
			dprintf(STDERR_FILENO, "dbserver: chdir %s: %s\n", dir, strerror(errno));
			_exit(126);
		}
		/* Set after setuid (which clears it); check we were not orphaned already. */
		if (prctl(PR_SET_PDEATHSIG, deathsig) || getppid() != parent)
			_exit(125);
		execve(argv[0], (char *const *)argv, envp);
		dprintf(STDERR_FILENO, "dbserver: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	err = pid < 0 ? -errno : 0;
	close(logfd);
	close(nullfd);
	return err ? err : pid;
}

/* Run a setup program (initdb, mariadb-install-db) to completion within
 * timeout_s, visible to the cleanup paths meanwhile. Returns its wait status,
 * or a negative errno (-ETIMEDOUT after killing it). */
static int run_helper(struct entry *e, const char *const *argv, const char *dir, const char *log,
		      const struct creds *as, double timeout_s)
{
	pid_t pid = spawn(argv, dir, log, as, SIGKILL);
	int st = 0;

	if (pid < 0)
		return pid;
	e->pid = pid;
	e->reaped = false;
	if (!reap(pid, timeout_s, &st)) {
		kill(-pid, SIGKILL);
		reap(pid, 5.0, NULL);
		e->pid = 0;
		return -ETIMEDOUT;
	}
	e->pid = 0;
	return st;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err;

	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || getsockname(s, (struct sockaddr *)&a, &len)) {
		err = -errno;
		close(s);
		return err;
	}
	close(s);
	return ntohs(a.sin_port);
}

/* Connect (200 ms at most); with greeting, also wait for the server's first
 * bytes (MySQL protocol servers speak first). */
static bool probe(const struct sockaddr *sa, socklen_t len, bool greeting)
{
	int s = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct pollfd p = { .fd = s };
	bool ok = false;
	char c;

	if (s < 0)
		return false;
	if (connect(s, sa, len) == 0) {
		ok = true;
	} else if (errno == EINPROGRESS) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		p.events = POLLOUT;
		ok = poll(&p, 1, 200) == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0;
	}
	if (ok && greeting) {
		p.events = POLLIN;
		ok = poll(&p, 1, 500) == 1 && read(s, &c, 1) == 1;
	}
	close(s);
	return ok;
}

static bool probe_tcp(int port, bool greeting)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return probe((struct sockaddr *)&a, sizeof(a), greeting);
}

static bool probe_unix(const char *path, bool greeting)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(a.sun_path))
		return false;
	strcpy(a.sun_path, path);
	return probe((struct sockaddr *)&a, sizeof(a), greeting);
}

/* PostgreSQL writes "ready" as the status line of postmaster.pid once it
 * accepts connections (before that, clients get "starting up"). */
static bool pg_says_ready(const struct dbserver *db)
{
	char path[300], buf[1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/data/postmaster.pid", db->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, "\nready") != NULL;
}

static bool server_ready(const struct dbserver *db)
{
	bool greeting = db->kind == DB_MARIADB;

	if (db->kind == DB_POSTGRES && !pg_says_ready(db))
		return false;
	return probe_unix(db->socket_path, greeting) && probe_tcp(db->port, greeting);
}

/* Whether the (last 64 KB of the) log contains needle. */
static bool log_mentions(const char *path, const char *needle)
{
	static char buf[65536];
	struct stat st;
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0)
		n = pread(fd, buf, sizeof(buf) - 1,
			  st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* Start the server process and wait until it accepts on both the port and
 * the socket. On failure the reason is in last_err. */
static int launch(struct dbserver *db, struct entry *e, const char *const *argv, const struct creds *as,
		  int deathsig)
{
	const char *name = db->kind == DB_POSTGRES ? "postgres" : "mariadbd";
	double end;
	char why[128];
	pid_t pid;
	int st;

	pid = spawn(argv, db->dir, db->log_path, as, deathsig);
	if (pid < 0)
		return set_err(pid, NULL, "cannot start %s: %s", argv[0], strerror(-pid));
	db->pid = e->pid = pid;
	e->reaped = false;
	end = now_s() + START_TIMEOUT_S;
	while (now_s() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			int err = log_mentions(db->log_path, "Address already in use") ? -EADDRINUSE : -EIO;

			e->reaped = true;
			return set_err(err, db->log_path, "%s on 127.0.0.1:%d %s before accepting connections%s", name,
				       db->port, describe_status(st, why, sizeof(why)),
				       err == -EADDRINUSE ? " (port already in use)" : "");
		}
		if (server_ready(db))
			return 0;
		sleep_ms(25);
	}
	return set_err(-ETIMEDOUT, db->log_path, "%s not accepting connections on 127.0.0.1:%d and %s after %.0f s",
		       name, db->port, db->socket_path, START_TIMEOUT_S);
}

/* SIGKILL every process whose working directory is dir or below: what we
 * spawn starts there, and its children (initdb's and mariadb-install-db's
 * bootstrap servers, PostgreSQL backends) stay there. */
static void kill_procs_in(const char *dir)
{
	size_t dl = strlen(dir);
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char link[64], cwd[512];
		ssize_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(link, sizeof(link), "/proc/%.32s/cwd", de->d_name);
		n = readlink(link, cwd, sizeof(cwd) - 1);
		if (n <= 0)
			continue;
		cwd[n] = '\0';
		if (strncmp(cwd, dir, dl) == 0 && (cwd[dl] == '\0' || cwd[dl] == '/'))
			kill((pid_t)atoi(de->d_name), SIGKILL);
	}
	closedir(d);
}

/* A test killed with SIGKILL takes its servers along (parent-death signal)
 * but leaves their directories, and maybe an orphaned bootstrap helper:
 * clean up after those whose owner process is gone. */
static void sweep_stale_dirs(void)
{
	static bool swept;
	glob_t g;

	if (swept)
		return;
	swept = true;
	if (glob("/tmp/aisec-test.*/" OWNER_FILE, GLOB_NOSORT, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char buf[32] = "", *slash;
		long pid = 0;
		int fd = open(g.gl_pathv[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			continue;
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			pid = strtol(buf, NULL, 10);
		close(fd);
		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		slash = strrchr(g.gl_pathv[i], '/');
		*slash = '\0';
		kill_procs_in(g.gl_pathv[i]);
		rm_rf(g.gl_pathv[i]);
	}
	globfree(&g);
}

/* Common first steps: reset db (keeping a forced port), temp dir, slot, hooks, cert. */
static int begin(struct dbserver *db, enum dbserver_kind kind, bool tls, struct entry **ep)
{
	int forced = db->port;
	struct entry *e = NULL;
	char *dir;

	memset(db, 0, sizeof(*db));
	db->kind = kind;
	db->tls = tls;
	db->port = forced;
	last_err[0] = '\0';
	install_hooks();
	sweep_stale_dirs();
	for (int i = 0; i < MAX_SERVERS && !e; i++)
		if (!entries[i].used)
			e = &entries[i];
	if (!e)
		return set_err(-ENOSPC, NULL, "more than %d servers running at once", MAX_SERVERS);
	dir = tu_tmpdir();
	if (!dir)
		return set_err(-errno, NULL, "cannot create a temporary directory under /tmp: %s", strerror(errno));
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->kind = kind;
	e->owner = getpid();
	snprintf(e->dir, sizeof(e->dir), "%s", dir);
	snprintf(db->dir, sizeof(db->dir), "%s", dir);
	snprintf(db->socket_dir, sizeof(db->socket_dir), "%s", dir);
	snprintf(db->log_path, sizeof(db->log_path), "%s/server.log", dir);
	free(dir);
	*ep = e;
	{
		char path[300];
		FILE *f;

		snprintf(path, sizeof(path), "%s/" OWNER_FILE, db->dir);
		f = fopen(path, "we");
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
			return set_err(-EIO, NULL, "cannot write %s: %s", path, strerror(errno));
	}
	if (!tls)
		return 0;

	snprintf(db->cert, sizeof(db->cert), "%.200s/server.crt", db->dir);
	snprintf(db->key, sizeof(db->key), "%.200s/server.key", db->dir);
	{
		const char *argv[] = { OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
				       "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
				       "-days", "2", "-keyout", db->key, "-out", db->cert, NULL };
		char err[2048];
		int rc = tu_run(argv, NULL, 0, err, sizeof(err));

		if (rc != 0)
			return set_err(-EIO, NULL, "openssl req (self-signed certificate) failed with %d: %s", rc, err);
	}
	if (chmod(db->key, 0600))
		return set_err(-errno, NULL, "chmod 600 %s: %s", db->key, strerror(errno));
	return 0;
}

/* Undo a failed start: print the reason, stop whatever runs, remove the dir. */
static int abort_start(struct dbserver *db, struct entry *e, int err)
{
	print_last_err();
	if (e && e->used)
		stop_entry(e);
	db->pid = 0;
	return err;
}

static int pg_conninfo_db(const struct dbserver *db, bool use_socket, const char *dbname, char *buf, size_t len)
{
	int n = snprintf(buf, len, "host=%s port=%d user=%s dbname=%s sslmode=%s connect_timeout=10",
			 use_socket ? db->socket_dir : "127.0.0.1", db->port, DBSERVER_PG_USER, dbname,
			 db->tls && !use_socket ? "require" : "disable");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Run a client: out gets stdout then stderr. Exit status or negative errno. */
static int run_client(const char *const *argv, char *out, size_t outlen)
{
	size_t errcap = 16384, used;
	char *err;
	int rc;

	if (!out || !outlen)
		return tu_run(argv, NULL, 0, NULL, 0);
	err = malloc(errcap);
	if (!err)
		return -ENOMEM;
	rc = tu_run(argv, out, outlen, err, errcap);
	used = strlen(out);
	snprintf(out + used, outlen - used, "%s", err);
	free(err);
	return rc < 0 ? -EIO : rc;
}

int dbserver_start_postgres(struct dbserver *db, bool tls)
{
	const char *bins[] = { PG_INITDB, PG_POSTGRES, PG_PSQL, OPENSSL, NULL };
	char data[300], initlog[300], why[128], conninfo[600], out[8192];
	struct entry *e = NULL;
	double t0 = now_s();
	struct creds pg;
	int err, forced = db->port, rc = 0;

	err = check_bins(bins, "postgresql-15 and openssl");
	if (err)
		return err;
	if (lookup_creds("postgres", &pg))
		return fail_now(-ENOENT, "no user 'postgres' (PostgreSQL refuses to run as root): "
					 "the postgresql-15 package creates it; run make deps");
	err = begin(db, DB_POSTGRES, tls, &e);
	if (err)
		return abort_start(db, e, err);
	snprintf(data, sizeof(data), "%s/data", db->dir);
	snprintf(initlog, sizeof(initlog), "%s/initdb.log", db->dir);
	if (chown(db->dir, pg.uid, pg.gid) ||
	    (tls && (chown(db->cert, pg.uid, pg.gid) || chown(db->key, pg.uid, pg.gid))))
		return abort_start(db, e, set_err(-errno, NULL, "chown %s to postgres: %s", db->dir, strerror(errno)));

	{
		const char *argv[] = { PG_INITDB, "-D", data, "-U", DBSERVER_PG_USER, "-A", "trust",
				       "-E", "UTF8", "--locale=C", "-N", NULL };

		err = run_helper(e, argv, db->dir, initlog, &pg, INIT_TIMEOUT_S);
		if (err < 0)
			return abort_start(db, e, set_err(err, initlog, "initdb %s: %s", data, strerror(-err)));
		if (err > 0)
			return abort_start(db, e, set_err(-EIO, initlog, "initdb %s %s", data,
							 describe_status(err, why, sizeof(why))));
	}
	if (tls) {
		/* TCP only with TLS; the socket stays plain. */
		char hba[320];
		FILE *f;

		snprintf(hba, sizeof(hba), "%s/pg_hba.conf", data);
		f = fopen(hba, "w");
		if (!f || fputs("# dbserver (tls): trust on the socket, TLS-only trust on 127.0.0.1\n"
				"local all all trust\n"
				"hostssl all all 127.0.0.1/32 trust\n",
				f) < 0 || fclose(f)) {
			err = -errno;
			return abort_start(db, e, set_err(err, NULL, "cannot write %s: %s", hba, strerror(-err)));
		}
	}

	for (int tries = 1;; tries++) {
		char port[16], ssl_cert[300], ssl_key[300];
		const char *argv[32] = { PG_POSTGRES, "-D", data, "-k", db->dir, "-p", port,
					 "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_permissions=0777",
					 /* Throwaway data: no durability. */
					 "-c", "fsync=off", "-c", "synchronous_commit=off",
					 "-c", "full_page_writes=off",
					 NULL };
		size_t n = 0;

		while (argv[n])
			n++;
		db->port = forced ? forced : free_port();
		if (db->port < 0)
			return abort_start(db, e, set_err(db->port, NULL, "no free port: %s", strerror(-db->port)));
		snprintf(port, sizeof(port), "%d", db->port);
		snprintf(db->socket_path, sizeof(db->socket_path), "%.200s/.s.PGSQL.%d", db->dir, db->port);
		if (tls) {
			snprintf(ssl_cert, sizeof(ssl_cert), "ssl_cert_file=%s", db->cert);
			snprintf(ssl_key, sizeof(ssl_key), "ssl_key_file=%s", db->key);
			argv[n++] = "-c";
			argv[n++] = "ssl=on";
			argv[n++] = "-c";
			argv[n++] = ssl_cert;
			argv[n++] = "-c";
			argv[n++] = ssl_key;
		}
		argv[n] = NULL;
		/* SIGQUIT: PostgreSQL's immediate shutdown, which still takes its backends along. */
		err = launch(db, e, argv, &pg, SIGQUIT);
		if (err == -EADDRINUSE && !forced && tries < PORT_TRIES) {
			print_message("dbserver: port %d was taken meanwhile, trying another\n", db->port);
			continue;
		}
		if (err)
			return abort_start(db, e, err);
		break;
	}

	/* Role and database; retried only while the connection itself fails (exit 2). */
	pg_conninfo_db(db, true, "postgres", conninfo, sizeof(conninfo));
	for (int tries = 0; tries < SETUP_TRIES; tries++) {
		const char *argv[] = { PG_PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
				       "-c",
				       "CREATE ROLE " DBSERVER_APP_USER " LOGIN PASSWORD '" DBSERVER_APP_PASSWORD "'",
				       "-c", "CREATE DATABASE " DBSERVER_DB " OWNER " DBSERVER_APP_USER, NULL };

		rc = run_client(argv, out, sizeof(out));
		if (rc != 2)
			break;
		sleep_ms(100);
	}
	if (rc != 0)
		return abort_start(db, e, set_err(-EIO, db->log_path, "creating role and database failed (psql %d): %s",
						  rc, out));
	db->start_s = now_s() - t0;
	return 0;
}

int dbserver_start_mariadb(struct dbserver *db, bool tls)
{
	const char *bins[] = { MY_INSTALL_DB, MY_SERVER, MY_CLIENT, OPENSSL, NULL };
	char data[300], datadir[320], installlog[300], tmpdir[300], why[128], out[8192], sql[1024];
	const char *req = tls ? " REQUIRE SSL" : "";
	struct entry *e = NULL;
	double t0 = now_s();
	int err, forced = db->port, rc = 0;

	err = check_bins(bins, "mariadb-server, mariadb-client and openssl");
	if (err)
		return err;
	err = begin(db, DB_MARIADB, tls, &e);
	if (err)
		return abort_start(db, e, err);
	snprintf(data, sizeof(data), "%s/data", db->dir);
	snprintf(datadir, sizeof(datadir), "--datadir=%s", data);
	snprintf(tmpdir, sizeof(tmpdir), "--tmpdir=%s", db->dir);
	snprintf(installlog, sizeof(installlog), "%s/install-db.log", db->dir);
	snprintf(db->socket_path, sizeof(db->socket_path), "%.200s/mysql.sock", db->dir);

	{
		/* --no-defaults: nothing from /etc/mysql; root gets unix_socket auth. */
		const char *argv[] = { MY_INSTALL_DB, "--no-defaults", datadir, tmpdir, "--user=root",
				       "--auth-root-authentication-method=socket", "--skip-test-db",
				       "--skip-name-resolve",
				       "--innodb-use-native-aio=0", NULL };

		err = run_helper(e, argv, db->dir, installlog, NULL, INIT_TIMEOUT_S);
		if (err < 0)
			return abort_start(db, e, set_err(err, installlog, "mariadb-install-db: %s", strerror(-err)));
		if (err > 0)
			return abort_start(db, e, set_err(-EIO, installlog, "mariadb-install-db %s",
							 describe_status(err, why, sizeof(why))));
	}

	for (int tries = 1;; tries++) {
		char port[32], sock[300], pidfile[300], ssl_cert[300], ssl_key[300];
		const char *argv[32] = { MY_SERVER, "--no-defaults", "--user=root", datadir, tmpdir, sock, port,
					 pidfile,
					 "--bind-address=127.0.0.1", "--skip-name-resolve",
					 /* Readiness probes must not get 127.0.0.1 blocked. */
					 "--max-connect-errors=1000000",
					 /* io_uring/libaio may be barred in containers; small pool starts faster. */
					 "--innodb-use-native-aio=0", "--innodb-buffer-pool-size=32M", NULL };
		size_t n = 0;

		while (argv[n])
			n++;
		db->port = forced ? forced : free_port();
		if (db->port < 0)
			return abort_start(db, e, set_err(db->port, NULL, "no free port: %s", strerror(-db->port)));
		snprintf(port, sizeof(port), "--port=%d", db->port);
		snprintf(sock, sizeof(sock), "--socket=%s", db->socket_path);
		snprintf(pidfile, sizeof(pidfile), "--pid-file=%s/mariadbd.pid", db->dir);
		if (tls) {
			snprintf(ssl_cert, sizeof(ssl_cert), "--ssl-cert=%s", db->cert);
			snprintf(ssl_key, sizeof(ssl_key), "--ssl-key=%s", db->key);
			argv[n++] = ssl_cert;
			argv[n++] = ssl_key;
		}
		argv[n] = NULL;
		err = launch(db, e, argv, NULL, SIGKILL);
		if (err == -EADDRINUSE && !forced && tries < PORT_TRIES) {
			print_message("dbserver: port %d was taken meanwhile, trying another\n", db->port);
			continue;
		}
		if (err)
			return abort_start(db, e, err);
		break;
	}

	/* The app accounts (TCP ones TLS-only on a TLS server) and the database, as root over the socket. */
	snprintf(sql, sizeof(sql),
		 "CREATE DATABASE %s;"
		 "CREATE USER '%s'@'%%' IDENTIFIED BY '%s'%s;"
		 "CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'%s;"
		 "CREATE USER '%s'@'localhost' IDENTIFIED BY '%s';"
		 "GRANT ALL ON %s.* TO '%s'@'%%', '%s'@'127.0.0.1', '%s'@'localhost';",
		 DBSERVER_DB, DBSERVER_APP_USER, DBSERVER_APP_PASSWORD, req, DBSERVER_APP_USER, DBSERVER_APP_PASSWORD,
		 req, DBSERVER_APP_USER, DBSERVER_APP_PASSWORD, DBSERVER_DB, DBSERVER_APP_USER, DBSERVER_APP_USER,
		 DBSERVER_APP_USER);
	for (int tries = 0; tries < SETUP_TRIES; tries++) {
		const char *argv[] = { MY_CLIENT, "--no-defaults", "-B", "-N", "--connect-timeout=10", "-u", "root",
				       "--protocol=SOCKET", "-S", db->socket_path, "-e", sql, NULL };

		rc = run_client(argv, out, sizeof(out));
		/* Retry only client-side (connection) errors: ERROR 2002, 2013, ... */
		if (rc == 0 || !strstr(out, "ERROR 20"))
			break;
		sleep_ms(100);
	}
	if (rc != 0)
		return abort_start(db, e, set_err(-EIO, db->log_path,
						  "creating users and database failed (mariadb %d): %s", rc, out));
	db->start_s = now_s() - t0;
	return 0;
}

void dbserver_stop(struct dbserver *db)
{
	if (!db || !db->dir[0])
		return;
	for (int i = 0; i < MAX_SERVERS; i++)
		if (entries[i].used && strcmp(entries[i].dir, db->dir) == 0)
			stop_entry(&entries[i]);
	db->pid = 0;
}

void dbserver_stop_all(void)
{
	stop_all_entries();
}

int dbserver_group_teardown(void **state)
{
	(void)state;
	dbserver_stop_all();
	return 0;
}

const char *dbserver_last_error(void)
{
	return last_err;
}

int dbserver_pg_conninfo(const struct dbserver *db, bool use_socket, char *buf, size_t len)
{
	if (!db || db->kind != DB_POSTGRES || db->pid <= 0)
		return -EINVAL;
	return pg_conninfo_db(db, use_socket, DBSERVER_DB, buf, len);
}

int dbserver_psql(const struct dbserver *db, bool use_socket, const char *sql, char *out, size_t outlen)
{
	char conninfo[600];
	int err = dbserver_pg_conninfo(db, use_socket, conninfo, sizeof(conninfo));
	const char *argv[] = { PG_PSQL, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-v", "VERBOSITY=verbose",
			       "-d", conninfo, "-c", sql, NULL };

	if (err)
		return err;
	return run_client(argv, out, outlen);
}

int dbserver_mariadb(const struct dbserver *db, bool use_socket, const char *sql, char *out, size_t outlen)
{
	char port[16];
	const char *argv[24] = { MY_CLIENT, "--no-defaults", "-B", "-N", "--connect-timeout=10",
				 "-u", DBSERVER_APP_USER, "--password=" DBSERVER_APP_PASSWORD, NULL };
	size_t n = 8;

	if (!db || db->kind != DB_MARIADB || db->pid <= 0)
		return -EINVAL;
	if (use_socket) {
		argv[n++] = "--protocol=SOCKET";
		argv[n++] = "-S";
		argv[n++] = db->socket_path;
	} else {
		snprintf(port, sizeof(port), "%d", db->port);
		argv[n++] = "--protocol=TCP";
		argv[n++] = "-h";
		argv[n++] = "127.0.0.1";
		argv[n++] = "-P";
		argv[n++] = port;
		argv[n++] = db->tls ? "--ssl" : "--skip-ssl";
	}
	argv[n++] = "-e";
	argv[n++] = sql;
	argv[n++] = DBSERVER_DB;
	argv[n] = NULL;
	return run_client(argv, out, outlen);
}
