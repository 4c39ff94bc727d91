/*
 * test_deploy: the deployment files in deploy/ say what docs/deploy.md says.
 * Each YAML manifest is parsed into JSON by python3-yaml (/usr/bin/python3,
 * run with tu_run) and checked with cJSON; the systemd unit and the
 * Dockerfile are checked as text. Every check is a function returning a
 * reason, and each is run twice: on the real file (must pass) and on copies
 * changed to break exactly one requirement (must fail, naming it), so no
 * check can pass vacuously.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "testutil.h"

#define WHY 512

/* The capabilities the DaemonSet adds, each justified in daemonset.yaml. */
static const char *const k8s_caps[] = {"BPF", "PERFMON", "SYS_RESOURCE", "SYS_PTRACE", "DAC_READ_SEARCH"};
/* The systemd unit's set: the same without SYS_RESOURCE (LimitMEMLOCK=infinity instead). */
static const char *const unit_caps[] = {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH"};
/* What the runtime image may install: the libraries aisec-rt links, and CA certificates. */
static const char *const runtime_pkgs[] = {"libbpf1",	  "libelf1", "zlib1g",		"libcjson1",	  "libxxhash0",
					   "librdkafka1", "libcap2", "libmicrohttpd12", "ca-certificates"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *repo(void)
{
	static char root[1024];
	const char *tail;

	if (!root[0]) {
		tail = strstr(__FILE__, "tests/unit/test_deploy.c");
		assert_non_null(tail);
		snprintf(root, sizeof(root), "%.*s", (int)(tail - __FILE__), __FILE__);
		if (!root[0])
			snprintf(root, sizeof(root), "./");
	}
	return root;
}

static char *path_of(const char *rel)
{
	char *p;

	assert_true(asprintf(&p, "%s%s", repo(), rel) > 0);
	return p;
}

static char *slurp(const char *rel)
{
	char *path = path_of(rel), *buf;
	FILE *f = fopen(path, "r");
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	free(path);
	return buf;
}

/* Every document of a YAML file, as a cJSON array (python3-yaml safe_load_all). */
static cJSON *load_yaml(const char *rel)
{
	static const char script[] = "import json, sys, yaml\n"
				     "docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]\n"
				     "json.dump(docs, sys.stdout)\n";
	size_t cap = 4 << 20;
	char *path = path_of(rel), *out = malloc(cap), err[4096];
	const char *argv[] = {"/usr/bin/python3", "-c", script, path, NULL};
	cJSON *docs;
	int rc;

	assert_non_null(out);
	rc = tu_run(argv, out, cap, err, sizeof(err));
	if (rc != 0)
		fail_msg("python3-yaml could not parse %s (exit %d; is python3-yaml installed? make deps): %s", path,
			 rc, err);
	assert_true(strlen(out) < cap - 1); /* not truncated */
	docs = cJSON_Parse(out);
	assert_non_null(docs);
	assert_true(cJSON_IsArray(docs));
	free(out);
	free(path);
	return docs;
}

static cJSON *find_doc(cJSON *docs, const char *kind, const char *name)
{
	cJSON *d;

	cJSON_ArrayForEach(d, docs)
	{
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(d, "kind"));
		const char *n = cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "metadata"), "name"));

		if (k && n && !strcmp(k, kind) && !strcmp(n, name))
			return d;
	}
	return NULL;
}

/* obj at a dotted path ("spec.template.spec"), NULL when missing. */
static cJSON *at(cJSON *obj, const char *dotted)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", dotted);
	for (tok = strtok_r(buf, ".", &save); tok && obj; tok = strtok_r(NULL, ".", &save))
		obj = cJSON_GetObjectItemCaseSensitive(obj, tok);
	return obj;
}

static const char *str_at(cJSON *obj, const char *dotted)
{
	return cJSON_GetStringValue(at(obj, dotted));
}

static bool str_in_array(cJSON *arr, const char *s)
{
	cJSON *e;

	cJSON_ArrayForEach(e, arr) if (cJSON_IsString(e) && !strcmp(e->valuestring, s)) return true;
	return false;
}

/* Writes the reason into why (WHY bytes, truncated) and returns -1. */
static int __attribute__((format(printf, 2, 3))) set_why(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY, fmt, ap);
	va_end(ap);
	return -1;
}

#define BAD(...) return set_why(why, __VA_ARGS__)

/* ---- RBAC ---- */

