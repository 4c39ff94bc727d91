/*
 * main: the command line. Parses arguments and hands off to one command
 * module; nothing else lives here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "aisec/events.h"

#include "log.h"
#include "probe.h"
#include "rules.h"
#include "run.h"
#include "triage.h"
#include "watch.h"

static const char usage_text[] =
	"usage: aisec-rt <command> [options]\n"
	"\n"
	"commands:\n"
	"  watch <pid>    trace a process and every descendant, print their events\n"
	"  run --config FILE  the node agent: watch the services FILE names, write their evidence\n"
	"  probe          report what this kernel and this process can trace\n"
	"  rules check DIR  validate the rule files in DIR: every error, then a summary\n"
	"  triage         write runtime evidence into SARIF findings (and OpenVEX)\n"
	"  version        print the version\n"
	"\n"
	"watch options:\n"
	"  -f, --format text|json   output format (default text; json is NDJSON aisec.event.v1)\n"
	"  -o, --output FILE        write events to FILE (appears complete when watch ends; default stdout)\n"
	"  -d, --duration SECONDS   stop after this long (default: until the tree exits or Ctrl-C)\n"
	"      --ringbuf-size SIZE  kernel ring buffer size, power of two, K/M suffix (default 8M)\n"
	"      --poll-ms MS         longest wait before unread records are read (default 100)\n"
	"  SQL capture (on by default; queries and outcomes on database sockets become sql events):\n"
	"      --no-sql             do not capture database traffic (read/write are then not hooked)\n"
	"      --sql-text MODE      full (default), redacted (literals replaced by ?) or none\n"
	"      --db-port PORT=DIALECT     a TCP port of a database, DIALECT postgres or mysql; repeatable\n"
	"                                 (default 5432=postgres and 3306=mysql)\n"
	"      --db-socket GLOB=DIALECT   unix socket paths of a database (glob on the file name); repeatable\n"
	"                                 (default .s.PGSQL.*=postgres and *mysql*.sock=mysql)\n"
	"      --payload-bytes N    bytes captured per database syscall, 1..16384 (default 4096)\n"
	"      --sql-param-values   also report PostgreSQL bind parameter values (default: lengths only)\n"
	"  static findings (SARIF) and detection:\n"
	"      --findings FILE      SARIF 2.1.0 file of static findings to prove or disprove; repeatable\n"
	"      --rules DIR          detector rules (default: $AISEC_RULES_DIR, ./rules, then the installed ones)\n"
	"      --source-root DIR    directory the SARIF uris are relative to (also the root for path traversal)\n"
	"      --evidence FILE      also write the evidence records (aisec.evidence.v1 NDJSON) to FILE\n"
	"  Kafka (evidence records, none lost: docs/kafka.md):\n"
	"      --kafka BROKERS      bootstrap servers (host:port,...)\n"
	"      --topic T            the topic (required with --kafka)\n"
	"      --kafka-conf K=V     any librdkafka property (SASL, TLS...); repeatable\n"
	"      --spool-dir DIR      where undelivered records wait (default /var/lib/aisec-rt/spool)\n"
	"      --kafka-events-topic T     also send every event (aisec.event.v1) to topic T (off by default)\n"
	"      --kafka-events-rate N      at most N events a second to it (default 1000; the rest are counted)\n"
	"run options (docs/configuration.md, docs/deploy.md):\n"
	"  -c, --config FILE        the agent's JSON config (required)\n"
	"      --check              validate the config, rules and findings, then exit\n"
	"  -d, --duration SECONDS   stop after this long (default: until SIGTERM/SIGINT; SIGHUP reloads)\n"
	"      --keep-caps          do not drop capabilities after attaching (debugging only)\n"
	"      --cgroup-root DIR    the cgroup2 mount (default /sys/fs/cgroup)\n"
	"triage options:\n"
	"      --findings FILE      SARIF 2.1.0 file of static findings; repeatable, at least one\n"
	"      --evidence FILE      aisec.evidence.v1 NDJSON (watch output; other records are skipped)\n"
	"  -o, --output FILE        the annotated SARIF (appears complete or not at all)\n"
	"      --vex FILE           also write an OpenVEX 0.2.0 document, one statement per finding\n"
	"      --vex-product IRI    the product the VEX statements are about (e.g. a purl)\n"
	"probe options:\n"
	"      --json               one JSON object instead of text\n"
	"common options:\n"
	"  -v, --verbose            debug output, including libbpf's\n"
	"  -q, --quiet              errors only\n"
	"  -h, --help               this text\n"
	"\n"
	"exit codes: 0 ok, 1 runtime error, 2 usage or bad input\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "aisec-rt: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see aisec-rt --help)\n");
	return 2;
}

/* "8M", "65536", "256K" -> bytes; 0 on error. */
static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return 0;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	return *end ? 0 : (size_t)v;
}

