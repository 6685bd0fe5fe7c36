// SPDX-License-Identifier: BSD-2-Clause
/*
 * A closed window as push requests (include/push.h sends them): the whole
 * window under push.service_name, or with service_name_from = comm one
 * profile per process name. Runs on the main thread once per window, after
 * the window's profile is built; the split costs one pass over the samples
 * per service, bounded by PUSH_SERVICES_MAX, and whatever does not fit
 * under that bound goes out under push.service_name, so no sample is lost
 * to the split.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"
#include "log.h"
#include "merge.h"
#include "push.h"

/* The series labels of every request: node and [labels]. */
static size_t series_labels(const struct daemon *d, struct zp_label *out)
{
	size_t n = 0, i;

	snprintf(out[n].name, sizeof(out[n].name), "%s", PF_LABEL_NODE);
	snprintf(out[n].value, sizeof(out[n].value), "%s", d->node_name);
	n++;
	for (i = 0; i < d->cfg->nlabels && i < CONFIG_LABELS_MAX; i++)
		out[n++] = d->cfg->labels[i];
	return n;
}

struct by_service {
	const uint16_t *slot; /* per comm string index */
	uint16_t want;
};

static bool in_service(const struct profile *src, const struct pf_sample *s,
		       void *ctx)
{
	const struct by_service *b = ctx;

	return s->comm < src->nstrings && b->slot[s->comm] == b->want;
}

/* Encode the samples of SRC in slot WANT and add them as SERVICE. */
static int add_service(struct push_window *w, const struct profile *src,
		       const uint16_t *slot, uint16_t want, const char *service,
		       const struct zp_label *lab, size_t nlab)
{
	struct by_service b = { slot, want };
	struct merge_filter f = { .keep = in_service, .keep_ctx = &b };
	struct profile *p = profile__new();
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (!p)
		return -ENOMEM;
	err = profile__merge(p, src, &f);
	if (!err && p->nsamples)
		err = daemon_encode_gz(p, &buf, &len);
	if (!err && buf)
		err = push_window__add(w, service, lab, nlab, buf, len);
	if (err)
		free(buf);
	profile__free(p);
	return err;
}

/*
 * Slot per comm: 1..PUSH_SERVICES_MAX for the busiest comms, in order of
 * samples; 0 (the fixed service) for the rest and unknown names. The
 * ranking looks only at the comms present, not at every string (function
 * and file names make up most of a window's strings).
 */
static int rank_comms(const struct profile *p, uint16_t *slot, uint32_t *top,
		      uint16_t *ntop)
{
	int64_t *count = calloc(p->nstrings, sizeof(*count));
	uint32_t *seen = calloc(p->nstrings, sizeof(*seen));
	uint32_t nseen = 0, c, i, best, k;
	size_t j;

	if (!count || !seen) {
		free(count);
		free(seen);
		return -ENOMEM;
	}
	for (j = 0; j < p->nsamples; j++) {
		c = p->samples[j].comm;
		/* "" (index 0) has no name to serve under */
		if (!c || c >= p->nstrings || p->samples[j].count <= 0)
			continue;
		if (!count[c])
			seen[nseen++] = c;
		count[c] += p->samples[j].count;
	}
	*ntop = 0;
	for (k = 0; k < PUSH_SERVICES_MAX && k < nseen; k++) {
		best = k;
		for (i = k + 1; i < nseen; i++)
			if (count[seen[i]] > count[seen[best]])
				best = i;
		c = seen[best];
		seen[best] = seen[k];
		seen[k] = c;
		slot[c] = (uint16_t)(k + 1);
		top[(*ntop)++] = c;
	}
	free(count);
	free(seen);
	return 0;
}

static int split_by_comm(struct daemon *d, struct push_window *w,
			 const struct profile *p, const struct zp_label *lab,
			 size_t nlab)
{
	uint32_t top[PUSH_SERVICES_MAX];
	uint16_t *slot, ntop = 0, k;
	int err;

	slot = calloc(p->nstrings ? p->nstrings : 1, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	err = rank_comms(p, slot, top, &ntop);
	for (k = 0; !err && k < ntop; k++)
		err = add_service(w, p, slot, (uint16_t)(k + 1),
				  profile__str(p, top[k]), lab, nlab);
	if (!err)
		err = add_service(w, p, slot, 0, d->cfg->push_service_name, lab,
				  nlab);
	free(slot);
	return err;
}

void daemon_push_window(struct daemon *d, const struct profile *p,
			uint8_t **buf, size_t len, int64_t end_ms)
{
	struct zp_label lab[CONFIG_LABELS_MAX + 1];
	struct push_window *w;
	size_t nlab;
	int err;

	/* an empty window says nothing a backend could store */
	if (!d->push || !p || !p->nsamples)
		return;
	w = push_window__new(d->window_start_ms, end_ms);
	if (!w) {
		d->push_build_errors++;
		return;
	}
	nlab = series_labels(d, lab);
	if (d->cfg->push_service_name_from == CONFIG_SERVICE_COMM) {
		err = split_by_comm(d, w, p, lab, nlab);
	} else {
		/* the stored bytes themselves: no second encoding */
		err = push_window__add(w, d->cfg->push_service_name, lab, nlab,
				       *buf, len);
		if (!err)
			*buf = NULL;
	}
	if (err) {
		d->push_build_errors++;
		log_warn("push: window not queued: %s", strerror(-err));
		push_window__free(w);
		return;
	}
	/* a window of samples without a name has no part: nothing to send */
	pusher__push(d->push, w);
}
