/* SPDX-License-Identifier: BSD-2-Clause */
/* Common includes for cmocka unit tests (cmocka needs these before it). */
#ifndef ZPROFD_TESTUTIL_H
#define ZPROFD_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#endif
