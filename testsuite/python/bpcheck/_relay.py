"""bpcheck/_relay.py: the implementation that `bpcheck conform` starts for bpcheck.conform().

The runner speaks to its implementation over the implementation's standard input and output.
bpcheck.conform() serves the caller's answer function in the caller's own process, on a Unix
socket; this relay, run by the caller's interpreter as `python _relay.py SOCKET`, joins the two:
its standard input goes to the socket, and what comes back goes to its standard output. It is
run as a file, not as a module, so that it needs nothing on sys.path.

When the runner closes the relay's standard input, the relay says so on the socket (a half
close), and the serving side ends its session; when the runner kills the relay (a timeout, a
restart), the socket closes and the session ends there too."""
import os
import socket
import sys
import threading


def _up(sock):
    """standard input to the socket, then a half close (the server sees EOF)"""
    try:
        while True:
            data = os.read(0, 1 << 16)
            if not data:
                break
            sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server went away: the reading side sees it too


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: _relay.py SOCKET (started by bpcheck.conform, not by hand)\n")
        return 2
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(sys.argv[1])
    except OSError as e:
        sys.stderr.write("bpcheck relay: cannot reach the answer function's process at %s: %s\n"
                         % (sys.argv[1], e.strerror or e))
        return 1
    threading.Thread(target=_up, args=(sock,), daemon=True).start()
    try:
        while True:
            data = sock.recv(1 << 16)
            if not data:
                break
            view = memoryview(data)
            while view:
                view = view[os.write(1, view):]
    except (BrokenPipeError, ConnectionResetError):
        pass  # the runner stopped reading: it has what it wants
    return 0


if __name__ == "__main__":
    sys.exit(main())
