// SPDX-License-Identifier: BSD-2-Clause
/*
 * The push queue and its sending thread (see include/push.h for the
 * protocol and the policy). libcurl does the HTTP: one easy handle for the
 * thread's lifetime, so connections are kept alive between windows.
 *
 * Locking: P->lock guards the queue, the settings and the counters. The
 * thread copies what one attempt needs (URL base, headers) under the lock
 * and sends without it, so the main thread never waits for the network; the
 * window being sent is marked busy and is never dropped from under it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "push.h"
#include "secret.h"

/* service (127) + 17 labels of (63 + 127 + 2) bytes, cleaned: fits */
#define NAME_MAX_LEN 4096
#define REASON_MAX   160 /* bytes of an error answer kept for the log */

struct push_part {
	char *name; /* the application name, "service{k=v,...}" */
	uint8_t *body;
	size_t len;
};

struct push_window {
	int64_t from_ms, until_ms;
	struct push_part *parts;
	size_t nparts, cap;
	size_t sent;  /* parts accepted so far: a retry resumes here */
	size_t bytes; /* body bytes, for the queue bound */
	struct push_window *next;
	bool busy; /* being sent: not to be dropped */
};

/* What one attempt needs, owned; replaced whole by pusher__configure(). */
struct push_settings {
	char *url;
	char log_url[256]; /* for messages: no query (it may hold a key) */
	char *token;	   /* bearer */
	char *user;	   /* basic auth, with pass */
	char *pass;
	char *tenant;
	uint32_t timeout_ms;
	uint32_t queue_max;
	uint64_t gen; /* bumped on every change */
};

struct pusher {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool stop;
	bool kick; /* settings changed: end a backoff */
	/* monotonic ms after which a request in flight is abandoned; 0: none.
	 * Written under the lock, read by curl's progress callback without */
	int64_t abort_at;
	struct push_settings set;
	uint32_t hz;
	struct push_window *head, *tail;
	struct push_counters c;
	/* sending thread only */
	CURL *curl;
	struct curl_slist *headers;
	uint64_t headers_gen;
	uint32_t backoff_ms;
	uint32_t failed_run;  /* consecutive failed attempts */
	uint32_t refused_run; /* refusals since the last accepted request */
	unsigned int seed;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- windows ---- */

struct push_window *push_window__new(int64_t from_ms, int64_t until_ms)
{
	struct push_window *w = calloc(1, sizeof(*w));

	if (w) {
		w->from_ms = from_ms;
		w->until_ms = until_ms;
	}
	return w;
}

void push_window__free(struct push_window *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->nparts; i++) {
		free(w->parts[i].body);
		free(w->parts[i].name);
	}
	free(w->parts);
	free(w);
}

int push_window__add(struct push_window *w, const char *service,
		     const struct zp_label *labels, size_t nlabels,
		     uint8_t *body, size_t len)
{
	struct push_part *parts, *p;
	char name[NAME_MAX_LEN];
	size_t cap;
	int err;

	if (!w || !body || !len || w->nparts >= PUSH_SERVICES_MAX + 1)
		return -EINVAL;
	if (w->nparts == w->cap) {
		cap = w->cap ? w->cap * 2 : 4;
		parts = realloc(w->parts, cap * sizeof(*parts));
		if (!parts)
			return -ENOMEM;
		w->parts = parts;
		w->cap = cap;
	}
	p = &w->parts[w->nparts];
	err = push_app_name(name, sizeof(name), service, labels, nlabels);
	if (err)
		return err == -ENAMETOOLONG ? -EINVAL : err;
	p->name = strdup(name);
	if (!p->name)
		return -ENOMEM;
	p->body = body;
	p->len = len;
	w->nparts++;
	w->bytes += len;
	return 0;
}

/* ---- settings ---- */

static void settings_free(struct push_settings *s)
{
	free(s->url);
	if (s->token)
		explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	free(s->user);
	if (s->pass)
		explicit_bzero(s->pass, strlen(s->pass));
	free(s->pass);
	free(s->tenant);
	memset(s, 0, sizeof(*s));
}

static const char *secret_problem(int err)
{
	if (err == -EINVAL)
		return "not a file holding one line of printable ASCII of at "
		       "most 4096 bytes";
	return strerror(-err);
}

