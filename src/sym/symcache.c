// SPDX-License-Identifier: BSD-2-Clause
/*
 * symcache: owns the loaded ELF symbol tables, a hash table from file key
 * (build-id, else dev/inode/size/mtime, see key_for_fd()) to entry, the
 * reference counts the process snapshots hold, and the LRU list of
 * unreferenced entries that eviction takes from. The bound is a count of
 * files; the memory of each is reported in the stats.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "log.h"
#include "symcache.h"

#define DEFAULT_MAX_FILES 256
#define KEY_SIZE	  ELFSYMS_BUILD_ID_SIZE

struct symcache_entry {
	char key[KEY_SIZE];
	uint64_t hash;
	struct elfsyms *syms;
	size_t refs;
	struct symcache_entry *hnext;		    /* hash chain */
	struct symcache_entry *lru_prev, *lru_next; /* when refs == 0 */
};

struct symcache {
	struct symcache_entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count, max_files;
	/* unreferenced entries, least recently released at the head */
	struct symcache_entry *lru_head, *lru_tail;
	char *debug_root;
	struct symcache_stats stats;
};

static uint64_t hash_key(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 0x100000001b3ull;
	return h;
}

struct symcache *symcache__new(size_t max_files, const char *debug_root)
{
	struct symcache *c;

	c = calloc(1, sizeof(*c));
	if (!c)
		goto err;
	c->max_files = max_files ? max_files : DEFAULT_MAX_FILES;
	/* about two buckets per entry; the table never grows */
	c->nbuckets = 16;
	while (c->nbuckets < 2 * c->max_files && c->nbuckets < (1u << 20))
		c->nbuckets <<= 1;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (!c->buckets)
		goto err_free;
	if (debug_root) {
		c->debug_root = strdup(debug_root);
		if (!c->debug_root)
			goto err_free;
	}
	return c;

err_free:
	symcache__free(c);
	errno = ENOMEM;
err:
	return NULL;
}

void symcache__free(struct symcache *c)
{
	struct symcache_entry *e, *next;
	size_t i;

	if (!c)
		return;
	for (i = 0; c->buckets && i < c->nbuckets; i++) {
		for (e = c->buckets[i]; e; e = next) {
			next = e->hnext;
			elfsyms__free(e->syms);
			free(e);
		}
	}
	free(c->buckets);
	free(c->debug_root);
	free(c);
}

