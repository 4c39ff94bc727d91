/*
 * Unit tests for agent/config.c: a config giving every key, with every field
 * checked; a minimal config, with every default checked; a table of malformed
 * configs, each with the exact message expected (file, JSON path, problem, or
 * line:column for syntax errors) and errno; config__load on the shipped
 * deploy/config.example.json, a missing file, a directory and a file with a
 * syntax error. Run from the repository root.
 *
 * JSON in this file is written with ' for " (converted before parsing) so
 * that the tables stay readable; byte offsets do not change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

#define EXAMPLE_FILE "deploy/config.example.json"
#define SVC "'services':[{'name':'a','match':{'exe':'/x'}}]"
#define SVC_MATCH(m) "{'services':[{'name':'a','match':{" m "}}]}"
#define SVC_WITH(k) "{'services':[{'name':'a','match':{'exe':'/x'}," k "}]}"

/* s with every ' turned into " (caller frees). */
static char *dq(const char *s)
{
	char *out = strdup(s), *p;

	assert_non_null(out);
	for (p = out; *p; p++) {
		if (*p == '\'')
			*p = '"';
	}
	return out;
}

/* Parse s (with ' for ") as "t.json"; err receives the message. */
static struct config *parse(const char *s, char *err, size_t errlen)
{
	char *json = dq(s);
	struct config *c;

	c = config__parse("t.json", json, strlen(json), err, errlen);
	free(json);
	return c;
}

static void assert_kv(const struct config_kv *kv, const char *key, const char *value)
{
	assert_non_null(kv->key);
	assert_string_equal(kv->key, key);
	assert_string_equal(kv->value, value);
}

static const char full_config[] = "{\n"
				  " 'services': [\n"
				  "  { 'name': 'orders',\n"
				  "    'match': { 'namespace': 'shop',\n"
				  "               'pod_labels': {'app': 'orders', 'tier': ''},\n"
				  "               'image': 'registry/orders:*',\n"
				  "               'cgroup_prefix': '/kubepods.slice/kubepods-pod1',\n"
				  "               'exe': '/usr/bin/python3*',\n"
				  "               'cwd_prefix': '/srv/orders' },\n"
				  "    'findings': ['/etc/aisec/orders.sarif', '/etc/aisec/orders-2.sarif'],\n"
				  "    'source_root': '/srv/orders/src' },\n"
				  "  { 'name': 'billing-2', 'match': { 'exe': '/opt/billing' } }\n"
				  " ],\n"
				  " 'db': { 'ports': {'6432': 'postgres', '3307': 'mysql', '65535': 'mysql'},\n"
				  "         'sockets': {'/run/pg/*': 'postgres'},\n"
				  "         'payload_bytes': 16384, 'sql_text': 'full' },\n"
				  " 'sinks': { 'stdout': true, 'file': '/var/log/aisec/e.ndjson',\n"
				  "            'kafka': { 'brokers': 'k1:9092,k2:9092', 'topic': 'evidence',\n"
				  "                       'conf': {'security.protocol': 'ssl', 'acks': 'all'},\n"
				  "                       'spool_dir': '/var/spool/aisec',\n"
				  "                       'events_topic': 'events', 'events_rate': 2.5 } },\n"
				  " 'limits': { 'ringbuf_bytes': 4096, 'proc_cache': 100, 'sql_connections': 7,\n"
				  "             'spool_bytes': 1048576 },\n"
				  " 'rules_dir': '/etc/aisec/rules',\n"
				  " 'metrics': { 'listen': '[::1]:9100' },\n"
				  " 'kubelet': { 'url': 'http://node:10255/pods', 'token_file': '/t', 'ca_file': '/ca',\n"
				  "              'refresh_seconds': 5 }\n"
				  "}\n";

