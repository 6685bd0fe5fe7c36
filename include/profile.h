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
 *
 * Samples carry pid, tid, comm and thread name, plus an optional label set:
 * string key/value pairs (executable, container, pod, ...) interned like
 * everything else, so the million samples of a daemon window share a few
 * hundred sets by id. The profile__*_ids and profile__intern_* variants take
 * string ids the profile already issued; the pprof reader and the merger use
 * them to copy records between profiles without a round trip through C
 * strings.
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

/*
 * Label keys the daemon attaches to samples: the main executable's path and
 * build id, the cgroup v2 path, the container runtime's container id, the
 * Kubernetes pod UID and QoS class (guaranteed, burstable, besteffort), the
 * container runtime (containerd, cri-o, docker) and the node's name. Any
 * other non-empty key is allowed too; the four a sample carries itself
 * (pid, tid, comm, thread_name) are reserved, so that no pprof sample says
 * them twice.
 */
#define PF_LABEL_EXE		   "exe"
#define PF_LABEL_BUILD_ID	   "build_id"
#define PF_LABEL_CGROUP		   "cgroup"
#define PF_LABEL_CONTAINER_ID	   "container_id"
#define PF_LABEL_POD_UID	   "pod_uid"
#define PF_LABEL_QOS_CLASS	   "qos_class"
#define PF_LABEL_CONTAINER_RUNTIME "container_runtime"
#define PF_LABEL_NODE		   "node"

/* Most pairs one label set holds; more is a builder bug or a hostile file. */
#define PF_LABELSET_MAX 64

struct pf_label {
	const char *key;
	const char *value; /* NULL or "" pairs are dropped */
};

/*
 * n key/value string index pairs at label_kv[first .. first + 2n), sorted by
 * key then value, no empty value, no pair twice; keys may repeat (pprof
 * allows several values per key).
 */
struct pf_labelset {
	size_t first;
	uint32_t n;
};

struct pf_sample {
	size_t first_loc; /* index into profile.sample_locs */
	uint32_t nlocs;	  /* location ids, leaf first */
	uint32_t pid;
	uint32_t tid;
	uint32_t comm;	      /* string index: process name */
	uint32_t thread_name; /* string index */
	uint32_t labelset;    /* 1-based label set id, 0 = none */
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
	struct pf_labelset *labelsets; /* labelsets[id - 1] */
	uint32_t nlabelsets;
	uint32_t *label_kv; /* the pairs every label set points into */
	size_t nlabel_kv;

	int64_t period_ns;   /* CPU time one sample stands for */
	int64_t duration_ns; /* wall time of the capture */
	int64_t time_ns;     /* capture start, Unix epoch ns */

	int err; /* sticky: 0, -ENOMEM, or -EINVAL for an id never issued */
	struct profile_index *idx;
	size_t cap_strings, cap_mappings, cap_functions, cap_locations;
	size_t cap_sample_locs, cap_samples, cap_labelsets, cap_label_kv;
};

struct profile *profile__new(void);
void profile__free(struct profile *p);
int profile__status(const struct profile *p);

uint32_t profile__string(struct profile *p, const char *s);
/* The first n bytes of s (up to a NUL, which a C string cannot hold). */
uint32_t profile__string_n(struct profile *p, const char *s, size_t n);
/* Index of s when p has it, else 0; never adds. */
uint32_t profile__find_string(const struct profile *p, const char *s);
uint32_t profile__mapping(struct profile *p, uint64_t start, uint64_t limit,
			  uint64_t offset, const char *filename,
			  const char *build_id);
uint32_t profile__function(struct profile *p, const char *name,
			   const char *system_name, const char *filename,
			   int64_t start_line);
uint32_t profile__location(struct profile *p, uint32_t mapping_id,
			   uint64_t address, uint32_t function_id, int64_t line,
			   enum pf_frame_kind kind);
/* By record: string fields are indices p issued (-EINVAL, sticky, if not). */
uint32_t profile__intern_mapping(struct profile *p, const struct pf_mapping *m);
uint32_t profile__intern_function(struct profile *p,
				  const struct pf_function *f);

/*
 * Interns the label set of n pairs (copied; order does not matter) and
 * returns its id, 0 when no pair has a value. A NULL or empty key, a
 * reserved key, or more than PF_LABELSET_MAX pairs is -EINVAL (sticky).
 */
uint32_t profile__labelset(struct profile *p, const struct pf_label *kv,
			   uint32_t n);
/* The same with kv[2i], kv[2i + 1] string indices p issued. */
uint32_t profile__labelset_ids(struct profile *p, const uint32_t *kv,
			       uint32_t n);
/* Value of key in label set ls ("" when absent; the first when repeated). */
const char *profile__label(const struct profile *p, uint32_t ls,
			   const char *key);

/* locs: location ids, leaf first; copied. */
int profile__add_sample(struct profile *p, const uint32_t *locs, uint32_t n,
			int64_t count, uint32_t pid, uint32_t tid,
			const char *comm, const char *thread_name);
/* The same with a label set from profile__labelset() (0 = none). */
int profile__add_sample_ls(struct profile *p, const uint32_t *locs, uint32_t n,
			   int64_t count, uint32_t pid, uint32_t tid,
			   const char *comm, const char *thread_name,
			   uint32_t labelset);
/*
 * By record: s gives count, pid, tid and the comm, thread_name and labelset
 * ids (issued by p); its first_loc and nlocs are ignored, locs is the stack.
 * profile__sum_sample adds count to an existing sample with the same stack
 * and labels instead of appending; it keeps a hash
 * index over the samples, built on first use and extended with any samples
 * appended since.
 */
int profile__add_sample_ids(struct profile *p, const uint32_t *locs, uint32_t n,
			    const struct pf_sample *s);
int profile__sum_sample(struct profile *p, const uint32_t *locs, uint32_t n,
			const struct pf_sample *s);

/*
 * 0 when S only points at strings, locations and label sets P has (encoders
 * check every sample before they index with it), else -EINVAL.
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
