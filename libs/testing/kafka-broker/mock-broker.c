/*
 * Kafka-protocol broker for tests, backed by librdkafka's mock cluster.
 *
 * Usage: mock-broker <broker-count> [topic:partitions ...]
 *
 * Prints "BOOTSTRAP host:port,..." once the cluster is listening, then runs
 * until SIGTERM/SIGINT or until stdin reaches EOF. Watching stdin means a
 * parent that dies without cleaning up (SIGKILL, crash) still takes the
 * broker down with it, because the kernel closes the pipe.
 *
 * librdkafka 2.0.2 always binds mock brokers to ephemeral ports on
 * 127.0.0.1; there is no API to choose them, so the port is reported.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int parse_int(const char *text, int min, int max, int *out) {
        char *end;
        long value;

        errno = 0;
        value = strtol(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || value < min ||
            value > max)
                return -1;
        *out = (int)value;
        return 0;
}

static int create_topic(rd_kafka_mock_cluster_t *mcluster, const char *spec) {
        char name[256];
        const char *colon = strrchr(spec, ':');
        size_t name_len;
        int partitions;
        rd_kafka_resp_err_t err;

        if (!colon || colon == spec ||
            parse_int(colon + 1, 1, 10000, &partitions) != 0) {
                fprintf(stderr, "invalid topic spec '%s', want name:partitions\n",
                        spec);
                return -1;
        }
        name_len = (size_t)(colon - spec);
        if (name_len >= sizeof(name)) {
                fprintf(stderr, "topic name too long in '%s'\n", spec);
                return -1;
        }
        memcpy(name, spec, name_len);
        name[name_len] = '\0';

        /* The mock keeps one log per partition whatever the replication
         * factor, so more replicas would add nothing. */
        err = rd_kafka_mock_topic_create(mcluster, name, partitions, 1);
        if (err) {
                fprintf(stderr, "failed to create topic '%s': %s\n", name,
                        rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

/* Returns once a termination signal arrives or stdin is closed. */
static int wait_for_shutdown(int sigfd) {
        struct pollfd fds[2] = {
            {.fd = sigfd, .events = POLLIN},
            {.fd = STDIN_FILENO, .events = POLLIN},
        };
        char buf[512];

        for (;;) {
                if (poll(fds, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        perror("poll");
                        return -1;
                }
                if (fds[0].revents)
                        return 0;
                if (fds[1].revents) {
                        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                        if (n == 0 || (n < 0 && errno != EINTR))
                                return 0;
                }
        }
}

int main(int argc, char **argv) {
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mcluster;
        sigset_t sigs;
        int sigfd, broker_cnt, i, rc = 0;

        if (argc < 2 || parse_int(argv[1], 1, 16, &broker_cnt) != 0) {
                fprintf(stderr,
                        "usage: %s <broker-count 1..16> [topic:partitions ...]\n",
                        argv[0]);
                return 2;
        }

        /* Block the signals before librdkafka starts its threads so they
         * inherit the mask and only the signalfd below sees SIGTERM/SIGINT.
         * SIGPIPE stays blocked for good: a vanished client or parent must
         * not kill the broker. */
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGTERM);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGPIPE);
        if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0) {
                perror("sigprocmask");
                return 1;
        }
        sigdelset(&sigs, SIGPIPE);
        sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
        if (sigfd < 0) {
                perror("signalfd");
                return 1;
        }

        conf = rd_kafka_conf_new();
        /* The handle only hosts the cluster and never connects anywhere, so
         * its notice about the missing bootstrap.servers is noise. */
        if (rd_kafka_conf_set(conf, "log_level", "4", errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "rd_kafka_conf_set failed: %s\n", errstr);
                rd_kafka_conf_destroy(conf);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "rd_kafka_new failed: %s\n", errstr);
                return 1;
        }

        mcluster = rd_kafka_mock_cluster_new(rk, broker_cnt);
        if (!mcluster) {
                fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
                rd_kafka_destroy(rk);
                return 1;
        }

        for (i = 2; i < argc; i++) {
                if (create_topic(mcluster, argv[i]) != 0) {
                        rc = 1;
                        goto out;
                }
        }

        printf("BOOTSTRAP %s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
        fflush(stdout);

        if (wait_for_shutdown(sigfd) != 0)
                rc = 1;

out:
        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        close(sigfd);
        return rc;
}
