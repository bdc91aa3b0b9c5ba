/* SPDX-License-Identifier: MIT */
/* tether/export.h - symbol visibility and attribute macros for the public API. */
#ifndef TETHER_EXPORT_H
#define TETHER_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define TETHER_API __attribute__((visibility("default")))
#define TETHER_WUR __attribute__((warn_unused_result))
#else
#define TETHER_API
#define TETHER_WUR
#endif

#define TETHER_VERSION_MAJOR 0
#define TETHER_VERSION_MINOR 1
#define TETHER_VERSION_PATCH 0
#define TETHER_VERSION_STRING "0.1.0"

#endif /* TETHER_EXPORT_H */
