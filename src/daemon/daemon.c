// SPDX-License-Identifier: BSD-2-Clause
/*
 * The daemon's main loop. One thread owns the BPF sampler, the tracker,
 * the symbolizers and the aggregators, and multiplexes with epoll: the ring
 * buffer, a signalfd (SIGINT/SIGTERM stop, SIGHUP reloads) and a periodic
 * timerfd that closes a window. Closing a window builds a symbolized
 * profile from the aggregator, labels each sample with its process's
 * container and pod, encodes it as gzipped pprof, stores it,
 * resets the aggregator and only then releases the symbols of processes
 * that exited (the build still needed them). The loop also serves the live
 * capture slot and publishes counters for /metrics about once a second, so
 * a scrape never reaches into main-thread state.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon_int.h"
#include "log.h"
#include "output.h"
#include "privileges.h"
#include "profile_build.h"
#include "store.h"

#define POLL_MS	      100
#define PUBLISH_NS    1000000000ll
#define EXITED_BATCH  256
#define CAPTURE_WORDS 32 /* frame words per stack in the capture arena */

enum { TAG_RINGBUF = 1, TAG_SIGNAL, TAG_TIMER };

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int daemon_encode_gz(const struct profile *p, uint8_t **buf, size_t *len)
{
	char *mem = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&mem, &n);
	int err;

	if (!f)
		return -errno;
	err = pprof_write(p, f);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(mem);
		return err;
	}
	*buf = (uint8_t *)mem;
	*len = n;
	return 0;
}

static int on_sample(void *ctx, const struct zp_sample *s, size_t len)
{
	struct daemon *d = ctx;
	struct proc_entry *e;
	int added, cap;

	e = proctable__get(d->procs, s->pid, s->comm, d->window_no, d->cfg);
	if (!e->allowed)
		return 0;
	tracker__before(d->trk, s);
	added = aggregator__add(d->agg, s, len);
	tracker__after(d->trk, s, added);
	if (added >= 0) {
		e->pending++;
		d->samples_total++;
	}
	if (d->cap_active && (!d->cap_pid || d->cap_pid == s->pid)) {
		cap = aggregator__add(d->cap_agg, s, len);
		/* new to the capture only (the window dropped it): its Python
		 * code objects still need reading */
		if (cap == 1 && added != 1)
			tracker__after(d->trk, s, cap);
	}
	return 0;
}

static void on_event(void *ctx, const struct zp_proc_event *ev)
{
	struct daemon *d = ctx;

	tracker__event(d->trk, ev);
	if (ev->type == ZP_EV_EXEC)
		proctable__refresh(d->procs, ev->pid, d->cfg);
}

/* Exited processes' symbols and table entries, once no build needs them. */
static void release_exited(struct daemon *d)
{
	uint32_t pids[EXITED_BATCH];
	size_t n, i;

	if (d->cap_active)
		return;
	while ((n = tracker__take_exited(d->trk, pids, EXITED_BATCH))) {
		for (i = 0; i < n; i++) {
			symbolizer__drop_pid(d->sym, (pid_t)pids[i]);
			if (d->py)
				pysym__drop_pid(d->py, (pid_t)pids[i]);
			proctable__remove(d->procs, pids[i]);
		}
	}
}

/* Label pairs every sample of a build carries: node and [labels]. */
static uint32_t add_static_labels(const struct daemon *d, struct pf_label *kv)
{
	uint32_t n = 0, i;

	kv[n++] = (struct pf_label){ PF_LABEL_NODE, d->node_name };
	for (i = 0; i < d->cfg->nlabels; i++)
		kv[n++] = (struct pf_label){ d->cfg->labels[i].name,
					     d->cfg->labels[i].value };
	return n;
}

/*
 * Give each sample of P its process's label set: executable, cgroup,
 * container and pod, plus the static ones. Sets are interned per process
 * once per build (GEN), so a window's many samples of one process cost one
 * table probe each.
 */
