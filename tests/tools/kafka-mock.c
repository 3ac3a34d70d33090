/*
 * kafka-mock - a Kafka cluster in one process, for the tests and the bench:
 * librdkafka's mock cluster (rdkafka_mock.h) listening on loopback.
 *
 *     kafka-mock [-b BROKERS] [-s SECONDS] TOPIC:PARTITIONS...
 *
 * Creates each topic with its partitions, prints the bootstrap address
 * ("127.0.0.1:PORT,...") on one line of stdout, and runs until SIGTERM or
 * SIGINT, or for at most SECONDS (default 600), so that a test that forgets
 * it leaves no server behind for long.  Usage errors exit 2; a cluster that
 * cannot start exits 70.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = sig;
}

static void usage(void)
{
	fprintf(stderr, "usage: kafka-mock [-b BROKERS] [-s SECONDS] TOPIC:PARTITIONS...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int brokers = 1, seconds = 600, c;
	char err[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	struct sigaction sa;

	while ((c = getopt(argc, argv, "b:s:")) != -1) {
		if (c == 'b')
			brokers = atoi(optarg);
		else if (c == 's')
			seconds = atoi(optarg);
		else
			usage();
	}
	if (brokers < 1 || seconds < 1 || optind == argc)
		usage();
	conf = rd_kafka_conf_new();
	/* the handle only hosts the cluster: it must not log to stdout */
	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "kafka-mock: %s\n", err);
		return 70;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		fprintf(stderr, "kafka-mock: cannot start the mock cluster\n");
		return 70;
	}
	for (int i = optind; i < argc; i++) {
		char *colon = strrchr(argv[i], ':');
		int parts = colon ? atoi(colon + 1) : 0;
		rd_kafka_resp_err_t e;

		if (!colon || colon == argv[i] || parts < 1)
			usage();
		*colon = '\0';
		e = rd_kafka_mock_topic_create(mc, argv[i], parts, brokers < 3 ? brokers : 3);
		if (e) {
			fprintf(stderr, "kafka-mock: %s: %s\n", argv[i], rd_kafka_err2str(e));
			return 70;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	for (int t = 0; t < seconds * 10 && !stop; t++)
		usleep(100000);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
