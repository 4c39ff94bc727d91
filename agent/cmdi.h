/*
 * cmdi: command-injection detector (CWE-78/77) over exec events of a
 * service's processes.
 *   triggered: the service execs a shell with -c (the sink is live).
 *   confirmed: that shell command carries shell metacharacters chaining or
 *              substituting commands (; | & && || ` $( > < newline) beyond what
 *              the service's learned commands use; or a service process execs
 *              recon / network tools (id, whoami, uname, curl, wget, nc, ncat,
 *              socat, bash -i ...); or a reverse-shell shape (/dev/tcp/, nc -e,
 *              bash -i >&, python -c 'import socket...').
 * Lists come from rules/cmdi.json "params" (docs/rules.md).
 */
#ifndef AISEC_CMDI_H
#define AISEC_CMDI_H

#include <stdbool.h>
#include <stddef.h>

#include "detect.h"

struct cJSON;
struct rule_family;

struct cmdi_input {
	const char *filename;          /* as given to execve */
	const char *const *argv;
	size_t argc;
	const char *parent_comm;       /* the process that exec'd ("" unknown) */
	bool by_service_descendant;    /* exec'd by a child of the service (e.g. the shell it spawned) */
};

struct cmdi;

struct cmdi *cmdi__new(const struct rule_family *rule, char *err, size_t errlen);
void cmdi__free(struct cmdi *d);
int cmdi__observe(struct cmdi *d, const struct cmdi_input *in, struct detection *det);
int cmdi__check_params(const struct cJSON *params, char *err, size_t errlen);

#endif /* AISEC_CMDI_H */
