/* SPDX-License-Identifier: ISC */
#include "ilist.h"

static struct ilink *
at(const struct ilist *l, uint32_t i)
{
	return (struct ilink *)(l->base + (size_t)(i - 1) * l->stride +
	    l->off);
}

void
ilist_init(struct ilist *l, void *base, size_t stride, size_t off)
{
	l->head = l->tail = 0;
	l->base = base;
	l->stride = stride;
	l->off = off;
}

void
ilist_unlink(struct ilist *l, uint32_t i)
{
	struct ilink	*e = at(l, i);

	if (e->prev != 0)
		at(l, e->prev)->next = e->next;
	else
		l->head = e->next;
	if (e->next != 0)
		at(l, e->next)->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = 0;
}

void
ilist_push_front(struct ilist *l, uint32_t i)
{
	struct ilink	*e = at(l, i);

	e->prev = 0;
	e->next = l->head;
	if (l->head != 0)
		at(l, l->head)->prev = i;
	else
		l->tail = i;
	l->head = i;
}

void
ilist_touch(struct ilist *l, uint32_t i)
{
	if (l->head == i)
		return;
	ilist_unlink(l, i);
	ilist_push_front(l, i);
}
