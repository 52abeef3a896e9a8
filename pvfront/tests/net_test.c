/*
 * net_test.c: kernel/net.c on frames built here: ARP requests for us and
 * for others, ICMP echo with its checksums checked against an independent
 * sum, UDP echo with and without a checksum, and malformed frames (short,
 * lengths that lie, bad header and payload checksums, fragments, other
 * MACs), none of which may be answered or read past.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pvos/errno.h>
#include <pvos/net.h>

#include "host.h"

static const struct net_cfg cfg = {
	.mac = { 0x02, 0x16, 0x3e, 0, 0, 1 }, .ip = { 10, 9, 8, 2 }, .udp_port = 7,
};
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
static const uint8_t peer_ip[4] = { 10, 9, 8, 1 };

static uint8_t frame[NET_ETH_MAX], out[NET_ETH_MAX];
static struct net_stats st;

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* An independent one's complement sum, byte pair by byte pair, for checking. */
static unsigned int ref_sum(const uint8_t *p, size_t len, unsigned long sum)
{
	for (size_t i = 0; i < len; i++)
		sum += i % 2 ? p[i] : (unsigned long)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned int)sum;
}

static size_t eth(const uint8_t *dst, unsigned int type)
{
	memset(frame, 0, sizeof(frame));
	memcpy(frame, dst, 6);
	memcpy(frame + 6, peer_mac, 6);
	put16(frame + 12, type);
	return 14;
}

static size_t arp_request(const uint8_t target[4])
{
	static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = frame + eth(bc, NET_ETHERTYPE_ARP);

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, peer_mac, 6);
	memcpy(a + 14, peer_ip, 4);
	memcpy(a + 24, target, 4);
	return 14 + 28;
}

/* An IPv4 datagram to us with payload plen bytes already at frame + 34. */
static size_t ipv4(unsigned int proto, size_t plen)
{
	uint8_t *ip = frame + 14;

	ip[0] = 0x45;
	put16(ip + 2, (unsigned int)(20 + plen));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	memcpy(ip + 12, peer_ip, 4);
	memcpy(ip + 16, cfg.ip, 4);
	put16(ip + 10, 0);
	put16(ip + 10, net_checksum(ip, 20, 0));
	return 14 + 20 + plen;
}

static size_t ping(size_t data)
{
	uint8_t *icmp = frame + 34;

	eth(cfg.mac, NET_ETHERTYPE_IPV4);
	icmp[0] = 8;
	put16(icmp + 4, 0x77);
	put16(icmp + 6, 3);
	for (size_t i = 0; i < data; i++)
		icmp[8 + i] = (uint8_t)(i * 7);
	put16(icmp + 2, net_checksum(icmp, 8 + data, 0));
	return ipv4(1, 8 + data);
}

static size_t udp(unsigned int port, size_t data, bool with_sum)
{
	uint8_t *u = frame + 34;
	unsigned long pseudo = get16(peer_ip) + get16(peer_ip + 2) + get16(cfg.ip) +
			       get16(cfg.ip + 2) + 17 + 8 + data;

	eth(cfg.mac, NET_ETHERTYPE_IPV4);
	put16(u, 40000);
	put16(u + 2, port);
	put16(u + 4, (unsigned int)(8 + data));
	for (size_t i = 0; i < data; i++)
		u[8 + i] = (uint8_t)('a' + i % 26);
	if (with_sum) {
		unsigned int s = (~ref_sum(u, 8 + data, pseudo)) & 0xffff;

		put16(u + 6, s ? s : 0xffff);
	}
	return ipv4(17, 8 + data);
}

static size_t answer(size_t len)
{
	memset(out, 0xee, sizeof(out));
	return net_answer(&cfg, frame, len, out, sizeof(out), &st);
}

