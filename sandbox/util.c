/* SPDX-License-Identifier: MIT */
/* Small growable arrays for profiles. */
#include "sandbox-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int sbx_str_add(char ***v, size_t *n, const char *s)
{
	char **nv, *copy;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], s))
			return 0;
	if (!(copy = strdup(s)))
		return -ENOMEM;
	if (!(nv = realloc(*v, (*n + 1) * sizeof(*nv)))) {
		free(copy);
		return -ENOMEM;
	}
	nv[(*n)++] = copy;
	*v = nv;
	return 0;
}

void sbx_str_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int sbx_int_add(int **v, size_t *n, int x)
{
	int *nv;

	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return 0;
	if (!(nv = realloc(*v, (*n + 1) * sizeof(*nv))))
		return -ENOMEM;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

void sbx_int_sort(int *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), cmp_int);
}

int sbx_arg_rule_add(struct sandbox_profile *p,
		     const struct sandbox_arg_rule *r)
{
	struct sandbox_arg_rule *nv = realloc(p->arg_rules,
					      (p->narg_rules + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	nv[p->narg_rules++] = *r;
	p->arg_rules = nv;
	return 0;
}
