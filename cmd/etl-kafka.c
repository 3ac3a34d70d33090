/*
 * etl-kafka - Kafka topics as NDJSON streams, both ways, on librdkafka.
 *
 *     etl-kafka consume -b BROKERS -t TOPIC[,TOPIC] [-G GROUP] ...
 *     etl-kafka produce -b BROKERS -t TOPIC [-k TEMPLATE] ... [FILE...]
 *
 * consume writes each message as one record: a JSON object value passes
 * byte-exact (line breaks between its tokens become spaces, so that it
 * stays one line) with the stream's fields appended, _off
 * ("topic/partition:offset", offset.h), _ts, _key and the --headers-field.
 * It never commits offsets to Kafka: exactly-once is the sink's job
 * (CONVENTIONS section 6), and --from-state resumes each partition after
 * the offset the sink committed; a partition the sink has not seen starts
 * from the group's committed offset or --start.  Without -G the partitions
 * are assigned here, all of them or -p's; with -G the group coordinator
 * assigns them and the rebalance callback applies the same start offsets.
 *
 * produce sends each input record's bytes as one message with the
 * idempotent producer, and checks every delivery report: the run succeeds
 * only when every message was delivered.
 *
 * Invariants: records_in = records_out + bad (+ unwritten when a run
 * fails); a message is counted in records_in when it is read (consume) or
 * when its record is read (produce), and in records_out when its line was
 * written (consume) or its delivery reported (produce).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "bad.h"
#include "buf.h"
#include "cli.h"
#include "die.h"
#include "evtime.h"
#include "jsonw.h"
#include "mem.h"
#include "metrics.h"
#include "ndjson.h"
#include "offset.h"
#include "out.h"
#include "path.h"
#include "pg.h"
#include "redact.h"
#include "scan.h"
#include "stats.h"
#include "template.h"
#include "timefmt.h"
#include "utf8.h"
#include "banned.h"

enum {
	OPT_BROKERS = 1,
	OPT_TOPIC,
	OPT_GROUP,
	OPT_PARTITIONS,
	OPT_VALUE_FORMAT,
	OPT_SET,
	OPT_START,
	OPT_FROM_STATE,
	OPT_STATE_DB,
	OPT_STATE_TABLE,
	OPT_EXIT_AT_END,
	OPT_COUNT,
	OPT_HEADERS_FIELD,
	OPT_KEY,
	OPT_PARTITION,
	OPT_TIMESTAMP_FIELD,
	OPT_METRICS,
	OPT_METRICS_INTERVAL,
};

static const struct cli_opt opts[] = {
	{OPT_BROKERS, "brokers", 'b', CLI_ARG, "HOST:PORT,...", "the bootstrap brokers"},
	{OPT_TOPIC, "topic", 't', CLI_ARG, "TOPIC[,TOPIC]",
	 "the topics to read (consume), the topic to write (produce)"},
	{OPT_GROUP, "group", 'G', CLI_ARG, "GROUP", "consume: join the consumer group GROUP"},
	{OPT_PARTITIONS, "partitions", 'p', CLI_ARG, "N[,N]",
	 "consume: only these partitions (without -G)"},
	{OPT_VALUE_FORMAT, "value-format", 0, CLI_ARG, "json|text",
	 "consume: values are JSON objects (default) or text"},
	{OPT_SET, "set", 'X', CLI_ARG, "KEY=VALUE", "a librdkafka setting (repeatable)"},
	{OPT_START, "start", 0, CLI_ARG, "earliest|latest",
	 "consume: where a partition without an offset starts (default: earliest)"},
	{OPT_FROM_STATE, "from-state", 0, CLI_ARG, "NAME",
	 "consume: resume after the offsets a sink committed as NAME"},
	{OPT_STATE_DB, "state-db", 0, CLI_ARG, "CONNINFO",
	 "the database of --from-state (default: PG* environment)"},
	{OPT_STATE_TABLE, "state-table", 0, CLI_ARG, "[SCHEMA.]TABLE",
	 "the state table of --from-state (default: etl_state)"},
	{OPT_EXIT_AT_END, "exit-at-end", 'e', CLI_NOARG, NULL,
	 "consume: stop once every partition is read to its end"},
	{OPT_COUNT, "count", 'c', CLI_ARG, "N", "consume: stop after N messages"},
	{OPT_HEADERS_FIELD, "headers-field", 0, CLI_ARG, "FIELD",
	 "the message headers as an object in FIELD"},
	{OPT_KEY, "key", 'k', CLI_ARG, "TEMPLATE", "produce: the message key, e.g. '{card_id}'"},
	{OPT_PARTITION, "partition", 0, CLI_ARG, "N",
	 "produce: write to partition N (default: by key)"},
	{OPT_TIMESTAMP_FIELD, "timestamp-field", 0, CLI_ARG, "FIELD",
	 "produce: the message timestamp from FIELD"},
	{OPT_METRICS, "metrics", 0, CLI_ARG, "FILE", "write Prometheus metrics to FILE"},
	{OPT_METRICS_INTERVAL, "metrics-interval", 0, CLI_ARG, "DURATION",
	 "how often --metrics is written (default: 10s)"},
	{0, NULL, 0, 0, NULL, NULL},
};

static const char *brokers, *group, *start = "earliest", *from_state, *state_db,
				    *state_table = "etl_state", *key_tpl, *metrics_path;
static char **topics;
static size_t ntopics;
static int32_t *only_parts;
static size_t nonly_parts;
static int text_values, exit_at_end;
static uint64_t max_count;
static int32_t partition = RD_KAFKA_PARTITION_UA;
static struct path headers_path, ts_path;
static char *headers_field;
static const char *ts_field;
static int have_headers, have_ts;
static int64_t metrics_every = 10000000;
static char **settings;
static size_t nsettings;
/* the options given, for the checks of the mode (consume or produce) */
static const char *given_opt[OPT_METRICS_INTERVAL + 1];

