/* SPDX-License-Identifier: MIT */
/* libtpms behind a worker thread, its permanent state in the state file
 * (engine.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libtpms/tpm_error.h>
#include <libtpms/tpm_library.h>
#include <libtpms/tpm_nvfilename.h>

#include "engine.h"
#include "state-file.h"

struct engine {
	bool tpm2;
	int state_fd;
	uint64_t seq;                 /* newest sequence in the state file */
	int store_error;              /* last failed save, for the log */
	/* libtpms' permanent state as last saved, and a volatile state to
	 * resume from at the next TPMLIB_MainInit (STATE_LOAD), malloc'd. */
	uint8_t *perm, *vol;
	uint32_t perm_len, vol_len;

	pthread_t worker;
	bool worker_started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_cond_t finished;      /* done became true */
	bool quit, has_cmd, busy, done;
	uint8_t cmd[ENGINE_CMD_MAX];
	uint32_t cmd_len;
	unsigned char *resp;          /* libtpms' buffer, reused */
	uint32_t resp_len, resp_size;
	int done_fd;                  /* eventfd: a command finished */
};

/* libtpms' callbacks have no opaque: the process's one TPM. */
static struct engine *the;

static uint8_t *dup_bytes(const uint8_t *p, uint32_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	if (d && len)
		memcpy(d, p, len);
	return d;
}

static TPM_RESULT cb_nvram_init(void)
{
	return TPM_SUCCESS;
}

/* libtpms frees *data with free(). TPM_RETRY: no such state yet (a
 * fresh TPM is manufactured; no volatile state to resume). */
static TPM_RESULT cb_load(unsigned char **data, uint32_t *length,
			  uint32_t tpm_number, const char *name)
{
	const uint8_t *src = NULL;
	uint32_t len = 0;

	(void)tpm_number;
	if (!strcmp(name, TPM_PERMANENT_ALL_NAME) && the->perm) {
		src = the->perm;
		len = the->perm_len;
	} else if (!strcmp(name, TPM_VOLATILESTATE_NAME) && the->vol) {
		src = the->vol;
		len = the->vol_len;
	}
	if (!src)
		return TPM_RETRY;
	*data = dup_bytes(src, len);
	if (!*data)
		return TPM_FAIL;
	*length = len;
	return TPM_SUCCESS;
}

/* Only the permanent state goes to the file; the volatile one lives as
 * long as the process (and travels in STATE_SAVE). */
static TPM_RESULT cb_store(const unsigned char *data, uint32_t length,
			   uint32_t tpm_number, const char *name)
{
	uint8_t *copy;
	int r;

	(void)tpm_number;
	if (strcmp(name, TPM_PERMANENT_ALL_NAME))
		return TPM_SUCCESS;
	r = state_file_store(the->state_fd, the->tpm2 ? STATE_TPM2 :
			     STATE_TPM12, the->seq + 1, data, length);
	if (r < 0) {
		the->store_error = -r;
		return TPM_FAIL;      /* the command fails; the file is intact */
	}
	the->seq++;
	copy = dup_bytes(data, length);
	if (copy) {
		free(the->perm);
		the->perm = copy;
		the->perm_len = length;
	}
	return TPM_SUCCESS;
}

static TPM_RESULT cb_delete(uint32_t tpm_number, const char *name,
			    TPM_BOOL must_exist)
{
	(void)tpm_number;
	(void)name;
	(void)must_exist;
	return TPM_SUCCESS;
}

static TPM_RESULT cb_io_init(void)
{
	return TPM_SUCCESS;
}

static TPM_RESULT cb_locality(TPM_MODIFIER_INDICATOR *loc, uint32_t n)
{
	(void)n;
	*loc = 0;                     /* the TIS has locality 0 only */
	return TPM_SUCCESS;
}

static TPM_RESULT cb_presence(TPM_BOOL *pp, uint32_t n)
{
	(void)n;
	*pp = 0;                      /* no physical presence switch */
	return TPM_SUCCESS;
}

static struct libtpms_callbacks callbacks = {
	.sizeOfStruct = sizeof(struct libtpms_callbacks),
	.tpm_nvram_init = cb_nvram_init,
	.tpm_nvram_loaddata = cb_load,
	.tpm_nvram_storedata = cb_store,
	.tpm_nvram_deletename = cb_delete,
	.tpm_io_init = cb_io_init,
	.tpm_io_getlocality = cb_locality,
	.tpm_io_getphysicalpresence = cb_presence,
};

