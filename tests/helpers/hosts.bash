# tests/helpers/hosts.bash - test hosts on this machine, for the tests of
# distributed pipelines (tests/scale.bats): network namespaces, each with its
# own sshd, reachable from one more namespace that plays the client.
#
#     load helpers/hosts
#     hosts_up DIR 3      # namespaces, links, keys, sshds; sets HOSTS_*
#     on_client CMD...    # run CMD in the client's namespace
#     host_stop 2         # stop host 2's sshd and its sessions
#     hosts_down DIR      # remove everything hosts_up made
#
# Layout: the client namespace holds a bridge with 10.210.0.1/24; host I is
# a namespace whose eth0, 10.210.0.(10+I)/24, is a veth whose other end sits
# on that bridge.  The links are made inside the namespaces (ip -n), so no
# interface or address ever exists outside them.  Each host runs sshd -D on
# its own address, with a throwaway host key and one throwaway user key, as
# root, bounded by timeout(1); sshd's privilege separation folder is a tmpfs
# in the private mount namespace that ip netns exec gives it, so nothing is
# made outside DIR.  The hosts share this machine's filesystem, so the
# programs are reachable there; their PATH comes with the command.
#
# hosts_available says why the tests cannot run (not root, no ip netns, no
# sshd), for skip.  Names carry the test process's pid, so runs side by side
# do not meet; hosts_down removes what DIR/made lists, even after a failure
# midway, and is safe to call twice.

HOSTS_NET=10.210.0

hosts_available() {
	if ((EUID != 0)); then
		echo "needs root (network namespaces)"
	elif ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
		echo "ip netns is not available"
	elif [[ ! -x /usr/sbin/sshd ]] || ! command -v ssh >/dev/null; then
		echo "openssh-server and openssh-client are not installed"
	elif ! command -v parallel >/dev/null || ! command -v rsync >/dev/null; then
		echo "GNU parallel and rsync are not installed"
	fi
}