static volatile sig_atomic_t stop_sig;
static int64_t lag;

static void on_opt(int id, const char *arg)
{
	given_opt[id] = cli_optname;
	switch (id) {
	case OPT_BROKERS:
		brokers = arg;
		break;
	case OPT_TOPIC:
		cli_split_free(topics);
		topics = cli_split(arg, &ntopics);
		for (size_t i = 0; i < ntopics; i++)
			if (!*topics[i])
				cli_usage_error(cli_optname, "an empty topic name in '%s'", arg);
		break;
	case OPT_GROUP:
		group = arg;
		break;
	case OPT_PARTITIONS: {
		size_t n;
		char **v = cli_split(arg, &n);

		free(only_parts);
		only_parts = xcalloc(n, sizeof(*only_parts));
		nonly_parts = n;
		for (size_t i = 0; i < n; i++)
			only_parts[i] = (int32_t)cli_uint(cli_optname, v[i], 0, INT32_MAX);
		cli_split_free(v);
		break;
	}
	case OPT_VALUE_FORMAT:
		if (strcmp(arg, "json") && strcmp(arg, "text"))
			cli_usage_error(cli_optname, "expected json or text, got '%s'", arg);
		text_values = !strcmp(arg, "text");
		break;
	case OPT_SET: {
		const char *eq = strchr(arg, '=');

		if (!eq || eq == arg)
			cli_usage_error(cli_optname, "expected KEY=VALUE, got '%s'", arg);
		/* sasl.password, ssl.key.password, ...client.secret: never shown */
		if (strstr(arg, "password") && strstr(arg, "password") < eq)
			redact_remember(eq + 1, strlen(eq + 1));
		else if (strstr(arg, "secret") && strstr(arg, "secret") < eq)
			redact_remember(eq + 1, strlen(eq + 1));
		settings = xrealloc(settings, (nsettings + 1) * sizeof(*settings));
		settings[nsettings++] = (char *)arg;
		break;
	}
	case OPT_START:
		if (strcmp(arg, "earliest") && strcmp(arg, "latest"))
			cli_usage_error(cli_optname, "expected earliest or latest, got '%s'", arg);
		start = arg;
		break;
	case OPT_FROM_STATE:
		from_state = arg;
		break;
	case OPT_STATE_DB:
		state_db = arg;
		break;
	case OPT_STATE_TABLE:
		state_table = arg;
		break;
	case OPT_EXIT_AT_END:
		exit_at_end = 1;
		break;
	case OPT_COUNT:
		max_count = cli_uint(cli_optname, arg, 1, UINT64_MAX);
		break;
	case OPT_HEADERS_FIELD:
		if (have_headers)
			path_release(&headers_path);
		/* consume names a field of the record it makes: one name */
		if (strpbrk(arg, ".\"") || !*arg)
			cli_usage_error(cli_optname, "expected a field name, got '%s'", arg);
		cli_path(cli_optname, arg, 0, 1, &headers_path);
		have_headers = 1;
		free(headers_field);
		headers_field = xstrdup(arg);
		break;
	case OPT_KEY:
		key_tpl = arg;
		break;
	case OPT_PARTITION:
		partition = (int32_t)cli_uint(cli_optname, arg, 0, INT32_MAX);
		break;
	case OPT_TIMESTAMP_FIELD:
		if (have_ts)
			path_release(&ts_path);
		cli_path(cli_optname, arg, 0, 1, &ts_path);
		have_ts = 1;
		ts_field = arg;
		break;
	case OPT_METRICS:
		metrics_path = arg;
		break;
	case OPT_METRICS_INTERVAL:
		metrics_every = cli_duration(cli_optname, arg, 1000);
		break;
	}
}

