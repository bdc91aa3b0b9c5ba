/* SPDX-License-Identifier: MIT */
/*
 * tether/tether.h - the umbrella header of tether, a secure-by-default RPC
 * framework for C speaking ONC RPC v2 (RFC 5531) over XDR (RFC 4506).
 *
 * Conventions, stated once for the whole API:
 *  - Public names start with tether_ / TETHER_. Handles are opaque and
 *    created with *_new(), configured with setters, freed with *_free().
 *  - Every fallible function returns tether_status (TETHER_OK is 0); see
 *    tether_strerror(). Status results are warn_unused_result.
 *  - Doc comments state ownership in fixed words: "borrowed", "takes
 *    ownership", "valid until ...", "caller frees with ...", and thread
 *    rules ("called on the loop thread").
 *  - All memory comes from the allocator in tether/alloc.h; tether never
 *    aborts on allocation failure and never prints.
 */
#ifndef TETHER_TETHER_H
#define TETHER_TETHER_H

#include <tether/export.h>
#include <tether/status.h>
#include <tether/alloc.h>
#include <tether/xdr.h>
#include <tether/desc.h>
#include <tether/call.h>
#include <tether/server.h>
#include <tether/client.h>
#include <tether/tls.h>
#include <tether/security.h>

#endif /* TETHER_TETHER_H */
