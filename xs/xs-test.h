/*
 * xs-test.h: helpers for the pvxenstored unit tests (tests/unit/test-xs-*).
 *
 * A test store with connections over an in-memory transport: a request is
 * framed, fed through the real input path (conn.c, request.c), and the
 * reply is taken from the captured output; watch events are kept apart so
 * a test can check them.
 */
#ifndef SPLITVISOR_XS_TEST_H
#define SPLITVISOR_XS_TEST_H

#include <CUnit/CUnit.h>

#include "xs-priv.h"

struct th_reply {
	uint32_t type;
	uint32_t req_id, tx_id;
	uint32_t len;
	char data[XENSTORE_PAYLOAD_MAX + 64];
};

struct xs_store *th_store(void);
void th_store_free(struct xs_store *st);
struct xs_conn *th_conn(struct xs_store *st, unsigned int domid, bool priv);
/* Append raw bytes to the client's input without handling them. */
void th_queue(struct xs_conn *c, const void *buf, size_t len);
/* Feed raw bytes as client input; handle them.  Returns the input rc. */
int th_feed(struct xs_store *st, struct xs_conn *c, const void *buf,
	    size_t len);
/* Send a request of NUL-separated args (NULL-terminated list). */
int th_req(struct xs_store *st, struct xs_conn *c, uint32_t type,
	   uint32_t tx, struct th_reply *out, ...);
/* Send a raw payload. */
int th_req_raw(struct xs_store *st, struct xs_conn *c, uint32_t type,
	       uint32_t tx, const void *payload, size_t len,
	       struct th_reply *out);
/* Result as a string: the value, or the error name ("ENOENT"). */
const char *th_result(const struct th_reply *r);
const char *th_write(struct xs_store *st, struct xs_conn *c, uint32_t tx,
		     const char *path, const char *value);
const char *th_read(struct xs_store *st, struct xs_conn *c, uint32_t tx,
		    const char *path);
uint32_t th_tx_start(struct xs_store *st, struct xs_conn *c);
const char *th_tx_end(struct xs_store *st, struct xs_conn *c, uint32_t tx,
		      bool commit);
/* Pop the next queued watch event; 0 if one was there. */
int th_event(struct xs_conn *c, char *path, size_t psize, char *token,
	     size_t tsize);
unsigned int th_nevents(struct xs_conn *c);
/* Stop/start the fake client reading its output. */
void th_set_reading(struct xs_conn *c, bool on);
int th_run(const char *name, CU_TestInfo *tests);

#endif
