#!/bin/sh
# Run fuzz harnesses one after another, each for $SECONDS_EACH seconds (default 300):
#   fuzz/run.sh sip identity uri_tn verify capture loaders
# Seeds come from `python fuzz/seed.py`; findings land in fuzz/artifacts/<target>/.
cd "$(dirname "$0")" || exit 2
for target in "$@"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    nice -n 10 python "fuzz_$target.py" "corpus/$target" \
        -max_total_time="${SECONDS_EACH:-300}" -timeout=20 -rss_limit_mb=2048 \
        -max_len="${MAX_LEN:-65536}" -artifact_prefix="artifacts/$target/" \
        -print_final_stats=1 >"$target.log" 2>&1
    echo "$target: exit $?"
done