static void label_samples(struct daemon *d, struct profile *p)
{
	struct pf_label kv[PF_LABELSET_MAX];
	uint32_t nstatic = add_static_labels(d, kv), base, n;
	uint64_t gen = ++d->build_gen;
	struct proc_entry *e;
	size_t i;

	base = profile__labelset(p, kv, nstatic);
	for (i = 0; i < p->nsamples; i++) {
		e = proctable__find(d->procs, p->samples[i].pid);
		if (!e) {
			p->samples[i].labelset = base;
			continue;
		}
		if (e->labelset_gen != gen) {
			n = nstatic;
			kv[n++] = (struct pf_label){ PF_LABEL_EXE, e->exe };
			kv[n++] =
			    (struct pf_label){ PF_LABEL_BUILD_ID, e->build_id };
			kv[n++] =
			    (struct pf_label){ PF_LABEL_CGROUP, e->cgroup };
			kv[n++] = (struct pf_label){ PF_LABEL_CONTAINER_ID,
						     e->container_id };
			kv[n++] =
			    (struct pf_label){ PF_LABEL_POD_UID, e->pod_uid };
			kv[n++] = (struct pf_label){ PF_LABEL_QOS_CLASS,
						     cgroup_qos_name(e->qos) };
			kv[n++] = (struct pf_label){ PF_LABEL_CONTAINER_RUNTIME,
						     cgroup_runtime_name(
							 e->runtime) };
			e->labelset = profile__labelset(p, kv, n);
			e->labelset_gen = gen;
		}
		p->samples[i].labelset = e->labelset;
	}
}

static int build(struct daemon *d, struct profile *p,
		 const struct aggregator *agg, int64_t start_real_ns,
		 int64_t duration_ns)
{
	int err;

	struct profile_build_opts bo = {
		.period_ns = 1000000000ll / d->cfg->frequency_hz,
		.duration_ns = duration_ns,
		.time_ns = start_real_ns,
		.py = d->py,
	};

	err = profile_build(p, agg, d->sym, &bo);
	if (err)
		return err;
	label_samples(d, p);
	return profile__status(p);
}

/* Close the window [window_start, END): build, encode, store, reset. */
static void flush_window(struct daemon *d, int64_t end_ms, int64_t end_ns)
{
	struct profile *p = profile__new();
	struct agg_stats as;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	aggregator__stats(d->agg, &as);
	d->lost_stack_table += as.dropped;
	d->lost_malformed += as.malformed;
	metric_set(d->m.stacks_in_window, as.stacks);
	if (end_ms <= d->window_start_ms)
		end_ms = d->window_start_ms + 1;
	err = p ? build(d, p, d->agg, d->window_start_ms * 1000000,
			end_ns - d->window_start_ns)
		: -ENOMEM;
	if (!err)
		err = daemon_encode_gz(p, &buf, &len);
	if (!err)
		err =
		    store__put(d->store, d->window_start_ms, end_ms, buf, len);
	if (err) {
		d->window_write_errors++;
		/* a full disk fails every window: say so once, count the rest
		 */
		if (!d->failed_run++)
			log_warn("window %lld-%lld not stored: %s (further "
				 "failures are counted in "
				 "zprofd_window_write_errors_total)",
				 (long long)d->window_start_ms,
				 (long long)end_ms, strerror(-err));
		else
			log_debug("window %lld-%lld not stored: %s",
				  (long long)d->window_start_ms,
				  (long long)end_ms, strerror(-err));
	} else {
		if (d->failed_run)
			log_info("windows are stored again, after %llu that "
				 "were not",
				 (unsigned long long)d->failed_run);
		d->failed_run = 0;
		d->windows_written++;
		log_debug("window %lld-%lld: %llu samples, %llu stacks, "
			  "%zu bytes",
			  (long long)d->window_start_ms, (long long)end_ms,
			  (unsigned long long)as.samples,
			  (unsigned long long)as.stacks, len);
	}
	/* a full disk does not stop the push, nor a dead backend the store */
	if (buf)
		daemon_push_window(d, p, &buf, len, end_ms);
	free(buf);
	profile__free(p);
	aggregator__reset(d->agg);
	proctable__end_window(d->procs);
	release_exited(d);
	d->window_no++;
	d->window_start_ms = end_ms;
	d->window_start_ns = end_ns;
}