static int check_rbac(cJSON *docs, char *why)
{
	cJSON *ns = find_doc(docs, "Namespace", "aisec-system");
	cJSON *sa = find_doc(docs, "ServiceAccount", "aisec-rt");
	cJSON *role = find_doc(docs, "ClusterRole", "aisec-rt");
	cJSON *bind = find_doc(docs, "ClusterRoleBinding", "aisec-rt");
	cJSON *rule, *e, *subj;
	bool proxy_or_pods = false, bound = false;

	if (!ns)
		BAD("no Namespace aisec-system");
	if (!sa || strcmp(str_at(sa, "metadata.namespace") ?: "", "aisec-system"))
		BAD("no ServiceAccount aisec-rt in aisec-system");
	if (!role || !cJSON_IsArray(at(role, "rules")) || !cJSON_GetArraySize(at(role, "rules")))
		BAD("no ClusterRole aisec-rt with rules");
	cJSON_ArrayForEach(rule, at(role, "rules"))
	{
		cJSON *verbs = at(rule, "verbs");

		if (!cJSON_IsArray(verbs) || !cJSON_GetArraySize(verbs))
			BAD("ClusterRole rule without verbs");
		cJSON_ArrayForEach(e, verbs)
		{
			const char *v = cJSON_GetStringValue(e);

			if (!v || (strcmp(v, "get") && strcmp(v, "list") && strcmp(v, "watch")))
				BAD("ClusterRole verb \"%s\" is more than read-only (get/list/watch)", v ? v : "?");
		}
		if (str_in_array(at(rule, "resources"), "*") || str_in_array(at(rule, "apiGroups"), "*") ||
		    cJSON_GetObjectItemCaseSensitive(rule, "nonResourceURLs"))
			BAD("ClusterRole rule with a wildcard or nonResourceURLs");
		if (!str_in_array(at(rule, "apiGroups"), ""))
			BAD("ClusterRole rule outside the core API group");
		cJSON_ArrayForEach(e, at(rule, "resources"))
		{
			const char *r = cJSON_GetStringValue(e);

			if (!r || (strcmp(r, "pods") && strcmp(r, "nodes/proxy") && strcmp(r, "nodes/pods")))
				BAD("ClusterRole grants resource \"%s\", not needed", r ? r : "?");
			if (!strcmp(r, "nodes/proxy") || !strcmp(r, "nodes/pods")) {
				proxy_or_pods = true;
				if (cJSON_GetArraySize(at(rule, "verbs")) != 1 ||
				    !str_in_array(at(rule, "verbs"), "get"))
					BAD("the kubelet's /pods needs only get on %s", r);
			}
		}
	}
	if (!proxy_or_pods)
		BAD("ClusterRole cannot read the kubelet's /pods (get nodes/proxy or nodes/pods)");
	if (!bind || strcmp(str_at(bind, "roleRef.kind") ?: "", "ClusterRole") ||
	    strcmp(str_at(bind, "roleRef.name") ?: "", "aisec-rt"))
		BAD("no ClusterRoleBinding of ClusterRole aisec-rt");
	cJSON_ArrayForEach(subj, at(bind, "subjects"))
	{
		if (!strcmp(str_at(subj, "kind") ?: "", "ServiceAccount") &&
		    !strcmp(str_at(subj, "name") ?: "", "aisec-rt") &&
		    !strcmp(str_at(subj, "namespace") ?: "", "aisec-system"))
			bound = true;
	}
	if (!bound)
		BAD("ClusterRoleBinding does not bind ServiceAccount aisec-system/aisec-rt");
	return 0;
}

/* ---- DaemonSet ---- */

struct want_mount {
	const char *host, *mount;
	bool ro;
};

static const struct want_mount host_mounts[] = {
    {"/sys/kernel/btf", "/sys/kernel/btf", true},
    {"/sys/kernel/tracing", "/sys/kernel/tracing", true},
    {"/sys/fs/cgroup", "/sys/fs/cgroup", true},
    {"/var/lib/aisec-rt/spool", "/var/lib/aisec-rt/spool", false},
    {"/run/containerd/io.containerd.runtime.v2.task", "/run/containerd/io.containerd.runtime.v2.task", true},
    {"/run/containers/storage/overlay-containers", "/run/containers/storage/overlay-containers", true},
    {"/var/lib/docker/containers", "/var/lib/docker/containers", true},
};

static cJSON *volume_named(cJSON *pod, const char *name)
{
	cJSON *v;

	cJSON_ArrayForEach(v, at(pod, "volumes")) if (!strcmp(str_at(v, "name") ?: "", name)) return v;
	return NULL;
}

static int check_probe(cJSON *c, const char *which, bool host_net, char *why)
{
	cJSON *p = at(c, which);
	cJSON *port;

	if (!p)
		BAD("container has no %s", which);
	if (strcmp(str_at(p, "httpGet.path") ?: "", "/healthz"))
		BAD("%s is not an httpGet of /healthz", which);
	port = at(p, "httpGet.port");
	if (!(cJSON_IsNumber(port) && port->valueint == 9464) &&
	    !(cJSON_IsString(port) && !strcmp(port->valuestring, "metrics")))
		BAD("%s does not target port 9464", which);
	/* With hostNetwork the agent listens on the node's loopback: the probe must say so. */
	if (host_net && strcmp(str_at(p, "httpGet.host") ?: "", "127.0.0.1"))
		BAD("%s: with hostNetwork the agent listens on 127.0.0.1, so httpGet.host must be 127.0.0.1", which);
	return 0;
}

