"""Finds a cuatro board with python-zeroconf (a third-party mDNS/DNS-SD
resolver): by service type (_cuatro._tcp.local., then each instance's SRV,
TXT and address: one `service` line per instance seen within SETTLE_S of
the first) and by host name (cuatro.local.). Prints one line per finding;
exits 1 if either fails within the time limit.

    python3 mdns_find.py INTERFACE_IP [HOST_NAME]
"""
import sys
import time

from zeroconf import AddressResolverIPv4, IPVersion, ServiceBrowser, ServiceListener, Zeroconf

SERVICE = "_cuatro._tcp.local."
LIMIT_S = 15
SETTLE_S = 1.5


class Found(ServiceListener):
    def __init__(self):
        self.names = []

    def add_service(self, zc, type_, name):
        self.names.append(name)

    def update_service(self, zc, type_, name):
        pass

    def remove_service(self, zc, type_, name):
        pass


def main():
    iface = sys.argv[1]
    host = sys.argv[2] if len(sys.argv) > 2 else "cuatro.local."
    zc = Zeroconf(interfaces=[iface], ip_version=IPVersion.V4Only)
    try:
        listener = Found()
        ServiceBrowser(zc, SERVICE, listener)
        deadline = time.time() + LIMIT_S
        while not listener.names and time.time() < deadline:
            time.sleep(0.1)
        if not listener.names:
            print("no", SERVICE, "instance found")
            return 1
        # Others on the link (another board) answer the same browse.
        time.sleep(SETTLE_S)
        for name in sorted(set(listener.names)):
            info = zc.get_service_info(SERVICE, name, timeout=5000)
            if info is None:
                print("instance", name, "did not resolve")
                return 1
            props = {k.decode(): v.decode() for k, v in info.properties.items()}
            print("service", name, "server", info.server, "port", info.port,
                  "addresses", ",".join(info.parsed_addresses()),
                  "txt", " ".join(f"{k}={v}" for k, v in sorted(props.items())))
        resolver = AddressResolverIPv4(host)
        if not resolver.request(zc, 5000):
            print("host", host, "did not resolve")
            return 1
        print("host", host, "addresses", ",".join(resolver.parsed_addresses()))
        return 0
    finally:
        zc.close()


if __name__ == "__main__":
    sys.exit(main())
