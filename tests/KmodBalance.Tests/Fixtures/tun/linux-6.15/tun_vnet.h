/* KmodBalance test fixture: stands in for tun_vnet.h. */
#define TUN_VNET_FIXTURE 1
