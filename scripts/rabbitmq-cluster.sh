#!/usr/bin/env bash
# A local three-node RabbitMQ cluster for opsq's cluster tests and chaos runs, beside (never
# instead of) the machine's own node on 5672.
#
#   scripts/rabbitmq-cluster.sh start            start the three nodes, wait until clustered, print the URLs
#   scripts/rabbitmq-cluster.sh stop             stop the three nodes (5672 is left alone)
#   scripts/rabbitmq-cluster.sh status           one line per node: running or down, and the cluster members
#   scripts/rabbitmq-cluster.sh urls             the AMQP URLs, comma-separated
#   scripts/rabbitmq-cluster.sh kill N           kill -9 node N (1..3)
#   scripts/rabbitmq-cluster.sh stop-app N       rabbitmqctl stop_app on node N (the Erlang VM stays up)
#   scripts/rabbitmq-cluster.sh start-app N      rabbitmqctl start_app on node N, wait until it runs
#   scripts/rabbitmq-cluster.sh start-node N     start node N (after a kill or a stop), wait until it runs
#   scripts/rabbitmq-cluster.sh stop-node N      stop node N's Erlang VM
#   scripts/rabbitmq-cluster.sh leader QUEUE     the number of the node leading quorum queue QUEUE
#   scripts/rabbitmq-cluster.sh nodes-of NAME    the numbers of the nodes holding connections named NAME
#   scripts/rabbitmq-cluster.sh await-safe N     wait until stopping node N leaves every quorum queue a majority
#   scripts/rabbitmq-cluster.sh drain N          maintenance mode: node N hands its quorum queue leaders
#                                                to other nodes and closes its client connections
#   scripts/rabbitmq-cluster.sh revive N         node N out of maintenance mode
#   scripts/rabbitmq-cluster.sh run -- CMD...    start the cluster unless it runs, run CMD with
#                                                RABBITMQ_URLS set, stop the cluster if it started it;
#                                                exits with CMD's code
#
# Nodes: opsq-c1@localhost .. opsq-c3@localhost, AMQP 127.0.0.1:5673..5675, distribution ports
# 25673..25675, data, logs and the shared Erlang cookie under $OPSQ_CLUSTER_DIR
# (default /tmp/opsq-rabbitmq-cluster), owned by the `rabbitmq` user. Each node has its own config
# file (RABBITMQ_CONFIG_FILE) and environment file (RABBITMQ_CONF_ENV_FILE), because the machine's
# own files pin the node name to rabbit@localhost and the listener to 5672. Every wait is bounded
# (OPSQ_CLUSTER_TIMEOUT_S, default 120). Idempotent: `start` on a running cluster only checks it,
# `stop` on a stopped one does nothing. Run as root (or as rabbitmq).
set -euo pipefail

DIR="${OPSQ_CLUSTER_DIR:-/tmp/opsq-rabbitmq-cluster}"
TIMEOUT_S="${OPSQ_CLUSTER_TIMEOUT_S:-120}"
RMQ_BIN=/usr/lib/rabbitmq/bin
NODES=(1 2 3)

node_name() { echo "opsq-c$1@localhost"; }
amqp_port() { echo $((5672 + $1)); }
dist_port() { echo $((25672 + $1)); }
url() { echo "amqp://guest:guest@127.0.0.1:$(amqp_port "$1")"; }
urls() {
  local out=""
  for n in "${NODES[@]}"; do out="${out:+$out,}$(url "$n")"; done
  echo "$out"
}

die() {
  echo "rabbitmq-cluster: $*" >&2
  exit 1
}

check_node_arg() {
  [[ "${1:-}" =~ ^[123]$ ]] || die "expected a node number 1, 2 or 3, got '${1:-}'"
}

# Runs a command as the rabbitmq user with the cluster's HOME (hence its Erlang cookie).
as_rabbitmq() {
  if [ "$(id -u)" = "$(id -u rabbitmq)" ]; then
    env HOME="$DIR" "$@"
  else
    runuser -u rabbitmq -- env HOME="$DIR" "$@"
  fi
}

node_env() {
  local n=$1 base="$DIR/c$1"
  echo RABBITMQ_NODENAME="$(node_name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" \
    RABBITMQ_CONFIG_FILE="$base/rabbitmq.conf" \
    RABBITMQ_CONF_ENV_FILE="$base/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$base/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$base/mnesia" \
    RABBITMQ_LOG_BASE="$base/log" \
    RABBITMQ_PID_FILE="$base/pid" \
    ERL_EPMD_ADDRESS=127.0.0.1
}