/* Push counters: those of pushers a reload replaced plus the current one. */
static void publish_push(struct daemon *d)
{
	struct push_counters pc = {};

	if (d->push)
		pusher__counters(d->push, &pc);
	metric_set(d->m.push_build_errors, d->push_build_errors);
	metric_set(d->m.push_requests, d->push_base.requests + pc.requests);
	metric_set(d->m.push_bytes, d->push_base.bytes + pc.bytes);
	metric_set(d->m.push_failures, d->push_base.failures + pc.failures);
	metric_set(d->m.push_queued, pc.queued);
	metric_set(d->m.push_dropped_full,
		   d->push_base.dropped_full + pc.dropped_full);
	metric_set(d->m.push_dropped_refused,
		   d->push_base.dropped_refused + pc.dropped_refused);
	metric_set(d->m.push_dropped_stop,
		   d->push_base.dropped_stop + pc.dropped_stop);
}

/*
 * Stop the pusher and keep its counters. DRAIN (at exit): its queue gets
 * PUSH_DRAIN_MS; a reload does not hold up the main loop for it.
 */
static void push_stop(struct daemon *d, bool drain)
{
	struct push_counters pc;

	if (!d->push)
		return;
	pusher__free(d->push, &pc, drain);
	d->push = NULL;
	d->push_base.requests += pc.requests;
	d->push_base.bytes += pc.bytes;
	d->push_base.failures += pc.failures;
	d->push_base.dropped_full += pc.dropped_full;
	d->push_base.dropped_refused += pc.dropped_refused;
	d->push_base.dropped_stop += pc.dropped_stop;
}

/* Start, reconfigure or stop the pusher to match the configuration. */
static int push_apply(struct daemon *d)
{
	char msg[512];
	int err = 0;

	if (!d->cfg->push_url) {
		if (d->push) {
			push_stop(d, false);
			log_info("push: no push.url any more, stopped");
		}
		return 0;
	}
	if (d->push)
		err = pusher__configure(d->push, d->cfg, msg, sizeof(msg));
	else
		d->push = pusher__new(d->cfg, d->cfg->frequency_hz, msg,
				      sizeof(msg), &err);
	if (err) {
		log_error("push: %s", msg[0] ? msg : strerror(-err));
		return err;
	}
	config_format_url(d->cfg->push_url, msg, sizeof(msg));
	log_info("push: every window goes to %s as %s", msg,
		 d->cfg->push_service_name_from == CONFIG_SERVICE_COMM
		     ? "one service per comm"
		     : d->cfg->push_service_name);
	return 0;
}

static void publish(struct daemon *d)
{
	uint64_t st[ZP_STAT__MAX] = {};
	struct symbolizer_stats ss;
	struct pysym_stats ps = {};
	struct proctable_stats pt;
	struct store_counters sc;
	struct agg_stats as;

	sampler__stats(d->smp, st);
	store__counters(d->store, &sc);
	metric_set(d->m.store_bytes, sc.bytes);
	metric_set(d->m.store_windows, sc.windows);
	metric_set(d->m.store_evicted, sc.evicted);
	aggregator__stats(d->agg, &as);
	symbolizer__stats(d->sym, &ss);
	proctable__stats(d->procs, &pt);
	if (d->py)
		pysym__stats(d->py, &ps);
	metric_set(d->m.samples, d->samples_total);
	metric_set(d->m.lost_ringbuf, st[ZP_STAT_RB_DROPS]);
	metric_set(d->m.lost_proc_events, st[ZP_STAT_PROC_EV_DROPS]);
	metric_set(d->m.lost_stack_table, d->lost_stack_table + as.dropped);
	metric_set(d->m.lost_malformed, d->lost_malformed + as.malformed);
	metric_set(d->m.processes, pt.count);
	metric_set(d->m.processes_evicted, pt.evicted);
	metric_set(d->m.python_processes, ps.procs);
	metric_set(d->m.windows_written, d->windows_written);
	metric_set(d->m.window_write_errors, d->window_write_errors);
	metric_set(d->m.sym_files, ss.files_cached);
	metric_set(d->m.sym_bytes, ss.files_bytes);
	metric_set(d->m.sym_procs, ss.procs);
	publish_push(d);
}