static void *worker_main(void *opaque)
{
	struct engine *e = opaque;
	uint64_t one = 1;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (!e->has_cmd && !e->quit)
			pthread_cond_wait(&e->wake, &e->lock);
		if (e->quit)
			break;
		e->has_cmd = false;
		/* libtpms runs with the lock held: engine_save/load, which
		 * also call it, wait for the command. */
		e->resp_len = 0;
		TPMLIB_Process(&e->resp, &e->resp_len, &e->resp_size, e->cmd,
			       e->cmd_len);
		e->done = true;
		pthread_cond_signal(&e->finished);
		if (write(e->done_fd, &one, sizeof(one)) < 0)
			perror("atoll-tpm: done eventfd");
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

/* Loads the state file into e->perm (none for an empty file). */
static int load_file(struct engine *e, char *why, size_t whylen)
{
	struct state_blob b;
	uint8_t *image;
	int r = state_file_load(e->state_fd, e->tpm2 ? STATE_TPM2 : STATE_TPM12,
				&image, &b, why, whylen);

	if (r < 0) {
		if (r != -EINVAL)
			snprintf(why, whylen, "cannot read: %s", strerror(-r));
		return r;
	}
	if (r == 0) {
		e->perm = dup_bytes(b.data, b.len);
		e->perm_len = b.len;
		e->seq = b.seq;
	}
	free(image);
	return e->perm || r == 1 ? 0 : -ENOMEM;
}

static int start_tpm(struct engine *e, char *why, size_t whylen)
{
	TPM_RESULT rc;

	if (TPMLIB_ChooseTPMVersion(e->tpm2 ? TPMLIB_TPM_VERSION_2 :
				    TPMLIB_TPM_VERSION_1_2) != TPM_SUCCESS ||
	    TPMLIB_RegisterCallbacks(&callbacks) != TPM_SUCCESS) {
		snprintf(why, whylen, "libtpms refused the TPM version");
		return -EINVAL;
	}
	rc = TPMLIB_MainInit();
	if (rc != TPM_SUCCESS) {
		snprintf(why, whylen, "libtpms refused the state (TPM_RESULT "
			 "0x%x)%s", rc, e->store_error ? ": saving failed" : "");
		return -EINVAL;
	}
	return 0;
}

/* TPM_Startup(CLEAR) as a platform's firmware would send it: a TPM
 * process starts like a TPM that has just been powered on, and a
 * restarted one (after a crash) must answer the guest's next command
 * rather than TPM_RC_INITIALIZE, which Linux only handles at probe.
 * Firmware or a driver sending its own Startup then gets
 * TPM_RC_INITIALIZE (TPM 1.2: TPM_INVALID_POSTINIT), which Linux, U-Boot
 * and EDK2 take as "already started". */
static void startup(struct engine *e)
{
	static const uint8_t tpm2_cmd[12] = {
		0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0 };
	static const uint8_t tpm12_cmd[12] = {
		0x00, 0xc1, 0, 0, 0, 12, 0, 0, 0x00, 0x99, 0, 1 };
	uint8_t cmd[12];

	memcpy(cmd, e->tpm2 ? tpm2_cmd : tpm12_cmd, sizeof(cmd));
	TPMLIB_Process(&e->resp, &e->resp_len, &e->resp_size, cmd, sizeof(cmd));
	e->resp_len = 0;
}

struct engine *engine_new(bool tpm2, int state_fd, char *why, size_t whylen)
{
	struct engine *e;

	if (the) {
		snprintf(why, whylen, "one TPM per process");
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	the = e;
	e->tpm2 = tpm2;
	e->state_fd = state_fd;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	pthread_cond_init(&e->finished, NULL);
	e->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->done_fd < 0) {
		snprintf(why, whylen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (load_file(e, why, whylen) < 0 || start_tpm(e, why, whylen) < 0)
		goto fail;
	startup(e);
	if (pthread_create(&e->worker, NULL, worker_main, e) != 0) {
		snprintf(why, whylen, "cannot start the worker thread");
		TPMLIB_Terminate();
		goto fail;
	}
	e->worker_started = true;
	return e;
fail:
	engine_free(e);
	return NULL;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->worker_started) {
		pthread_mutex_lock(&e->lock);
		e->quit = true;
		pthread_cond_signal(&e->wake);
		pthread_mutex_unlock(&e->lock);
		pthread_join(e->worker, NULL);
		TPMLIB_Terminate();
	}
	if (e->done_fd >= 0)
		close(e->done_fd);
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->wake);
	pthread_cond_destroy(&e->finished);
	free(e->resp);
	free(e->perm);
	free(e->vol);
	free(e);
	the = NULL;
}

int engine_submit(struct engine *e, const uint8_t *cmd, uint32_t len)
{
	if (len > ENGINE_CMD_MAX || len == 0)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	if (e->busy) {
		pthread_mutex_unlock(&e->lock);
		return -EBUSY;
	}
	memcpy(e->cmd, cmd, len);
	e->cmd_len = len;
	e->has_cmd = e->busy = true;
	e->done = false;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int engine_done_fd(const struct engine *e)
{
	return e->done_fd;
}

int engine_take(struct engine *e, const uint8_t **resp, uint32_t *len)
{
	uint64_t n;
	int r = -EAGAIN;

	if (read(e->done_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&e->lock);
	if (e->busy && e->done) {
		e->busy = e->done = false;
		*resp = e->resp;
		*len = e->resp_len;
		r = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return r;
}

bool engine_wait(struct engine *e, int ms)
{
	struct timespec until;
	bool done;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&e->lock);
	while (e->busy && !e->done &&
	       pthread_cond_timedwait(&e->finished, &e->lock, &until) == 0)
		;
	done = e->busy && e->done;
	pthread_mutex_unlock(&e->lock);
	return done;
}

bool engine_busy(const struct engine *e)
{
	return e->busy;
}

uint64_t engine_seq(const struct engine *e)
{
	return e->seq;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int engine_save(struct engine *e, uint8_t **out, size_t *len)
{
	unsigned char *vol = NULL;
	uint32_t vol_len = 0;
	int r = 0;

	if (e->busy)
		return -EBUSY;
	pthread_mutex_lock(&e->lock);
	if (!e->perm || TPMLIB_VolatileAll_Store(&vol, &vol_len) != TPM_SUCCESS) {
		r = -EIO;
		goto out;
	}
	*len = 8 + (size_t)e->perm_len + vol_len;
	*out = malloc(*len);
	if (!*out) {
		r = -ENOMEM;
		goto out;
	}
	put_le32(*out, e->perm_len);
	memcpy(*out + 4, e->perm, e->perm_len);
	put_le32(*out + 4 + e->perm_len, vol_len);
	memcpy(*out + 8 + e->perm_len, vol, vol_len);
out:
	pthread_mutex_unlock(&e->lock);
	free(vol);
	return r;
}

/* Restarts libtpms on e->perm and e->vol (consumed). */
static TPM_RESULT restart(struct engine *e)
{
	TPM_RESULT rc;

	TPMLIB_Terminate();
	rc = TPMLIB_MainInit();
	free(e->vol);
	e->vol = NULL;
	return rc;
}

int engine_load(struct engine *e, const uint8_t *in, size_t len,
		char *why, size_t whylen)
{
	uint32_t perm_len, vol_len;
	uint8_t *old_perm;
	uint32_t old_len;
	TPM_RESULT rc;

	if (e->busy)
		return snprintf(why, whylen, "a command is running"), -EBUSY;
	if (len < 8 || (perm_len = le32(in)) > len - 8 ||
	    (vol_len = le32(in + 4 + perm_len)) != len - 8 - perm_len ||
	    perm_len == 0 || perm_len > STATE_PAYLOAD_MAX)
		return snprintf(why, whylen, "malformed saved state"), -EINVAL;
	pthread_mutex_lock(&e->lock);
	old_perm = e->perm;
	old_len = e->perm_len;
	e->perm = dup_bytes(in + 4, perm_len);
	e->perm_len = perm_len;
	e->vol = dup_bytes(in + 8 + perm_len, vol_len);
	e->vol_len = vol_len;
	rc = e->perm && e->vol ? restart(e) : TPM_FAIL;
	if (rc == TPM_SUCCESS)
		rc = cb_store(e->perm, e->perm_len, 0, TPM_PERMANENT_ALL_NAME);
	if (rc != TPM_SUCCESS) {
		snprintf(why, whylen, "libtpms refused the saved state "
			 "(TPM_RESULT 0x%x); running on from the state file", rc);
		free(e->perm);
		e->perm = old_perm;
		e->perm_len = old_len;
		restart(e);
		pthread_mutex_unlock(&e->lock);
		return -EINVAL;
	}
	free(old_perm);
	pthread_mutex_unlock(&e->lock);
	return 0;
}