ctl() {
  local n=$1
  shift
  # shellcheck disable=SC2046
  as_rabbitmq $(node_env "$n") "$RMQ_BIN/rabbitmqctl" -q -n "$(node_name "$n")" "$@"
}

prepare() {
  id rabbitmq >/dev/null 2>&1 || die "no 'rabbitmq' user: install Debian's rabbitmq-server"
  [ -x "$RMQ_BIN/rabbitmq-server" ] || die "$RMQ_BIN/rabbitmq-server not found: install Debian's rabbitmq-server"
  mkdir -p "$DIR"
  if [ ! -f "$DIR/.erlang.cookie" ]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/.erlang.cookie"
  fi
  chmod 400 "$DIR/.erlang.cookie"
  for n in "${NODES[@]}"; do
    local base="$DIR/c$n"
    mkdir -p "$base/mnesia" "$base/log"
    cat >"$base/rabbitmq.conf" <<EOF
listeners.tcp.local = 127.0.0.1:$(amqp_port "$n")
cluster_partition_handling = pause_minority
EOF
    cat >"$base/rabbitmq-env.conf" <<EOF
NODENAME=$(node_name "$n")
ERL_EPMD_ADDRESS=127.0.0.1
export ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF
    echo "[]." >"$base/enabled_plugins"
  done
  chown -R rabbitmq:rabbitmq "$DIR"
}

# True when node n answers and its app runs.
is_running() {
  ctl "$1" status >/dev/null 2>&1
}

# True when node n's Erlang VM answers (the app may be stopped).
vm_up() {
  # shellcheck disable=SC2046
  as_rabbitmq $(node_env "$1") "$RMQ_BIN/rabbitmq-diagnostics" -q -n "$(node_name "$1")" ping >/dev/null 2>&1
}

start_vm() {
  local n=$1
  if vm_up "$n"; then return 0; fi
  # shellcheck disable=SC2046
  as_rabbitmq $(node_env "$n") "$RMQ_BIN/rabbitmq-server" -detached >/dev/null 2>&1 ||
    die "node $(node_name "$n") did not start: see $DIR/c$n/log"
}

wait_running() {
  local n=$1 deadline=$((SECONDS + TIMEOUT_S))
  until is_running "$n"; do
    [ $SECONDS -lt $deadline ] || die "node $(node_name "$n") not running after ${TIMEOUT_S}s: see $DIR/c$n/log"
    sleep 1
  done
}

running_members() {
  ctl "$1" eval 'rabbit_nodes:all_running().' 2>/dev/null | tr -d "[]' \n" | tr ',' ' '
}

members() {
  ctl "$1" eval 'rabbit_nodes:all().' 2>/dev/null | tr -d "[]' \n" | tr ',' ' '
}

join() {
  local n=$1
  if members "$n" | grep -q "$(node_name 1)"; then return 0; fi
  local log="$DIR/c$n/log/join.log"
  {
    ctl "$n" stop_app && ctl "$n" reset && ctl "$n" join_cluster "$(node_name 1)" && ctl "$n" start_app
  } >"$log" 2>&1 || die "node $(node_name "$n") did not join the cluster: see $log"
}

wait_clustered() {
  local deadline=$((SECONDS + TIMEOUT_S)) count
  while :; do
    count=$(running_members 1 | wc -w)
    [ "$count" -eq 3 ] && return 0
    [ $SECONDS -lt $deadline ] || die "cluster has $count of 3 nodes running after ${TIMEOUT_S}s"
    sleep 1
  done
}

cmd_start() {
  prepare
  # All three at once: a node that was a cluster member waits at boot for its peers.
  for n in "${NODES[@]}"; do start_vm "$n"; done
  for n in "${NODES[@]}"; do wait_running "$n"; done
  join 2
  join 3
  wait_clustered
  echo "cluster running: $(running_members 1)"
  echo "RABBITMQ_URLS=$(urls)"
}

stop_node() {
  local n=$1 pidfile="$DIR/c$1/pid" pid="" deadline=$((SECONDS + 30))
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if vm_up "$n"; then
    ctl "$n" stop >/dev/null 2>&1 || true
  fi
  if [ -n "$pid" ]; then
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then
        kill -9 "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.5
    done
  fi
  rm -f "$pidfile"
}