static int settings_load(struct push_settings *s, const struct zp_config *c,
			 char *msg, size_t msglen)
{
	int err;

	memset(s, 0, sizeof(*s));
	if (!c->push_url) {
		snprintf(msg, msglen, "push.url is not set");
		return -EINVAL;
	}
	s->url = strdup(c->push_url);
	if (!s->url)
		return -ENOMEM;
	config_format_url(s->url, s->log_url, sizeof(s->log_url));
	if (c->push_token_file) {
		err = secret_read_file(c->push_token_file, PUSH_SECRET_MAX,
				       false, &s->token);
		if (err) {
			snprintf(msg, msglen, "push.token_file %s: %s",
				 c->push_token_file, secret_problem(err));
			goto fail;
		}
	}
	if (c->push_basic_auth_user) {
		err = secret_read_file(c->push_basic_auth_password_file,
				       PUSH_SECRET_MAX, true, &s->pass);
		if (err) {
			snprintf(msg, msglen,
				 "push.basic_auth_password_file %s: %s",
				 c->push_basic_auth_password_file,
				 secret_problem(err));
			goto fail;
		}
		s->user = strdup(c->push_basic_auth_user);
		if (!s->user) {
			err = -ENOMEM;
			goto fail;
		}
	}
	if (c->push_tenant_id) {
		s->tenant = strdup(c->push_tenant_id);
		if (!s->tenant) {
			err = -ENOMEM;
			goto fail;
		}
	}
	s->timeout_ms = c->push_timeout_ms ? c->push_timeout_ms : 10000;
	s->queue_max = c->push_queue ? c->push_queue : 1;
	return 0;
fail:
	settings_free(s);
	return err;
}

/* ---- queue (P->lock held) ---- */

static void unlink_window(struct pusher *p, struct push_window *prev,
			  struct push_window *w)
{
	if (prev)
		prev->next = w->next;
	else
		p->head = w->next;
	if (p->tail == w)
		p->tail = prev;
	w->next = NULL;
	p->c.queued--;
	p->c.queued_bytes -= w->bytes;
}

/* Drop the oldest idle windows while over a bound. */
static void enforce_bounds(struct pusher *p)
{
	struct push_window *prev = NULL, *w = p->head, *next;

	while (w && (p->c.queued > p->set.queue_max ||
		     p->c.queued_bytes > PUSH_QUEUE_BYTES_MAX)) {
		next = w->next;
		if (w->busy) {
			prev = w;
		} else {
			unlink_window(p, prev, w);
			push_window__free(w);
			if (!p->c.dropped_full++)
				log_warn("push: queue full, dropping the "
					 "oldest windows (counted in "
					 "zprofd_push_dropped_total)");
		}
		w = next;
	}
}

/* ---- sending ---- */

struct reply {
	char text[REASON_MAX];
	size_t len;
};

/* Keeps the start of an error answer for the log; the rest is discarded. */
static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;
	size_t len = size * n, room = sizeof(r->text) - 1 - r->len;
	size_t i, k = len < room ? len : room;

	for (i = 0; i < k; i++) {
		char ch = data[i];
		r->text[r->len++] = (ch >= ' ' && ch < 0x7f) ? ch : ' ';
	}
	r->text[r->len] = '\0';
	return len;
}

/* Ends a request in flight once the stop's drain time is over. */
static int on_progress(void *ctx, curl_off_t dlt, curl_off_t dl, curl_off_t ult,
		       curl_off_t ul)
{
	struct pusher *p = ctx;
	int64_t at = __atomic_load_n(&p->abort_at, __ATOMIC_RELAXED);

	(void)dlt, (void)dl, (void)ult, (void)ul;
	return at && mono_ms() >= at;
}

