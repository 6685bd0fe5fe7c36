// SPDX-License-Identifier: BSD-2-Clause
/* Credentials from files: see include/secret.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "secret.h"

static bool secret_bytes_ok(const char *s, size_t len, bool spaces)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < (spaces ? 0x20 : 0x21) ||
		    (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

int secret_read_file(const char *path, size_t max, bool spaces, char **out)
{
	size_t cap = max + 3, len = 0; /* room to see it is too long */
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, err = 0;

	*out = NULL;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		goto out_free;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	if (st.st_mode & 077)
		log_warn("secret file %s is readable by other users", path);
	while (len < cap - 1) {
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len == cap - 1) {
		err = -EINVAL; /* longer than MAX with any trailing newline */
		goto out;
	}
	while (len && strchr("\r\n\t ", buf[len - 1]))
		len--;
	if (!len || len > max || !secret_bytes_ok(buf, len, spaces)) {
		err = -EINVAL;
		goto out;
	}
	*out = strndup(buf, len);
	if (!*out)
		err = -ENOMEM;
out:
	close(fd);
out_free:
	explicit_bzero(buf, cap);
	free(buf);
	return err;
}