cmd_stop() {
  [ -d "$DIR" ] || return 0
  for n in "${NODES[@]}"; do stop_node "$n"; done
  echo "cluster stopped"
}

cmd_status() {
  local any=0
  for n in "${NODES[@]}"; do
    if is_running "$n"; then
      echo "$(node_name "$n") running $(url "$n" | sed 's#//[^@]*@#//#')"
      any=1
    elif vm_up "$n"; then
      echo "$(node_name "$n") app-stopped"
    else
      echo "$(node_name "$n") down"
    fi
  done
  if [ $any = 1 ]; then
    for n in "${NODES[@]}"; do
      if is_running "$n"; then
        echo "running members: $(running_members "$n")"
        break
      fi
    done
  fi
}

cmd_kill() {
  check_node_arg "${1:-}"
  local pidfile="$DIR/c$1/pid"
  local pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  [ -n "$pid" ] || die "node $(node_name "$1") has no pid file: not started?"
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# The first node whose app runs, for cluster-wide queries.
any_running() {
  for n in "${NODES[@]}"; do
    if is_running "$n"; then
      echo "$n"
      return 0
    fi
  done
  die "no node of the cluster is running"
}

cmd_leader() {
  [ -n "${1:-}" ] || die "leader needs a queue name"
  local n leader
  n=$(any_running)
  leader=$(ctl "$n" -s list_queues name leader | awk -F'\t' -v q="$1" '$1 == q { print $2 }')
  [[ "$leader" =~ ^opsq-c([123])@ ]] || die "no quorum queue '$1' with a leader"
  echo "${BASH_REMATCH[1]}"
}

cmd_nodes_of() {
  [ -n "${1:-}" ] || die "nodes-of needs a connection name"
  local n
  n=$(any_running)
  ctl "$n" -s list_connections pid client_properties |
    grep -F "{\"connection_name\",\"$1\"}" |
    sed -n 's/^<opsq-c\([123]\)@.*/\1/p' | sort | uniq | tr '\n' ' ' | sed 's/ $//'
  echo
}

cmd_await_safe() {
  check_node_arg "${1:-}"
  local deadline=$((SECONDS + TIMEOUT_S))
  # shellcheck disable=SC2046
  until as_rabbitmq $(node_env "$1") "$RMQ_BIN/rabbitmq-queues" -q -n "$(node_name "$1")" \
    check_if_node_is_quorum_critical >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "stopping $(node_name "$1") would still leave a quorum queue without a majority after ${TIMEOUT_S}s"
    sleep 1
  done
}

cmd_run() {
  [ "${1:-}" = "--" ] && shift
  [ $# -gt 0 ] || die "run needs a command: run -- CMD..."
  local started=0 code=0
  if [ "$(running_members 1 2>/dev/null | wc -w)" -ne 3 ]; then
    cmd_start >&2
    started=1
  fi
  RABBITMQ_URLS="$(urls)" "$@" || code=$?
  if [ $started = 1 ] && [ -z "${OPSQ_CLUSTER_KEEP:-}" ]; then
    cmd_stop >&2
  fi
  exit $code
}

case "${1:-}" in
start) cmd_start ;;
leader) cmd_leader "${2:-}" ;;
nodes-of) cmd_nodes_of "${2:-}" ;;
await-safe) cmd_await_safe "${2:-}" ;;
drain | revive)
  check_node_arg "${2:-}"
  # shellcheck disable=SC2046
  as_rabbitmq $(node_env "$2") "$RMQ_BIN/rabbitmq-upgrade" -q -n "$(node_name "$2")" "$1" >/dev/null
  ;;
run)
  shift
  cmd_run "$@"
  ;;
stop) cmd_stop ;;
status) cmd_status ;;
urls) urls ;;
kill) cmd_kill "${2:-}" ;;
stop-app)
  check_node_arg "${2:-}"
  ctl "$2" stop_app
  ;;
start-app)
  check_node_arg "${2:-}"
  ctl "$2" start_app
  wait_running "$2"
  ;;
start-node)
  check_node_arg "${2:-}"
  prepare
  start_vm "$2"
  wait_running "$2"
  ;;
stop-node)
  check_node_arg "${2:-}"
  stop_node "$2"
  ;;
*)
  echo "usage: $0 start|stop|status|urls|kill N|stop-app N|start-app N|start-node N|stop-node N|leader QUEUE|nodes-of NAME|await-safe N|drain N|revive N|run -- CMD..." >&2
  exit 2
  ;;
esac
