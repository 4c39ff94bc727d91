/*
 * privs: drop the running agent's capabilities to a fixed set, with libcap.
 *
 * Order matters: the ambient set first (clearing it needs no capability),
 * then the bounding set (cap_drop_bound needs CAP_SETPCAP, which may be
 * among the dropped), then effective/permitted/inheritable in one
 * cap_set_proc, then no_new_privs. The process stays uid 0: since the
 * bounding set is the kept set, an execve (which gives uid 0 the bounding
 * set) cannot regain anything either.
 *
 * Capabilities belong to each thread, so the drop is refused while other
 * threads run: they would keep everything.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "privs.h"

#define STATUS_MAX 16384

__u64 privs__runtime_set(void)
{
	return (1ULL << CAP_BPF) | (1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_DAC_READ_SEARCH);
}

/* Write "what: reason" into err; returns -err_no. */
static int fail(char *err, size_t errlen, int err_no, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err && errlen) {
		va_start(ap, fmt);
		n = vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - n, ": %s", strerror(err_no));
	}
	return -err_no;
}

/* One capability's name for messages ("cap_sys_admin"). */
static void cap_name(cap_value_t cap, char *buf, size_t len)
{
	char *name = cap_to_name(cap);

	snprintf(buf, len, "%s", name ? name : "?");
	cap_free(name);
}

/* The whole of procfs/<pid or self>/status into buf. 0 or -errno. */
static int read_status(const char *procfs, int pid, char *buf, size_t len)
{
	char path[4096];
	size_t n;
	FILE *f;
	int err = 0;

	if (pid)
		snprintf(path, sizeof(path), "%s/%d/status", procfs ? procfs : "/proc", pid);
	else
		snprintf(path, sizeof(path), "%s/self/status", procfs ? procfs : "/proc");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	if (ferror(f))
		err = -EIO;
	buf[n] = '\0';
	fclose(f);
	return err;
}

/* The value after "key:" at the start of a line of buf, or NULL. */
static const char *field(const char *buf, const char *key)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':')
			return p + klen + 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* A hex mask or decimal number field; -EINVAL when missing or malformed. */
static int number(const char *buf, const char *key, int base, unsigned long long *out)
{
	const char *v = field(buf, key);
	char *end;

	if (!v)
		return -EINVAL;
	v += strspn(v, " \t");
	if (!((*v >= '0' && *v <= '9') || (base == 16 && ((*v >= 'a' && *v <= 'f') || (*v >= 'A' && *v <= 'F')))))
		return -EINVAL;
	errno = 0;
	*out = strtoull(v, &end, base);
	if (errno || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

int privs__read(const char *procfs, int pid, struct privs_caps *out)
{
	static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	unsigned long long v[5], nnp;
	char *buf;
	size_t i;
	int err;

	if (!out || pid < 0)
		return -EINVAL;
	buf = malloc(STATUS_MAX);
	if (!buf)
		return -ENOMEM;
	err = read_status(procfs, pid, buf, STATUS_MAX);
	for (i = 0; !err && i < 5; i++)
		err = number(buf, keys[i], 16, &v[i]);
	if (!err) {
		out->inh = v[0];
		out->prm = v[1];
		out->eff = v[2];
		out->bnd = v[3];
		out->amb = v[4];
		out->no_new_privs = number(buf, "NoNewPrivs", 10, &nnp) ? -1 : (int)!!nnp;
	}
	free(buf);
	return err;
}

/* Other threads of this process: they would keep their capabilities. */
static int threads(void)
{
	unsigned long long n;
	char *buf;
	int err;

	buf = malloc(STATUS_MAX);
	if (!buf)
		return -ENOMEM;
	err = read_status(NULL, 0, buf, STATUS_MAX);
	if (!err)
		err = number(buf, "Threads", 10, &n);
	free(buf);
	return err ? err : (int)n;
}

int privs__drop_to(__u64 keep, char *err, size_t errlen)
{
	cap_value_t max = cap_max_bits(), c;
	cap_flag_value_t have;
	cap_t caps = NULL;
	char name[64];
	int rc = 0, n;

	if (err && errlen)
		err[0] = '\0';
	if (max < 64 && keep >> max)
		return fail(err, errlen, EINVAL, "keeping capability %d: unknown to this kernel (it has %d)",
			    __builtin_ctzll(keep >> max) + max, max);
	n = threads();
	if (n < 0)
		return fail(err, errlen, -n, "counting this process's threads in /proc/self/status");
	if (n > 1)
		return fail(err, errlen, EBUSY,
			    "%d threads are running, and only the calling one would drop its capabilities; "
			    "drop before starting threads",
			    n);

	/* Everything kept must be permitted now: fail before changing anything. */
	caps = cap_get_proc();
	if (!caps)
		return fail(err, errlen, errno, "reading this process's capabilities");
	for (c = 0; c < max; c++) {
		if (!(keep & (1ULL << c)))
			continue;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &have) || have != CAP_SET) {
			cap_name(c, name, sizeof(name));
			rc = fail(err, errlen, EPERM, "keeping %s: the process does not have it", name);
			goto cleanup;
		}
	}

	if (cap_reset_ambient()) {
		rc = fail(err, errlen, errno, "clearing the ambient set");
		goto cleanup;
	}
	/* Without CAP_SETPCAP (a container granted only what it needs) the
	 * bounding set is the one the runtime gave and stays; with
	 * no_new_privs set below, an exec could not use it anyway. */
	if (cap_get_flag(caps, CAP_SETPCAP, CAP_EFFECTIVE, &have) || have != CAP_SET)
		max = 0;
	for (c = 0; c < max; c++) {
		if ((keep & (1ULL << c)) || cap_get_bound(c) != 1)
			continue;
		if (cap_drop_bound(c)) {
			cap_name(c, name, sizeof(name));
			rc = fail(err, errlen, errno, "dropping %s from the bounding set (needs cap_setpcap)", name);
			goto cleanup;
		}
	}
	if (cap_clear(caps)) {
		rc = fail(err, errlen, errno, "preparing the capability sets");
		goto cleanup;
	}
	for (c = 0; c < 64; c++) {
		if (!(keep & (1ULL << c)))
			continue;
		if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &c, CAP_SET) ||
		    cap_set_flag(caps, CAP_PERMITTED, 1, &c, CAP_SET)) {
			rc = fail(err, errlen, errno, "preparing the capability sets");
			goto cleanup;
		}
	}
	if (cap_set_proc(caps)) {
		rc = fail(err, errlen, errno, "setting the effective, permitted and inheritable sets");
		goto cleanup;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		rc = fail(err, errlen, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
		goto cleanup;
	}
cleanup:
	cap_free(caps);
	return rc;
}

void privs__names(__u64 mask, char *buf, size_t len)
{
	size_t used = 0;
	char *name;
	int c, n;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	for (c = 0; c < 64; c++) {
		if (!(mask & (1ULL << c)))
			continue;
		name = cap_to_name(c);
		n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", name ? name : "?");
		cap_free(name);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0'; /* cut between names, never inside one */
			return;
		}
		used += n;
	}
}
