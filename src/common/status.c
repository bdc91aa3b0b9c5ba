/* SPDX-License-Identifier: MIT */
/* status.c - tether_strerror() and tether_status_name(), from the one table. */
#include <tether/status.h>

const char *tether_strerror(tether_status st)
{
	switch (st) {
#define TT_MSG(name, num, msg)                                                 \
	case TETHER_##name:                                                    \
		return msg;
		TETHER_STATUS_MAP(TT_MSG)
#undef TT_MSG
	}
	return "unknown status";
}

const char *tether_status_name(tether_status st)
{
	switch (st) {
#define TT_NAME(name, num, msg)                                                \
	case TETHER_##name:                                                    \
		return #name;
		TETHER_STATUS_MAP(TT_NAME)
#undef TT_NAME
	}
	return "UNKNOWN";
}
