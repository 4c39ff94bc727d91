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
#include "watch.h"

static const char usage_text[] =
	"usage: aisec-rt <command> [options]\n"
	"\n"
	"commands:\n"
	"  watch <pid>    trace a process and every descendant, print their events\n"
	"  probe          report what this kernel and this process can trace\n"
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
	if (strcmp(cmd, "probe") == 0)
		return cmd_probe(argc - 1, argv + 1);
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