/* ---- live capture (see daemon_int.h for the protocol) ---- */

static void capture_finish(struct daemon *d)
{
	int64_t end = now_ns(CLOCK_MONOTONIC);
	struct profile *p = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int err = 0;

	if (!d->cap_agg)
		err = -ENOMEM;
	if (!err) {
		p = profile__new();
		err = p ? 0 : -ENOMEM;
	}
	if (!err)
		err = build(d, p, d->cap_agg,
			    d->cap_active ? d->cap_start_real_ns
					  : now_ns(CLOCK_REALTIME),
			    d->cap_active ? end - d->cap_start_ns : 0);
	if (!err)
		err = daemon_encode_gz(p, &buf, &len);
	profile__free(p);
	d->cap_active = false;

	pthread_mutex_lock(&d->cap.lock);
	if (d->cap.state == CAPTURE_CANCELLED) {
		d->cap.state = CAPTURE_IDLE;
		free(buf);
	} else {
		d->cap.state = CAPTURE_DONE;
		d->cap.buf = buf;
		d->cap.len = len;
		d->cap.err = err;
		metric_add(d->m.captures, 1);
	}
	pthread_cond_broadcast(&d->cap.cond);
	pthread_mutex_unlock(&d->cap.lock);
}

static void capture_service(struct daemon *d)
{
	enum capture_state st;

	pthread_mutex_lock(&d->cap.lock);
	st = d->cap.state;
	if (st == CAPTURE_REQUESTED) {
		if (!d->cap_agg)
			d->cap_agg = aggregator__new(
			    d->cfg->max_stacks,
			    (size_t)d->cfg->max_stacks * CAPTURE_WORDS);
		if (d->cap_agg) {
			aggregator__reset(d->cap_agg);
			d->cap_active = true;
			d->cap_pid = d->cap.pid;
			d->cap_start_ns = now_ns(CLOCK_MONOTONIC);
			d->cap_start_real_ns = now_ns(CLOCK_REALTIME);
		}
		d->cap.state = CAPTURE_ACTIVE;
		pthread_cond_broadcast(&d->cap.cond);
	} else if (st == CAPTURE_CANCELLED) {
		d->cap_active = false;
		d->cap.state = CAPTURE_IDLE;
	}
	pthread_mutex_unlock(&d->cap.lock);
	/* built without the lock: /metrics and other requests go on */
	if (st == CAPTURE_FINISH)
		capture_finish(d);
	if (st == CAPTURE_CANCELLED)
		release_exited(d);
}

/* ---- configuration ---- */

static void apply_log_level(const struct daemon *d)
{
	log_set_level(d->ov->verbose ? LOG_DEBUG
				     : (enum log_level)d->cfg->log_level);
}

static void store_limits_from(const struct zp_config *c,
			      struct store_limits *lim)
{
	*lim = (struct store_limits){
		.max_bytes = c->max_bytes,
		.max_age_ms = (int64_t)c->max_age_s * 1000,
		/* a full check of every window would make a start after a
		 * week of history slow; torn writes are the newest ones */
		.verify_newest = 16,
	};
}

/*
 * The API token, reread on every reload: a rotated secret keeps its path
 * (a Kubernetes Secret update). A file that cannot be read keeps the old
 * token rather than opening the API.
 */
