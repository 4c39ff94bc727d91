/*
 * kafka_mock: a one-broker Kafka cluster for the tests (built with them, never
 * shipped), from librdkafka's mock cluster: it speaks the real Kafka protocol
 * on a loopback TCP port. Usage: kafka_mock [TOPIC...] (each created with one
 * partition). Prints "bootstrap=HOST:PORT\n" on stdout, then reads commands on
 * stdin, one a line, answering each with "ok\n" (or "error ...\n"):
 *   down         the broker drops its connections and refuses new ones
 *   up           it serves again
 *   topic NAME   create NAME with one partition
 *   quit         exit (so does end of input)
 */
#include <stdio.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv)
{
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_conf_t *conf;
	char errstr[512], line[512];
	rd_kafka_t *rk;
	int i, rc = 0;

	conf = rd_kafka_conf_new();
	/* the handle only hosts the cluster; keep its own logging quiet */
	rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "kafka_mock: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, 1);
	if (!mc) {
		fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	for (i = 1; i < argc; i++)
		if (rd_kafka_mock_topic_create(mc, argv[i], 1, 1)) {
			fprintf(stderr, "kafka_mock: cannot create topic %s\n", argv[i]);
			rc = 1;
			goto out;
		}
	printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

		line[strcspn(line, "\r\n")] = '\0';
		if (strcmp(line, "quit") == 0)
			break;
		if (strcmp(line, "down") == 0)
			err = rd_kafka_mock_broker_set_down(mc, 1);
		else if (strcmp(line, "up") == 0)
			err = rd_kafka_mock_broker_set_up(mc, 1);
		else if (strncmp(line, "topic ", 6) == 0)
			err = rd_kafka_mock_topic_create(mc, line + 6, 1, 1);
		else {
			printf("error unknown command: %s\n", line);
			fflush(stdout);
			continue;
		}
		if (err)
			printf("error %s\n", rd_kafka_err2str(err));
		else
			printf("ok\n");
		fflush(stdout);
	}
out:
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return rc;
}
