/*
 * net_echo.c: init=net-echo, a host on the first vif that answers.
 *
 * Command line: ip=A.B.C.D (required), udp-port=N (default 7, the echo
 * port), vif=N (default 0). Connects netfront, prints
 * "net-echo: ready mac=.. ip=.. udp=..", then answers ARP requests for
 * its address, ICMP echo requests and UDP datagrams to its port
 * (kernel/net.c), printing "net-echo: counters ..." when they changed
 * and a few seconds passed. It blocks between frames and answers
 * control/shutdown; a detached vif ("net-echo: vif N disconnected")
 * leaves it idling until shut down.
 */
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/control.h>
#include <pvos/events.h>
#include <pvos/kernel.h>
#include <pvos/net.h>
#include <pvos/string.h>
#include <pvos/time.h>

#include "xenfront.h"

#define REPORT_NS	(5ULL * 1000000000ULL)

static uint8_t in[NETFRONT_FRAME_MAX];
static uint8_t out[NETFRONT_FRAME_MAX];

static void report(const struct netfront_dev *dev, const struct net_stats *st)
{
	struct netfront_stats ns;

	netfront_get_stats(dev, &ns);
	printk("net-echo: counters rx=%lu tx=%lu arp=%lu icmp=%lu udp=%lu ignored=%lu "
	       "malformed=%lu bad-checksum=%lu tx-errors=%lu tx-busy=%lu rx-errors=%lu\n",
	       ns.rx_packets, ns.tx_packets, st->arp_replies, st->icmp_replies, st->udp_replies,
	       st->not_ours, st->malformed, st->bad_checksum, ns.tx_errors, ns.tx_busy,
	       ns.rx_errors);
}

static __attribute__((noreturn)) void idle_forever(void)
{
	for (;;)
		kernel_block(EVENTS_NO_DEADLINE);
}

static void read_config(struct net_cfg *cfg, uint64_t *vif)
{
	const char *ip = cmdline_get("ip", "");
	uint64_t port;

	if (net_parse_ipv4(ip, cfg->ip) < 0)
		panic("net-echo: ip=%s is not an IPv4 address; give ip=A.B.C.D", ip);
	if (cmdline_get_u64("udp-port", 7, 1, 65535, &port) < 0 ||
	    cmdline_get_u64("vif", 0, 0, 65535, vif) < 0)
		panic("net-echo: udp-port= wants 1..65535 and vif= a device number");
	cfg->udp_port = (uint16_t)port;
}

void workload_net_echo(void)
{
	struct net_stats st = { 0 };
	struct netfront_dev *dev;
	struct net_cfg cfg;
	uint64_t vif, next_report = 0;
	unsigned long last_rx = 0;
	const uint8_t *m;
	int rc;

	read_config(&cfg, &vif);
	control_enable();
	rc = netfront_open((unsigned int)vif, &dev);
	if (rc < 0) {
		printk("net-echo: cannot connect vif %u: error %d\n", (unsigned int)vif, rc);
		idle_forever();
	}
	m = netfront_mac(dev);
	memcpy(cfg.mac, m, 6);
	printk("net-echo: ready mac=%02x:%02x:%02x:%02x:%02x:%02x ip=%u.%u.%u.%u udp=%u\n",
	       m[0], m[1], m[2], m[3], m[4], m[5], cfg.ip[0], cfg.ip[1], cfg.ip[2], cfg.ip[3],
	       (unsigned int)cfg.udp_port);
	for (;;) {
		int n = netfront_recv(dev, in, sizeof(in));
		struct netfront_stats ns;

		if (n > 0) {
			size_t r = net_answer(&cfg, in, (size_t)n, out, sizeof(out), &st);

			if (r)
				(void)netfront_send(dev, out, r);	/* busy: dropped, counted */
			continue;
		}
		if (n < 0) {
			printk("net-echo: vif %u disconnected\n", (unsigned int)vif);
			report(dev, &st);
			netfront_close(dev);
			idle_forever();
		}
		netfront_get_stats(dev, &ns);
		if (ns.rx_packets != last_rx && time_now_ns() >= next_report) {
			report(dev, &st);
			last_rx = ns.rx_packets;
			next_report = time_now_ns() + REPORT_NS;
		}
		kernel_block(time_now_ns() + REPORT_NS);
	}
}
