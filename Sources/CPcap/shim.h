#ifndef SYNSCOPE_CPCAP_SHIM_H
#define SYNSCOPE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