static int check_daemonset(cJSON *docs, const char *sa_name, const char *rules_dir, char *why)
{
	cJSON *ds = find_doc(docs, "DaemonSet", "aisec-rt");
	cJSON *pod, *c, *sc, *caps, *e, *m, *v, *args, *tol;
	bool host_net, tol_all = false, config_ok = false, rules_ok = false;
	size_t i, nhost = 0;

	if (!ds || strcmp(str_at(ds, "metadata.namespace") ?: "", "aisec-system"))
		BAD("no DaemonSet aisec-rt in aisec-system");
	pod = at(ds, "spec.template.spec");
	if (!pod)
		BAD("DaemonSet has no pod spec");
	if (!cJSON_IsTrue(at(pod, "hostPID")))
		BAD("hostPID is not true");
	host_net = cJSON_IsTrue(at(pod, "hostNetwork"));
	if (strcmp(str_at(pod, "serviceAccountName") ?: "", sa_name))
		BAD("serviceAccountName is not the RBAC ServiceAccount %s", sa_name);
	if (strcmp(str_at(pod, "priorityClassName") ?: "", "system-node-critical"))
		BAD("priorityClassName is not system-node-critical");
	cJSON_ArrayForEach(tol, at(pod, "tolerations"))
	{
		if (!strcmp(str_at(tol, "operator") ?: "", "Exists") && !at(tol, "key") && !at(tol, "effect"))
			tol_all = true;
	}
	if (!tol_all)
		BAD("no toleration of every taint (operator Exists without key or effect)");
	if (strcmp(str_at(pod, "securityContext.seccompProfile.type") ?: "", "RuntimeDefault"))
		BAD("pod seccompProfile is not RuntimeDefault");
	if (cJSON_GetArraySize(at(pod, "containers")) != 1)
		BAD("expected exactly one container");
	if (at(pod, "initContainers") || at(pod, "ephemeralContainers"))
		BAD("unexpected init or ephemeral containers");
	c = cJSON_GetArrayItem(at(pod, "containers"), 0);
	args = at(c, "args");
	if (cJSON_GetArraySize(args) != 3 || strcmp(cJSON_GetArrayItem(args, 0)->valuestring ?: "", "run") ||
	    strcmp(cJSON_GetArrayItem(args, 1)->valuestring ?: "", "--config") ||
	    strcmp(cJSON_GetArrayItem(args, 2)->valuestring ?: "", "/etc/aisec-rt/config.json"))
		BAD("args are not run --config /etc/aisec-rt/config.json");
	sc = at(c, "securityContext");
	if (!sc)
		BAD("container has no securityContext");
	if (cJSON_IsTrue(at(sc, "privileged")))
		BAD("container is privileged");
	if (!cJSON_IsFalse(at(sc, "allowPrivilegeEscalation")))
		BAD("allowPrivilegeEscalation is not false");
	if (!cJSON_IsTrue(at(sc, "readOnlyRootFilesystem")))
		BAD("readOnlyRootFilesystem is not true");
	if (!cJSON_IsNumber(at(sc, "runAsUser")) || at(sc, "runAsUser")->valueint != 0)
		BAD("runAsUser is not 0 (added capabilities reach only uid 0's effective set)");
	if (at(sc, "seccompProfile") && strcmp(str_at(sc, "seccompProfile.type") ?: "", "RuntimeDefault"))
		BAD("container seccompProfile overrides RuntimeDefault");
	caps = at(sc, "capabilities");
	if (cJSON_GetArraySize(at(caps, "drop")) != 1 || !str_in_array(at(caps, "drop"), "ALL"))
		BAD("capabilities.drop is not [ALL]");
	if ((size_t)cJSON_GetArraySize(at(caps, "add")) != N(k8s_caps))
		BAD("capabilities.add has %d entries, expected the %zu documented", cJSON_GetArraySize(at(caps, "add")),
		    N(k8s_caps));
	for (i = 0; i < N(k8s_caps); i++)
		if (!str_in_array(at(caps, "add"), k8s_caps[i]))
			BAD("capabilities.add lacks %s", k8s_caps[i]);
	if (check_probe(c, "livenessProbe", host_net, why) || check_probe(c, "readinessProbe", host_net, why))
		return -1;
	if (strcmp(str_at(c, "resources.requests.cpu") ?: "", "100m") ||
	    strcmp(str_at(c, "resources.limits.cpu") ?: "", "500m") ||
	    strcmp(str_at(c, "resources.requests.memory") ?: "", "64Mi") ||
	    strcmp(str_at(c, "resources.limits.memory") ?: "", "256Mi"))
		BAD("resources are not requests 100m/64Mi, limits 500m/256Mi");

	/* Exactly the documented hostPaths, each mounted once at its place with its readOnly flag. */
	cJSON_ArrayForEach(v, at(pod, "volumes")) if (at(v, "hostPath")) nhost++;
	if (nhost != N(host_mounts))
		BAD("%zu hostPath volumes, expected exactly %zu", nhost, N(host_mounts));
	for (i = 0; i < N(host_mounts); i++) {
		const struct want_mount *w = &host_mounts[i];
		bool found = false;

		cJSON_ArrayForEach(m, at(c, "volumeMounts"))
		{
			cJSON *vol = volume_named(pod, str_at(m, "name") ?: "");

			if (!vol || strcmp(str_at(vol, "hostPath.path") ?: "", w->host))
				continue;
			if (found)
				BAD("hostPath %s mounted twice", w->host);
			found = true;
			if (strcmp(str_at(m, "mountPath") ?: "", w->mount))
				BAD("hostPath %s is mounted at %s, expected %s", w->host, str_at(m, "mountPath") ?: "?",
				    w->mount);
			if (cJSON_IsTrue(at(m, "readOnly")) != w->ro)
				BAD("hostPath %s must be mounted %s", w->host, w->ro ? "readOnly" : "read-write");
		}
		if (!found)
			BAD("hostPath %s is not mounted", w->host);
	}
	cJSON_ArrayForEach(m, at(c, "volumeMounts"))
	{
		cJSON *vol = volume_named(pod, str_at(m, "name") ?: "");
		const char *cm = vol ? str_at(vol, "configMap.name") : NULL;

		if (!vol)
			BAD("volumeMount %s has no volume", str_at(m, "name") ?: "?");
		if (cm && !strcmp(cm, "aisec-rt")) {
			if (strcmp(str_at(m, "mountPath") ?: "", "/etc/aisec-rt") || !cJSON_IsTrue(at(m, "readOnly")))
				BAD("ConfigMap aisec-rt is not mounted read-only at /etc/aisec-rt");
			config_ok = true;
		}
		if (cm && !strcmp(cm, "aisec-rt-rules")) {
			if (strcmp(str_at(m, "mountPath") ?: "", rules_dir) || !cJSON_IsTrue(at(m, "readOnly")))
				BAD("ConfigMap aisec-rt-rules is not mounted read-only at the config's rules_dir %s",
				    rules_dir);
			rules_ok = true;
		}
	}
	if (!config_ok || !rules_ok)
		BAD("ConfigMaps aisec-rt and aisec-rt-rules are not both mounted");
	(void)e;
	return 0;
}

/* ---- ConfigMap ---- */

