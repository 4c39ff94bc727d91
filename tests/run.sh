#!/usr/bin/env bash
# Run test binaries (cmocka) one after another and finish with one line:
# "N passed, N failed". A binary that dies without a cmocka summary counts as
# one failure. Usage: tests/run.sh BIN...
set -u
passed=0 failed=0 skipped=0
failed_bins=()
for bin in "$@"; do
	name=${bin#*/tests/}
	build=${bin%%/tests/*}
	[ "$build" != build ] && name="$name ($build)"
	echo "=== $name"
	out=$(mktemp)
	# Tests that run the agent find it in the build they belong to.
	AISEC_BUILD=$build "$bin" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$out" | tail -1)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s), listed below:/\1/p' "$out" | tail -1)
	rm -f "$out"
	p=${p:-0} f=${f:-0} s=${s:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "--- $name exited with status $rc without a failing test listed: counted as a failure"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	[ "$f" -gt 0 ] && failed_bins+=("$name")
done
echo
[ ${#failed_bins[@]} -gt 0 ] && echo "failing: ${failed_bins[*]}"
[ "$skipped" -gt 0 ] && echo "skipped: $skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
