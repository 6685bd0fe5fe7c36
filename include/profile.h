/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * profile: the symbolized, de-duplicated profile that every output encoder
 * reads (pprof, folded, flame graph). Its shape follows pprof's
 * profile.proto: a string table, mappings, functions, locations and samples
 * that point at them by 1-based id, so the pprof encoder is a straight walk
 * and the text formats render frames with profile__frame_label().
 *
 * Building: the profile__string/mapping/function/location calls intern and
 * de-duplicate; on allocation failure they return 0 and set a sticky error
 * that profile__status() reports, so a builder makes many calls and checks
 * once. The profile owns every string and array; pointers into it stay valid
 * until profile__free().
 */
#ifndef ZPROFD_PROFILE_H
#define ZPROFD_PROFILE_H

#include <stddef.h>
#include <stdint.h>

enum pf_frame_kind {
	PF_FRAME_NATIVE = 0,
	PF_FRAME_KERNEL = 1,
	PF_FRAME_PYTHON = 2,
};

struct pf_mapping {
	uint64_t start;
	uint64_t limit;
	uint64_t offset;   /* file offset of start */
	uint32_t filename; /* string index */
	uint32_t build_id; /* string index, lowercase hex, 0 when unknown */
};

struct pf_function {
	uint32_t name;	      /* string index: display name */
	uint32_t system_name; /* string index: raw/mangled name */
	uint32_t filename;    /* string index: source or object file */
	int64_t start_line;
};

struct pf_location {
	uint32_t mapping_id;  /* 1-based, 0 = none */
	uint32_t function_id; /* 1-based, 0 = none */
	uint64_t address;
	int64_t line; /* 0 = unknown */
	uint8_t kind; /* enum pf_frame_kind */
};

struct pf_sample {
	size_t first_loc; /* index into profile.sample_locs */
	uint32_t nlocs;	  /* location ids, leaf first */
	uint32_t pid;
	uint32_t tid;
	uint32_t comm;	      /* string index: process name */
	uint32_t thread_name; /* string index */
	int64_t count;
};

struct profile_index; /* private de-duplication tables */

struct profile {
	char **strings; /* strings[0] is always "" */
	uint32_t nstrings;
	struct pf_mapping *mappings; /* mappings[id - 1] */
	uint32_t nmappings;
	struct pf_function *functions;
	uint32_t nfunctions;
	struct pf_location *locations;
	uint32_t nlocations;
	uint32_t *sample_locs;
	size_t nsample_locs;
	struct pf_sample *samples;
	size_t nsamples;

	int64_t period_ns;   /* CPU time one sample stands for */
	int64_t duration_ns; /* wall time of the capture */
	int64_t time_ns;     /* capture start, Unix epoch ns */

	int err; /* sticky: 0, -ENOMEM, or -EINVAL for an id never issued */
	struct profile_index *idx;
	size_t cap_strings, cap_mappings, cap_functions, cap_locations;
	size_t cap_sample_locs, cap_samples;
};

struct profile *profile__new(void);
void profile__free(struct profile *p);
int profile__status(const struct profile *p);

uint32_t profile__string(struct profile *p, const char *s);
uint32_t profile__mapping(struct profile *p, uint64_t start, uint64_t limit,
			  uint64_t offset, const char *filename,
			  const char *build_id);
uint32_t profile__function(struct profile *p, const char *name,
			   const char *system_name, const char *filename,
			   int64_t start_line);
uint32_t profile__location(struct profile *p, uint32_t mapping_id,
			   uint64_t address, uint32_t function_id, int64_t line,
			   enum pf_frame_kind kind);
/* locs: location ids, leaf first; copied. */
int profile__add_sample(struct profile *p, const uint32_t *locs, uint32_t n,
			int64_t count, uint32_t pid, uint32_t tid,
			const char *comm, const char *thread_name);

/*
 * 0 when S only points at strings and locations P has (encoders check every
 * sample before they index with it), else -EINVAL.
 */
int profile__check_sample(const struct profile *p, const struct pf_sample *s);

static inline const char *profile__str(const struct profile *p, uint32_t i)
{
	return i < p->nstrings ? p->strings[i] : "";
}

/*
 * Human label of a location, as folded stacks and flame graphs show it:
 * kernel "name_[k]", Python "qualname (file:line)", native "name".
 * Characters that would break the folded format (';', newline) are replaced.
 * Writes a NUL-terminated string into buf (truncated to size) and returns
 * its length.
 */
size_t profile__frame_label(const struct profile *p, uint32_t loc_id, char *buf,
			    size_t size);

#endif