/* Checks the ConfigMaps against rules/ and returns the config's rules_dir in rules_dir. */
static int check_configmap(cJSON *docs, char *rules_dir, size_t rd_len, char *why)
{
	cJSON *cm = find_doc(docs, "ConfigMap", "aisec-rt");
	cJSON *rcm = find_doc(docs, "ConfigMap", "aisec-rt-rules");
	cJSON *cfg, *svc, *e;
	char *dir;
	struct dirent *de;
	DIR *d;
	int nfiles = 0;
	const char *rd;

	if (!cm || !rcm)
		BAD("ConfigMaps aisec-rt and aisec-rt-rules are not both there");
	if (strcmp(str_at(cm, "metadata.namespace") ?: "", "aisec-system") ||
	    strcmp(str_at(rcm, "metadata.namespace") ?: "", "aisec-system"))
		BAD("ConfigMaps are not in aisec-system");
	cfg = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(at(cm, "data"), "config.json")) ?: "");
	if (!cfg)
		BAD("config.json is missing or not valid JSON");
	svc = cJSON_GetArrayItem(at(cfg, "services"), 0);
	if (!svc || !str_at(svc, "name") || !str_at(svc, "match.namespace") ||
	    !cJSON_IsObject(at(svc, "match.pod_labels")) || !cJSON_GetArraySize(at(svc, "match.pod_labels"))) {
		cJSON_Delete(cfg);
		BAD("config.json has no service selected by namespace and pod labels");
	}
	rd = str_at(cfg, "rules_dir");
	if (!rd) {
		cJSON_Delete(cfg);
		BAD("config.json has no rules_dir");
	}
	snprintf(rules_dir, rd_len, "%s", rd);
	cJSON_Delete(cfg);

	dir = path_of("rules");
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char rel[512];
		char *text;
		cJSON *want, *got;
		bool same;

		if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		nfiles++;
		snprintf(rel, sizeof(rel), "rules/%s", de->d_name);
		got = cJSON_Parse(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(at(rcm, "data"), de->d_name))
				      ?: "");
		if (!got) {
			closedir(d);
			free(dir);
			BAD("ConfigMap aisec-rt-rules lacks %s or it is not valid JSON (run gen-configmap.sh)", rel);
		}
		text = slurp(rel);
		want = cJSON_Parse(text);
		free(text);
		assert_non_null(want);
		same = cJSON_Compare(want, got, true);
		cJSON_Delete(want);
		cJSON_Delete(got);
		if (!same) {
			set_why(why, "ConfigMap key %s differs from %s (run deploy/kubernetes/gen-configmap.sh)",
				de->d_name, rel);
			closedir(d);
			free(dir);
			return -1;
		}
	}
	closedir(d);
	free(dir);
	if (nfiles == 0)
		BAD("no rules/*.json found");
	if (cJSON_GetArraySize(at(rcm, "data")) != nfiles)
		BAD("ConfigMap aisec-rt-rules has %d keys for %d rules files", cJSON_GetArraySize(at(rcm, "data")),
		    nfiles);
	cJSON_ArrayForEach(e, at(cm, "data")) if (strcmp(e->string, "config.json"))
	    BAD("ConfigMap aisec-rt has an unexpected key %s", e->string);
	return 0;
}

/* ---- systemd unit ---- */

/* The value of the last "Key=" line (systemd: later assignments win), or NULL. */
static const char *unit_value(const char *text, const char *key, char *buf, size_t len)
{
	const char *line = text, *found = NULL;
	size_t klen = strlen(key);

	while (line && *line) {
		if (!strncmp(line, key, klen) && line[klen] == '=')
			found = line + klen + 1;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	if (!found)
		return NULL;
	snprintf(buf, len, "%.*s", (int)strcspn(found, "\n"), found);
	return buf;
}

static bool word_in(const char *list, const char *word)
{
	char buf[1024], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		if (!strcmp(tok, word))
			return true;
	return false;
}

static size_t word_count(const char *list)
{
	char buf[1024], *save = NULL;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save))
		n++;
	return n;
}

static int check_unit(const char *text, char *why)
{
	char v[1024];
	size_t i;

	if (!unit_value(text, "ExecStart", v, sizeof(v)) ||
	    strcmp(v, "/usr/local/bin/aisec-rt run --config /etc/aisec-rt/config.json"))
		BAD("ExecStart is not aisec-rt run --config /etc/aisec-rt/config.json");
	if (!unit_value(text, "CapabilityBoundingSet", v, sizeof(v)) || word_count(v) != N(unit_caps))
		BAD("CapabilityBoundingSet is not exactly the %zu documented capabilities", N(unit_caps));
	for (i = 0; i < N(unit_caps); i++)
		if (!word_in(v, unit_caps[i]))
			BAD("CapabilityBoundingSet lacks %s", unit_caps[i]);
	if (unit_value(text, "AmbientCapabilities", v, sizeof(v)))
		for (i = 0; i < N(unit_caps); i++)
			if (word_count(v) != N(unit_caps) || !word_in(v, unit_caps[i]))
				BAD("AmbientCapabilities differs from CapabilityBoundingSet");
	/* CAP_SYS_RESOURCE is left out only because the memlock limit is lifted. */
	if (!unit_value(text, "LimitMEMLOCK", v, sizeof(v)) || strcmp(v, "infinity"))
		BAD("LimitMEMLOCK is not infinity (needed without CAP_SYS_RESOURCE on kernels before 5.11)");
	if (!unit_value(text, "ProtectSystem", v, sizeof(v)) || strcmp(v, "strict"))
		BAD("ProtectSystem is not strict");
	if (!unit_value(text, "ReadWritePaths", v, sizeof(v)) || !word_in(v, "/var/lib/aisec-rt"))
		BAD("ReadWritePaths lacks /var/lib/aisec-rt");
	if (!unit_value(text, "StateDirectory", v, sizeof(v)) || strcmp(v, "aisec-rt"))
		BAD("StateDirectory is not aisec-rt");
	if (!unit_value(text, "Restart", v, sizeof(v)) || strcmp(v, "on-failure"))
		BAD("Restart is not on-failure");
	if (!unit_value(text, "NoNewPrivileges", v, sizeof(v)) || strcmp(v, "yes"))
		BAD("NoNewPrivileges is not yes");
	if (unit_value(text, "SystemCallFilter", v, sizeof(v)) &&
	    (!word_in(v, "bpf") || !word_in(v, "perf_event_open") || v[0] == '~'))
		BAD("SystemCallFilter does not allow bpf and perf_event_open");
	/* Options that would break the agent. */
	if (unit_value(text, "PrivateUsers", v, sizeof(v)) && strcmp(v, "no"))
		BAD("PrivateUsers breaks bpf()");
	if (unit_value(text, "ProtectProc", v, sizeof(v)) && strcmp(v, "default"))
		BAD("ProtectProc hides the processes the agent watches");
	if (unit_value(text, "User", v, sizeof(v)) && strcmp(v, "root"))
		BAD("User is not root");
	return 0;
}