static void lru_unlink(struct symcache *c, struct symcache_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		c->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		c->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_append(struct symcache *c, struct symcache_entry *e)
{
	e->lru_next = NULL;
	e->lru_prev = c->lru_tail;
	if (c->lru_tail)
		c->lru_tail->lru_next = e;
	else
		c->lru_head = e;
	c->lru_tail = e;
}

static struct symcache_entry *find(struct symcache *c, const char *key,
				   uint64_t hash)
{
	struct symcache_entry *e;

	for (e = c->buckets[hash & (c->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == hash && !strcmp(e->key, key))
			return e;
	return NULL;
}

static void unhash(struct symcache *c, struct symcache_entry *e)
{
	struct symcache_entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
}

/* Make room for one more entry: evict the LRU unreferenced one if full. */
static int make_room(struct symcache *c)
{
	struct symcache_entry *victim = c->lru_head;

	if (c->count < c->max_files)
		return 0;
	if (!victim)
		return -ENOSPC;
	lru_unlink(c, victim);
	unhash(c, victim);
	c->stats.mem_bytes -= elfsyms__mem_bytes(victim->syms);
	elfsyms__free(victim->syms);
	free(victim);
	c->count--;
	c->stats.evicted++;
	return 0;
}

/* A hit takes a reference; an unreferenced entry leaves the LRU list. */
static struct symcache_entry *ref(struct symcache *c, struct symcache_entry *e)
{
	if (!e->refs++)
		lru_unlink(c, e);
	c->stats.hits++;
	return e;
}

static struct symcache_entry *insert(struct symcache *c, const char *key,
				     uint64_t hash, struct elfsyms *syms)
{
	struct symcache_entry *e;
	size_t b = hash & (c->nbuckets - 1);

	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->hash = hash;
	e->syms = syms;
	e->refs = 1;
	e->hnext = c->buckets[b];
	c->buckets[b] = e;
	c->count++;
	c->stats.loaded++;
	c->stats.mem_bytes += elfsyms__mem_bytes(syms);
	return e;
}

/*
 * The key of a file: its build-id identifies the contents wherever the file
 * lives; without one, the inode, qualified by size and mtime so a file
 * rewritten in place is not mistaken for the old one.
 */
static int key_for_fd(int fd, char *key, size_t size)
{
	struct stat st;
	int err;

	err = elf_read_build_id_fd(fd, key, size);
	if (err != -ENOENT)
		return err;
	if (fstat(fd, &st) < 0)
		return -errno;
	snprintf(key, size, "f:%llx:%llx:%llx:%lld.%09ld",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec,
		 st.st_mtim.tv_nsec);
	return 0;
}

/*
 * The shared first half of a get: *HIT is a new reference on a cache hit;
 * on a miss it is NULL and room has been made for one more entry.
 */
static int lookup_or_make_room(struct symcache *c, const char *key,
			       uint64_t hash, struct symcache_entry **hit)
{
	*hit = find(c, key, hash);
	if (*hit) {
		*hit = ref(c, *hit);
		return 0;
	}
	return make_room(c);
}

/*
 * The shared second half: caches SYMS, just loaded (NULL: the load failed,
 * errno says why), taking ownership. NULL and *err on failure.
 */
static struct symcache_entry *add_loaded(struct symcache *c, const char *key,
					 uint64_t hash, struct elfsyms *syms,
					 int *err)
{
	struct symcache_entry *e;

	if (!syms) {
		*err = -errno;
		return NULL;
	}
	e = insert(c, key, hash, syms);
	if (!e) {
		elfsyms__free(syms);
		*err = -ENOMEM;
	}
	return e;
}

struct symcache_entry *symcache__get_fd(struct symcache *c, int fd,
					const char *path, int root_fd)
{
	struct elfsyms_opts opts = {
		.debug_root = c->debug_root,
		.use_root_fd = root_fd >= 0,
		.root_fd = root_fd,
	};
	struct symcache_entry *e;
	char key[KEY_SIZE];
	struct elfsyms *syms;
	uint64_t hash;
	int err;

	e = NULL;
	err = key_for_fd(fd, key, sizeof(key));
	if (err)
		goto out;
	hash = hash_key(key);
	err = lookup_or_make_room(c, key, hash, &e);
	if (err || e)
		goto out;
	syms = elfsyms__from_fd(fd, path, &opts);
	e = add_loaded(c, key, hash, syms, &err);
	if (e)
		log_debug("symcache: loaded %s (%s): %zu symbols",
			  path ? path : "?", key, elfsyms__count(syms));
out:
	if (e)
		return e;
	c->stats.failed++;
	errno = -err;
	return NULL;
}

struct symcache_entry *symcache__get_mem(struct symcache *c, const void *buf,
					 size_t len)
{
	struct symcache_entry *e = NULL;
	char key[KEY_SIZE];
	uint64_t hash;
	int err;

	err = elf_read_build_id_mem(buf, len, key, sizeof(key));
	if (err == -ENOENT) {
		/* no build-id: the image's own checksum names it */
		snprintf(key, sizeof(key), "m:%zx:%08lx", len,
			 crc32(crc32(0L, Z_NULL, 0), buf, (uInt)len));
		err = 0;
	}
	if (err)
		goto out;
	hash = hash_key(key);
	err = lookup_or_make_room(c, key, hash, &e);
	if (err || e)
		goto out;
	e = add_loaded(c, key, hash, elfsyms__from_memory(buf, len), &err);
out:
	if (e)
		return e;
	c->stats.failed++;
	errno = -err;
	return NULL;
}

void symcache__put(struct symcache *c, struct symcache_entry *e)
{
	if (!e || !e->refs)
		return;
	if (!--e->refs)
		lru_append(c, e);
}

const struct elfsyms *symcache_entry__syms(const struct symcache_entry *e)
{
	return e->syms;
}

void symcache__stats(const struct symcache *c, struct symcache_stats *st)
{
	*st = c->stats;
	st->entries = c->count;
}