static const struct cli_prog prog = {
	"etl-kafka",
	"consume -b BROKERS -t TOPIC[,TOPIC] [OPTIONS] | produce -b BROKERS -t TOPIC [OPTIONS] "
	"[FILE...]",
	"Read Kafka topics as NDJSON, or write NDJSON records to a topic.",
	opts,
	CLI_NO_INPUT | CLI_NO_OUTPUT,
	on_opt,
};

/* ---- librdkafka ---- */

static rd_kafka_t *rk;
static char fatal_msg[512];

/* Errors the client will retry (a broker down) are warnings; a fatal one
 * (the idempotent producer's state lost, an authentication failure) ends
 * the run at the next look. */
static void on_error(rd_kafka_t *h, int err, const char *reason, void *opaque)
{
	(void)opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char msg[512];

		rd_kafka_fatal_error(h, msg, sizeof(msg));
		snprintf(fatal_msg, sizeof(fatal_msg), "%s", msg);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION) {
		snprintf(fatal_msg, sizeof(fatal_msg), "%s", reason);
		return;
	}
	etl_warn(brokers, "%s (retrying)", reason);
}

/* Errors reach on_error() too: the log adds only what is critical. */
static void on_log(const rd_kafka_t *h, int level, const char *fac, const char *buf)
{
	(void)h;
	(void)fac;
	if (level <= 2)
		etl_warn(brokers, "%s", buf);
}

static void check_fatal(void)
{
	if (fatal_msg[0])
		etl_die(ETL_EXIT_TEMPFAIL, brokers, "%s", fatal_msg);
}

static void conf_set(rd_kafka_conf_t *conf, const char *key, const char *val, const char *opt)
{
	char err[512];

	if (rd_kafka_conf_set(conf, key, val, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		cli_usage_error(opt, "%s", err);
	}
}

/* The client's settings: -X first, then what this program needs, which
 * -X cannot turn off. */
static rd_kafka_conf_t *make_conf(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	conf_set(conf, "bootstrap.servers", brokers, "--brokers");
	conf_set(conf, "client.id", "etl-kafka", "--set");
	for (size_t i = 0; i < nsettings; i++) {
		char *key = xstrndup(settings[i], strcspn(settings[i], "="));

		conf_set(conf, key, settings[i] + strlen(key) + 1, "--set");
		free(key);
	}
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	return conf;
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char err[512];
	rd_kafka_t *h = rd_kafka_new(type, conf, err, sizeof(err));

	if (!h)
		etl_die(ETL_EXIT_USAGE, "--set", "%s", err);
	return h;
}

/* ---- consume ---- */

/* A partition this run reads: where it started, what it read last, and
 * whether it is at its end (-e). */
struct part {
	char *topic;
	int32_t id;
	char *stream; /* "topic/partition", escaped, for _off */
	size_t slen;
	int64_t next; /* the offset of the next message; -1 until known */
	int assigned, eof;
};

static struct part *parts;
static size_t nparts, capparts;
static struct offset_set committed = OFFSET_SET_INIT;
/* where the messages arrive: the group's consumer queue, or (without a
 * group) the queue of the partitions started here, with their topics */
static rd_kafka_queue_t *queue;
static rd_kafka_topic_t **handles;

static struct part *part_get(const char *topic, int32_t id)
{
	static size_t last; /* messages come in runs of one partition */
	struct buf s = BUF_INIT;
	struct part *p;
	size_t slen;

	if (last < nparts && parts[last].id == id && !strcmp(parts[last].topic, topic))
		return &parts[last];
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].id == id && !strcmp(parts[i].topic, topic))
			return &parts[last = i];
	xgrow(&parts, &capparts, nparts + 1, sizeof(*parts));
	p = &parts[nparts++];
	offset_stream_escape(&s, topic, strlen(topic));
	buf_printf(&s, "/%" PRId32, id);
	*p = (struct part){xstrdup(topic), id, buf_detach(&s, &slen), slen, -1, 0, 0};
	return p;
}

/* The offset a partition starts from: after the sink's committed one, or
 * the group's (without a group: --start's end of the log). */
static int64_t start_offset(const struct part *p)
{
	const struct offset_entry *e = offset_set_get(&committed, p->stream, strlen(p->stream));
	unsigned long long pos;

	if (e) {
		if (offset_pos_first(e->pos, e->plen, &pos) < 0 || pos >= INT64_MAX)
			etl_die(ETL_EXIT_DATA, from_state, "%s: offset %s is out of range",
				p->stream, e->pos);
		return (int64_t)pos + 1;
	}
	if (group)
		return RD_KAFKA_OFFSET_INVALID;
	return strcmp(start, "latest") ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
}

static void mark(rd_kafka_topic_partition_list_t *l, int assigned)
{
	for (int i = 0; i < l->cnt; i++) {
		struct part *p = part_get(l->elems[i].topic, l->elems[i].partition);

		p->assigned = assigned;
		p->eof = 0;
		if (assigned)
			l->elems[i].offset = start_offset(p);
	}
}

