/* SPDX-License-Identifier: ISC */
#ifndef RMB_FUZZ_H
#define RMB_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point every target defines. */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
