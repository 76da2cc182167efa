#!/usr/bin/env bash
# Lockgate's main job, end to end, on the example app (examples/greeter):
#
#   1. start a server (time scale 60: a release's minute lasts a second),
#   2. bring the app up on stage `dev` and on stage `prod`,
#   3. release a new version to prod while traffic runs against it: the
#      template's `DeploymentPreference` (Canary10Percent5Minutes on prod)
#      sends 10% of requests to the new version, waits, then shifts the rest,
#   4. release a broken version: its error alarm fires during the canary and
#      the release rolls back by itself; prod keeps answering,
#   5. list prod's releases.
#
# It works on a copy of the app in a temporary directory (the repository is
# left untouched) and stops the server when it ends. Run it from anywhere:
#
#     examples/demo.sh
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo build --release --quiet -p lockgate --manifest-path "$repo/Cargo.toml"
target="$(cargo metadata --format-version 1 --no-deps --manifest-path "$repo/Cargo.toml" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
lockgate="$target/release/lockgate"

work="$(mktemp -d)"
server_pid=""
traffic_pid=""
cleanup() {
    [ -n "$traffic_pid" ] && kill "$traffic_pid" 2>/dev/null || true
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The app, as a user's repository holds it.
cp -r "$repo/examples/greeter" "$work/greeter"
rm -rf "$work/greeter/.lockgate" "$work/greeter/.aws-sam"
cd "$work/greeter"

step "Starting a server (state in $work/data, time scale 60)"
export LOCKGATE_DATA_DIR="$work/data"
"$lockgate" server --listen 127.0.0.1:0 --time-scale 60 >"$work/server.log" 2>&1 &
server_pid=$!
# Every other verb finds the server through $LOCKGATE_DATA_DIR/server.json.
for _ in $(seq 1 600); do
    [ -s "$LOCKGATE_DATA_DIR/server.json" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.05
done
[ -s "$LOCKGATE_DATA_DIR/server.json" ] || { echo "the server did not start"; cat "$work/server.log"; exit 1; }

stage_url() {
    "$lockgate" stacks --output json | python3 -c '
import json, sys
stage = sys.argv[1]
for app in json.load(sys.stdin):
    for s in app["stages"]:
        if app["app"] == "greeter" and s["stage"] == stage:
            print(s["url"])' "$1"
}

step "Deploying stage dev"
"$lockgate" deploy --stage dev
dev="$(stage_url dev)"
echo "curl $dev/hello/dev"
curl -sS "$dev/hello/dev"; echo

step "Deploying stage prod (version 1)"
"$lockgate" deploy --stage prod
prod="$(stage_url prod)"
echo "curl $prod/hello/prod"
curl -sS "$prod/hello/prod"; echo

step "Traffic: 20 requests a second against prod, tallied per second by answer"
python3 -u - "$prod/hello/demo" <<'EOF' &
import json, sys, time, urllib.request, urllib.error
url = sys.argv[1]
tally, start = {}, time.monotonic()
while True:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            key = json.loads(r.read())["message"]
    except urllib.error.HTTPError as e:
        key = f"HTTP {e.code}"
    except Exception as e:  # the server going away at the end
        key = type(e).__name__
    tally[key] = tally.get(key, 0) + 1
    if time.monotonic() - start >= 1:
        print("    traffic | " + "  ".join(f"{k!r}: {v}" for k, v in sorted(tally.items())), flush=True)
        tally, start = {}, time.monotonic()
    time.sleep(0.05)
EOF
traffic_pid=$!
sleep 2

step "Releasing version 2 to prod: 10% canary, then all traffic"
sed -i 's/{name}!"/{name}! (v2)"/' src/hello.py
"$lockgate" deploy --stage prod
sleep 2

step "Releasing a broken version 3: the canary's errors trip the alarm, the release rolls back"
sed -i 's/^def handler(event, context):/def handler(event, context):\n    raise RuntimeError("v3 is broken")/' src/hello.py
if "$lockgate" deploy --stage prod; then
    echo "unexpected: the broken release went through"
    exit 1
fi
echo "(the deploy failed as it should: prod's traffic is back on version 2)"
sleep 2
kill "$traffic_pid" 2>/dev/null || true
traffic_pid=""

step "prod answers"
curl -sS "$prod/hello/prod"; echo

step "prod's releases"
"$lockgate" deployments --stage prod
