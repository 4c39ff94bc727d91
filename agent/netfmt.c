/*
 * netfmt: render socket addresses from net records for text and JSON output.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "netfmt.h"

/* snprintf that reports what was really written, never more than len-1. */
static size_t put(char *buf, size_t len, int n)
{
	if (n < 0 || len == 0) {
		if (len)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n < len ? (size_t)n : len - 1;
}

size_t netfmt__addr(char *buf, size_t len, __u16 family, const __u8 addr[16])
{
	char tmp[INET6_ADDRSTRLEN];

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (family == AF_INET) {
		if (!inet_ntop(AF_INET, addr, tmp, sizeof(tmp)))
			return 0;
	} else if (family == AF_INET6) {
		if (!inet_ntop(AF_INET6, addr, tmp, sizeof(tmp)))
			return 0;
	} else {
		return 0;
	}
	return put(buf, len, snprintf(buf, len, "%s", tmp));
}

size_t netfmt__endpoint(char *buf, size_t len, __u16 family, const __u8 addr[16], __u16 port)
{
	char a[INET6_ADDRSTRLEN];

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (netfmt__addr(a, sizeof(a), family, addr) == 0)
		return 0;
	if (family == AF_INET6)
		return put(buf, len, snprintf(buf, len, "[%s]:%u", a, port));
	return put(buf, len, snprintf(buf, len, "%s:%u", a, port));
}

size_t netfmt__unix_path(char *buf, size_t len, const char *path, size_t path_len)
{
	size_t i = 0, o = 0;
	int abstract;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (!path || path_len == 0)
		return 0;
	abstract = path[0] == '\0';
	if (abstract) {
		if (len < 2)
			return 0;
		buf[o++] = '@';
		i = 1;
	}
	for (; i < path_len; i++) {
		unsigned char c = (unsigned char)path[i];

		/* A filesystem path ends at its NUL; an abstract name runs to path_len. */
		if (c == '\0' && !abstract)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= len)
				break;
			buf[o++] = (char)c;
		} else {
			if (o + 4 >= len)
				break;
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		}
	}
	buf[o] = '\0';
	return o;
}

const char *netfmt__family(__u16 family)
{
	switch (family) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	case AF_NETLINK:
		return "netlink";
	case AF_PACKET:
		return "packet";
	case 0:
		return "unspec";
	default:
		return "other";
	}
}

const char *netfmt__sock_type(__u16 type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_SEQPACKET:
		return "seqpacket";
	case SOCK_RAW:
		return "raw";
	default:
		return "";
	}
}
