#!/bin/bash
# Opt-in check of the Slurm example on one machine: starts a single-node Slurm (Debian's
# slurmctld, slurmd and munge; run as root), submits run-sharded.sbatch as a 3-task array and
# merge.sbatch after it, and checks that the merged results equal an unsharded run.
#
#   apt-get install slurmctld slurmd slurm-client munge
#   GREATGAME_SLURM_TESTS=1 cargo test --release --test slurm    (or: local-test.sh path/to/greatgame)
#
# Everything (config, state, logs, results) lives in a temporary folder; the daemons it
# started are stopped on exit. It uses Slurm's default ports 6817-6818 on this machine.
set -euo pipefail
GG=$(realpath "${1:?usage: local-test.sh path/to/greatgame}")
here=$(cd "$(dirname "$0")" && pwd)
for t in slurmctld slurmd sbatch squeue munged munge; do
    command -v "$t" >/dev/null || { echo "SKIP: $t not installed (apt-get install slurmctld slurmd slurm-client munge)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to start slurmd"; exit 77; }

work=$(mktemp -d /tmp/gg-slurm.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    if [ -n "${munged_pid:-}" ]; then kill "$munged_pid" 2>/dev/null || true; fi
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

if ! munge -n >/dev/null 2>&1; then
    mkdir -p /run/munge && chown munge:munge /run/munge
    su -s /bin/sh munge -c /usr/sbin/munged
    munged_pid=$(cat /run/munge/munged.pid)
fi

host=$(hostname -s)
mkdir -p "$work/state" "$work/spool" "$work/log" "$work/jobs"
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=greatgame-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -D -i >"$work/log/slurmctld.out" 2>&1 & pids+=($!)
slurmd -D >"$work/log/slurmd.out" 2>&1 & pids+=($!)
for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed)'; then break; fi
    sleep 1
done
sinfo -h -o %T | grep -qE '^(idle|mixed)' || { echo "FAIL: the node did not come up"; cat "$work"/log/*; exit 1; }

export GREATGAME=$GG OUT=$work/results TRIALS=1500 SEED=3 RUN_ARGS="--policy status_quo --policy rubin_regional_realism"
cd "$work/jobs"
jid=$(sbatch --parsable --array=0-2 --cpus-per-task=1 "$here/run-sharded.sbatch")
mid=$(sbatch --parsable --dependency=afterok:"$jid" "$here/merge.sbatch")
echo "submitted array $jid and merge $mid"
for _ in $(seq 1 600); do
    if [ -z "$(squeue -h -j "$jid,$mid" 2>/dev/null)" ]; then break; fi
    sleep 1
done
[ -f "$OUT/merged/summary.json" ] || { echo "FAIL: no merged results"; tail -n 20 "$work"/jobs/*.log "$work"/log/*; exit 1; }

# shellcheck disable=SC2086
"$GG" run --trials "$TRIALS" --seed "$SEED" $RUN_ARGS --quiet --out "$work/whole" 2>/dev/null
cmp "$OUT/merged/trials.csv" "$work/whole/trials.csv"
cmp "$OUT/merged/summary.md" "$work/whole/summary.md"
diff -r "$OUT/merged/charts" "$work/whole/charts"
python3 - "$OUT/merged/summary.json" "$work/whole/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["policies"] == b["policies"], "summaries differ"
assert len(a["manifest"]["merged_from"]) == 3
PY
echo "PASS: 3 Slurm array tasks + dependent merge == unsharded run"