# hosts_up DIR N: N hosts; sets HOSTS_DIR, HOSTS_CLIENT (the client's
# namespace), HOSTS_ADDR (the hosts' addresses), HOSTS_SSH (the ssh command
# with its config), HOSTS_SSHLOGIN (for parallel -S).
hosts_up() {
	local dir=$1 n=$2 i ns addr tag=etl$$
	HOSTS_DIR=$dir
	HOSTS_CLIENT=$tag-c
	HOSTS_ADDR=()
	mkdir -p "$dir/home"
	: >"$dir/made"
	ip netns add "$HOSTS_CLIENT" && echo "ns $HOSTS_CLIENT" >>"$dir/made" || return 1
	ip -n "$HOSTS_CLIENT" link set lo up
	ip -n "$HOSTS_CLIENT" link add br0 type bridge
	ip -n "$HOSTS_CLIENT" addr add "$HOSTS_NET.1/24" dev br0
	ip -n "$HOSTS_CLIENT" link set br0 up
	ssh-keygen -q -t ed25519 -N '' -C etl-test-user -f "$dir/user_key"
	: >"$dir/known_hosts"
	for ((i = 1; i <= n; i++)); do
		ns=$tag-h$i
		addr=$HOSTS_NET.$((10 + i))
		HOSTS_ADDR+=("$addr")
		ip netns add "$ns" && echo "ns $ns" >>"$dir/made" || return 1
		ip -n "$ns" link set lo up
		ip -n "$HOSTS_CLIENT" link add "v$i" type veth peer name eth0 netns "$ns"
		ip -n "$HOSTS_CLIENT" link set "v$i" master br0 up
		ip -n "$ns" addr add "$addr/24" dev eth0
		ip -n "$ns" link set eth0 up
		ssh-keygen -q -t ed25519 -N '' -C "etl-test-host$i" -f "$dir/host$i"
		echo "$addr $(cut -d' ' -f1,2 "$dir/host$i.pub")" >>"$dir/known_hosts"
		cat >"$dir/sshd$i.conf" <<-EOF
			ListenAddress $addr
			Port 22
			HostKey $dir/host$i
			PidFile $dir/sshd$i.pid
			AuthorizedKeysFile $dir/user_key.pub
			StrictModes no
			PermitRootLogin prohibit-password
			PasswordAuthentication no
			KbdInteractiveAuthentication no
			UsePAM no
			LoginGraceTime 10
			MaxStartups 50
			MaxSessions 50
			ClientAliveInterval 2
			ClientAliveCountMax 3
			SetEnv HOME=$dir/home
		EOF
		# the wrapper's pid is the one to stop: timeout passes SIGTERM on
		ip netns exec "$ns" sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run &&
			mkdir -m 0755 /run/sshd && exec timeout 900 /usr/sbin/sshd -D -e -f "$1"' \
			sh "$dir/sshd$i.conf" 2>"$dir/sshd$i.log" &
		echo "pid $!" >>"$dir/made"
		echo $! >"$dir/wrapper$i.pid"
	done
	cat >"$dir/ssh_config" <<-EOF
		Host *
		  User root
		  IdentityFile $dir/user_key
		  IdentitiesOnly yes
		  UserKnownHostsFile $dir/known_hosts
		  GlobalKnownHostsFile /dev/null
		  StrictHostKeyChecking yes
		  BatchMode yes
		  ConnectTimeout 5
		  ServerAliveInterval 2
		  ServerAliveCountMax 3
		  LogLevel ERROR
	EOF
	HOSTS_SSH="ssh -F $dir/ssh_config"
	HOSTS_SSHLOGIN=$(printf '1/%s,' "${HOSTS_ADDR[@]}")
	HOSTS_SSHLOGIN=${HOSTS_SSHLOGIN%,}
	# each sshd answers within 10 s
	for addr in "${HOSTS_ADDR[@]}"; do
		for ((i = 0; i < 100; i++)); do
			on_client $HOSTS_SSH "$addr" true 2>/dev/null && break
			sleep 0.1
		done
		((i < 100)) || { cat "$dir"/sshd*.log >&2; return 1; }
	done
}

# on_client CMD...: CMD in the client's namespace, with HOME in DIR (ssh and
# parallel keep their files there).
on_client() {
	HOME=$HOSTS_DIR/home ip netns exec "$HOSTS_CLIENT" "$@"
}

# host_stop I: host I's sshd stops listening, and its open sessions end
# (the jobs running there fail as a lost host's would).
host_stop() {
	local wrapper sshd kids
	wrapper=$(cat "$HOSTS_DIR/wrapper$1.pid")
	sshd=$(cat "$HOSTS_DIR/sshd$1.pid" 2>/dev/null) || return 0
	kids=$(ps -o pid= --ppid "$sshd" | tr -d ' ')
	kill "$wrapper" 2>/dev/null || true
	# shellcheck disable=SC2086
	[[ -z $kids ]] || kill $kids 2>/dev/null || true
}

hosts_down() {
	local dir=$1 kind what
	[[ -f $dir/made ]] || return 0
	local -
	set +e
	# processes first (newest first), then the namespaces
	while read -r kind what; do
		[[ $kind == pid ]] || continue
		kill "$what" 2>/dev/null || true
	done < <(tac "$dir/made")
	local i sshd
	for ((i = 1; i <= 9; i++)); do
		sshd=$(cat "$dir/sshd$i.pid" 2>/dev/null) || continue
		# sessions left by a stopped listener
		# shellcheck disable=SC2046
		kill $(ps -o pid= --ppid "$sshd" 2>/dev/null) "$sshd" 2>/dev/null || true
	done
	while read -r kind what; do
		[[ $kind == pid ]] || continue
		wait "$what" 2>/dev/null || true
	done < <(tac "$dir/made")
	while read -r kind what; do
		[[ $kind == ns ]] || continue
		ip netns del "$what" 2>/dev/null || true
	done < <(tac "$dir/made")
	rm -f "$dir/made"
}