static void reload_token(struct daemon *d)
{
	char *token = NULL;
	int err = 0;

	if (d->cfg->auth_token_file) {
		err = http_load_token_file(d->cfg->auth_token_file, &token);
		if (err) {
			log_error("reload: the API token file %s: %s; the "
				  "current token stays",
				  d->cfg->auth_token_file, strerror(-err));
			return;
		}
	}
	err = http_server__set_token(d->http, token);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	if (err) {
		log_error("reload: the new API token not applied: %s",
			  strerror(-err));
		return;
	}
	if (d->api_token && !d->cfg->auth_token_file)
		log_warn("reload: no daemon.auth_token_file: the API needs no "
			 "token now");
	d->api_token = d->cfg->auth_token_file != NULL;
}

static void reload(struct daemon *d)
{
	struct store_limits lim;
	struct config_change ch[32];
	struct zp_config next = {};
	char err[512];
	int n, i, rc;

	if (!d->config_path) {
		log_info("SIGHUP: started without --config, nothing to "
			 "reload");
		return;
	}
	rc = config__load_file(&next, d->config_path, err, sizeof(err));
	if (!rc)
		rc = daemon_apply_overrides(&next, d->ov);
	if (rc) {
		log_error("reload refused, the running configuration stays: "
			  "%s",
			  rc == -EINVAL ? err : strerror(-rc));
		goto out;
	}
	n = config__reload_diff(d->cfg, &next, ch, 32);
	for (i = 0; i < n && i < 32; i++) {
		if (ch[i].live)
			log_info("reload: %s = %s (was %s)", ch[i].key,
				 ch[i].new_value, ch[i].old_value);
		else
			log_warn("reload: %s change to %s needs a restart; "
				 "kept %s",
				 ch[i].key, ch[i].new_value, ch[i].old_value);
	}
	if (n > 32)
		log_info("reload: %d more changes not listed", n - 32);
	if (!n)
		log_info("reload: no changes");
	rc = config__apply_live(d->cfg, &next);
	if (rc) {
		log_error("reload failed: %s", strerror(-rc));
		goto out;
	}
	apply_log_level(d);
	reload_token(d);
	proctable__refilter(d->procs, d->cfg);
	push_apply(d); /* on failure the running pusher keeps its settings */
	store_limits_from(d->cfg, &lim);
	rc = store__set_limits(d->store, &lim);
	if (rc)
		log_error("reload: new retention limits not applied: %s",
			  strerror(-rc));
out:
	config__free(&next);
}

/* ---- setup ---- */

/* On the scraping thread: the server's own counters are atomics. */
static void collect_http(struct metrics *r, void *ctx)
{
	struct daemon *d = ctx;
	struct http_stats hs;

	(void)r;
	if (!d->http)
		return;
	http_server__stats(d->http, &hs);
	metric_set(d->m.http_requests, hs.requests);
	metric_set(d->m.http_rejected, hs.rejected);
	metric_set(d->m.http_failed, hs.failed);
}

