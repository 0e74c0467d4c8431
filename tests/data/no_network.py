"""Run the CLI with every non-loopback connection refused (and reported): proves the offline path is offline.

Usage: python tests/data/no_network.py <cli args...>
"""

import ipaddress
import socket
import sys

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return True  # unix sockets
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _blocked(what: str, target: object) -> OSError:
    print(f"blocked network: {what} {target!r}", file=sys.stderr)
    return OSError(f"network access blocked by test: {target!r}")


def connect(self: socket.socket, address: object) -> None:
    host = address[0] if isinstance(address, tuple) else address
    if not _is_loopback(host):
        raise _blocked("connect", address)
    return _real_connect(self, address)


def connect_ex(self: socket.socket, address: object) -> int:
    host = address[0] if isinstance(address, tuple) else address
    if not _is_loopback(host):
        raise _blocked("connect_ex", address)
    return _real_connect_ex(self, address)


def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
    if isinstance(host, (str, bytes)) and not _is_loopback(host if isinstance(host, str) else host.decode()):
        raise _blocked("getaddrinfo", host)
    return _real_getaddrinfo(host, *args, **kwargs)


socket.socket.connect = connect  # type: ignore[method-assign]
socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]

if __name__ == "__main__":
    from assistant.cli import app

    sys.argv = ["news-assistant", *sys.argv[1:]]
    app()