static int cmd_watch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },   { "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' }, { "ringbuf-size", required_argument, NULL, 'R' },
		{ "poll-ms", required_argument, NULL, 'P' },  { "verbose", no_argument, NULL, 'v' },
		{ "no-sql", no_argument, NULL, 'N' },         { "sql-text", required_argument, NULL, 'T' },
		{ "db-port", required_argument, NULL, 'D' },  { "db-socket", required_argument, NULL, 'S' },
		{ "payload-bytes", required_argument, NULL, 'B' },
		{ "sql-param-values", no_argument, NULL, 'V' },
		{ "findings", required_argument, NULL, 'F' }, { "rules", required_argument, NULL, 'r' },
		{ "source-root", required_argument, NULL, 's' }, { "evidence", required_argument, NULL, 'e' },
		{ "kafka", required_argument, NULL, 'K' },    { "topic", required_argument, NULL, 't' },
		{ "kafka-conf", required_argument, NULL, 'C' }, { "spool-dir", required_argument, NULL, 'W' },
		{ "kafka-events-topic", required_argument, NULL, 'G' },
		{ "kafka-events-rate", required_argument, NULL, 'L' },
		{ "quiet", no_argument, NULL, 'q' },          { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch_opts o = { 0 };
	char *end;
	long pid;
	int c;

	while ((c = getopt_long(argc, argv, "f:o:d:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") == 0)
				o.format = WATCH_FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				o.format = WATCH_FORMAT_JSON;
			else
				return usage_error("--format must be text or json, not '%s'", optarg);
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'd':
			errno = 0;
			o.duration_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || o.duration_s <= 0)
				return usage_error("--duration needs a positive number of seconds, not '%s'", optarg);
			break;
		case 'R':
			o.ringbuf_bytes = parse_size(optarg);
			if (!o.ringbuf_bytes || (o.ringbuf_bytes & (o.ringbuf_bytes - 1)) || o.ringbuf_bytes < 4096)
				return usage_error("--ringbuf-size must be a power of two of at least 4K, not '%s'",
						   optarg);
			break;
		case 'P':
			o.poll_ms = (unsigned)strtoul(optarg, &end, 10);
			if (*end || o.poll_ms == 0 || o.poll_ms > 10000)
				return usage_error("--poll-ms must be 1..10000, not '%s'", optarg);
			break;
		case 'N':
			o.no_sql = true;
			break;
		case 'T':
			if (strcmp(optarg, "full") == 0)
				o.sql_text = SQL_TEXT_FULL;
			else if (strcmp(optarg, "redacted") == 0)
				o.sql_text = SQL_TEXT_REDACTED;
			else if (strcmp(optarg, "none") == 0)
				o.sql_text = SQL_TEXT_NONE;
			else
				return usage_error("--sql-text must be full, redacted or none, not '%s'", optarg);
			break;
		case 'D': {
			unsigned long port = strtoul(optarg, &end, 10);
			const char *d = *end == '=' ? end + 1 : "";

			if (end == optarg || port == 0 || port > 65535 || o.n_db_ports == LOADER_MAX_DB_PORTS ||
			    (strcmp(d, "postgres") && strcmp(d, "mysql")))
				return usage_error("--db-port needs PORT=postgres or PORT=mysql (at most 16), not '%s'",
						   optarg);
			o.db_ports[o.n_db_ports].port = (__u16)port;
			o.db_ports[o.n_db_ports++].dialect = strcmp(d, "postgres") == 0 ? AISEC_DIALECT_POSTGRES
										 : AISEC_DIALECT_MYSQL;
			break;
		}
		case 'S':
			if (o.n_db_sockets == SQLCAP_MAX_PATTERNS ||
			    sqlcap__parse_pattern(optarg, &o.db_sockets[o.n_db_sockets]))
				return usage_error("--db-socket needs GLOB=postgres or GLOB=mysql (at most 16), not '%s'",
						   optarg);
			o.n_db_sockets++;
			break;
		case 'B':
			o.payload_bytes = (__u32)strtoul(optarg, &end, 10);
			if (*end || end == optarg || o.payload_bytes == 0 || o.payload_bytes > AISEC_PAYLOAD_MAX)
				return usage_error("--payload-bytes must be 1..16384, not '%s'", optarg);
			break;
		case 'V':
			o.sql_param_values = true;
			break;
		case 'F':
			if (o.n_findings == ANALYZE_MAX_FINDINGS_FILES)
				return usage_error("at most 16 --findings files, not more ('%s')", optarg);
			o.findings[o.n_findings++] = optarg;
			break;
		case 'r':
			o.rules_dir = optarg;
			break;
		case 's':
			o.source_root = optarg;
			break;
		case 'e':
			o.evidence_path = optarg;
			break;
		case 'K':
			o.kafka_brokers = optarg;
			break;
		case 't':
			o.kafka_topic = optarg;
			break;
		case 'C':
			if (o.n_kafka_conf == SINK_KAFKA_MAX_CONF || !strchr(optarg, '='))
				return usage_error("--kafka-conf needs key=value (at most 64), not '%s'", optarg);
			o.kafka_conf[o.n_kafka_conf++] = optarg;
			break;
		case 'W':
			o.spool_dir = optarg;
			break;
		case 'G':
			o.kafka_events_topic = optarg;
			break;
		case 'L':
			errno = 0;
			o.kafka_events_rate = strtod(optarg, &end);
			if (errno || end == optarg || *end || o.kafka_events_rate <= 0)
				return usage_error("--kafka-events-rate needs a positive number of events per second, not '%s'",
						   optarg);
			break;
		case 'v':
			log__set_level(LOG_DEBUG);
			break;
		case 'q':
			log__set_level(LOG_ERR);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (o.kafka_brokers && !o.kafka_topic)
		return usage_error("--kafka %s needs --topic", o.kafka_brokers);
	if (o.kafka_events_topic && !o.kafka_brokers)
		return usage_error("--kafka-events-topic %s needs --kafka", o.kafka_events_topic);
	if (optind >= argc)
		return usage_error("%s", "watch needs a pid");
	if (optind + 1 < argc)
		return usage_error("unexpected argument '%s'", argv[optind + 1]);
	errno = 0;
	pid = strtol(argv[optind], &end, 10);
	if (errno || *end || end == argv[optind] || pid <= 0 || pid > 4194304)
		return usage_error("'%s' is not a pid", argv[optind]);
	o.pid = (__u32)pid;
	return watch__run(&o);
}

static int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			log__set_level(LOG_DEBUG);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return probe__report(stdout, json);
}