static int metrics_setup(struct daemon *d)
{
	static const struct metric_desc lost = {
		.name = "zprofd_samples_lost_total",
		.help = "Samples lost, by reason: ringbuf (BPF ring buffer "
			"full), stack_table (window table full), malformed "
			"(bad record), proc_events (lifecycle events lost)",
		.type = METRIC_COUNTER,
		.labels = { "reason" },
	};
	static const struct metric_desc dropped = {
		.name = "zprofd_push_dropped_total",
		.help = "Push requests given up, by reason: queue_full "
			"(windows, the queue bound), refused (requests the "
			"server answered 4xx), stopping (windows unsent at "
			"exit)",
		.type = METRIC_COUNTER,
		.labels = { "reason" },
	};
	struct metrics *r = d->metrics;
	struct daemon_metrics *m = &d->m;
	struct metric_family *f;
	int err = 0;

#define CHILD(field, reason)                                                   \
	do {                                                                   \
		const char *v_[] = { reason };                                 \
		if (!err)                                                      \
			m->field = metric_family__child(f, v_, &err);          \
	} while (0)
#define PLAIN(field, kind, name, help)                                         \
	do {                                                                   \
		if (!err)                                                      \
			m->field = metrics__##kind(r, name, help, &err);       \
	} while (0)

	PLAIN(samples, counter, "zprofd_samples_total",
	      "Samples aggregated into windows");
	PLAIN(processes, gauge, "zprofd_processes_tracked",
	      "Processes in the process table");
	PLAIN(processes_evicted, counter, "zprofd_processes_evicted_total",
	      "Processes evicted from the full process table "
	      "(limits.max_processes)");
	PLAIN(python_processes, gauge, "zprofd_python_processes",
	      "CPython processes whose frames are walked");
	PLAIN(windows_written, counter, "zprofd_windows_written_total",
	      "Windows stored");
	PLAIN(window_write_errors, counter, "zprofd_window_write_errors_total",
	      "Windows that could not be built or stored");
	PLAIN(stacks_in_window, gauge, "zprofd_stacks_in_window",
	      "Distinct stacks in the last closed window");
	PLAIN(store_bytes, gauge, "zprofd_store_bytes",
	      "Bytes of stored windows");
	PLAIN(store_windows, gauge, "zprofd_store_windows", "Stored windows");
	PLAIN(store_evicted, counter, "zprofd_store_evicted_total",
	      "Stored windows deleted by the retention limits");
	PLAIN(sym_files, gauge, "zprofd_symbol_files_cached",
	      "ELF symbol tables held");
	PLAIN(sym_bytes, gauge, "zprofd_symbol_cache_bytes",
	      "Heap held by ELF symbol tables");
	PLAIN(sym_procs, gauge, "zprofd_symbol_processes",
	      "Process memory map snapshots held");
	PLAIN(captures, counter, "zprofd_live_captures_total",
	      "/debug/pprof/profile captures served");
	PLAIN(http_requests, counter, "zprofd_http_requests_total",
	      "HTTP requests received");
	PLAIN(http_rejected, counter, "zprofd_http_rejected_total",
	      "HTTP requests refused by validation (4xx)");
	PLAIN(http_failed, counter, "zprofd_http_errors_total",
	      "HTTP requests whose handler failed (5xx)");
	PLAIN(push_requests, counter, "zprofd_push_requests_total",
	      "Profiles the Pyroscope server accepted");
	PLAIN(push_bytes, counter, "zprofd_push_bytes_total",
	      "Bytes of the profiles the Pyroscope server accepted");
	PLAIN(push_failures, counter, "zprofd_push_failures_total",
	      "Push attempts that failed and are retried with backoff");
	PLAIN(push_queued, gauge, "zprofd_push_queue_windows",
	      "Windows waiting to be pushed");
	PLAIN(push_build_errors, counter, "zprofd_push_build_errors_total",
	      "Windows that could not be prepared for pushing");
	f = err ? NULL : metrics__family(r, &lost, &err);
	CHILD(lost_ringbuf, "ringbuf");
	CHILD(lost_stack_table, "stack_table");
	CHILD(lost_malformed, "malformed");
	CHILD(lost_proc_events, "proc_events");
	f = err ? NULL : metrics__family(r, &dropped, &err);
	CHILD(push_dropped_full, "queue_full");
	CHILD(push_dropped_refused, "refused");
	CHILD(push_dropped_stop, "stopping");
#undef CHILD
#undef PLAIN
	if (!err)
		err = metrics__add_process(r);
	if (!err)
		err = metrics__add_collector(r, collect_http, d);
	return err;
}

static int epoll_add(int ep, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Periodic, armed once BPF is attached: the first window is full length. */
static int window_timer_arm(int fd, uint32_t seconds)
{
	struct itimerspec its = {
		.it_value.tv_sec = seconds,
		.it_interval.tv_sec = seconds,
	};

	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

static int http_setup(struct daemon *d, char *addr, size_t addrlen)
{
	struct http_opts ho = {};
	char *token = NULL;
	int err = 0;

	config_format_hostport(&d->cfg->listen, addr, addrlen);
	if (d->cfg->auth_token_file) {
		err = http_load_token_file(d->cfg->auth_token_file, &token);
		if (err) {
			log_error("cannot use the API token file %s: %s",
				  d->cfg->auth_token_file, strerror(-err));
			return err;
		}
	}
	ho.listen = addr;
	ho.auth_token = token;
	d->api_token = token != NULL;
	d->http = http_server__new(&ho, &err);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	if (!d->http)
		return err;
	return daemon_api_routes(d);
}

static void read_signals(int sfd, bool *stop, bool *hup)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			*hup = true;
		else
			*stop = true;
	}
}

