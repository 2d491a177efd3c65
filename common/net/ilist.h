/* SPDX-License-Identifier: ISC */
/*
 * A doubly linked list threaded through an array by index, for the LRU
 * orders of fixed tables (the twin cache, the relay's rate limiter and
 * ranker): each element holds a struct ilink, indexes count from 1 so
 * that 0 ends the list, and nothing is allocated.
 */
#ifndef RMB_ILIST_H
#define RMB_ILIST_H

#include <stddef.h>
#include <stdint.h>

struct ilink {
	uint32_t	prev, next;	/* index + 1, 0 for none */
};

struct ilist {
	uint32_t	 head;		/* the front: most recently used */
	uint32_t	 tail;		/* the back: least recently used */
	char		*base;		/* element 1 */
	size_t		 stride;	/* element size */
	size_t		 off;		/* offset of its struct ilink */
};

/* An empty list over elements of size stride with links at off. */
void	ilist_init(struct ilist *, void *base, size_t stride, size_t off);
void	ilist_unlink(struct ilist *, uint32_t i);
void	ilist_push_front(struct ilist *, uint32_t i);
/* Moves i to the front: unlink then push. */
void	ilist_touch(struct ilist *, uint32_t i);

#endif