/* Rebuild the fixed headers after a settings change. 0 or -ENOMEM. */
static int build_headers(struct pusher *p, const struct push_settings *s)
{
	size_t size = PUSH_SECRET_MAX + 64;
	struct curl_slist *h = NULL, *t;
	char *line = malloc(size);

	if (!line)
		return -ENOMEM;
	/* no 100-continue round trip before every window */
	h = curl_slist_append(h, "Expect:");
	if (h && s->token) {
		snprintf(line, size, "Authorization: Bearer %s", s->token);
		t = curl_slist_append(h, line);
		explicit_bzero(line, size);
		h = t ? t : (curl_slist_free_all(h), NULL);
	}
	if (h && s->tenant) {
		snprintf(line, size, "X-Scope-OrgID: %s", s->tenant);
		t = curl_slist_append(h, line);
		h = t ? t : (curl_slist_free_all(h), NULL);
	}
	free(line);
	if (!h)
		return -ENOMEM;
	curl_slist_free_all(p->headers);
	p->headers = h;
	p->headers_gen = s->gen;
	return 0;
}

enum outcome { SENT, RETRY, REFUSED };

/*
 * One request. S is the thread's copy of the settings; TIMEOUT_MS bounds
 * it. Fills WHY on failure.
 */
static enum outcome send_part(struct pusher *p, const struct push_settings *s,
			      const struct push_window *w,
			      const struct push_part *part, uint32_t timeout_ms,
			      char *why, size_t whylen)
{
	char url[PUSH_URL_MAX];
	struct reply r = { .len = 0 };
	curl_mime *mime = NULL;
	curl_mimepart *mp;
	long status = 0;
	CURLcode rc;
	int err;

	err = push_ingest_url(url, sizeof(url), s->url, part->name, w->from_ms,
			      w->until_ms, p->hz);
	if (err) {
		snprintf(why, whylen, "cannot build the request URL: %s",
			 strerror(-err));
		return REFUSED;
	}
	mime = curl_mime_init(p->curl);
	mp = mime ? curl_mime_addpart(mime) : NULL;
	if (!mp || curl_mime_name(mp, "profile") ||
	    curl_mime_filename(mp, "profile.pprof") ||
	    curl_mime_type(mp, "application/octet-stream") ||
	    curl_mime_data(mp, (const char *)part->body, part->len)) {
		curl_mime_free(mime);
		snprintf(why, whylen, "out of memory");
		return RETRY;
	}
	curl_easy_setopt(p->curl, CURLOPT_URL, url);
	curl_easy_setopt(p->curl, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(p->curl, CURLOPT_HTTPHEADER, p->headers);
	curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(p->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(p->curl, CURLOPT_WRITEDATA, &r);
	if (s->user) {
		curl_easy_setopt(p->curl, CURLOPT_HTTPAUTH,
				 (long)CURLAUTH_BASIC);
		curl_easy_setopt(p->curl, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(p->curl, CURLOPT_PASSWORD, s->pass);
	} else {
		curl_easy_setopt(p->curl, CURLOPT_USERNAME, NULL);
		curl_easy_setopt(p->curl, CURLOPT_PASSWORD, NULL);
	}
	rc = curl_easy_perform(p->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(p->curl, CURLOPT_MIMEPOST, NULL);
	curl_mime_free(mime);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return RETRY;
	}
	if (status >= 200 && status < 300)
		return SENT;
	snprintf(why, whylen, "HTTP %ld %s", status, r.text);
	/*
	 * Worth waiting for: overload and server errors, and credentials,
	 * which an operator fixes (a rotated token arrives with the next
	 * reload); dropping windows meanwhile would lose them all.
	 */
	if (status == 401 || status == 403 || status == 408 || status == 429 ||
	    status >= 500)
		return RETRY;
	return REFUSED;
}

static int copy_settings(struct push_settings *dst,
			 const struct push_settings *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->url = strdup(src->url);
	dst->token = src->token ? strdup(src->token) : NULL;
	dst->user = src->user ? strdup(src->user) : NULL;
	dst->pass = src->pass ? strdup(src->pass) : NULL;
	dst->tenant = src->tenant ? strdup(src->tenant) : NULL;
	memcpy(dst->log_url, src->log_url, sizeof(dst->log_url));
	dst->timeout_ms = src->timeout_ms;
	dst->queue_max = src->queue_max;
	dst->gen = src->gen;
	if (!dst->url || (src->token && !dst->token) ||
	    (src->user && !dst->user) || (src->pass && !dst->pass) ||
	    (src->tenant && !dst->tenant)) {
		settings_free(dst);
		return -ENOMEM;
	}
	return 0;
}

static void wait_until(struct pusher *p, int64_t deadline_ms)
{
	struct timespec ts;
	int64_t ms = deadline_ms - mono_ms();

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

/* The next wait after a failed attempt: doubling, capped, +-20% jitter. */
static uint32_t next_backoff(struct pusher *p)
{
	uint32_t b = p->backoff_ms ? p->backoff_ms * 2 : PUSH_BACKOFF_MIN_MS;
	uint32_t span;

	if (b > PUSH_BACKOFF_MAX_MS)
		b = PUSH_BACKOFF_MAX_MS;
	p->backoff_ms = b;
	span = b / 5;
	return b - span + (uint32_t)rand_r(&p->seed) % (2 * span + 1);
}

/*
 * Send W's remaining parts, unlocked. A part the server refuses is counted
 * and skipped; a failure worth retrying stops there, so the retry resumes
 * with that part. Returns with the lock held: SENT when no part is left.
 */
static enum outcome send_window(struct pusher *p, struct push_window *w,
				const struct push_settings *s,
				int64_t drain_deadline)
{
	enum outcome o = SENT;
	char why[REASON_MAX + 64];
	uint32_t timeout;
	int64_t left;
	size_t i;

	pthread_mutex_unlock(&p->lock);
	for (i = w->sent; i < w->nparts; i++) {
		timeout = s->timeout_ms;
		if (drain_deadline) {
			left = drain_deadline - mono_ms();
			if (left < 100)
				left = 100;
			if ((uint64_t)left < timeout)
				timeout = (uint32_t)left;
		}
		o = send_part(p, s, w, &w->parts[i], timeout, why, sizeof(why));
		pthread_mutex_lock(&p->lock);
		if (o == SENT) {
			p->c.requests++;
			p->c.bytes += w->parts[i].len;
		} else if (o == RETRY) {
			p->c.failures++;
		} else {
			p->c.dropped_refused++;
		}
		if (o != RETRY)
			w->sent = i + 1;
		pthread_mutex_unlock(&p->lock);
		if (o == REFUSED) {
			/* a bad request, not a bad server: no backoff; one
			 * line per run of refusals, not one per service */
			if (!p->refused_run++)
				log_warn("push: %s refused %s: %s; dropped "
					 "(further refusals are counted)",
					 s->log_url, w->parts[i].name, why);
			else
				log_debug("push: %s refused %s: %s", s->log_url,
					  w->parts[i].name, why);
			continue;
		}
		if (o == RETRY) {
			if (!p->failed_run++)
				log_warn("push: %s: %s; retrying with backoff, "
					 "windows queue meanwhile",
					 s->log_url, why);
			else
				log_debug("push: %s: %s", s->log_url, why);
			break;
		}
		if (p->failed_run || p->refused_run) {
			log_info("push: %s accepts windows again after %u "
				 "failed attempts and %u refusals",
				 s->log_url, p->failed_run, p->refused_run);
			p->failed_run = p->refused_run = 0;
		}
	}
	pthread_mutex_lock(&p->lock);
	return o == RETRY ? RETRY : SENT;
}

static void *run(void *arg)
{
	struct pusher *p = arg;
	struct push_settings s = { .url = NULL };
	struct push_window *w;
	int64_t next_try = 0, drain_deadline = 0;
	enum outcome o;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->stop && !drain_deadline)
			drain_deadline = p->abort_at;
		if (drain_deadline && mono_ms() >= drain_deadline)
			break;
		w = p->head;
		if (!w) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		/* while stopping, no backoff: one more try per window */
		if (p->kick) { /* new settings: try them at once */
			p->kick = false;
			p->backoff_ms = 0;
			next_try = 0;
		}
		if (!p->stop && mono_ms() < next_try) {
			wait_until(p, next_try);
			continue;
		}
		if (s.gen != p->set.gen || !s.url) {
			settings_free(&s);
			if (copy_settings(&s, &p->set) ||
			    (p->headers_gen != s.gen && build_headers(p, &s))) {
				settings_free(&s);
				next_try = mono_ms() + next_backoff(p);
				continue;
			}
		}
		w->busy = true;
		o = send_window(p, w, &s, drain_deadline);
		w->busy = false;
		if (o == RETRY && !p->stop) {
			next_try = mono_ms() + next_backoff(p);
			enforce_bounds(p);
			continue;
		}
		/* sent, or a failure while stopping: done with it */
		p->backoff_ms = 0;
		next_try = 0;
		if (p->head == w) {
			unlink_window(p, NULL, w);
			if (o == RETRY)
				p->c.dropped_stop++;
			push_window__free(w);
		}
	}
	/* what the drain could not send */
	while ((w = p->head)) {
		unlink_window(p, NULL, w);
		p->c.dropped_stop++;
		push_window__free(w);
	}
	pthread_mutex_unlock(&p->lock);
	settings_free(&s);
	return NULL;
}

/* ---- lifecycle ---- */

struct pusher *pusher__new(const struct zp_config *c, uint32_t sample_rate_hz,
			   char *msg, size_t msglen, int *err)
{
	struct pusher *p;
	int e;

	if (msglen)
		msg[0] = '\0';
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK) {
		snprintf(msg, msglen, "libcurl: %s",
			 curl_easy_strerror(curl_init_rc));
		*err = -ENOMEM;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	p->hz = sample_rate_hz;
	p->seed = (unsigned int)getpid() ^ (unsigned int)mono_ms();
	e = settings_load(&p->set, c, msg, msglen);
	if (e)
		goto fail_set;
	p->set.gen = 1;
	p->curl = curl_easy_init();
	if (!p->curl) {
		e = -ENOMEM;
		goto fail_curl;
	}
	curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(p->curl, CURLOPT_USERAGENT, "zprofd");
	curl_easy_setopt(p->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(p->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(p->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(p->curl, CURLOPT_XFERINFODATA, p);
	if (pthread_mutex_init(&p->lock, NULL)) {
		e = -ENOMEM;
		goto fail_lock;
	}
	{
		pthread_condattr_t ca;

		if (pthread_condattr_init(&ca) ||
		    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
		    pthread_cond_init(&p->cond, &ca)) {
			e = -ENOMEM;
			goto fail_cond;
		}
		pthread_condattr_destroy(&ca);
	}
	e = -pthread_create(&p->thread, NULL, run, p);
	if (e)
		goto fail_thread;
	return p;
fail_thread:
	pthread_cond_destroy(&p->cond);
fail_cond:
	pthread_mutex_destroy(&p->lock);
fail_lock:
	curl_easy_cleanup(p->curl);
fail_curl:
	settings_free(&p->set);
fail_set:
	free(p);
	*err = e;
	return NULL;
}

void pusher__free(struct pusher *p, struct push_counters *last, bool drain)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	/* at least 1: 0 means "no deadline" to the progress callback */
	__atomic_store_n(&p->abort_at, mono_ms() + (drain ? PUSH_DRAIN_MS : 1),
			 __ATOMIC_RELAXED);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	if (p->c.dropped_stop)
		log_warn("push: %llu windows not sent before stopping",
			 (unsigned long long)p->c.dropped_stop);
	if (last)
		*last = p->c;
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	curl_slist_free_all(p->headers);
	curl_easy_cleanup(p->curl);
	settings_free(&p->set);
	free(p);
}

int pusher__configure(struct pusher *p, const struct zp_config *c, char *msg,
		      size_t msglen)
{
	struct push_settings s;
	int err;

	if (msglen)
		msg[0] = '\0';
	err = settings_load(&s, c, msg, msglen);
	if (err)
		return err;
	pthread_mutex_lock(&p->lock);
	s.gen = p->set.gen + 1;
	settings_free(&p->set);
	p->set = s;
	p->kick = true;
	enforce_bounds(p);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int pusher__push(struct pusher *p, struct push_window *w)
{
	if (!p || !w || !w->nparts) {
		push_window__free(w);
		return -EINVAL;
	}
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = w;
	else
		p->head = w;
	p->tail = w;
	p->c.queued++;
	p->c.queued_bytes += w->bytes;
	enforce_bounds(p);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void pusher__counters(struct pusher *p, struct push_counters *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->c;
	pthread_mutex_unlock(&p->lock);
}