/* ---- Dockerfile ---- */

/* The packages of every "apt-get install" in text (a stage), space-separated, into out. */
static void apt_packages(const char *text, char *out, size_t len)
{
	const char *p = text;

	out[0] = '\0';
	while ((p = strstr(p, "apt-get install"))) {
		char buf[2048], *save = NULL, *tok;
		size_t n = strcspn(p + 15, "&;|");

		snprintf(buf, sizeof(buf), "%.*s", (int)n, p + 15);
		for (tok = strtok_r(buf, " \t\n\\", &save); tok; tok = strtok_r(NULL, " \t\n\\", &save)) {
			if (tok[0] == '-')
				continue;
			strncat(out, tok, len - strlen(out) - 2);
			strcat(out, " ");
		}
		p += 15 + n;
	}
}

static int check_dockerfile(const char *text, char *why)
{
	const char *p, *last_from = NULL, *first_from = NULL;
	char pkgs[4096], line[256];
	size_t i, nfrom = 0;

	for (p = text; (p = strstr(p, "FROM ")); p++) {
		if (p != text && p[-1] != '\n')
			continue;
		if (!first_from)
			first_from = p;
		last_from = p;
		nfrom++;
	}
	if (nfrom != 2)
		BAD("expected two stages (build and runtime), found %zu FROM lines", nfrom);
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(first_from, "\n"), first_from);
	if (strcmp(line, "FROM debian:12 AS build"))
		BAD("build stage is not \"FROM debian:12 AS build\"");
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(last_from, "\n"), last_from);
	if (strcmp(line, "FROM debian:12"))
		BAD("runtime stage is not \"FROM debian:12\"");
	apt_packages(last_from, pkgs, sizeof(pkgs));
	if (word_count(pkgs) != N(runtime_pkgs))
		BAD("runtime stage installs %zu packages (%s), expected only the %zu runtime ones", word_count(pkgs),
		    pkgs, N(runtime_pkgs));
	for (i = 0; i < N(runtime_pkgs); i++)
		if (!word_in(pkgs, runtime_pkgs[i]))
			BAD("runtime stage does not install %s", runtime_pkgs[i]);
	apt_packages(first_from, pkgs, sizeof(pkgs)); /* both stages: the build one must have the headers */
	if (!word_in(pkgs, "libbpf-dev") || !word_in(pkgs, "clang") || !word_in(pkgs, "bpftool"))
		BAD("build stage lacks the build dependencies");
	if (!strstr(last_from, "COPY --from=build /staging/usr/local/bin/aisec-rt /usr/local/bin/aisec-rt") ||
	    !strstr(last_from, "/usr/local/share/aisec-rt/rules/"))
		BAD("runtime stage does not copy the binary and the rules from the build stage");
	if (!strstr(last_from, "\nENTRYPOINT [\"/usr/local/bin/aisec-rt\"]"))
		BAD("no ENTRYPOINT [\"/usr/local/bin/aisec-rt\"]");
	return 0;
}

/* ---- tests: the real files pass ---- */

struct manifests {
	cJSON *rbac, *ds, *cm;
	char rules_dir[256];
};

static int setup(void **state)
{
	struct manifests *m = calloc(1, sizeof(*m));
	char why[WHY];

	assert_non_null(m);
	m->rbac = load_yaml("deploy/kubernetes/rbac.yaml");
	m->ds = load_yaml("deploy/kubernetes/daemonset.yaml");
	m->cm = load_yaml("deploy/kubernetes/configmap.yaml");
	if (check_configmap(m->cm, m->rules_dir, sizeof(m->rules_dir), why))
		snprintf(m->rules_dir, sizeof(m->rules_dir), "?");
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	struct manifests *m = *state;

	cJSON_Delete(m->rbac);
	cJSON_Delete(m->ds);
	cJSON_Delete(m->cm);
	free(m);
	return 0;
}

#define PASSES(expr)                                                                                                   \
	do {                                                                                                           \
		char why[WHY] = "";                                                                                    \
		if ((expr) != 0)                                                                                       \
			fail_msg("%s", why);                                                                           \
	} while (0)

static void test_rbac(void **state)
{
	struct manifests *m = *state;

	PASSES(check_rbac(m->rbac, why));
}

static void test_daemonset(void **state)
{
	struct manifests *m = *state;

	PASSES(check_daemonset(m->ds, "aisec-rt", m->rules_dir, why));
}

static void test_configmap(void **state)
{
	struct manifests *m = *state;
	char rd[256];

	PASSES(check_configmap(m->cm, rd, sizeof(rd), why));
}

static void test_unit(void **state)
{
	char *text = slurp("deploy/systemd/aisec-rt.service");

	PASSES(check_unit(text, why));
	free(text);
}

static void test_dockerfile(void **state)
{
	char *text = slurp("deploy/docker/Dockerfile");

	PASSES(check_dockerfile(text, why));
	free(text);
}

/* ---- tests: each requirement, broken on a copy, is caught ---- */

/* Expects check to fail with a reason containing want. */
static void expect_fail(int rc, const char *why, const char *want, const char *what)
{
	if (rc == 0)
		fail_msg("breaking \"%s\" went unnoticed", what);
	if (!strstr(why, want))
		fail_msg("breaking \"%s\" failed for another reason: %s", what, why);
}

static cJSON *ds_pod(cJSON *docs)
{
	return at(find_doc(docs, "DaemonSet", "aisec-rt"), "spec.template.spec");
}

static cJSON *ds_container(cJSON *docs)
{
	return cJSON_GetArrayItem(at(ds_pod(docs), "containers"), 0);
}

static cJSON *mount_of(cJSON *docs, const char *mount_path)
{
	cJSON *m;

	cJSON_ArrayForEach(
	    m, at(ds_container(docs), "volumeMounts")) if (!strcmp(str_at(m, "mountPath") ?: "", mount_path)) return m;
	fail_msg("no volumeMount at %s", mount_path);
	return NULL;
}

