/*
 * net.c: ARP, IPv4, ICMP echo and UDP echo for init=net-echo
 * (RFC 826, 791, 792, 768, 1071).
 *
 * A received frame is checked from the outside in (Ethernet, then ARP or
 * IPv4 with its header checksum and lengths, then ICMP or UDP with their
 * checksums) before a reply is built in a separate buffer; nothing is
 * read past the lengths checked. Replies carry our MAC and IP as source,
 * a fresh IPv4 header (no options, TTL 64) and freshly computed
 * checksums, and are padded to the Ethernet minimum.
 */
#include <pvos/errno.h>
#include <pvos/net.h>
#include <pvos/string.h>

#define IP_HLEN		20
#define ARP_LEN		28
#define ICMP_HLEN	8
#define UDP_HLEN	8
#define ICMP_ECHO_REPLY	0
#define ICMP_ECHO	8

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t net_checksum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The UDP pseudo-header's sum (RFC 768), folded later by net_checksum. */
static uint32_t pseudo_sum(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint16_t len)
{
	return (uint32_t)get16(src) + get16(src + 2) + get16(dst) + get16(dst + 2) + proto + len;
}

int net_parse_ipv4(const char *s, uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255 || *s != (i == 3 ? '\0' : '.'))
			return -EINVAL;
		ip[i] = (uint8_t)v;
		s++;
	}
	return 0;
}

static bool is_broadcast(const uint8_t mac[6])
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	return memcmp(mac, bc, 6) == 0;
}

/* The Ethernet header of a reply to in, and the length padded to the minimum. */
static size_t eth_reply(const struct net_cfg *cfg, const uint8_t *in, uint8_t *out,
			uint16_t type, size_t payload)
{
	size_t len = NET_ETH_HLEN + payload;

	memcpy(out, in + 6, 6);
	memcpy(out + 6, cfg->mac, 6);
	put16(out + 12, type);
	if (len < NET_ETH_MIN) {
		memset(out + len, 0, NET_ETH_MIN - len);
		len = NET_ETH_MIN;
	}
	return len;
}

static size_t arp(const struct net_cfg *cfg, const uint8_t *in, size_t len, uint8_t *out,
		  struct net_stats *st)
{
	const uint8_t *a = in + NET_ETH_HLEN;
	uint8_t *r = out + NET_ETH_HLEN;

	if (len < NET_ETH_HLEN + ARP_LEN) {
		st->malformed++;
		return 0;
	}
	/* Ethernet/IPv4 only: htype 1, ptype 0x0800, hlen 6, plen 4. */
	if (get16(a) != 1 || get16(a + 2) != NET_ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4) {
		st->malformed++;
		return 0;
	}
	if (get16(a + 6) != 1 || memcmp(a + 24, cfg->ip, 4) != 0) {
		st->not_ours++;		/* a reply, or a request for someone else */
		return 0;
	}
	memcpy(r, a, 6);
	put16(r + 6, 2);		/* reply */
	memcpy(r + 8, cfg->mac, 6);
	memcpy(r + 14, cfg->ip, 4);
	memcpy(r + 18, a + 8, 10);	/* their MAC and IP */
	st->arp_replies++;
	return eth_reply(cfg, in, out, NET_ETHERTYPE_ARP, ARP_LEN);
}

/* A fresh IPv4 header for a reply of payload bytes to the request's source. */
static void ip_reply(const struct net_cfg *cfg, const uint8_t *req, uint8_t *ip, uint8_t proto,
		     size_t payload)
{
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(IP_HLEN + payload));
	memcpy(ip + 4, req + 4, 2);	/* the request's id */
	put16(ip + 6, 0x4000);		/* DF */
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, cfg->ip, 4);
	memcpy(ip + 16, req + 12, 4);
	put16(ip + 10, net_checksum(ip, IP_HLEN, 0));
}

