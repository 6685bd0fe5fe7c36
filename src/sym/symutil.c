// SPDX-License-Identifier: BSD-2-Clause
/*
 * Helpers shared by the symbolization modules: whole-file reads of /proc
 * files and safe opens of files named by other processes (see symutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procmaps.h"
#include "symutil.h"

int sym_read_file(const char *path, size_t max, char **out, size_t *out_len)
{
	size_t cap = 4096, len = 0;
	char *buf, *nbuf;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out_close;
	}
	for (;;) {
		/* keep one byte for the terminating NUL */
		if (len + 1 >= cap) {
			if (cap >= max) {
				err = -EFBIG;
				goto out_free;
			}
			cap = cap * 2 > max ? max : cap * 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				goto out_free;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	*out_len = len;
	return 0;

out_free:
	free(buf);
out_close:
	close(fd);
	return err;
}

static int open_in_root(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	/* relative to the root: "/usr/lib/x" and "usr/lib/x" are the same */
	while (*path == '/')
		path++;
	fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
	if (fd >= 0 || errno != ENOSYS)
		return fd < 0 ? -errno : (int)fd;
	/* kernels before 5.6: plain openat, the inode check still applies */
	fd = openat(dirfd, *path ? path : ".",
		    O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	return fd < 0 ? -errno : (int)fd;
}

int sym_open_regular(int dirfd, const char *path, int in_root)
{
	struct stat st;
	int fd, err;

	if (in_root)
		fd = open_in_root(dirfd, path);
	else
		fd = openat(dirfd, path,
			    O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return in_root ? fd : -errno;
	/* O_NONBLOCK only so a FIFO planted at PATH cannot hang us */
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return err;
}

static bool same_inode(int fd, const struct procmaps_entry *e)
{
	struct stat st;

	/*
	 * Only the inode number: the device maps prints is the superblock's,
	 * which differs from st_dev on btrfs subvolumes and overlayfs.
	 */
	return !fstat(fd, &st) && (uint64_t)st.st_ino == e->inode;
}

int sym_open_mapped(const char *proc_root, pid_t pid, int rootfd,
		    const struct procmaps_entry *e)
{
	int fd_root = -1, fd;
	char path[4096];

	if (!e->deleted && rootfd >= 0) {
		fd_root = sym_open_regular(rootfd, e->path, 1);
		if (fd_root >= 0 && same_inode(fd_root, e))
			return fd_root;
	}
	snprintf(path, sizeof(path), "%s/%d/map_files/%llx-%llx", proc_root,
		 (int)pid, (unsigned long long)e->start,
		 (unsigned long long)e->limit);
	fd = sym_open_regular(AT_FDCWD, path, 0);
	if (fd >= 0) {
		if (fd_root >= 0)
			close(fd_root);
		return fd;
	}
	if (fd_root >= 0)
		return fd_root;
	if (e->deleted)
		return -ENOENT;
	fd = sym_open_regular(AT_FDCWD, e->path, 0);
	if (fd >= 0 && !same_inode(fd, e)) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}