static void on_rebalance(rd_kafka_t *h, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *l,
			 void *opaque)
{
	int coop = !strcmp(rd_kafka_rebalance_protocol(h), "COOPERATIVE");
	rd_kafka_error_t *e = NULL;
	rd_kafka_resp_err_t r = 0;

	(void)opaque;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		mark(l, 1);
		if (coop)
			e = rd_kafka_incremental_assign(h, l);
		else
			r = rd_kafka_assign(h, l);
	} else {
		mark(l, 0);
		if (coop)
			e = rd_kafka_incremental_unassign(h, l);
		else
			r = rd_kafka_assign(h, NULL);
	}
	if (e) {
		snprintf(fatal_msg, sizeof(fatal_msg), "rebalance: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	} else if (r) {
		snprintf(fatal_msg, sizeof(fatal_msg), "rebalance: %s", rd_kafka_err2str(r));
	}
}

static int wanted_partition(int32_t id)
{
	if (!nonly_parts)
		return 1;
	for (size_t i = 0; i < nonly_parts; i++)
		if (only_parts[i] == id)
			return 1;
	return 0;
}

/* Without a group: every partition of the topics (or -p's), from the
 * cluster's metadata. */
static void assign_all(void)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
	rd_kafka_resp_err_t r;

	for (size_t t = 0; t < ntopics; t++) {
		rd_kafka_topic_t *th = rd_kafka_topic_new(rk, topics[t], NULL);
		const struct rd_kafka_metadata *md;
		const struct rd_kafka_metadata_topic *mt;

		r = rd_kafka_metadata(rk, 0, th, &md, 10000);
		rd_kafka_topic_destroy(th);
		if (r)
			etl_die(r == RD_KAFKA_RESP_ERR__TRANSPORT ||
						r == RD_KAFKA_RESP_ERR__TIMED_OUT
					? ETL_EXIT_TEMPFAIL
					: ETL_EXIT_UNAVAIL,
				brokers, "%s: %s", topics[t], rd_kafka_err2str(r));
		mt = md->topic_cnt ? &md->topics[0] : NULL;
		if (!mt || mt->err || !mt->partition_cnt) {
			const char *why =
				mt && mt->err ? rd_kafka_err2str(mt->err) : "no partitions";

			rd_kafka_metadata_destroy(md);
			etl_die(ETL_EXIT_UNAVAIL, brokers, "%s: %s", topics[t], why);
		}
		for (int i = 0; i < mt->partition_cnt; i++)
			if (wanted_partition(mt->partitions[i].id))
				rd_kafka_topic_partition_list_add(l, topics[t],
								  mt->partitions[i].id);
		for (size_t i = 0; i < nonly_parts; i++) {
			int found = 0;

			for (int j = 0; j < mt->partition_cnt; j++)
				found |= mt->partitions[j].id == only_parts[i];
			if (!found) {
				rd_kafka_metadata_destroy(md);
				etl_die(ETL_EXIT_UNAVAIL, brokers, "%s: no partition %" PRId32,
					topics[t], only_parts[i]);
			}
		}
		rd_kafka_metadata_destroy(md);
	}
	mark(l, 1);
	/* each partition fetched into one queue, as kcat -C does: on a
	 * consumer that joins no group, this is the quicker path */
	queue = rd_kafka_queue_new(rk);
	handles = xcalloc(ntopics, sizeof(*handles));
	for (size_t t = 0; t < ntopics; t++)
		handles[t] = rd_kafka_topic_new(rk, topics[t], NULL);
	for (int i = 0; i < l->cnt; i++) {
		size_t t = 0;

		while (strcmp(topics[t], l->elems[i].topic))
			t++;
		if (rd_kafka_consume_start_queue(handles[t], l->elems[i].partition,
						 l->elems[i].offset, queue) < 0)
			etl_die(ETL_EXIT_TEMPFAIL, brokers, "%s/%" PRId32 ": %s", topics[t],
				l->elems[i].partition, rd_kafka_err2str(rd_kafka_last_error()));
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* Stop what assign_all() started. */
static void stop_all(void)
{
	for (size_t i = 0; i < nparts; i++) {
		size_t t = 0;

		while (t < ntopics && strcmp(topics[t], parts[i].topic))
			t++;
		if (t < ntopics && parts[i].assigned)
			rd_kafka_consume_stop(handles[t], parts[i].id);
	}
	rd_kafka_queue_destroy(queue);
	for (size_t t = 0; t < ntopics; t++)
		rd_kafka_topic_destroy(handles[t]);
	free(handles);
}

static int all_at_end(void)
{
	size_t n = 0;

	for (size_t i = 0; i < nparts; i++) {
		if (!parts[i].assigned)
			continue;
		if (!parts[i].eof)
			return 0;
		n++;
	}
	return n > 0;
}

/* The consumer lag: for each assigned partition, the high watermark the
 * client last saw minus the next offset this run reads. */
static void update_lag(void)
{
	int64_t sum = 0;

	for (size_t i = 0; i < nparts; i++) {
		int64_t lo, hi;

		if (!parts[i].assigned ||
		    rd_kafka_get_watermark_offsets(rk, parts[i].topic, parts[i].id, &lo, &hi))
			continue;
		if (hi > parts[i].next && parts[i].next >= 0)
			sum += hi - parts[i].next;
		else if (parts[i].next < 0 && hi > lo)
			sum += hi - lo;
	}
	lag = sum;
}

static struct buf line = BUF_INIT, tmp = BUF_INIT;

enum { BATCH = 1024 }; /* messages taken from the queue at once */

/* The value as the record's start: a JSON object's text without its '}',
 * or {"value":"..." for text.  0, or -1 with the reason in tmp. */
static int value_part(const rd_kafka_message_t *m, int *empty)
{
	struct scan_err err;
	struct span v;

	if (text_values) {
		if (!utf8_valid(m->payload ? m->payload : "", m->len)) {
			buf_adds(&tmp, "the value is not UTF-8 text");
			return -1;
		}
		buf_adds(&line, "{\"value\":");
		jw_string(&line, m->payload ? m->payload : "", m->len);
		*empty = 0;
		return 0;
	}
	buf_add(&line, m->payload ? m->payload : "", m->len);
	if (scan_record(line.p, line.len, NULL, NULL, &err) < 0) {
		buf_printf(&tmp, "the value: %s%s at byte %zu", err.syntax ? "invalid JSON: " : "",
			   err.msg, err.off + 1);
		return -1;
	}
	v = scan_trim((struct span){line.p, line.len});
	memmove(line.p, v.p, v.n);
	line.len = v.n - 1; /* without the closing '}' */
	/* a value pretty-printed on several lines stays one record line:
	 * outside strings (which cannot hold them), line breaks are white
	 * space */
	if (memchr(line.p, '\n', line.len) || memchr(line.p, '\r', line.len))
		for (size_t i = 0; i < line.len; i++)
			if (line.p[i] == '\n' || line.p[i] == '\r')
				line.p[i] = ' ';
	{
		size_t i = 1;

		while (i < line.len && (line.p[i] == ' ' || line.p[i] == '\t' ||
					line.p[i] == '\n' || line.p[i] == '\r'))
			i++;
		*empty = i == line.len; /* nothing but white space after '{' */
	}
	return 0;
}

/* Start the field name: one of the stream's (a plain name, written as it
 * is), or the user's (escaped) with user set. */
static void add_field(const char *name, int user, int *empty)
{
	if (!*empty)
		buf_addc(&line, ',');
	*empty = 0;
	if (user) {
		jw_string(&line, name, strlen(name));
		buf_addc(&line, ':');
	} else {
		buf_addc(&line, '"');
		buf_adds(&line, name);
		buf_adds(&line, "\":");
	}
}

/* One message as one record line, or a bad record. */
static void consume_message(rd_kafka_message_t *m, struct part *p)
{
	rd_kafka_timestamp_type_t tst;
	int64_t ts = rd_kafka_message_timestamp(m, &tst);
	rd_kafka_headers_t *hdrs = NULL;
	int empty;

	stats.records_in++;
	stats.bytes_in += m->len + m->key_len;
	p->next = m->offset + 1;
	p->eof = 0;
	buf_reset(&line);
	buf_reset(&tmp);
	if (value_part(m, &empty) < 0)
		goto bad;
	add_field(OFFSET_FIELD, 0, &empty);
	{
		char num[24];
		size_t n = 0;
		uint64_t o = (uint64_t)m->offset;

		do
			num[sizeof(num) - ++n] = (char)('0' + o % 10);
		while (o /= 10);
		buf_addc(&line, '"');
		buf_add(&line, p->stream, p->slen);
		buf_addc(&line, ':');
		buf_add(&line, num + sizeof(num) - n, n);
		buf_addc(&line, '"');
	}
	if (tst != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) {
		char iso[TIMEFMT_ISO_BUFSZ];
		size_t n = timefmt_iso(ts * 1000, 0, iso);

		add_field("_ts", 0, &empty);
		/* digits, '-', ':', '.', 'T' and 'Z': nothing to escape */
		buf_addc(&line, '"');
		buf_add(&line, iso, n);
		buf_addc(&line, '"');
	}
	if (m->key) {
		if (!utf8_valid(m->key, m->key_len)) {
			buf_adds(&tmp, "the key is not UTF-8 text");
			goto bad;
		}
		add_field("_key", 0, &empty);
		jw_string(&line, m->key, m->key_len);
	}
	if (have_headers) {
		const char *name;
		const void *val;
		size_t size;

		add_field(headers_field, 1, &empty);
		buf_addc(&line, '{');
		if (rd_kafka_message_headers(m, &hdrs) == 0) {
			for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &size);
			     i++) {
				if (i)
					buf_addc(&line, ',');
				jw_string(&line, name, strlen(name));
				buf_addc(&line, ':');
				if (!val) {
					buf_adds(&line, "null");
				} else if (utf8_valid(val, size)) {
					jw_string(&line, val, size);
				} else {
					buf_reset(&tmp);
					buf_printf(&tmp, "the header %s is not UTF-8 text", name);
					goto bad;
				}
			}
		}
		buf_addc(&line, '}');
	}
	buf_addc(&line, '}');
	out_line(line.p, line.len);
	stats.records_out++;
	return;
