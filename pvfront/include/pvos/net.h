/*
 * pvos/net.h: the smallest IP stack that answers: ARP requests for our
 * address, ICMP echo requests and UDP echo on one port, over IPv4 on
 * Ethernet. Pure functions over byte buffers (no driver, no state), so
 * the host unit tests run them on any frame they like.
 */
#ifndef PVOS_NET_H
#define PVOS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_HLEN		14
#define NET_ETH_MIN		60	/* without the FCS: shorter replies are padded */
#define NET_ETH_MAX		1514	/* MTU 1500 */
#define NET_ETHERTYPE_IPV4	0x0800
#define NET_ETHERTYPE_ARP	0x0806
#define NET_PROTO_ICMP		1
#define NET_PROTO_UDP		17

struct net_cfg {
	uint8_t mac[6];
	uint8_t ip[4];
	uint16_t udp_port;	/* UDP echo: datagrams to this port come back */
};

/* Why frames were answered or not. */
struct net_stats {
	unsigned long arp_replies, icmp_replies, udp_replies;
	unsigned long not_ours;		/* another MAC or IP, other protocols: ignored */
	unsigned long malformed;	/* short, bad lengths or headers */
	unsigned long bad_checksum;
};

/*
 * The reply to one received frame, built in out (size bytes, at least
 * NET_ETH_MAX): its length, or 0 if the frame wants none. Every length
 * and checksum in the frame is checked before anything is built; the
 * counters say what happened.
 */
size_t net_answer(const struct net_cfg *cfg, const uint8_t *in, size_t len, uint8_t *out,
		  size_t size, struct net_stats *st);

/* The Internet checksum (RFC 1071) of data, continuing from sum (0 to start). */
uint16_t net_checksum(const void *data, size_t len, uint32_t sum);

/* "10.1.2.3" into ip; 0 or -EINVAL. */
int net_parse_ipv4(const char *s, uint8_t ip[4]);

#endif /* PVOS_NET_H */
