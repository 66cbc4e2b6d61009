/* SPDX-License-Identifier: MIT */
/* Logging for Atoll programs (libraries take a log callback instead). */
#ifndef ATOLL_COMMON_LOG_H
#define ATOLL_COMMON_LOG_H

#include <stdarg.h>
#include <atoll/bus.h>

/* Sets the prefix ("atoll-mem[disk0]") and the most verbose level printed.
 * ATOLL_LOG=debug|info|warn|error in the environment overrides `level`. */
void log_init(const char *prefix, enum atoll_log_level level);
/* The level in force, and its ATOLL_LOG name ("warn", "debug", ...). */
enum atoll_log_level log_level_get(void);
const char *log_level_name(enum atoll_log_level level);
void log_msg(enum atoll_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum atoll_log_level level, const char *fmt, va_list ap);
/* Fits atoll_bus_callbacks.log. */
void log_bus_cb(void *opaque, enum atoll_log_level level, const char *fmt,
		va_list ap);

#define log_error(...) log_msg(ATOLL_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(ATOLL_LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(ATOLL_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(ATOLL_LOG_DEBUG, __VA_ARGS__)

#endif