bad:
	bad_record(p->stream, (uint64_t)m->offset, 0, m->payload ? m->payload : "", m->len, "%s",
		   tmp.p);
}

static uint64_t taken;

/* One message of a batch, or an event (a partition's end, an error).
 * 1 when the run is to stop (-e and every partition at its end). */
static int take(rd_kafka_message_t *m)
{
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		part_get(rd_kafka_topic_name(m->rkt), m->partition)->eof = 1;
		return exit_at_end && all_at_end();
	}
	if (m->err) {
		const char *what = rd_kafka_message_errstr(m);

		if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
		    m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
		    m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED)
			etl_die(ETL_EXIT_UNAVAIL, brokers, "%s%s%s",
				m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->rkt ? ": " : "",
				what);
		etl_warn(brokers, "%s", what);
		return 0;
	}
	consume_message(m, part_get(rd_kafka_topic_name(m->rkt), m->partition));
	taken++;
	progress_tick();
	metrics_tick(0);
	return 0;
}

static void consume(void)
{
	rd_kafka_conf_t *conf = make_conf();
	rd_kafka_message_t *batch[BATCH];
	uint64_t seen = 0;

	if (from_state) {
		PGconn *c = pg_connect(state_db);
		struct pg_table t;
		char err[256];

		if (pg_table_parse(&t, c, state_table, err, sizeof(err)) < 0)
			cli_usage_error("--state-table", "%s", err);
		pg_state_offsets(c, &t, from_state, &committed);
		pg_table_release(&t);
	}
	conf_set(conf, "enable.auto.commit", "false", "--set");
	conf_set(conf, "enable.auto.offset.store", "false", "--set");
	conf_set(conf, "auto.offset.reset", start, "--start");
	if (exit_at_end)
		conf_set(conf, "enable.partition.eof", "true", "--exit-at-end");
	if (group) {
		conf_set(conf, "group.id", group, "--group");
		rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	} else {
		/* the consumer API wants a group even for partitions assigned
		 * here; with explicit start offsets and no commits, the group
		 * is never joined nor read */
		conf_set(conf, "group.id", "etl-kafka", "--group");
	}
	rk = new_client(RD_KAFKA_CONSUMER, conf);
	if (group) {
		rd_kafka_poll_set_consumer(rk);
		queue = rd_kafka_queue_get_consumer(rk);
	}
	if (group) {
		rd_kafka_topic_partition_list_t *l =
			rd_kafka_topic_partition_list_new((int)ntopics);
		rd_kafka_resp_err_t r;

		for (size_t i = 0; i < ntopics; i++)
			rd_kafka_topic_partition_list_add(l, topics[i], RD_KAFKA_PARTITION_UA);
		r = rd_kafka_subscribe(rk, l);
		rd_kafka_topic_partition_list_destroy(l);
		if (r)
			etl_die(ETL_EXIT_UNAVAIL, brokers, "subscribe: %s", rd_kafka_err2str(r));
	} else {
		assign_all();
	}
	metrics_gauge("consumer_lag", "Messages in the assigned partitions not read yet.", &lag);
	while (!stop_sig && !(max_count && seen >= max_count)) {
		size_t want = max_count && max_count - seen < BATCH ? max_count - seen : BATCH;
		ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch, want);
		int done = 0;

		if (!group)
			rd_kafka_poll(rk, 0); /* the error callback */
		check_fatal();
		if (n < 0)
			etl_die(ETL_EXIT_TEMPFAIL, brokers, "%s",
				rd_kafka_err2str(rd_kafka_last_error()));
		if (n == 0) {
			out_idle();
			/* a reader gone while nothing comes: end as on a
			 * closed pipe (a write would tell only later) */
			out_check_reader();
			update_lag();
			metrics_tick(1);
			if (exit_at_end && all_at_end())
				break;
			continue;
		}
		for (ssize_t i = 0; i < n; i++) {
			done |= take(batch[i]);
			rd_kafka_message_destroy(batch[i]);
		}
		seen += taken;
		taken = 0;
		if (done)
			break;
		/* the queue is drained: what was read goes on now rather than
		 * when the output buffer fills, for the latency of a stream */
		if ((size_t)n < want)
			out_idle();
	}
	update_lag();
	if (group) {
		rd_kafka_queue_destroy(queue);
		rd_kafka_consumer_close(rk);
	} else {
		stop_all();
	}
	rd_kafka_destroy(rk);
}