int daemon_run(struct zp_config *cfg, const char *config_path,
	       const struct daemon_overrides *ov)
{
	struct symbolizer_opts so = { .kernel = cfg->kernel_stacks };
	struct sampler_opts sopts = {
		.all = true,
		.frequency = cfg->frequency_hz,
		.kernel_stacks = cfg->kernel_stacks,
		.user_stacks = true,
		.ringbuf_bytes = cfg->ring_buffer_bytes,
		.python = cfg->python,
		.cb = on_sample,
		.event_cb = on_event,
	};
	struct daemon *d = calloc(1, sizeof(*d));
	struct store_limits lim;
	struct epoll_event evs[8];
	char addr[CONFIG_HOST_LEN + 16];
	int ep = -1, sfd = -1, tfd = -1, err = 0, n, i, status = 1;
	bool stop = false, hup, tick;
	int64_t last_publish = 0, t;
	const char *node;
	uint64_t ticks;
	sigset_t mask;

	if (!d) {
		log_error("out of memory");
		return 1;
	}
	d->cfg = cfg;
	d->config_path = config_path;
	d->ov = ov;
	pthread_mutex_init(&d->cap.lock, NULL);
	pthread_cond_init(&d->cap.cond, NULL);
	node = getenv("NODE_NAME");
	snprintf(d->node_name, sizeof(d->node_name), "%s", node ? node : "");
	apply_log_level(d);

	/*
	 * Blocked before any thread exists: the HTTP threads inherit the
	 * mask, so these signals only ever reach the signalfd.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = privileges_check_bpf();
	if (err)
		goto out;
	store_limits_from(cfg, &lim);
	d->store = store__open(cfg->state_dir, &lim, &err);
	if (!d->store) {
		if (err == -EBUSY)
			log_error("the state directory %s is in use by another "
				  "zprofd",
				  cfg->state_dir);
		else
			log_error("cannot use the state directory %s: %s",
				  cfg->state_dir, strerror(-err));
		goto out;
	}
	d->metrics = metrics__new(&err);
	if (d->metrics)
		err = metrics_setup(d);
	if (err) {
		log_error("setting up metrics failed: %s", strerror(-err));
		goto out;
	}
	err = push_apply(d);
	if (err)
		goto out;
	/* bind before loading BPF: a taken port fails fast and cheaply */
	err = http_setup(d, addr, sizeof(addr));
	if (err)
		goto out;

	/*
	 * Kernel symbols loaded once, whole: windows come every few
	 * seconds, and reloading a subset of kallsyms for each would cost
	 * more than keeping the table.
	 */
	so.max_procs = cfg->max_processes;
	d->sym = symbolizer__new(&so);
	d->py = cfg->python ? pysym__new(NULL) : NULL;
	d->trk = d->sym ? tracker__new(d->sym, d->py) : NULL;
	d->agg = aggregator__new(cfg->max_stacks, (size_t)cfg->max_stacks * 32);
	d->procs = proctable__new(cfg->max_processes, NULL);
	if (!d->sym || !d->trk || !d->agg || !d->procs ||
	    (cfg->python && !d->py)) {
		err = -ENOMEM;
		log_error("out of memory setting up the daemon");
		goto out;
	}
	if (cfg->kernel_stacks && !symbolizer__kernel_usable(d->sym))
		log_warn("kernel symbols unavailable (kptr_restrict?): kernel "
			 "frames stay unresolved");

	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ep < 0 || sfd < 0 || tfd < 0) {
		err = -errno;
		log_error("setting up the event loop failed: %s",
			  strerror(-err));
		goto out;
	}

	sopts.cb_ctx = d;
	d->smp = sampler__new(&sopts);
	if (!d->smp) {
		err = errno ? -errno : -EINVAL;
		goto out;
	}
	tracker__set_sampler(d->trk, d->smp);
	err = tracker__start_unwinder(d->trk);
	if (err)
		log_warn("no unwind tables (%s): native stacks use frame "
			 "pointers",
			 strerror(-err));
	err = epoll_add(ep, sfd, TAG_SIGNAL);
	if (!err)
		err = epoll_add(ep, tfd, TAG_TIMER);
	if (!err)
		err = epoll_add(ep, sampler__epoll_fd(d->smp), TAG_RINGBUF);
	if (err) {
		log_error("watching the event sources failed: %s",
			  strerror(-err));
		goto out;
	}
	err = window_timer_arm(tfd, cfg->window_s);
	if (err) {
		log_error("arming the window timer failed: %s", strerror(-err));
		goto out;
	}
	d->window_start_ms = now_ns(CLOCK_REALTIME) / 1000000;
	d->window_start_ns = now_ns(CLOCK_MONOTONIC);
	d->window_no = 1;

	err = http_server__start(d->http);
	if (err) {
		log_error("starting the HTTP server failed: %s",
			  strerror(-err));
		goto out;
	}
	fprintf(stderr, "zprofd: daemon ready, listening on %s\n", addr);
	sd_notify(0, "READY=1");

	while (!stop) {
		n = epoll_wait(ep, evs, 8, POLL_MS);
		if (n < 0 && errno != EINTR) {
			err = -errno;
			log_error("epoll_wait failed: %s", strerror(-err));
			goto out;
		}
		hup = tick = false;
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 == TAG_SIGNAL)
				read_signals(sfd, &stop, &hup);
			else if (evs[i].data.u64 == TAG_TIMER &&
				 read(tfd, &ticks, sizeof(ticks)) > 0)
				tick = true;
		}
		/* before a window closes: what the ring holds belongs in it */
		sampler__drain(d->smp);
		if (tick)
			flush_window(d, now_ns(CLOCK_REALTIME) / 1000000,
				     now_ns(CLOCK_MONOTONIC));
		if (hup) {
			sd_notify(0, "RELOADING=1");
			reload(d);
			sd_notify(0, "READY=1");
		}
		capture_service(d);
		t = now_ns(CLOCK_MONOTONIC);
		if (t - last_publish >= PUBLISH_NS) {
			last_publish = t;
			publish(d);
		}
	}

	sd_notify(0, "STOPPING=1");
	log_info("stopping: storing the current window");
	sampler__detach(d->smp);
	sampler__drain(d->smp);
	flush_window(d, now_ns(CLOCK_REALTIME) / 1000000,
		     now_ns(CLOCK_MONOTONIC));
	if (d->push)
		log_info("stopping: pushing the queued windows (at most %us)",
			 PUSH_DRAIN_MS / 1000);
	push_stop(d, true);
	status = 0;
out:
	if (err && err != -ENOMEM)
		log_debug("daemon exits: %s", strerror(-err));
	/* wake a handler waiting for a capture before stopping the server */
	pthread_mutex_lock(&d->cap.lock);
	d->cap.shutdown = true;
	pthread_cond_broadcast(&d->cap.cond);
	pthread_mutex_unlock(&d->cap.lock);
	http_server__free(d->http);
	push_stop(d, false);
	sampler__free(d->smp);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	if (ep >= 0)
		close(ep);
	tracker__free(d->trk);
	symbolizer__free(d->sym);
	pysym__free(d->py);
	aggregator__free(d->cap_agg);
	aggregator__free(d->agg);
	proctable__free(d->procs);
	metrics__free(d->metrics);
	store__free(d->store);
	free(d->cap.buf);
	pthread_cond_destroy(&d->cap.cond);
	pthread_mutex_destroy(&d->cap.lock);
	free(d);
	return status;
}