static void test_full_config(void **state)
{
	char err[512] = "x";
	struct config *c = parse(full_config, err, sizeof(err));
	const struct config_service *s;

	assert_string_equal(err, "");
	assert_non_null(c);
	assert_string_equal(c->file, "t.json");
	assert_int_equal(c->nservices, 2);
	s = &c->services[0];
	assert_string_equal(s->name, "orders");
	assert_string_equal(s->namespace_, "shop");
	assert_int_equal(s->nlabels, 2);
	assert_kv(&s->labels[0], "app", "orders");
	assert_kv(&s->labels[1], "tier", "");
	assert_string_equal(s->image, "registry/orders:*");
	assert_string_equal(s->cgroup_prefix, "/kubepods.slice/kubepods-pod1");
	assert_string_equal(s->exe, "/usr/bin/python3*");
	assert_string_equal(s->cwd_prefix, "/srv/orders");
	assert_int_equal(s->nfindings, 2);
	assert_string_equal(s->findings[0], "/etc/aisec/orders.sarif");
	assert_string_equal(s->findings[1], "/etc/aisec/orders-2.sarif");
	assert_string_equal(s->source_root, "/srv/orders/src");
	s = &c->services[1];
	assert_string_equal(s->name, "billing-2");
	assert_string_equal(s->exe, "/opt/billing");
	assert_null(s->namespace_);
	assert_null(s->image);
	assert_null(s->cgroup_prefix);
	assert_null(s->cwd_prefix);
	assert_null(s->source_root);
	assert_int_equal(s->nlabels, 0);
	assert_int_equal(s->nfindings, 0);

	assert_int_equal(c->ndb_ports, 3);
	assert_kv(&c->db_ports[0], "6432", "postgres");
	assert_kv(&c->db_ports[1], "3307", "mysql");
	assert_kv(&c->db_ports[2], "65535", "mysql");
	assert_int_equal(c->ndb_sockets, 1);
	assert_kv(&c->db_sockets[0], "/run/pg/*", "postgres");
	assert_int_equal(c->payload_bytes, 16384);
	assert_string_equal(c->sql_text, "full");

	assert_true(c->sink_stdout);
	assert_string_equal(c->sink_file, "/var/log/aisec/e.ndjson");
	assert_string_equal(c->kafka_brokers, "k1:9092,k2:9092");
	assert_string_equal(c->kafka_topic, "evidence");
	assert_int_equal(c->nkafka_conf, 2);
	assert_kv(&c->kafka_conf[0], "security.protocol", "ssl");
	assert_kv(&c->kafka_conf[1], "acks", "all");
	assert_string_equal(c->kafka_spool_dir, "/var/spool/aisec");
	assert_string_equal(c->kafka_events_topic, "events");
	assert_true(c->kafka_events_rate == 2.5);

	assert_int_equal(c->ringbuf_bytes, 4096);
	assert_int_equal(c->proc_cache, 100);
	assert_int_equal(c->sql_connections, 7);
	assert_int_equal(c->spool_bytes, 1048576);
	assert_string_equal(c->rules_dir, "/etc/aisec/rules");
	assert_string_equal(c->metrics_listen, "[::1]:9100");
	assert_string_equal(c->kubelet_url, "http://node:10255/pods");
	assert_string_equal(c->kubelet_token_file, "/t");
	assert_string_equal(c->kubelet_ca_file, "/ca");
	assert_int_equal(c->kubelet_refresh_seconds, 5);
	config__free(c);
}

static void test_minimal_config_defaults(void **state)
{
	char err[512] = "x";
	struct config *c = parse("{" SVC "}", err, sizeof(err));

	assert_string_equal(err, "");
	assert_non_null(c);
	assert_int_equal(c->nservices, 1);
	assert_string_equal(c->services[0].name, "a");
	assert_string_equal(c->services[0].exe, "/x");
	assert_int_equal(c->ndb_ports, 2);
	assert_kv(&c->db_ports[0], "5432", "postgres");
	assert_kv(&c->db_ports[1], "3306", "mysql");
	assert_int_equal(c->ndb_sockets, 2);
	assert_kv(&c->db_sockets[0], ".s.PGSQL.*", "postgres");
	assert_kv(&c->db_sockets[1], "*mysql*.sock", "mysql");
	assert_int_equal(c->payload_bytes, 4096);
	assert_string_equal(c->sql_text, "redacted");
	assert_false(c->sink_stdout);
	assert_null(c->sink_file);
	assert_null(c->kafka_brokers);
	assert_null(c->kafka_topic);
	assert_null(c->kafka_spool_dir);
	assert_null(c->kafka_events_topic);
	assert_int_equal(c->nkafka_conf, 0);
	assert_true(c->kafka_events_rate == 1000.0);
	assert_int_equal(c->ringbuf_bytes, 8 << 20);
	assert_int_equal(c->proc_cache, 8192);
	assert_int_equal(c->sql_connections, 1024);
	assert_int_equal(c->spool_bytes, 256 << 20);
	assert_string_equal(c->rules_dir, AISEC_RULES_DIR);
	assert_string_equal(c->metrics_listen, "127.0.0.1:9464");
	assert_null(c->kubelet_url);
	assert_null(c->kubelet_token_file);
	assert_null(c->kubelet_ca_file);
	assert_int_equal(c->kubelet_refresh_seconds, 30);
	config__free(c);
}