static int cmd_triage(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "findings", required_argument, NULL, 'F' }, { "evidence", required_argument, NULL, 'E' },
		{ "output", required_argument, NULL, 'o' },   { "vex", required_argument, NULL, 'X' },
		{ "vex-product", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },        { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
	};
	struct triage_opts o = { 0 };
	const char **files;
	int c, rc;

	/* At most one --findings per argument. */
	files = calloc((size_t)argc, sizeof(*files));
	if (!files)
		return 1;
	o.findings = files;
	while ((c = getopt_long(argc, argv, "o:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			files[o.nfindings++] = optarg;
			break;
		case 'E':
			if (o.evidence) {
				free(files);
				return usage_error("--evidence given twice ('%s'): merge the files into one", optarg);
			}
			o.evidence = optarg;
			break;
		case 'o':
			o.output = optarg;
			break;
		case 'X':
			o.vex = optarg;
			break;
		case 'p':
			o.vex_product = optarg;
			break;
		case 'v':
			log__set_level(LOG_DEBUG);
			break;
		case 'q':
			log__set_level(LOG_ERR);
			break;
		case 'h':
			free(files);
			fputs(usage_text, stdout);
			return 0;
		default:
			free(files);
			return 2;
		}
	}
	if (optind < argc)
		rc = usage_error("unexpected argument '%s'", argv[optind]);
	else if (!o.nfindings)
		rc = usage_error("%s", "triage needs --findings FILE.sarif (one or more)");
	else if (!o.evidence)
		rc = usage_error("%s", "triage needs --evidence FILE.ndjson");
	else if (!o.output)
		rc = usage_error("%s", "triage needs -o OUT.sarif");
	else if (o.vex && (strcmp(o.vex, o.output) == 0 || strcmp(o.vex, "-") == 0))
		rc = usage_error("--vex needs a file other than -o's, not '%s'", o.vex);
	else
		rc = triage__run(&o);
	free(files);
	return rc;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },  { "check", no_argument, NULL, 'k' },
		{ "duration", required_argument, NULL, 'd' }, { "keep-caps", no_argument, NULL, 'K' },
		{ "cgroup-root", required_argument, NULL, 'g' }, { "poll-ms", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },       { "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	struct run_opts o = { 0 };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "c:d:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'k':
			o.check_only = true;
			break;
		case 'd':
			errno = 0;
			o.duration_s = strtod(optarg, &end);
			if (errno || *end || end == optarg || o.duration_s <= 0)
				return usage_error("--duration: '%s' is not a number of seconds > 0", optarg);
			break;
		case 'K':
			o.keep_caps = true;
			break;
		case 'g':
			o.cgroup_root = optarg;
			break;
		case 'P':
			errno = 0;
			o.poll_ms = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || o.poll_ms == 0 || o.poll_ms > 10000)
				return usage_error("--poll-ms: '%s' is not a number from 1 to 10000", optarg);
			break;
		case 'v':
			log__set_level(LOG_DEBUG);
			break;
		case 'q':
			log__set_level(LOG_ERR);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o.config)
		return usage_error("%s", "run needs --config FILE (see docs/configuration.md)");
	return run__run(&o);
}

/* `rules check DIR`: exit 0 when DIR is valid, 2 otherwise (errors on stdout). */
static int cmd_rules(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2)
		return usage_error("%s", "rules needs a subcommand: rules check DIR");
	if (strcmp(argv[1], "check") != 0)
		return usage_error("unknown rules subcommand '%s' (known: check)", argv[1]);
	if (argc < 3)
		return usage_error("%s", "rules check needs a directory");
	if (argc > 3)
		return usage_error("unexpected argument '%s'", argv[3]);
	return rules__check(argv[2], stdout);
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	cmd = argv[1];
	/* Each command parses its own options from argv[1] on. */
	if (strcmp(cmd, "watch") == 0)
		return cmd_watch(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
	if (strcmp(cmd, "rules") == 0)
		return cmd_rules(argc - 1, argv + 1);
	if (strcmp(cmd, "triage") == 0)
		return cmd_triage(argc - 1, argv + 1);
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("aisec-rt %s (git %s, libbpf %s, event schema aisec.event.v1, ABI %d)\n", AISEC_VERSION,
		       AISEC_GIT_REV, libbpf_version_string(), AISEC_ABI_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	return usage_error("unknown command '%s'", cmd);
}