enum ds_break {
	HOSTPID_FALSE,
	PRIVILEGED,
	ADD_SYS_ADMIN,
	REMOVE_CAP,
	DROP_NOT_ALL,
	ROOTFS_RW,
	ESCALATION,
	NON_ROOT,
	SECCOMP_UNCONFINED,
	BTF_RW,
	TRACING_RW,
	CGROUP_RW,
	SPOOL_RO,
	NO_CGROUP,
	EXTRA_HOSTPATH,
	PROBE_PATH,
	NO_LIVENESS,
	NO_READINESS,
	PROBE_NO_HOST,
	SA_NAME,
	RESOURCES,
	NO_TOLERATION,
	PRIORITY,
	ARGS,
	RULES_MOUNT,
	DS_BREAKS
};

static const struct {
	const char *what, *want;
} ds_breaks[DS_BREAKS] = {
    [HOSTPID_FALSE] = {"hostPID false", "hostPID"},
    [PRIVILEGED] = {"privileged: true", "privileged"},
    [ADD_SYS_ADMIN] = {"add SYS_ADMIN", "capabilities.add has"},
    [REMOVE_CAP] = {"replace PERFMON by SYS_ADMIN", "lacks PERFMON"},
    [DROP_NOT_ALL] = {"drop [NET_RAW]", "capabilities.drop"},
    [ROOTFS_RW] = {"readOnlyRootFilesystem false", "readOnlyRootFilesystem"},
    [ESCALATION] = {"allowPrivilegeEscalation true", "allowPrivilegeEscalation"},
    [NON_ROOT] = {"runAsUser 1000", "runAsUser"},
    [SECCOMP_UNCONFINED] = {"seccomp Unconfined", "seccompProfile"},
    [BTF_RW] = {"btf read-write", "/sys/kernel/btf must be mounted readOnly"},
    [TRACING_RW] = {"tracefs read-write", "/sys/kernel/tracing must be mounted readOnly"},
    [CGROUP_RW] = {"cgroup read-write", "/sys/fs/cgroup must be mounted readOnly"},
    [SPOOL_RO] = {"spool read-only", "/var/lib/aisec-rt/spool must be mounted read-write"},
    [NO_CGROUP] = {"cgroup hostPath moved to /sys/fs/cgroup/unified", "hostPath /sys/fs/cgroup is not mounted"},
    [EXTRA_HOSTPATH] = {"an extra /sys/fs/bpf hostPath", "hostPath volumes"},
    [PROBE_PATH] = {"liveness on /", "livenessProbe is not an httpGet of /healthz"},
    [NO_LIVENESS] = {"no livenessProbe", "no livenessProbe"},
    [NO_READINESS] = {"no readinessProbe", "no readinessProbe"},
    [PROBE_NO_HOST] = {"readiness without host 127.0.0.1", "httpGet.host"},
    [SA_NAME] = {"serviceAccountName default", "serviceAccountName"},
    [RESOURCES] = {"memory limit 1Gi", "resources"},
    [NO_TOLERATION] = {"no tolerations", "toleration"},
    [PRIORITY] = {"no priorityClassName", "priorityClassName"},
    [ARGS] = {"args watch", "args"},
    [RULES_MOUNT] = {"rules mounted elsewhere", "rules_dir"},
};

static void break_ds(cJSON *docs, enum ds_break b)
{
	cJSON *pod = ds_pod(docs), *c = ds_container(docs), *sc = at(c, "securityContext");
	cJSON *caps = at(sc, "capabilities"), *v;

	switch (b) {
	case HOSTPID_FALSE:
		cJSON_ReplaceItemInObjectCaseSensitive(pod, "hostPID", cJSON_CreateFalse());
		break;
	case PRIVILEGED:
		cJSON_ReplaceItemInObjectCaseSensitive(sc, "privileged", cJSON_CreateTrue());
		break;
	case ADD_SYS_ADMIN:
		cJSON_AddItemToArray(at(caps, "add"), cJSON_CreateString("SYS_ADMIN"));
		break;
	case REMOVE_CAP:
		cJSON_ArrayForEach(v, at(caps, "add")) if (!strcmp(v->valuestring, "PERFMON"))
		    cJSON_SetValuestring(v, "SYS_ADMIN");
		break;
	case DROP_NOT_ALL:
		cJSON_ReplaceItemInObjectCaseSensitive(caps, "drop",
						       cJSON_CreateStringArray((const char *[]){"NET_RAW"}, 1));
		break;
	case ROOTFS_RW:
		cJSON_ReplaceItemInObjectCaseSensitive(sc, "readOnlyRootFilesystem", cJSON_CreateFalse());
		break;
	case ESCALATION:
		cJSON_ReplaceItemInObjectCaseSensitive(sc, "allowPrivilegeEscalation", cJSON_CreateTrue());
		break;
	case NON_ROOT:
		cJSON_ReplaceItemInObjectCaseSensitive(sc, "runAsUser", cJSON_CreateNumber(1000));
		break;
	case SECCOMP_UNCONFINED:
		cJSON_SetValuestring(at(pod, "securityContext.seccompProfile.type"), "Unconfined");
		break;
	case BTF_RW:
		cJSON_ReplaceItemInObjectCaseSensitive(mount_of(docs, "/sys/kernel/btf"), "readOnly",
						       cJSON_CreateFalse());
		break;
	case TRACING_RW:
		cJSON_DeleteItemFromObjectCaseSensitive(mount_of(docs, "/sys/kernel/tracing"), "readOnly");
		break;
	case CGROUP_RW:
		cJSON_ReplaceItemInObjectCaseSensitive(mount_of(docs, "/sys/fs/cgroup"), "readOnly",
						       cJSON_CreateFalse());
		break;
	case SPOOL_RO:
		cJSON_ReplaceItemInObjectCaseSensitive(mount_of(docs, "/var/lib/aisec-rt/spool"), "readOnly",
						       cJSON_CreateTrue());
		break;
	case NO_CGROUP:
		cJSON_SetValuestring(
		    at(volume_named(pod, str_at(mount_of(docs, "/sys/fs/cgroup"), "name")), "hostPath.path"),
		    "/sys/fs/cgroup/unified");
		break;
	case EXTRA_HOSTPATH:
		v = cJSON_Parse("{\"name\":\"bpffs\",\"hostPath\":{\"path\":\"/sys/fs/bpf\"}}");
		cJSON_AddItemToArray(at(pod, "volumes"), v);
		break;
	case PROBE_PATH:
		cJSON_SetValuestring(at(c, "livenessProbe.httpGet.path"), "/");
		break;
	case NO_LIVENESS:
		cJSON_DeleteItemFromObjectCaseSensitive(c, "livenessProbe");
		break;
	case NO_READINESS:
		cJSON_DeleteItemFromObjectCaseSensitive(c, "readinessProbe");
		break;
	case PROBE_NO_HOST:
		cJSON_DeleteItemFromObjectCaseSensitive(at(c, "readinessProbe.httpGet"), "host");
		break;
	case SA_NAME:
		cJSON_SetValuestring(at(pod, "serviceAccountName"), "default");
		break;
	case RESOURCES:
		cJSON_SetValuestring(at(c, "resources.limits.memory"), "1Gi");
		break;
	case NO_TOLERATION:
		cJSON_DeleteItemFromObjectCaseSensitive(pod, "tolerations");
		break;
	case PRIORITY:
		cJSON_DeleteItemFromObjectCaseSensitive(pod, "priorityClassName");
		break;
	case ARGS:
		cJSON_SetValuestring(cJSON_GetArrayItem(at(c, "args"), 0), "watch");
		break;
	case RULES_MOUNT:
		cJSON_ArrayForEach(v,
				   at(pod, "volumes")) if (!strcmp(str_at(v, "configMap.name") ?: "", "aisec-rt-rules"))
		{
			cJSON *mm;
			cJSON_ArrayForEach(
			    mm, at(c, "volumeMounts")) if (!strcmp(str_at(mm, "name") ?: "", str_at(v, "name")))
			    cJSON_SetValuestring(at(mm, "mountPath"), "/opt/rules");
		}
		break;
	case DS_BREAKS:
		break;
	}
}