/* Partial sections: the keys left out keep their defaults; an empty map is empty. */
static void test_partial_sections(void **state)
{
	char err[512] = "";
	struct config *c;

	c = parse("{" SVC ",'db':{'ports':{}},'sinks':{'kafka':{'brokers':'b','topic':'t','events_topic':null}},"
		  "'metrics':{'listen':'node-1.local:8080'},'kubelet':{'url':'https://n/pods'}}",
		  err, sizeof(err));
	assert_non_null(c);
	assert_string_equal(err, "");
	assert_int_equal(c->ndb_ports, 0);
	assert_int_equal(c->ndb_sockets, 2);
	assert_kv(&c->db_sockets[0], ".s.PGSQL.*", "postgres");
	assert_string_equal(c->kafka_spool_dir, "/var/lib/aisec-rt/spool");
	assert_null(c->kafka_events_topic);
	assert_true(c->kafka_events_rate == 1000.0);
	assert_string_equal(c->metrics_listen, "node-1.local:8080");
	assert_string_equal(c->kubelet_url, "https://n/pods");
	assert_int_equal(c->kubelet_refresh_seconds, 30);
	config__free(c);

	c = parse("{" SVC ",'db':{'sockets':{}, 'payload_bytes': 1},'sinks':{'kafka':{}}}", err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->ndb_ports, 2);
	assert_int_equal(c->ndb_sockets, 0);
	assert_int_equal(c->payload_bytes, 1);
	assert_null(c->kafka_brokers);
	assert_null(c->kafka_spool_dir);
	config__free(c);
}

struct bad_case {
	const char *json; /* ' for " */
	const char *msg;
};