static void test_arp(void)
{
	static const uint8_t other[4] = { 10, 9, 8, 3 };
	size_t r;

	memset(&st, 0, sizeof(st));
	r = answer(arp_request(cfg.ip));
	CU_ASSERT_EQUAL(r, 60);
	CU_ASSERT_EQUAL(memcmp(out, peer_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(out + 6, cfg.mac, 6), 0);
	CU_ASSERT_EQUAL(get16(out + 12), NET_ETHERTYPE_ARP);
	CU_ASSERT_EQUAL(get16(out + 14 + 6), 2);
	CU_ASSERT_EQUAL(memcmp(out + 14 + 8, cfg.mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(out + 14 + 14, cfg.ip, 4), 0);
	CU_ASSERT_EQUAL(memcmp(out + 14 + 18, peer_mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(out + 14 + 24, peer_ip, 4), 0);
	CU_ASSERT_EQUAL(out[59], 0);		/* padding is zeros, not stale bytes */
	CU_ASSERT_EQUAL(st.arp_replies, 1);
	CU_ASSERT_EQUAL(answer(arp_request(other)), 0);
	CU_ASSERT_EQUAL(st.not_ours, 1);
	CU_ASSERT_EQUAL(answer(arp_request(cfg.ip) - 1), 0);	/* short */
	arp_request(cfg.ip);
	frame[14 + 4] = 8;				/* hlen 8 */
	CU_ASSERT_EQUAL(answer(42), 0);
	CU_ASSERT_EQUAL(st.malformed, 2);
}

static void test_ping(void)
{
	size_t len = ping(56), r;

	memset(&st, 0, sizeof(st));
	r = answer(len);
	CU_ASSERT_EQUAL(r, len);
	CU_ASSERT_EQUAL(st.icmp_replies, 1);
	CU_ASSERT_EQUAL(memcmp(out, peer_mac, 6), 0);
	CU_ASSERT_EQUAL(out[34], 0);			/* echo reply */
	CU_ASSERT_EQUAL(ref_sum(out + 14, 20, 0), 0xffff);	/* IP header sums right */
	CU_ASSERT_EQUAL(ref_sum(out + 34, 64, 0), 0xffff);	/* and ICMP */
	CU_ASSERT_EQUAL(memcmp(out + 14 + 12, cfg.ip, 4), 0);
	CU_ASSERT_EQUAL(memcmp(out + 14 + 16, peer_ip, 4), 0);
	CU_ASSERT_EQUAL(memcmp(out + 38, frame + 38, 60), 0);	/* id, seq, data */
	/* An odd-sized payload, and a tiny one padded to the minimum. */
	len = ping(57);
	CU_ASSERT_EQUAL(answer(len), len);
	CU_ASSERT_EQUAL(ref_sum(out + 34, 65, 0), 0xffff);
	CU_ASSERT_EQUAL(answer(ping(0)), 60);
}

static void test_ping_bad(void)
{
	size_t len;

	memset(&st, 0, sizeof(st));
	len = ping(56);
	frame[40] ^= 1;				/* ICMP checksum broken */
	CU_ASSERT_EQUAL(answer(len), 0);
	len = ping(56);
	frame[14 + 8] = 1;			/* TTL changed: IP checksum broken */
	CU_ASSERT_EQUAL(answer(len), 0);
	CU_ASSERT_EQUAL(st.bad_checksum, 2);
	len = ping(56);
	CU_ASSERT_EQUAL(answer(len - 1), 0);	/* total length past the frame */
	len = ping(56);
	frame[14] = 0x44;			/* IHL 4 */
	CU_ASSERT_EQUAL(answer(len), 0);
	len = ping(56);
	frame[14] = 0x4f;			/* IHL 15: 60 bytes, header checksum now off too */
	CU_ASSERT_EQUAL(answer(40), 0);
	CU_ASSERT_EQUAL(answer(20), 0);		/* no IP header at all */
	CU_ASSERT_EQUAL(answer(13), 0);		/* not even Ethernet */
	CU_ASSERT_EQUAL(st.malformed, 5);
	len = ping(56);
	put16(frame + 14 + 6, 0x2000);		/* a fragment (MF), checksum redone */
	put16(frame + 14 + 10, 0);
	put16(frame + 14 + 10, net_checksum(frame + 14, 20, 0));
	CU_ASSERT_EQUAL(answer(len), 0);
	len = ping(56);
	frame[0] ^= 0x80;			/* another MAC */
	CU_ASSERT_EQUAL(answer(len), 0);
	CU_ASSERT_EQUAL(st.not_ours, 2);
	CU_ASSERT_EQUAL(st.icmp_replies, 0);
}

static void test_udp(void)
{
	size_t len = udp(7, 11, true), r;

	memset(&st, 0, sizeof(st));
	r = answer(len);
	CU_ASSERT_EQUAL(r, 60);
	CU_ASSERT_EQUAL(get16(out + 34), 7);
	CU_ASSERT_EQUAL(get16(out + 36), 40000);
	CU_ASSERT_EQUAL(get16(out + 38), 19);
	CU_ASSERT_EQUAL(memcmp(out + 42, frame + 42, 11), 0);
	/* The reply's checksum, with its pseudo-header, sums to all ones. */
	CU_ASSERT_EQUAL(ref_sum(out + 34, 19, get16(cfg.ip) + get16(cfg.ip + 2) + get16(peer_ip) +
					      get16(peer_ip + 2) + 17 + 19), 0xffff);
	CU_ASSERT_EQUAL(answer(udp(7, 1000, false)), 14 + 20 + 1008);	/* no checksum: fine */
	CU_ASSERT_EQUAL(st.udp_replies, 2);
	len = udp(7, 11, true);
	frame[45] ^= 4;
	CU_ASSERT_EQUAL(answer(len), 0);
	CU_ASSERT_EQUAL(st.bad_checksum, 1);
	len = udp(7, 11, false);
	put16(frame + 38, 200);			/* UDP length past the datagram */
	CU_ASSERT_EQUAL(answer(len), 0);
	put16(frame + 38, 7);			/* shorter than its header */
	CU_ASSERT_EQUAL(answer(len), 0);
	CU_ASSERT_EQUAL(st.malformed, 2);
	CU_ASSERT_EQUAL(answer(udp(9, 5, true)), 0);	/* another port */
	CU_ASSERT_EQUAL(st.not_ours, 1);
}

static void test_random(void)
{
	/* Garbage of every length to our MAC: never a crash, never read past len. */
	srand(7);
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand() % (NET_ETH_MAX + 1);
		uint8_t *copy = malloc(len ? len : 1);

		for (size_t j = 0; j < len; j++)
			copy[j] = (uint8_t)rand();
		if (len >= 14) {
			memcpy(copy, cfg.mac, 6);
			put16(copy + 12, i % 2 ? NET_ETHERTYPE_IPV4 : NET_ETHERTYPE_ARP);
		}
		(void)net_answer(&cfg, copy, len, out, sizeof(out), &st);
		free(copy);
	}
	CU_PASS("survived");
}

static void test_parse_ip(void)
{
	uint8_t ip[4];

	CU_ASSERT_EQUAL(net_parse_ipv4("10.0.255.1", ip), 0);
	CU_ASSERT_EQUAL(ip[2], 255);
	CU_ASSERT_EQUAL(net_parse_ipv4("10.0.256.1", ip), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_ipv4("10.0.1", ip), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_ipv4("10.0.1.1.", ip), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_ipv4("1.2.3.0004", ip), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_ipv4("", ip), -EINVAL);
	CU_ASSERT_EQUAL(net_parse_ipv4("a.b.c.d", ip), -EINVAL);
}

void add_net_suite(void)
{
	CU_pSuite s = CU_add_suite("net", NULL, NULL);

	CU_add_test(s, "ARP", test_arp);
	CU_add_test(s, "ICMP echo", test_ping);
	CU_add_test(s, "ICMP: malformed frames", test_ping_bad);
	CU_add_test(s, "UDP echo", test_udp);
	CU_add_test(s, "random frames", test_random);
	CU_add_test(s, "parse an IPv4 address", test_parse_ip);
}
