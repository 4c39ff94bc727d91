/*
 * sink_file: buffered line output to stdout or to an atomically published file.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink_file.h"

struct sink_file {
	FILE *fp;
	char *path;      /* final name; NULL for stdout */
	char *tmp;       /* temporary name while writing */
	char *buf;       /* fp's buffer; freed only after fp is closed */
	int error;       /* first write error, as a positive errno */
	bool direct;     /* path is not a regular file (/dev/null, a FIFO, a tty): written in place */
};

#define SINK_BUF_SIZE (1 << 16)

static void destroy(struct sink_file *s)
{
	free(s->path);
	free(s->tmp);
	free(s->buf);
	free(s);
}

struct sink_file *sink_file__open(const char *path, char *err, size_t errlen)
{
	struct sink_file *s = calloc(1, sizeof(*s));
	char *dir = NULL, *base = NULL;
	struct stat st;
	int fd = -1, rc;

	if (!s) {
		rc = ENOMEM;
		goto fail;
	}
	if (!path || strcmp(path, "-") == 0) {
		s->fp = stdout;
		return s;
	}
	/* Refuse a directory now rather than at rename time, after the run. */
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = EISDIR;
		goto fail;
	}
	/* A device, FIFO or socket is written in place: renaming a temporary
	 * file over /dev/null would replace the device with a regular file. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		s->path = strdup(path);
		if (!s->path) {
			rc = ENOMEM;
			goto fail;
		}
		s->direct = true;
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			rc = errno;
			goto fail;
		}
		s->fp = fdopen(fd, "w");
		if (!s->fp) {
			rc = errno;
			goto fail;
		}
		return s;
	}
	s->path = strdup(path);
	dir = strdup(path);
	base = strdup(path);
	if (!s->path || !dir || !base) {
		rc = ENOMEM;
		goto fail;
	}
	if (asprintf(&s->tmp, "%s/.%s.XXXXXX", dirname(dir), basename(base)) < 0) {
		s->tmp = NULL;
		rc = ENOMEM;
		goto fail;
	}
	fd = mkstemp(s->tmp);
	if (fd < 0) {
		rc = errno;
		free(s->tmp);
		s->tmp = NULL;
		goto fail;
	}
	fchmod(fd, 0644);
	s->fp = fdopen(fd, "w");
	if (!s->fp) {
		rc = errno;
		goto fail;
	}
	/* Large buffer: lines are flushed per batch, not per event. glibc
	 * ignores the size when it is not given the buffer as well. */
	s->buf = malloc(SINK_BUF_SIZE);
	if (s->buf)
		setvbuf(s->fp, s->buf, _IOFBF, SINK_BUF_SIZE);
	free(dir);
	free(base);
	return s;

fail:
	snprintf(err, errlen, "cannot create output file %s: %s", path ? path : "-", strerror(rc));
	if (fd >= 0)
		close(fd);
	if (s && s->tmp)
		unlink(s->tmp);
	free(dir);
	free(base);
	if (s)
		destroy(s);
	errno = rc;
	return NULL;
}

int sink_file__write(struct sink_file *s, const char *data, size_t len)
{
	if (s->error)
		return -s->error;
	if (fwrite(data, 1, len, s->fp) != len) {
		s->error = errno ? errno : EIO;
		return -s->error;
	}
	return 0;
}

int sink_file__flush(struct sink_file *s)
{
	if (s->error)
		return -s->error;
	if (fflush(s->fp)) {
		s->error = errno ? errno : EIO;
		return -s->error;
	}
	return 0;
}

int sink_file__commit(struct sink_file *s, char *err, size_t errlen)
{
	int rc = 0;

	if (!s->path) {
		if (fflush(stdout) && errno != EPIPE)
			rc = -errno;
		destroy(s);
		return rc;
	}
	if (s->direct) {
		if ((fflush(s->fp) || fclose(s->fp)) && !s->error)
			s->error = errno ? errno : EIO;
		if (s->error) {
			snprintf(err, errlen, "cannot write output %s: %s", s->path, strerror(s->error));
			rc = -s->error;
		}
		destroy(s);
		return rc;
	}
	if (!s->error && (fflush(s->fp) || fsync(fileno(s->fp))))
		s->error = errno ? errno : EIO;
	if (fclose(s->fp) && !s->error)
		s->error = errno ? errno : EIO;
	if (!s->error && rename(s->tmp, s->path))
		s->error = errno;
	if (s->error) {
		snprintf(err, errlen, "cannot write output file %s: %s (nothing written there)", s->path,
			 strerror(s->error));
		unlink(s->tmp);
		rc = -s->error;
	}
	destroy(s);
	return rc;
}

void sink_file__abort(struct sink_file *s)
{
	if (!s)
		return;
	if (s->path) {
		fclose(s->fp);
		if (!s->direct)
			unlink(s->tmp);
	} else {
		fflush(stdout);
	}
	destroy(s);
}