static const struct bad_case bad_cases[] = {
	/* syntax */
	{ "", "t.json:1:1: invalid JSON" },
	{ "{\n  'services': [,]\n}", "t.json:2:16: invalid JSON" },
	{ "{" SVC "}\n\n  x", "t.json:3:3: invalid JSON" },
	{ "{\n 'services': [{'name': 'a}]\n}", "t.json:2:25: invalid JSON" },
	{ "{'services': [1 2]}", "t.json:1:17: invalid JSON" },
	/* top level */
	{ "[]", "t.json: $: expected an object, got an array" },
	{ "{}", "t.json: $: missing key \"services\"" },
	{ "{" SVC ",'rule_dir':'/r'}",
	  "t.json: $.rule_dir: unknown key; expected one of: services, db, sinks, limits, rules_dir, metrics, kubelet, runtime" },
	{ "{" SVC ",'a\\'b\\u0001':1}", "t.json: $[\"a\\\"b\\u0001\"]: unknown key; expected one of: services, db, "
					"sinks, limits, rules_dir, metrics, kubelet, runtime" },
	{ "{" SVC ",'runtime':{'containerd_root':'run/c'}}",
	  "t.json: $.runtime.containerd_root: expected an absolute path (starting with /)" },
	{ "{" SVC ",'runtime':{'k3s':'/run/k3s'}}",
	  "t.json: $.runtime.k3s: unknown key; expected one of: containerd_root, crio_root, docker_root" },
	{ "{" SVC "," SVC "}", "t.json: $.services: duplicate key" },
	{ "{" SVC ",'rules_dir':'rules'}", "t.json: $.rules_dir: expected an absolute path (starting with /)" },
	{ "{" SVC ",'rules_dir':null}", "t.json: $.rules_dir: expected a string, got null" },
	/* services */
	{ "{'services':{}}", "t.json: $.services: expected an array, got an object" },
	{ "{'services':[]}", "t.json: $.services: empty; give at least one service" },
	{ "{'services':[1]}", "t.json: $.services[0]: expected an object, got a number" },
	{ "{'services':[{'nmae':'a','match':{'exe':'/x'}}]}",
	  "t.json: $.services[0].nmae: unknown key; expected one of: name, match, findings, source_root" },
	{ "{'services':[{'match':{'exe':'/x'}}]}", "t.json: $.services[0]: missing key \"name\"" },
	{ "{'services':[{'name':'a'}]}", "t.json: $.services[0]: missing key \"match\"" },
	{ "{'services':[{'name':'Orders','match':{'exe':'/x'}}]}",
	  "t.json: $.services[0].name: \"Orders\": expected 1 to 63 characters of a-z, 0-9 and -" },
	{ "{'services':[{'name':'','match':{'exe':'/x'}}]}", "t.json: $.services[0].name: expected a non-empty string" },
	{ "{'services':[{'name':7,'match':{'exe':'/x'}}]}",
	  "t.json: $.services[0].name: expected a string, got a number" },
	{ "{'services':[{'name':'a','match':{'exe':'/x'}},{'name':'b','match':{'exe':'/y'}},"
	  "{'name':'a','match':{'exe':'/z'}}]}",
	  "t.json: $.services[2].name: duplicate service name \"a\" (also $.services[0])" },
	{ "{'services':[{'name':'a','name':'b','match':{'exe':'/x'}}]}", "t.json: $.services[0].name: duplicate key" },
	/* match */
	{ SVC_MATCH(""), "t.json: $.services[0].match: no criterion; give at least one of: namespace, pod_labels, "
			 "image, cgroup_prefix, exe, cwd_prefix" },
	{ "{'services':[{'name':'a','match':[]}]}", "t.json: $.services[0].match: expected an object, got an array" },
	{ SVC_MATCH("'namespaces':'shop'"), "t.json: $.services[0].match.namespaces: unknown key; expected one of: "
					    "namespace, pod_labels, image, cgroup_prefix, exe, cwd_prefix" },
	{ SVC_MATCH("'namespace':true"), "t.json: $.services[0].match.namespace: expected a string, got a boolean" },
	{ SVC_MATCH("'pod_labels':{'app':1}"),
	  "t.json: $.services[0].match.pod_labels.app: expected a string, got a number" },
	{ SVC_MATCH("'pod_labels':{'app.kubernetes.io/name':['x']}"),
	  "t.json: $.services[0].match.pod_labels[\"app.kubernetes.io/name\"]: expected a string, got an array" },
	{ SVC_MATCH("'pod_labels':{'':'x'}"), "t.json: $.services[0].match.pod_labels[\"\"]: empty key" },
	{ SVC_MATCH("'pod_labels':{'a':'1','a':'2'}"), "t.json: $.services[0].match.pod_labels.a: duplicate key" },
	{ SVC_MATCH("'pod_labels':{}"),
	  "t.json: $.services[0].match.pod_labels: empty object; give at least one label or leave the key out" },
	{ SVC_MATCH("'pod_labels':'app=orders'"),
	  "t.json: $.services[0].match.pod_labels: expected an object, got a string" },
	{ SVC_MATCH("'pod_labels':{'a':'','b':'','c':'','d':'','e':'','f':'','g':'','h':'','i':'','j':'','k':'',"
		    "'l':'','m':'','n':'','o':'','p':'','q':''}"),
	  "t.json: $.services[0].match.pod_labels: too many entries (at most 16)" },
	{ SVC_MATCH("'image':''"), "t.json: $.services[0].match.image: expected a non-empty string" },
	{ SVC_MATCH("'exe':''"), "t.json: $.services[0].match.exe: expected a non-empty string" },
	{ SVC_MATCH("'cgroup_prefix':'kubepods'"),
	  "t.json: $.services[0].match.cgroup_prefix: expected an absolute path (starting with /)" },
	{ SVC_MATCH("'cgroup_prefix':['/a']"),
	  "t.json: $.services[0].match.cgroup_prefix: expected a string, got an array" },
	{ SVC_MATCH("'cwd_prefix':''"), "t.json: $.services[0].match.cwd_prefix: expected a non-empty string" },
	/* findings, source_root */
	{ SVC_WITH("'findings':'/f.sarif'"), "t.json: $.services[0].findings: expected an array, got a string" },
	{ SVC_WITH("'findings':['/a.sarif',2]"), "t.json: $.services[0].findings[1]: expected a string, got a number" },
	{ SVC_WITH("'findings':['']"), "t.json: $.services[0].findings[0]: expected a non-empty string" },
	{ SVC_WITH("'findings':['1','2','3','4','5','6','7','8','9','10','11','12','13','14','15','16','17']"),
	  "t.json: $.services[0].findings: too many entries (at most 16)" },
	{ SVC_WITH("'source_root':'src'"),
	  "t.json: $.services[0].source_root: expected an absolute path (starting with /)" },
	/* db */
	{ "{" SVC ",'db':[]}", "t.json: $.db: expected an object, got an array" },
	{ "{" SVC ",'db':{'port':{}}}",
	  "t.json: $.db.port: unknown key; expected one of: ports, sockets, payload_bytes, sql_text" },
	{ "{" SVC ",'db':{'ports':{'65536':'mysql'}}}",
	  "t.json: $.db.ports.65536: expected a port number from 1 to 65535 as the key" },
	{ "{" SVC ",'db':{'ports':{'0':'mysql'}}}",
	  "t.json: $.db.ports.0: expected a port number from 1 to 65535 as the key" },
	{ "{" SVC ",'db':{'ports':{'05432':'postgres'}}}",
	  "t.json: $.db.ports.05432: expected a port number from 1 to 65535 as the key" },
	{ "{" SVC ",'db':{'ports':{'pg':'postgres'}}}",
	  "t.json: $.db.ports.pg: expected a port number from 1 to 65535 as the key" },
	{ "{" SVC ",'db':{'ports':{'5432':'oracle'}}}",
	  "t.json: $.db.ports.5432: expected \"postgres\" or \"mysql\", got \"oracle\"" },
	{ "{" SVC ",'db':{'ports':{'5432':'postgres','5432':'mysql'}}}", "t.json: $.db.ports.5432: duplicate key" },
	{ "{" SVC ",'db':{'ports':{'5432':5432}}}", "t.json: $.db.ports.5432: expected a string, got a number" },
	{ "{" SVC ",'db':{'sockets':{'*.sock':'sqlite'}}}",
	  "t.json: $.db.sockets[\"*.sock\"]: expected \"postgres\" or \"mysql\", got \"sqlite\"" },
	{ "{" SVC ",'db':{'payload_bytes':0}}", "t.json: $.db.payload_bytes: expected an integer from 1 to 16384" },
	{ "{" SVC ",'db':{'payload_bytes':16385}}", "t.json: $.db.payload_bytes: expected an integer from 1 to 16384" },
	{ "{" SVC ",'db':{'payload_bytes':100.5}}", "t.json: $.db.payload_bytes: expected an integer from 1 to 16384" },
	{ "{" SVC ",'db':{'payload_bytes':'4096'}}",
	  "t.json: $.db.payload_bytes: expected an integer, got a string" },
	{ "{" SVC ",'db':{'sql_text':'all'}}",
	  "t.json: $.db.sql_text: expected \"full\", \"redacted\" or \"none\", got \"all\"" },
	/* sinks */
	{ "{" SVC ",'sinks':{'stdout':'yes'}}", "t.json: $.sinks.stdout: expected a boolean, got a string" },
	{ "{" SVC ",'sinks':{'file':'out.ndjson'}}",
	  "t.json: $.sinks.file: expected an absolute path (starting with /)" },
	{ "{" SVC ",'sinks':{'events':'ev.ndjson'}}",
	  "t.json: $.sinks.events: expected an absolute path (starting with /)" },
	{ "{" SVC ",'sinks':{'syslog':true}}", "t.json: $.sinks.syslog: unknown key; expected one of: stdout, file, events, kafka" },
	{ "{" SVC ",'sinks':{'kafka':{'brokers':'b:9092'}}}",
	  "t.json: $.sinks.kafka: \"brokers\" and \"topic\" go together; \"topic\" is missing" },
	{ "{" SVC ",'sinks':{'kafka':{'topic':'t'}}}",
	  "t.json: $.sinks.kafka: \"brokers\" and \"topic\" go together; \"brokers\" is missing" },
	{ "{" SVC ",'sinks':{'kafka':{'conf':{}}}}", "t.json: $.sinks.kafka: \"conf\" without \"brokers\" and \"topic\"" },
	{ "{" SVC ",'sinks':{'kafka':{'brokers':'b','topic':'t','conf':{'linger.ms':5}}}}",
	  "t.json: $.sinks.kafka.conf[\"linger.ms\"]: expected a string, got a number" },
	{ "{" SVC ",'sinks':{'kafka':{'brokers':'b','topic':'t','events_rate':0}}}",
	  "t.json: $.sinks.kafka.events_rate: expected a number greater than 0" },
	{ "{" SVC ",'sinks':{'kafka':{'brokers':'b','topic':'t','events_rate':1e999}}}",
	  "t.json: $.sinks.kafka.events_rate: expected a number greater than 0" },
	{ "{" SVC ",'sinks':{'kafka':{'brokers':'b','topic':'t','events_rate':'10'}}}",
	  "t.json: $.sinks.kafka.events_rate: expected a number, got a string" },
	{ "{" SVC ",'sinks':{'kafka':{'brokers':'b','topic':'t','events_topic':''}}}",
	  "t.json: $.sinks.kafka.events_topic: expected a non-empty string" },
	{ "{" SVC ",'sinks':{'kafka':{'broker':'b'}}}",
	  "t.json: $.sinks.kafka.broker: unknown key; expected one of: brokers, topic, conf, spool_dir, events_topic, "
	  "events_rate" },
	/* limits */
	{ "{" SVC ",'limits':{'ringbuf_bytes':4095}}",
	  "t.json: $.limits.ringbuf_bytes: expected an integer from 4096 to 1073741824" },
	{ "{" SVC ",'limits':{'ringbuf_bytes':12288}}", "t.json: $.limits.ringbuf_bytes: expected a power of two" },
	{ "{" SVC ",'limits':{'proc_cache':0}}", "t.json: $.limits.proc_cache: expected an integer from 1 to 4294967295" },
	{ "{" SVC ",'limits':{'sql_connections':-1}}",
	  "t.json: $.limits.sql_connections: expected an integer from 1 to 4294967295" },
	{ "{" SVC ",'limits':{'spool_bytes':true}}", "t.json: $.limits.spool_bytes: expected an integer, got a boolean" },
	{ "{" SVC ",'limits':{'ringbuf':8388608}}",
	  "t.json: $.limits.ringbuf: unknown key; expected one of: ringbuf_bytes, proc_cache, sql_connections, "
	  "spool_bytes" },
	/* metrics */
	{ "{" SVC ",'metrics':{'listen':'9464'}}",
	  "t.json: $.metrics.listen: \"9464\": expected \"host:port\" or \"[ipv6]:port\" with a port from 1 to 65535" },
	{ "{" SVC ",'metrics':{'listen':'localhost:0'}}",
	  "t.json: $.metrics.listen: \"localhost:0\": expected \"host:port\" or \"[ipv6]:port\" with a port from 1 to "
	  "65535" },
	{ "{" SVC ",'metrics':{'listen':'::1:9464'}}",
	  "t.json: $.metrics.listen: \"::1:9464\": expected \"host:port\" or \"[ipv6]:port\" with a port from 1 to "
	  "65535" },
	{ "{" SVC ",'metrics':{'listen':'[::1]9464'}}",
	  "t.json: $.metrics.listen: \"[::1]9464\": expected \"host:port\" or \"[ipv6]:port\" with a port from 1 to "
	  "65535" },
	{ "{" SVC ",'metrics':{'port':9464}}", "t.json: $.metrics.port: unknown key; expected one of: listen" },
	/* kubelet */
	{ "{" SVC ",'kubelet':{}}", "t.json: $.kubelet: missing key \"url\"" },
	{ "{" SVC ",'kubelet':{'url':'ftp://node/pods'}}",
	  "t.json: $.kubelet.url: \"ftp://node/pods\": expected an http:// or https:// URL" },
	{ "{" SVC ",'kubelet':{'url':'https://'}}",
	  "t.json: $.kubelet.url: \"https://\": expected an http:// or https:// URL" },
	{ "{" SVC ",'kubelet':{'url':'https://n/pods','refresh_seconds':0}}",
	  "t.json: $.kubelet.refresh_seconds: expected an integer from 1 to 86400" },
	{ "{" SVC ",'kubelet':{'url':'https://n/pods','token':'/t'}}",
	  "t.json: $.kubelet.token: unknown key; expected one of: url, token_file, ca_file, insecure_tls, refresh_seconds" },
	{ "{" SVC ",'kubelet':{'url':'https://n/pods','insecure_tls':'yes'}}",
	  "t.json: $.kubelet.insecure_tls: expected a boolean, got a string" },
	{ "{" SVC ",'kubelet':{'url':'https://n/pods','ca_file':'ca.crt'}}",
	  "t.json: $.kubelet.ca_file: expected an absolute path (starting with /)" },
};