/* ---- produce ---- */

/* What a delivery report needs to name an undelivered record. */
struct sent {
	const char *file;
	uint64_t lineno;
};

static uint64_t undelivered;
static char first_failure[512];
static int reject_undelivered; /* --bad-records skip or FILE */

static void on_delivery(rd_kafka_t *h, const rd_kafka_message_t *m, void *opaque)
{
	struct sent *s = m->_private;

	(void)h;
	(void)opaque;
	if (!m->err) {
		stats.records_out++;
	} else {
		undelivered++;
		if (!first_failure[0])
			snprintf(first_failure, sizeof(first_failure), "%s: %s",
				 etl_where(s->file, s->lineno, 0), rd_kafka_err2str(m->err));
		if (reject_undelivered)
			bad_record(s->file, s->lineno, 0, m->payload, m->len, "not delivered: %s",
				   rd_kafka_err2str(m->err));
	}
	free(s);
}

/* The message timestamp from the record, in milliseconds (0, the time of
 * sending, when the field is missing or null): 0, or -1 with the reason in
 * tmp. */
static int record_timestamp(struct span v, int64_t *ms)
{
	int64_t us;
	int r = evtime_read(v, &us, &tmp);

	if (r == EVTIME_MISSING || r == EVTIME_NULL) {
		*ms = 0; /* the producer's clock */
		return 0;
	}
	if (r != EVTIME_OK) {
		char err[256];

		evtime_message(r, ts_field, v, err, sizeof(err));
		buf_reset(&tmp);
		buf_adds(&tmp, err);
		return -1;
	}
	*ms = us / 1000;
	return 0;
}