static void test_daemonset_breaks_caught(void **state)
{
	struct manifests *m = *state;

	for (int b = 0; b < DS_BREAKS; b++) {
		cJSON *copy = cJSON_Duplicate(m->ds, true);
		char why[WHY] = "";

		assert_non_null(ds_breaks[b].what);
		break_ds(copy, (enum ds_break)b);
		expect_fail(check_daemonset(copy, "aisec-rt", m->rules_dir, why), why, ds_breaks[b].want,
			    ds_breaks[b].what);
		cJSON_Delete(copy);
	}
}

static void test_rbac_breaks_caught(void **state)
{
	struct manifests *m = *state;
	static const struct {
		const char *doc, *what, *patch, *want;
	} breaks[] = {
	    {"ClusterRole", "verbs [*]", "{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"*\"]}",
	     "verb \"*\""},
	    {"ClusterRole", "delete pods", "{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"delete\"]}",
	     "verb \"delete\""},
	    {"ClusterRole", "create pods", "{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"create\"]}",
	     "verb \"create\""},
	    {"ClusterRole", "resources [*]", "{\"apiGroups\":[\"\"],\"resources\":[\"*\"],\"verbs\":[\"get\"]}",
	     "wildcard"},
	    {"ClusterRole", "read secrets", "{\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"verbs\":[\"get\"]}",
	     "secrets"},
	    {"ClusterRole", "list nodes/proxy",
	     "{\"apiGroups\":[\"\"],\"resources\":[\"nodes/proxy\"],\"verbs\":[\"get\",\"list\"]}", "needs only get"},
	};
	char why[WHY];
	cJSON *copy, *r;

	for (size_t i = 0; i < N(breaks); i++) {
		copy = cJSON_Duplicate(m->rbac, true);
		cJSON_AddItemToArray(at(find_doc(copy, breaks[i].doc, "aisec-rt"), "rules"),
				     cJSON_Parse(breaks[i].patch));
		why[0] = '\0';
		expect_fail(check_rbac(copy, why), why, breaks[i].want, breaks[i].what);
		cJSON_Delete(copy);
	}
	/* Without the kubelet rule. */
	copy = cJSON_Duplicate(m->rbac, true);
	r = at(find_doc(copy, "ClusterRole", "aisec-rt"), "rules");
	while (cJSON_GetArraySize(r) > 0)
		cJSON_DeleteItemFromArray(r, 0);
	cJSON_AddItemToArray(r, cJSON_Parse("{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}"));
	expect_fail(check_rbac(copy, why), why, "kubelet", "no nodes/proxy or nodes/pods");
	cJSON_Delete(copy);
	/* Binding to another account. */
	copy = cJSON_Duplicate(m->rbac, true);
	cJSON_SetValuestring(
	    at(cJSON_GetArrayItem(at(find_doc(copy, "ClusterRoleBinding", "aisec-rt"), "subjects"), 0), "name"),
	    "default");
	expect_fail(check_rbac(copy, why), why, "does not bind", "binding to default");
	cJSON_Delete(copy);
}