static void test_bad_configs(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char err[512] = "";
		struct config *c;

		errno = 0;
		c = parse(bad_cases[i].json, err, sizeof(err));
		if (c || strcmp(err, bad_cases[i].msg) != 0 || errno != EINVAL)
			print_error("case %zu: %s\n  got:  %s\n  want: %s\n  errno %d\n", i, bad_cases[i].json, err,
				    bad_cases[i].msg, errno);
		assert_null(c);
		assert_string_equal(err, bad_cases[i].msg);
		assert_int_equal(errno, EINVAL);
	}
}

/* A config with n services s0, s1, ... (caller frees). */
static char *services_json(size_t n)
{
	char *json = malloc(n * 64 + 32);
	size_t i, len = 0;

	assert_non_null(json);
	len += sprintf(json + len, "{\"services\":[");
	for (i = 0; i < n; i++)
		len += sprintf(json + len, "%s{\"name\":\"s%zu\",\"match\":{\"exe\":\"/x\"}}", i ? "," : "", i);
	sprintf(json + len, "]}");
	return json;
}

/* Inputs not expressible with the ' convention: a NUL byte, too many services. */
static void test_nul_byte_and_too_many_services(void **state)
{
	static const char nul[] = "{\"services\":\n [\0]}";
	char err[512] = "", *json;
	struct config *c;
	size_t n;

	c = config__parse("t.json", nul, sizeof(nul) - 1, err, sizeof(err));
	assert_null(c);
	assert_string_equal(err, "t.json:2:3: invalid JSON");

	for (n = 64; n <= 65; n++) {
		json = services_json(n);
		c = config__parse("t.json", json, strlen(json), err, sizeof(err));
		free(json);
		if (n == 65) {
			assert_null(c);
			assert_string_equal(err, "t.json: $.services: too many services (at most 64)");
			break;
		}
		assert_non_null(c);
		assert_int_equal(c->nservices, 64);
		assert_string_equal(c->services[63].name, "s63");
		config__free(c);
	}
}

