# toolstack-lib.sh: helpers the toolstack-*.sh tests share, on top of
# lib.sh. Sourced, not run.

# out_has TEXT COMMAND...: the command fails and its output says TEXT.
out_has() {
	local text=$1 out
	shift
	out=$("$@" 2>&1) && { echo "unexpected success: $out"; return 1; }
	printf '%s\n' "$out" | grep -qF -- "$text" || { echo "got: $out"; return 1; }
}

# perms PATH: a XenStore node's permissions as xenstore-ls -p prints them.
perms() { xenstore-ls -p "$(dirname "$1")" | grep "^$(basename "$1") = " | sed 's/.*(\(.*\))$/\1/'; }
