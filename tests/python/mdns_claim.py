"""Holds a cuatro service instance name with python-zeroconf (a third-party
mDNS responder) and defends it, so that a board booted afterwards on the
same link finds the name taken while it probes (RFC 6762 section 8.1) and
picks another: another board called `cuatro` already on the link.

Registers INSTANCE._cuatro._tcp.local. (server holder.local., port 9) on
INTERFACE_IP, prints `ready: claimed INSTANCE._cuatro._tcp.local.` once the
registration's own probing is done, then answers queries until killed (or
for at most LIMIT_S). The instance name, not the host name: python-zeroconf
answers a probe's ANY question for a service instance it holds, but not for
a host name it only lists as a server.

    python3 mdns_claim.py INTERFACE_IP [INSTANCE]
"""
import socket
import sys
import time

from zeroconf import IPVersion, ServiceInfo, Zeroconf

SERVICE = "_cuatro._tcp.local."
LIMIT_S = 300


def main():
    iface = sys.argv[1]
    instance = sys.argv[2] if len(sys.argv) > 2 else "cuatro"
    name = f"{instance}.{SERVICE}"
    zc = Zeroconf(interfaces=[iface], ip_version=IPVersion.V4Only)
    try:
        info = ServiceInfo(
            SERVICE,
            name,
            addresses=[socket.inet_aton(iface)],
            port=9,
            server="holder.local.",
        )
        zc.register_service(info)
        print("ready: claimed", name, flush=True)
        time.sleep(LIMIT_S)
        return 0
    finally:
        zc.close()


if __name__ == "__main__":
    sys.exit(main())