/* The record's headers object as message headers: 0, or -1 with the
 * reason in tmp. */
static int record_headers(struct span v, rd_kafka_headers_t **out)
{
	struct scan_iter it;
	struct span k, val;
	struct buf name = BUF_INIT;

	*out = NULL;
	if (scan_kind(v) == SCAN_NONE || scan_kind(v) == SCAN_NULL)
		return 0;
	if (scan_kind(v) != SCAN_OBJECT) {
		buf_printf(&tmp, "%s: the headers are not an object", headers_field);
		return -1;
	}
	*out = rd_kafka_headers_new(8);
	scan_iter_init(&it, scan_trim(v));
	while (scan_iter_next(&it, &k, &val)) {
		enum scan_kind kind = scan_kind(val);

		buf_reset(&name);
		scan_unescape(&name, k.p, k.n);
		buf_reset(&line);
		if (kind == SCAN_STRING) {
			scan_string(&line, val);
			rd_kafka_header_add(*out, name.p, (ssize_t)name.len, line.p,
					    (ssize_t)line.len);
		} else if (kind == SCAN_NULL) {
			rd_kafka_header_add(*out, name.p, (ssize_t)name.len, NULL, 0);
		} else {
			buf_printf(&tmp, "%s.%s: a header is a string or null", headers_field,
				   name.p);
			buf_release(&name);
			rd_kafka_headers_destroy(*out);
			*out = NULL;
			return -1;
		}
	}
	buf_release(&name);
	return 0;
}

