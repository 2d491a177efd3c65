/* SPDX-License-Identifier: ISC */
#ifndef RMB_UTF8_H
#define RMB_UTF8_H

#include <stddef.h>

/*
 * Strict UTF-8 check (no overlongs, no surrogates, nothing above
 * U+10FFFF), as Rust's str requires of every protobuf string field.
 */
int	utf8_valid(const char *s, size_t len);

#endif
