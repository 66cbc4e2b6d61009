/* SPDX-License-Identifier: MIT */
/* libFuzzer target: any bytes into manifest_load_string must give a config
 * or an error, never a crash or a leak. Files are opened only beneath the
 * current directory, and only regular ones, without writing, so hostile
 * paths in the input are harmless. binary:, args: and sandbox: off are
 * granted so that the fuzzer reaches the fields behind them. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct manifest_policy policy = {
		.allow_unsandboxed = true, .allow_binary = true,
	};
	struct manifest_error err;
	struct vm_config *cfg;
	char msg[1024];

	cfg = manifest_load_string("fuzz.yaml", (const char *)data, size,
				   &policy, &err);
	if (!cfg) {
		/* the message must be a terminated string */
		manifest_error_format(&err, msg, sizeof(msg));
		if (strlen(err.message) >= sizeof(err.message))
			__builtin_trap();
		return 0;
	}
	if (!cfg->machine || !cfg->accel || !cfg->console || !cfg->name ||
	    cfg->cpus < 1 || cfg->cpus > 64 || cfg->memory_bytes < (16u << 20))
		__builtin_trap();
	vm_config_free(cfg);
	return 0;
}