static void produce(void)
{
	rd_kafka_conf_t *conf = make_conf();
	struct path want[2];
	size_t nwant = 0, ihdr = 0, its = 0;
	struct ndjson *nd;
	struct record rec;
	struct buf key = BUF_INIT;

	reject_undelivered = cli.bad_records && strcmp(cli.bad_records, "fail");
	conf_set(conf, "enable.idempotence", "true", "--set");
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rk = new_client(RD_KAFKA_PRODUCER, conf);
	if (have_headers)
		want[ihdr = nwant++] = headers_path;
	if (have_ts)
		want[its = nwant++] = ts_path;
	nd = nd_open(cli.files + 1, cli.nfiles - 1, want, nwant);
	while (!stop_sig && nd_next(nd, &rec)) {
		rd_kafka_headers_t *hdrs = NULL;
		int64_t ms = 0;
		rd_kafka_resp_err_t r;
		struct sent *s;

		buf_reset(&tmp);
		buf_reset(&key);
		if (key_tpl && template_expand(&key, key_tpl, rec.line, 'r', &tmp) < 0) {
			nd_reject(nd, &rec, 0, "--key: %s", tmp.p);
			continue;
		}
		if (have_ts && record_timestamp(rec.vals[its], &ms) < 0) {
			nd_reject(nd, &rec, 0, "%s", tmp.p);
			continue;
		}
		if (have_headers && record_headers(rec.vals[ihdr], &hdrs) < 0) {
			nd_reject(nd, &rec, 0, "%s", tmp.p);
			continue;
		}
		s = xmalloc(sizeof(*s));
		*s = (struct sent){rec.file, rec.lineno};
		for (;;) {
			/* the headers are the message's once it is queued */
			r = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topics[0]),
					      RD_KAFKA_V_PARTITION(partition),
					      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					      RD_KAFKA_V_VALUE((void *)rec.line.p, rec.line.n),
					      RD_KAFKA_V_KEY(key_tpl ? key.p : NULL,
							     key_tpl ? key.len : 0),
					      RD_KAFKA_V_TIMESTAMP(ms), RD_KAFKA_V_HEADERS(hdrs),
					      RD_KAFKA_V_OPAQUE(s), RD_KAFKA_V_END);
			if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			rd_kafka_poll(rk, 50);
			check_fatal();
		}
		if (r) {
			free(s);
			if (hdrs)
				rd_kafka_headers_destroy(hdrs);
			nd_reject(nd, &rec, 0, "not sent: %s", rd_kafka_err2str(r));
			continue;
		}
		rd_kafka_poll(rk, 0);
		check_fatal();
		progress_tick();
		metrics_tick(0);
	}
	nd_close(nd);
	while (rd_kafka_outq_len(rk) > 0) {
		rd_kafka_flush(rk, 100);
		check_fatal();
		metrics_tick(1);
	}
	buf_release(&key);
	rd_kafka_destroy(rk);
	if (undelivered)
		etl_die(ETL_EXIT_TEMPFAIL, brokers,
			"%" PRIu64 " of %" PRIu64 " messages were not delivered; the first: %s",
			undelivered, undelivered + stats.records_out, first_failure);
}

/* Options that only one mode takes are usage errors in the other. */
static void check_mode(int consuming)
{
	static const int consume_only[] = {OPT_GROUP,       OPT_PARTITIONS,  OPT_VALUE_FORMAT,
					   OPT_START,       OPT_FROM_STATE,  OPT_STATE_DB,
					   OPT_STATE_TABLE, OPT_EXIT_AT_END, OPT_COUNT};
	static const int produce_only[] = {OPT_KEY, OPT_PARTITION, OPT_TIMESTAMP_FIELD};
	const int *v = consuming ? produce_only : consume_only;
	size_t n =
		consuming ? sizeof(produce_only) / sizeof(*v) : sizeof(consume_only) / sizeof(*v);

	for (size_t i = 0; i < n; i++)
		if (given_opt[v[i]])
			cli_usage_error(given_opt[v[i]], "only %s takes it",
					consuming ? "produce" : "consume");
	if (!brokers)
		cli_usage_error("--brokers", "is required");
	if (!topics)
		cli_usage_error("--topic", "is required");
	if (!consuming && ntopics > 1)
		cli_usage_error("--topic", "produce writes to one topic");
	if (consuming && cli.nfiles > 1)
		cli_usage_error(NULL, "unexpected argument '%s'", cli.files[1]);
	if (group && nonly_parts)
		cli_usage_error("--partitions", "cannot be used with --group (the group assigns "
						"the partitions)");
	if (given_opt[OPT_METRICS_INTERVAL] && !metrics_path)
		cli_usage_error(given_opt[OPT_METRICS_INTERVAL],
				"only --metrics is written at intervals");
	if ((state_db || given_opt[OPT_STATE_TABLE]) && !from_state)
		cli_usage_error(state_db ? "--state-db" : "--state-table",
				"only --from-state reads the state table");
}

int main(int argc, char **argv)
{
	int consuming;

	cli_start(&prog, argc, argv);
	if (!cli.nfiles || (strcmp(cli.files[0], "consume") && strcmp(cli.files[0], "produce")))
		cli_usage_error(NULL, "expected consume or produce%s%s%s",
				cli.nfiles ? ", got '" : "", cli.nfiles ? cli.files[0] : "",
				cli.nfiles ? "'" : "");
	consuming = !strcmp(cli.files[0], "consume");
	check_mode(consuming);
	metrics_setup(metrics_path, metrics_every);
	etl_signals_stop(&stop_sig);
	if (consuming) {
		out_count_records();
		consume();
	} else {
		produce();
	}
	cli_split_free(topics);
	free(only_parts);
	free(settings);
	free(headers_field);
	if (have_headers)
		path_release(&headers_path);
	if (have_ts)
		path_release(&ts_path);
	offset_set_release(&committed);
	for (size_t i = 0; i < nparts; i++) {
		free(parts[i].topic);
		free(parts[i].stream);
	}
	free(parts);
	buf_release(&line);
	buf_release(&tmp);
	if (stop_sig) {
		bad_finish();
		out_close();
		etl_exit(128 + stop_sig);
	}
	cli_finish();
}