static size_t icmp(const struct net_cfg *cfg, const uint8_t *in, const uint8_t *ip,
		   const uint8_t *body, size_t blen, uint8_t *out, struct net_stats *st)
{
	uint8_t *r = out + NET_ETH_HLEN + IP_HLEN;

	if (blen < ICMP_HLEN) {
		st->malformed++;
		return 0;
	}
	if (net_checksum(body, blen, 0) != 0) {
		st->bad_checksum++;
		return 0;
	}
	if (body[0] != ICMP_ECHO || body[1] != 0) {
		st->not_ours++;
		return 0;
	}
	memcpy(r, body, blen);
	r[0] = ICMP_ECHO_REPLY;
	put16(r + 2, 0);
	put16(r + 2, net_checksum(r, blen, 0));
	ip_reply(cfg, ip, out + NET_ETH_HLEN, NET_PROTO_ICMP, blen);
	st->icmp_replies++;
	return eth_reply(cfg, in, out, NET_ETHERTYPE_IPV4, IP_HLEN + blen);
}

static size_t udp(const struct net_cfg *cfg, const uint8_t *in, const uint8_t *ip,
		  const uint8_t *body, size_t blen, uint8_t *out, struct net_stats *st)
{
	uint8_t *r = out + NET_ETH_HLEN + IP_HLEN;
	uint16_t ulen, sum;

	if (blen < UDP_HLEN || (ulen = get16(body + 4)) < UDP_HLEN || ulen > blen) {
		st->malformed++;
		return 0;
	}
	/* RFC 768: a zero checksum was not computed; any other must hold. */
	if (get16(body + 6) != 0 &&
	    net_checksum(body, ulen, pseudo_sum(ip + 12, ip + 16, NET_PROTO_UDP, ulen)) != 0) {
		st->bad_checksum++;
		return 0;
	}
	if (get16(body + 2) != cfg->udp_port) {
		st->not_ours++;
		return 0;
	}
	memcpy(r, body + 2, 2);		/* source port: the one they wrote to */
	memcpy(r + 2, body, 2);
	put16(r + 4, ulen);
	put16(r + 6, 0);
	memcpy(r + UDP_HLEN, body + UDP_HLEN, ulen - UDP_HLEN);
	sum = net_checksum(r, ulen, pseudo_sum(cfg->ip, ip + 12, NET_PROTO_UDP, ulen));
	put16(r + 6, sum ? sum : 0xffff);
	ip_reply(cfg, ip, out + NET_ETH_HLEN, NET_PROTO_UDP, ulen);
	st->udp_replies++;
	return eth_reply(cfg, in, out, NET_ETHERTYPE_IPV4, IP_HLEN + ulen);
}

static size_t ipv4(const struct net_cfg *cfg, const uint8_t *in, size_t len, uint8_t *out,
		   struct net_stats *st)
{
	const uint8_t *ip = in + NET_ETH_HLEN;
	size_t avail = len - NET_ETH_HLEN, hlen, total;

	if (avail < IP_HLEN || (ip[0] >> 4) != 4) {
		st->malformed++;
		return 0;
	}
	hlen = (size_t)(ip[0] & 0xf) * 4;
	total = get16(ip + 2);
	/* The frame may carry padding after the datagram, never less than it. */
	if (hlen < IP_HLEN || hlen > avail || total < hlen || total > avail) {
		st->malformed++;
		return 0;
	}
	if (net_checksum(ip, hlen, 0) != 0) {
		st->bad_checksum++;
		return 0;
	}
	if (memcmp(ip + 16, cfg->ip, 4) != 0 || (get16(ip + 6) & 0x3fff) != 0) {
		st->not_ours++;		/* another host's, or a fragment */
		return 0;
	}
	if (ip[9] == NET_PROTO_ICMP)
		return icmp(cfg, in, ip, ip + hlen, total - hlen, out, st);
	if (ip[9] == NET_PROTO_UDP)
		return udp(cfg, in, ip, ip + hlen, total - hlen, out, st);
	st->not_ours++;
	return 0;
}

size_t net_answer(const struct net_cfg *cfg, const uint8_t *in, size_t len, uint8_t *out,
		  size_t size, struct net_stats *st)
{
	if (size < NET_ETH_MAX || len < NET_ETH_HLEN || len > NET_ETH_MAX) {
		st->malformed++;
		return 0;
	}
	if (memcmp(in, cfg->mac, 6) != 0 && !is_broadcast(in)) {
		st->not_ours++;
		return 0;
	}
	switch (get16(in + 12)) {
	case NET_ETHERTYPE_ARP:
		return arp(cfg, in, len, out, st);
	case NET_ETHERTYPE_IPV4:
		return ipv4(cfg, in, len, out, st);
	default:
		st->not_ours++;
		return 0;
	}
}
