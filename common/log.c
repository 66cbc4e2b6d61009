/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char log_prefix[64] = "atoll";
static enum atoll_log_level log_level = ATOLL_LOG_INFO;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void log_init(const char *prefix, enum atoll_log_level level)
{
	const char *env = getenv("ATOLL_LOG");

	snprintf(log_prefix, sizeof(log_prefix), "%s", prefix);
	log_level = level;
	if (!env)
		return;
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcasecmp(env, level_names[i]) ||
		    (i == ATOLL_LOG_WARN && !strcasecmp(env, "warn")))
			log_level = (enum atoll_log_level)i;
}

enum atoll_log_level log_level_get(void)
{
	return log_level;
}

const char *log_level_name(enum atoll_log_level level)
{
	return level == ATOLL_LOG_WARN ? "warn" : level_names[level];
}

void log_vmsg(enum atoll_log_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line so that lines from several processes sharing
	 * stderr do not interleave mid-line. */
	fprintf(stderr, "%s: %s%s%s\n", log_prefix,
		level <= ATOLL_LOG_WARN ? level_names[level] : "",
		level <= ATOLL_LOG_WARN ? ": " : "", line);
}

void log_msg(enum atoll_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_bus_cb(void *opaque, enum atoll_log_level level, const char *fmt,
		va_list ap)
{
	log_vmsg(level, fmt, ap);
}
