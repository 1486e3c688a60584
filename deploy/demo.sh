#!/usr/bin/env bash
# `make demo`: meter-sim and chargecontrold on an embedded SQLite database with demo accounts.
# Credit runs out in front of you (alarm, then trip); every so often a customer pays and is
# reconnected (allow-close, then the customer presses the meter's button). Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$(swift build --show-bin-path)
RUN=demo-run
SIM_PORT=19100
ADMIN=127.0.0.1:19180
TERMINALS=4
METERS=200
TARIFF=zhejiang-residential-tou-tiered
export CHARGECTL_URL=http://127.0.0.1:8645
export CHARGECTL_TOKEN=demo-operator-token-0000000001

rm -rf "$RUN"
mkdir -p "$RUN"
umask 077
cat > "$RUN/tokens" <<TOKENS
# role token — demo only
operator $CHARGECTL_TOKEN
payments demo-payments-token-0000000001
viewer demo-viewer-token-00000000001
TOKENS

# DEMO_DATABASE=postgresql://…: the same demo on a PostgreSQL station (an empty database).
CONFIG=Config/demo.toml
WHERE="$RUN/station.sqlite; inspect it with sqlite3"
if [ -n "${DEMO_DATABASE:-}" ]; then
    # Relative paths in demo.toml resolve the same from demo-run/ as from Config/.
    sed "s|^database = .*|database = \"$DEMO_DATABASE\"|" Config/demo.toml > "$RUN/demo.toml"
    CONFIG=$RUN/demo.toml
    WHERE="PostgreSQL (${DEMO_DATABASE%%\?*}); inspect it with psql"
fi

pids=()
cleanup() {
    trap - INT TERM EXIT
    echo
    echo "demo: stopping"
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    echo "demo: the database is in $WHERE, or run 'make demo' again"
}
trap cleanup INT TERM EXIT

# Meters consume ~3 kW each, 600 times faster than real time, through the tariff's periods.
"$BIN/meter-sim" --listen 127.0.0.1:$SIM_PORT --terminals $TERMINALS --meters $METERS \
    --first-address 000000000001 --admin $ADMIN --load-kw 3 --time-scale 600 --seed 42 \
    --tariff "Config/tariffs/$TARIFF.toml" > "$RUN/meter-sim.log" 2>&1 &
pids+=($!)
"$BIN/chargecontrold" --config "$CONFIG" 2> >(tee "$RUN/chargecontrold.log" | grep --line-buffered -E "event=(alarm|trip|allow_close|direct_close|keep_power|payment|command_acknowledged|review|abnormal|ready)" >&2) &
pids+=($!)

for _ in $(seq 100); do
    curl -fs "$CHARGECTL_URL/healthz" > /dev/null 2>&1 && break
    sleep 0.1
done
curl -fs "$CHARGECTL_URL/healthz" > /dev/null || { echo "demo: chargecontrold did not start; see $RUN/chargecontrold.log"; exit 1; }
head -1 "$RUN/meter-sim.log"

# Provision: terminals and accounts from CSV, as a utility would import them.
{
    echo "terminal_id,host,port"
    for t in $(seq 0 $((TERMINALS - 1))); do echo "T$t,127.0.0.1,$((SIM_PORT + t))"; done
} > "$RUN/terminals.csv"
{
    echo "account_id,meter_address,terminal_id,tariff,region,opening_balance_yuan,customer_class"
    per=$((METERS / TERMINALS))
    for n in $(seq 1 $METERS); do
        # Balances from 21 to 80 yuan: the first alarms come within seconds, trips within minutes.
        balance=$((21 + (n * 37) % 60))
        class=""
        [ "$n" = 1 ] && class=hospital   # [control.classes.hospital] protected = true: keep power, never trip
        region=$([ $((n % 2)) = 0 ] && echo east || echo west)
        printf 'A%03d,%012d,T%d,%s,%s,%d.00,%s\n' "$n" "$n" $(((n - 1) / per)) "$TARIFF" "$region" "$balance" "$class"
    done
} > "$RUN/accounts.csv"
"$BIN/chargectl" import --terminals "$RUN/terminals.csv" --accounts "$RUN/accounts.csv"

echo "demo: $METERS accounts on $TERMINALS terminals; a summary every 5 s, a payment every 20 s; Ctrl-C to stop"
order=0
tick=0
while true; do
    sleep 5
    tick=$((tick + 1))
    stats=$("$BIN/chargectl" stats --json)
    open=$(curl -fs "http://$ADMIN/meters?relay=open" | grep -o '"address"' | wc -l || true)
    armed=$(curl -fs "http://$ADMIN/meters?relay=armed" | grep -o '"address"' | wc -l || true)
    echo "summary: $(echo "$stats" | python3 -c 'import json,sys; s=json.load(sys.stdin); print("accounts", s["accounts"], "by state", s["by_state"], "total balance", s["total_balance_yuan"], "yuan; terminals online", s["terminals_online"], "of", s["terminals"])'); meters open $open, armed $armed"
    # Customers whose meter was allowed to close press its button.
    for address in $(curl -fs "http://$ADMIN/meters?relay=armed" | grep -o '"address":"[0-9]*"' | grep -o '[0-9]\{12\}'); do
        curl -fs -X POST "http://$ADMIN/meters/$address" -d '{"press_button": true}' > /dev/null && echo "customer at meter $address pressed the button: power back on"
    done
    # Every 20 s the first disconnected customer pays 100 yuan.
    if [ $((tick % 4)) = 0 ]; then
        address=$(curl -fs "http://$ADMIN/meters?relay=open" | grep -o '"address":"[0-9]*"' | grep -o '[0-9]\{12\}' | head -1 || true)
        if [ -n "$address" ]; then
            order=$((order + 1))
            account=$(printf 'A%03d' $((10#$address)))
            "$BIN/chargectl" pay --order-no "DEMO-$order" --account "$account" --amount 100.00 --channel mobile_app
        fi
    fi
done