static void test_configmap_breaks_caught(void **state)
{
	struct manifests *m = *state;
	char why[WHY], rd[256];
	cJSON *copy, *data;

	copy = cJSON_Duplicate(m->cm, true);
	cJSON_SetValuestring(
	    cJSON_GetObjectItemCaseSensitive(at(find_doc(copy, "ConfigMap", "aisec-rt"), "data"), "config.json"),
	    "{\"services\": [");
	expect_fail(check_configmap(copy, rd, sizeof(rd), why), why, "not valid JSON", "truncated config.json");
	cJSON_Delete(copy);

	copy = cJSON_Duplicate(m->cm, true);
	data = at(find_doc(copy, "ConfigMap", "aisec-rt-rules"), "data");
	cJSON_DeleteItemFromObjectCaseSensitive(data, "sqli.json");
	expect_fail(check_configmap(copy, rd, sizeof(rd), why), why, "lacks rules/sqli.json", "sqli.json missing");
	cJSON_Delete(copy);

	copy = cJSON_Duplicate(m->cm, true);
	data = at(find_doc(copy, "ConfigMap", "aisec-rt-rules"), "data");
	cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(data, "ssrf.json"), "{}");
	expect_fail(check_configmap(copy, rd, sizeof(rd), why), why, "differs", "stale ssrf.json");
	cJSON_Delete(copy);

	copy = cJSON_Duplicate(m->cm, true);
	data = at(find_doc(copy, "ConfigMap", "aisec-rt-rules"), "data");
	cJSON_AddStringToObject(data, "old.json", "{}");
	expect_fail(check_configmap(copy, rd, sizeof(rd), why), why, "keys for", "a rules key with no file");
	cJSON_Delete(copy);

	copy = cJSON_Duplicate(m->cm, true);
	cJSON_SetValuestring(
	    cJSON_GetObjectItemCaseSensitive(at(find_doc(copy, "ConfigMap", "aisec-rt"), "data"), "config.json"),
	    "{\"services\":[{\"name\":\"x\",\"match\":{\"exe\":\"/bin/*\"}}],"
	    "\"rules_dir\":\"/r\"}");
	expect_fail(check_configmap(copy, rd, sizeof(rd), why), why, "namespace and pod labels", "no k8s selection");
	cJSON_Delete(copy);
}

/* Replaces the first occurrence of from by to in a copy of text. */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	char *out;

	if (!p)
		fail_msg("\"%s\" not found to replace", from);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from)) > 0);
	return out;
}

static void test_unit_breaks_caught(void **state)
{
	static const struct {
		const char *from, *to, *want;
	} breaks[] = {
	    {"\nCapabilityBoundingSet=CAP_BPF ", "\nCapabilityBoundingSet=CAP_SYS_ADMIN CAP_BPF ", "exactly"},
	    {"\nCapabilityBoundingSet=CAP_BPF CAP_PERFMON", "\nCapabilityBoundingSet=CAP_BPF CAP_SYS_ADMIN",
	     "lacks CAP_PERFMON"},
	    {"\nAmbientCapabilities=CAP_BPF", "\nAmbientCapabilities=CAP_NET_ADMIN", "AmbientCapabilities"},
	    {"\nLimitMEMLOCK=infinity", "\nLimitMEMLOCK=64K", "LimitMEMLOCK"},
	    {"\nProtectSystem=strict", "\nProtectSystem=full", "ProtectSystem"},
	    {"\nReadWritePaths=/var/lib/aisec-rt", "\nReadWritePaths=/var/tmp", "ReadWritePaths"},
	    {"\nStateDirectory=aisec-rt", "\nStateDirectory=other", "StateDirectory"},
	    {"\nRestart=on-failure", "\nRestart=no", "Restart"},
	    {"\nNoNewPrivileges=yes", "\nNoNewPrivileges=no", "NoNewPrivileges"},
	    {"\nSystemCallFilter=@system-service bpf perf_event_open", "\nSystemCallFilter=@system-service",
	     "SystemCallFilter"},
	    {"\nExecStart=/usr/local/bin/aisec-rt run", "\nExecStart=/usr/local/bin/aisec-rt watch", "ExecStart"},
	    {"\n[Install]", "\nPrivateUsers=yes\n[Install]", "PrivateUsers"},
	    {"\n[Install]", "\nProtectProc=invisible\n[Install]", "ProtectProc"},
	    {"\n[Install]", "\nUser=nobody\n[Install]", "User"},
	};
	char *text = slurp("deploy/systemd/aisec-rt.service");

	for (size_t i = 0; i < N(breaks); i++) {
		char *bad = replaced(text, breaks[i].from, breaks[i].to), why[WHY] = "";

		expect_fail(check_unit(bad, why), why, breaks[i].want, breaks[i].to);
		free(bad);
	}
	free(text);
}

static void test_dockerfile_breaks_caught(void **state)
{
	static const struct {
		const char *from, *to, *want;
	} breaks[] = {
	    {"libmicrohttpd12 ca-certificates", "libmicrohttpd12 ca-certificates gcc", "installs 10 packages"},
	    {"libmicrohttpd12 ca-certificates", "libmicrohttpd-dev ca-certificates",
	     "does not install libmicrohttpd12"},
	    {"librdkafka1 libcap2", "librdkafka1", "installs 8 packages"},
	    {"FROM debian:12\n", "FROM debian:11\n", "runtime stage"},
	    {"FROM debian:12 AS build", "FROM debian:12 AS builder", "build stage"},
	    {"\nENTRYPOINT", "\n# ENTRYPOINT", "ENTRYPOINT"},
	    {"COPY --from=build /staging/usr/local/bin/aisec-rt", "COPY build/aisec-rt", "copy the binary"},
	};
	char *text = slurp("deploy/docker/Dockerfile");

	for (size_t i = 0; i < N(breaks); i++) {
		char *bad = replaced(text, breaks[i].from, breaks[i].to), why[WHY] = "";

		expect_fail(check_dockerfile(bad, why), why, breaks[i].want, breaks[i].to);
		free(bad);
	}
	/* A third, single-stage-style image: everything in one FROM. */
	{
		char *bad = replaced(text, "\nFROM debian:12\n", "\n"), why[WHY] = "";

		expect_fail(check_dockerfile(bad, why), why, "two stages", "one stage");
		free(bad);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rbac),
	    cmocka_unit_test(test_daemonset),
	    cmocka_unit_test(test_configmap),
	    cmocka_unit_test(test_unit),
	    cmocka_unit_test(test_dockerfile),
	    cmocka_unit_test(test_daemonset_breaks_caught),
	    cmocka_unit_test(test_rbac_breaks_caught),
	    cmocka_unit_test(test_configmap_breaks_caught),
	    cmocka_unit_test(test_unit_breaks_caught),
	    cmocka_unit_test(test_dockerfile_breaks_caught),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
