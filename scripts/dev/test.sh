#!/bin/sh
# `npm test` after the build: the test files that share nothing run two at a
# time; those that share a live back end run one at a time afterwards (two
# suites on one Swift, Keystone or libvirtd would see each other's buckets,
# users and domains). Exit status: non-zero when either group fails.
cd "$(dirname "$0")/../.." || exit 2

# One line per file: the back end it shares.
SERIAL="
test/drivers/ec2/s3-live.test.ts
test/drivers/ec2/s3-names.test.ts
test/drivers/ec2/s3-1gib.test.ts
test/drivers/conformance/ec2.test.ts
test/server/temp-dirs.test.ts
test/drivers/openstack/live.test.ts
test/drivers/conformance/openstack.test.ts
test/server/credential-caches.test.ts
test/drivers/libvirt/live.test.ts
test/drivers/conformance/libvirt-live.test.ts
test/server/body-deadlines.test.ts
"
# Swift s3api (127.0.0.1:8080): s3-*, conformance/ec2, temp-dirs (its bench part).
# Keystone + Swift (127.0.0.1:5001, :8081): openstack/live, conformance/openstack, credential-caches.
# libvirtd (qemu:///system): libvirt/live, conformance/libvirt-live.
# Timing: body-deadlines measures how long the server waits for slow bodies.

PARALLEL=$(find test -name '*.test.ts' | sort | grep -v -x -F "$SERIAL")
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# Each group's TAP goes to the console and to a file, for the summary of both at the end.
run() { # concurrency log files...
  concurrency=$1 log=$2
  shift 2
  node --test --test-concurrency="$concurrency" --import tsx \
    --test-reporter=tap --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$log" "$@"
}
# shellcheck disable=SC2086
run 2 "$logs/parallel.tap" $PARALLEL
parallel=$?
# shellcheck disable=SC2086
run 1 "$logs/serial.tap" $SERIAL
serial=$?
echo "# npm test: both groups (files sharing nothing, two at a time; files sharing a back end, one at a time)"
for count in tests suites pass fail cancelled skipped todo; do
  awk -v name="$count" '$1 == "#" && $2 == name { sum += $3 } END { print "# " name " " sum + 0 }' "$logs/parallel.tap" "$logs/serial.tap"
done
[ "$parallel" -eq 0 ] && [ "$serial" -eq 0 ]
