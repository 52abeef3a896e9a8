# xs-lib.sh: XenStore helpers for the xs-* integration tests. Sourced.

command -v xenstore-read >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"

# xs_control ARG...: an XS_CONTROL request (xenstore-control needs a Xen
# host to run), its text reply on stdout; fails on an error reply.
xs_control() {
	python3 - "$XENSTORED_PATH" "$@" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
body = b"".join(a.encode() + b"\0" for a in sys.argv[2:])
s.sendall(struct.pack("<IIII", 0, 1, 0, len(body)) + body)   # XS_CONTROL
def take(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            sys.exit("pvxenstored closed the connection")
        b += c
    return b
typ, _, _, ln = struct.unpack("<IIII", take(16))
text = take(ln).rstrip(b"\0").decode()
print(text)
sys.exit(1 if typ == 16 else 0)    # XS_ERROR
PY
}

# xs_domain_field DOMID FIELD: a number from the quota report's line for
# the domain ("rate-limited", "nodes", ...).
xs_domain_field() {
	xs_control quota | sed -n "s/^domain $1: .*$2 \([0-9]*\).*/\1/p"
}

# xs_set NAME N: change a quota of the running daemon.
xs_set() { xs_control quota set "$1" "$2" >/dev/null; }
