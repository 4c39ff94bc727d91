/*
 * netfmt: socket addresses as people read them ("10.0.0.1:5432",
 * "[::1]:8080", "/run/app.sock", "@abstract"), from the raw fields of a
 * net record. Pure functions; unit tested.
 */
#ifndef AISEC_NETFMT_H
#define AISEC_NETFMT_H

#include <stddef.h>
#include <linux/types.h>

/* Longest output of any function below, NUL included: a 108-byte sun_path
 * with every byte written as \xNN. */
#define NETFMT_MAX (4 * 108 + 1)

/* The address alone: dotted IPv4 (first 4 bytes of addr, network order),
 * RFC 5952 IPv6, or "" for other families. Returns the length written. */
size_t netfmt__addr(char *buf, size_t len, __u16 family, const __u8 addr[16]);

/* Address and port: "1.2.3.4:80", "[::1]:80"; "" for other families. */
size_t netfmt__endpoint(char *buf, size_t len, __u16 family, const __u8 addr[16], __u16 port);

/* A sun_path of path_len bytes: a filesystem path up to its first NUL; an
 * abstract name (leading NUL) as "@name". Bytes that are not printable ASCII
 * are written as \xNN, so the result is always one clean line. "" when empty. */
size_t netfmt__unix_path(char *buf, size_t len, const char *path, size_t path_len);

/* "inet", "inet6", "unix", "netlink", "packet", "unspec" or "other"; never NULL. */
const char *netfmt__family(__u16 family);

/* "stream", "dgram", "seqpacket", "raw", or "" when unknown. */
const char *netfmt__sock_type(__u16 type);

#endif /* AISEC_NETFMT_H */
