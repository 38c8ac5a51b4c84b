#!/bin/sh
# Captures a command's KVM and guest_memfd activity with tools/septcheck-kvm-trace.bt into a log
# for `septcheck validate --script`. Needs root: it mounts tracefs at /sys/kernel/tracing when it
# is not mounted (it is not at boot on every machine) and runs bpftrace.
#   tools/septcheck-kvm-capture.sh <events.jsonl> <command> [args...]
set -eu
out=$1; shift
if ! [ -e /sys/kernel/tracing/events ]; then mount -t tracefs nodev /sys/kernel/tracing; fi
# bpftrace prints "Attaching N probes..." on stdout: keep only the events and comments.
# bpftrace -c wants the program by its full path.
prog=$(command -v "$1"); shift
bpftrace -c "$prog $*" "$(dirname "$0")/septcheck-kvm-trace.bt" | grep -E '^(\{|#)' > "$out"
