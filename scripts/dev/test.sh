#!/bin/sh
# `npm test` after the build, in two lanes that run at the same time: the test
# files that share a live back end run one at a time in one lane (two suites on
# one Swift, Keystone, libvirtd or Podman would see each other's buckets, users,
# domains and containers); the files that share nothing run in the other lane,
# TEST_CONCURRENCY (default 2) at a time. Most of the first lane's time is spent
# waiting for the back ends, so the lanes overlap well even on two cores.
# Exit status: non-zero when either lane, or the type check of the test files, fails.
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
test/client/client-backends.test.ts
test/drivers/conformance/libvirt-live.test.ts
test/frontends/console/libvirt-live.test.ts
test/drivers/rackspace/rackspace.test.ts
test/drivers/conformance/rackspace.test.ts
test/drivers/podman/live.test.ts
test/drivers/podman/ec2.test.ts
test/drivers/conformance/podman.test.ts
"
# Swift s3api (127.0.0.1:8080): s3-*, conformance/ec2, temp-dirs (its bench part), rackspace (Cloud Files on it).
# Keystone + Swift (127.0.0.1:5001, :8081): openstack/live, conformance/openstack, credential-caches, client/client-backends.
# libvirtd (qemu:///system): libvirt/live, conformance/libvirt-live, client/client-backends, frontends/console/libvirt-live.
# Podman (/tmp/deltacloud-podman/podman.sock): podman/live, podman/ec2, conformance/podman.
# Files that measure time run last, alone, when nothing else loads the machine:
# body-deadlines measures how long the server waits for slow bodies.
TIMED="
test/server/body-deadlines.test.ts
"

PARALLEL=$(find test -name '*.test.ts' | sort | grep -v -x -F "$SERIAL$TIMED")
# The PostgreSQL lane (issue 18): with DELTACLOUD_PG_LANE_URL set (.ci/run sets it from
# scripts/postgres/setup.sh), the suites that run the mock behind the API run a second time, each
# test server on its own schema of that database (test/helpers/database.ts), alongside the others.
PG_LANE=$(find test/frontends/deltacloud test/drivers/conformance/mock.test.ts test/frontends/ec2 -name '*.test.ts' | sort)
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# Each group's TAP goes to the console and to a file, for the summary of both at the end.
run() { # concurrency log files...
  concurrency=$1 log=$2
  shift 2
  node --test --test-concurrency="$concurrency" --import tsx \
    --test-reporter=tap --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$log" "$@"
}
# The build (npm test's first step) type-checks src/ only; the tests, benches and scripts are type-checked
# here, alongside the lanes (tsx, which runs them, strips types without checking them).
(node node_modules/typescript/bin/tsc -p test/tsconfig.json >"$logs/typecheck.log" 2>&1; echo $? >"$logs/typecheck.rc") &
typecheck_pid=$!
# The shared-back-end lane writes its TAP to a file, printed when both lanes are done.
# shellcheck disable=SC2086
(node --test --test-concurrency=1 --import tsx --test-reporter=tap --test-reporter-destination="$logs/serial.tap" $SERIAL; echo $? >"$logs/serial.rc") &
serial_pid=$!
if [ -n "${DELTACLOUD_PG_LANE_URL:-}" ]; then
  # shellcheck disable=SC2086
  (DELTACLOUD_TEST_DATABASE_URL=$DELTACLOUD_PG_LANE_URL node --test --test-concurrency=1 --import tsx --test-reporter=tap \
    --test-reporter-destination="$logs/postgres.tap" $PG_LANE; echo $? >"$logs/postgres.rc") &
  pg_pid=$!
else
  echo "# PostgreSQL lane not run: DELTACLOUD_PG_LANE_URL is not set (scripts/postgres/setup.sh prints it)" | tee "$logs/postgres.tap"
  echo 0 >"$logs/postgres.rc"
  pg_pid=
fi
# shellcheck disable=SC2086
run "${TEST_CONCURRENCY:-2}" "$logs/parallel.tap" $PARALLEL
parallel=$?
wait "$serial_pid"
serial=$(cat "$logs/serial.rc")
echo "# lane 2: files sharing a live back end, one at a time"
cat "$logs/serial.tap"
[ -n "$pg_pid" ] && wait "$pg_pid"
postgres=$(cat "$logs/postgres.rc")
echo "# lane 3: the mock's API suites again, on PostgreSQL"
cat "$logs/postgres.tap"
wait "$typecheck_pid"
typecheck=$(cat "$logs/typecheck.rc")
echo "# type check of test/, bench/ and scripts/ (tsc -p test/tsconfig.json): $([ "$typecheck" -eq 0 ] && echo ok || echo FAILED)"
cat "$logs/typecheck.log"
# shellcheck disable=SC2086
run 1 "$logs/timed.tap" $TIMED
timed=$?
echo "# npm test: both lanes (files sharing nothing, ${TEST_CONCURRENCY:-2} at a time; files sharing a back end, one at a time, alongside) and the timed files"

for count in tests suites pass fail cancelled skipped todo; do
  awk -v name="$count" '$1 == "#" && $2 == name { sum += $3 } END { print "# " name " " sum + 0 }' "$logs/parallel.tap" "$logs/serial.tap" "$logs/timed.tap" "$logs/postgres.tap"
done
[ "$parallel" -eq 0 ] && [ "$serial" -eq 0 ] && [ "$timed" -eq 0 ] && [ "$postgres" -eq 0 ] && [ "$typecheck" -eq 0 ]
