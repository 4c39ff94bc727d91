/*
 * sink_file: where event lines go: stdout, or a file that appears only
 * complete. A file is written under a hidden temporary name in the same
 * directory and renamed into place by sink_file__commit(), so a crash or an
 * error never leaves a half-written output file behind. A path that exists
 * and is not a regular file (/dev/null, a FIFO, a terminal) is written in
 * place instead, never replaced.
 */
#ifndef AISEC_SINK_FILE_H
#define AISEC_SINK_FILE_H

#include <stddef.h>

struct sink_file;

/* path NULL or "-" means stdout. NULL with a reason in err (naming the path)
 * and errno set when the temporary file cannot be created. */
struct sink_file *sink_file__open(const char *path, char *err, size_t errlen);

/* Append len bytes (whole lines). 0 or -errno; after an error every later
 * write fails too and commit refuses, so no partial file is published. */
int sink_file__write(struct sink_file *s, const char *data, size_t len);

/* Push buffered lines out (stdout: to the terminal; file: to the temp file). */
int sink_file__flush(struct sink_file *s);

/* Flush, fsync and rename the file into place (stdout: flush). Frees s.
 * 0, or -errno with the reason in err, in which case nothing is published. */
int sink_file__commit(struct sink_file *s, char *err, size_t errlen);

/* Throw the temporary file away (stdout: flush). Frees s. Accepts NULL. */
void sink_file__abort(struct sink_file *s);

#endif /* AISEC_SINK_FILE_H */