/* The shipped example loads and says what docs/configuration.md says it does. */
static void test_example_loads(void **state)
{
	char err[512] = "x";
	struct config *c = config__load(EXAMPLE_FILE, err, sizeof(err));

	if (!c)
		print_error("%s\n", err);
	assert_non_null(c);
	assert_string_equal(err, "");
	assert_string_equal(c->file, EXAMPLE_FILE);
	assert_int_equal(c->nservices, 2);
	assert_string_equal(c->services[0].name, "orders");
	assert_kv(&c->services[0].labels[0], "app.kubernetes.io/name", "orders");
	assert_string_equal(c->services[1].name, "billing-host");
	assert_string_equal(c->kubelet_url, "https://127.0.0.1:10250/pods");
	config__free(c);
}

static void test_load_errors(void **state)
{
	char err[512] = "", path[4096];
	struct config *c;
	char *dir = tu_tmpdir();
	FILE *f;

	errno = 0;
	c = config__load("/nonexistent/agent.json", err, sizeof(err));
	assert_null(c);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(err, "/nonexistent/agent.json: cannot open: No such file or directory");

	errno = 0;
	c = config__load(dir, err, sizeof(err));
	assert_null(c);
	assert_int_equal(errno, EINVAL);
	snprintf(path, sizeof(path), "%s: not a regular file", dir);
	assert_string_equal(err, path);

	snprintf(path, sizeof(path), "%s/agent.json", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\n  \"services\": [\n    {\"name\": \"a\" \"match\": {}}\n  ]\n}\n", f);
	fclose(f);
	errno = 0;
	c = config__load(path, err, sizeof(err));
	assert_null(c);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(err + strlen(dir), "/agent.json:3:18: invalid JSON");
	assert_memory_equal(err, dir, strlen(dir));

	/* a message cut to fit stays terminated; NULL err is allowed */
	c = config__load(path, err, 8);
	assert_null(c);
	assert_int_equal(strlen(err), 7);
	c = config__load(path, NULL, 0);
	assert_null(c);
	config__free(NULL);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_minimal_config_defaults),
		cmocka_unit_test(test_partial_sections),
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_nul_byte_and_too_many_services),
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
