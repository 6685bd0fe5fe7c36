// SPDX-License-Identifier: BSD-2-Clause
/*
 * libFuzzer target for the ELF reader: build a symbol table from an image in
 * memory (symbols, PT_LOAD table, build-id, .gnu_debuglink), then use all of
 * it: walk and look up every symbol, convert offsets, and read the build-id
 * again through the cheap path, which must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elfsyms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[ELFSYMS_BUILD_ID_SIZE];
	const struct elfsym *e, *prev = NULL;
	const char *link;
	struct elfsyms *s;
	uint64_t vaddr;
	uint32_t crc;
	size_t i, n;
	int err;

	s = elfsyms__from_memory(data, size);
	err = elf_read_build_id_mem(data, size, id, sizeof(id));
	if (!s)
		return 0;
	if (err ? elfsyms__build_id(s)[0] != '\0'
		: strcmp(id, elfsyms__build_id(s)))
		abort();
	link = elfsyms__debuglink(s, &crc);
	if (link && (!link[0] || strchr(link, '/')))
		abort();
	if (elfsyms__debug_file(s)[0])
		abort(); /* never searched from memory */
	n = elfsyms__count(s);
	for (i = 0; i < n; i++) {
		e = elfsyms__sym(s, i);
		if (prev && prev->start >= e->start)
			abort();
		if (!e->name[0])
			abort();
		/* starts are distinct and every extent is at least a byte */
		if (!e->size || elfsyms__find(s, e->start) != e)
			abort();
		elfsyms__find(s, e->start + (e->size - 1));
		elfsyms__find(s, e->start - 1);
		prev = e;
	}
	for (i = 0; i < 64; i++)
		if (!elfsyms__file_to_vaddr(s, i * size / 64, &vaddr))
			elfsyms__find(s, vaddr);
	elfsyms__file_to_vaddr(s, UINT64_MAX, &vaddr);
	elfsyms__mem_bytes(s);
	elfsyms__free(s);
	return 0;
}
