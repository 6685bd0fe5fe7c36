// SPDX-License-Identifier: BSD-2-Clause
/* Atomic output files: temp file in the destination directory + rename. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "outfile.h"

struct outfile {
	FILE *fp;
	char *path;
	char *tmp; /* NULL for stdout */
};

static bool is_special(const char *path)
{
	struct stat st;

	return !stat(path, &st) && !S_ISREG(st.st_mode);
}

struct outfile *outfile__open(const char *path)
{
	struct outfile *f;
	char *dup = NULL, *dir;
	int fd, err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	if (!strcmp(path, "-")) {
		f->fp = stdout;
		return f;
	}
	f->path = strdup(path);
	if (f->path && is_special(path)) {
		/* a device or fifo (/dev/stdout, a pipe): renaming over it
		 * would replace the node, so write to it directly */
		f->fp = fopen(path, "we");
		if (!f->fp) {
			err = errno;
			log_error("cannot write output %s: %s", path,
				  strerror(err));
			goto err_free;
		}
		return f;
	}
	dup = strdup(path);
	if (!f->path || !dup) {
		err = ENOMEM;
		goto err_free;
	}
	dir = dirname(dup);
	if (asprintf(&f->tmp, "%s/.%s.XXXXXX", dir,
		     strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		f->tmp = NULL;
		err = ENOMEM;
		goto err_free;
	}
	fd = mkostemp(f->tmp, O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		log_error("cannot write output %s: %s", path, strerror(err));
		free(f->tmp);
		f->tmp = NULL;
		goto err_free;
	}
	fchmod(fd, 0644);
	f->fp = fdopen(fd, "w");
	if (!f->fp) {
		err = errno;
		close(fd);
		unlink(f->tmp);
		goto err_free;
	}
	free(dup);
	return f;

err_free:
	free(dup);
	free(f->tmp);
	free(f->path);
	free(f);
	errno = err;
	return NULL;
}

FILE *outfile__stream(struct outfile *f)
{
	return f->fp;
}

int outfile__commit(struct outfile *f)
{
	int err = 0;

	if (!f->tmp) {
		if (fflush(f->fp) || ferror(f->fp))
			err = -EIO;
		if (f->fp != stdout && fclose(f->fp) && !err)
			err = -EIO;
		if (err)
			log_error("writing %s failed: %s",
				  f->path ? f->path : "standard output",
				  strerror(-err));
		free(f->path);
		free(f);
		return err;
	}
	if (fflush(f->fp) || ferror(f->fp) || fsync(fileno(f->fp)))
		err = errno ? -errno : -EIO;
	if (fclose(f->fp) && !err)
		err = errno ? -errno : -EIO;
	f->fp = NULL;
	if (!err && rename(f->tmp, f->path))
		err = -errno;
	if (err) {
		log_error("writing %s failed: %s", f->path, strerror(-err));
		unlink(f->tmp);
	}
	free(f->tmp);
	free(f->path);
	free(f);
	return err;
}

void outfile__abort(struct outfile *f)
{
	if (!f)
		return;
	if (f->tmp) {
		if (f->fp)
			fclose(f->fp);
		unlink(f->tmp);
	} else if (f->fp && f->fp != stdout) {
		fclose(f->fp);
	}
	free(f->tmp);
	free(f->path);
	free(f);
}
