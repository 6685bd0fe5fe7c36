/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * top: the "where did the time go" summary printed after a capture: the
 * functions with the most self (leaf) samples, and their share.
 */
#ifndef ZPROFD_TOP_H
#define ZPROFD_TOP_H

#include <stdio.h>

#include "profile.h"

/* Prints at most n rows to out. 0 or -ENOMEM. */
int top_print(const struct profile *p, unsigned int n, FILE *out);

#endif
