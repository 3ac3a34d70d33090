# etl.bash - bash completion for the etl programs.
#
# Installed once per program name (bash-completion loads it by command name);
# the `complete` line at the end registers every program.  Each program has
# its own block below: the list of its options, written out literally, and
# the kind of argument its options take.  The common options of etl(7) are
# listed once.  To add a program: add its block, a case in _etl_complete and
# its name on the `complete` line.

_etl_common_opts='-o --output --bad-records --max-bad --progress --stats -q --quiet -h --help --version'
# The sharding options of the programs with keyed state (etl(7), SCALING OUT).
_etl_shard_opts='--shard --shard-key'

# ---- etl-from-csv ----
_etl_from_csv_opts='--header --no-header -d --delimiter --tsv --quote --null -i --infer -t --types --verbose'

# Complete the argument of an etl-from-csv option; 1 if prev takes none.
_etl_from_csv_arg() {
	local cur=$1 prev=$2

	case $prev in
	-d | --delimiter | --quote)
		COMPREPLY=($(compgen -W ", ; '|' '\\t'" -- "$cur"))
		;;
	--header | --null | -t | --types) COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-to-csv ----
_etl_to_csv_opts='-f --fields --no-header -d --delimiter --tsv --quote --null --crlf --flatten --sep
	--all-keys --pretty -n --count --max-width --temp-dir'

_etl_to_csv_arg() {
	local cur=$1 prev=$2

	case $prev in
	-d | --delimiter | --quote)
		COMPREPLY=($(compgen -W ", ; '|' '\\t'" -- "$cur"))
		;;
	-f | --fields | --null | --sep | -n | --count | --max-width) COMPREPLY=() ;;
	--temp-dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-top ----
_etl_top_opts="-n --count --by --asc -g --group-by --rank-field --strict --partial --merge $_etl_shard_opts"

# The arguments of etl-top's options are free text (a count, an expression,
# field paths, a name): nothing to offer, and no file names.
_etl_top_arg() {
	local prev=$2

	case $prev in
	-n | --count | --by | -g | --group-by | --rank-field | --shard | --shard-key) COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-head ----
_etl_head_opts='-n --count --tail --sample --fraction --seed -g --group-by'
_etl_head_opts+=" $_etl_shard_opts"

# The arguments of etl-head's options are numbers and field paths.
_etl_head_arg() {
	local prev=$2

	case $prev in
	-n | --count | --tail | --sample | --fraction | --seed | -g | --group-by) COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-profile ----
_etl_profile_opts='--exact-distinct --table --schema --rules'

# --schema and --rules write a file; --exact-distinct takes a count.
_etl_profile_arg() {
	local cur=$1 prev=$2

	case $prev in
	--schema | --rules)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	--exact-distinct) COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-sort ----
_etl_sort_opts='-k --key -u --unique -c --check -m --merge --memory --temp-dir'

# The arguments of etl-sort's options are keys, sizes and folders.
_etl_sort_arg() {
	local cur=$1 prev=$2

	case $prev in
	-k | --key | --memory) COMPREPLY=() ;;
	--temp-dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-validate ----
_etl_validate_opts='--schema --at --resolve --format-annotation -c --check --rejects --unique --not-null
	--rows --fresh --distinct --accepted --range --max-invalid --warn-unique --warn-not-null --warn-rows
	--warn-fresh --warn-distinct --warn-accepted --warn-range --warn-max-invalid --schema-drift
	--warn-schema-drift --rules --partial --merge --gate --memory --temp-dir --report --strict'
_etl_validate_opts+=" $_etl_shard_opts"

# Schemas and reject files are files; a path, a PREFIX=DIR and a rule are
# free text.
_etl_validate_arg() {
	local cur=$1 prev=$2

	case $prev in
	--schema | --rejects | --report | --rules | --schema-drift | --warn-schema-drift | --partial)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	--temp-dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	--at | --resolve | -c | --check | --unique | --not-null | --rows | --fresh | --distinct | \
		--accepted | --range | --max-invalid | --warn-unique | --warn-not-null | --warn-rows | \
		--warn-fresh | --warn-distinct | --warn-accepted | --warn-range | --warn-max-invalid | \
		--memory)
		COMPREPLY=()
		;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-join ----
_etl_join_opts='-k --key --with --with-format --with-key --inner --left --semi --anti --prefix --memory --temp-dir --sorted'

# The arguments of etl-join's options are field paths, a file and a prefix.
_etl_join_arg() {
	local cur=$1 prev=$2

	case $prev in
	-k | --key | --with-key | --prefix | --memory) COMPREPLY=() ;;
	--with-format) COMPREPLY=($(compgen -W 'ndjson csv' -- "$cur")) ;;
	--temp-dir) COMPREPLY=($(compgen -d -- "$cur")) ;;
	--with)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-map ----
_etl_map_opts='--select --drop --rename --default --cast -s --set -w --where --flatten --nest --sep --strict
	--follow --from-offset --from-state --state-db --state-table'

# Field lists, expressions and values are free text: nothing to offer, and no
# file names.  The type after FIELD= in --cast is completed in _etl_complete.
_etl_map_arg() {
	local prev=$2

	case $prev in
	--select | --drop | --rename | --default | --cast | -s | --set | -w | --where | --sep | \
		--from-offset | --from-state | --state-db | --state-table)
		COMPREPLY=()
		;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-dedupe ----
_etl_dedupe_opts='-k --key --keep --latest-by --exact --require-key --memory --temp-dir --window
	--within --time-field'
_etl_dedupe_opts+=" $_etl_shard_opts"

# --keep takes first or last, --temp-dir a folder; field paths, sizes,
# counts and durations are free text: nothing to offer, and no file names.
_etl_dedupe_arg() {
	local cur=$1 prev=$2

	case $prev in
	--keep) COMPREPLY=($(compgen -W 'first last' -- "$cur")) ;;
	--temp-dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	-k | --key | --latest-by | --memory | --window | --within | --time-field) COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

# ---- etl-shard ----
_etl_shard_prog_opts='-k --key -n --shards --to-command'

# -o takes a pattern (a file name with {}); the rest is free text.
_etl_shard_arg() {
	local prev=$2

	case $prev in
	-k | --key | -n | --shards | --to-command) COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

# ---- common to every program ----
_etl_common_arg() {
	local cur=$1 prev=$2

	case $prev in
	-o | --output | --stats)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	--bad-records)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -W 'fail skip' -- "$cur") $(compgen -f -- "$cur"))
		;;
	--max-bad | --shard | --shard-key) COMPREPLY=() ;;
	*) return 1 ;;
	esac
	return 0
}

# bash splits words at '=' (COMP_WORDBREAKS): "--types qty=d" reaches us as
# "--types" "qty" "=" "d".  cur is the text after the last '=', prev the
# option (or column name) before it.
_etl_complete() {
	local i=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} prev prog=${1##*/} opts eq=
	local j

	if [[ $cur == = ]]; then
		cur= prev=${COMP_WORDS[i - 1]} eq=1
	elif ((i > 1)) && [[ ${COMP_WORDS[i - 1]} == = ]]; then
		prev=${COMP_WORDS[i - 2]} eq=1
	else
		prev=${COMP_WORDS[i - 1]}
	fi
	# the value of a column in --types COL=TYPE,...: a type
	if [[ $prog == etl-from-csv && -n $eq && $prev != -* ]]; then
		for ((j = i - 1; j > 0; j--)); do
			[[ ${COMP_WORDS[j]} == -* ]] && break
		done
		if [[ ${COMP_WORDS[j]} == -t || ${COMP_WORDS[j]} == --types ]]; then
			COMPREPLY=($(compgen -W 'string int decimal float bool date timestamp json' \
				-- "$cur"))
			return 0
		fi
	fi
	# the type in etl-map --cast FIELD=TYPE,...
	if [[ $prog == etl-map && -n $eq && $prev != -* ]]; then
		for ((j = i - 1; j > 0; j--)); do
			[[ ${COMP_WORDS[j]} == -* ]] && break
		done
		if [[ ${COMP_WORDS[j]} == --cast ]]; then
			COMPREPLY=($(compgen -W 'string int decimal float bool date timestamp json' -- "$cur"))
			return 0
		fi
	fi
	case $prog in
	etl-from-csv)
		opts=$_etl_from_csv_opts
		_etl_from_csv_arg "$cur" "$prev" && return 0
		;;
	etl-to-csv)
		opts=$_etl_to_csv_opts
		_etl_to_csv_arg "$cur" "$prev" && return 0
		;;
	etl-top)
		opts=$_etl_top_opts
		_etl_top_arg "$cur" "$prev" && return 0
		;;
	etl-head)
		opts=$_etl_head_opts
		_etl_head_arg "$cur" "$prev" && return 0
		;;
	etl-profile)
		opts=$_etl_profile_opts
		_etl_profile_arg "$cur" "$prev" && return 0
		;;
	etl-sort)
		opts=$_etl_sort_opts
		_etl_sort_arg "$cur" "$prev" && return 0
		;;
	etl-join)
		opts=$_etl_join_opts
		_etl_join_arg "$cur" "$prev" && return 0
		;;
	etl-map)
		opts=$_etl_map_opts
		_etl_map_arg "$cur" "$prev" && return 0
		;;
	etl-dedupe)
		opts=$_etl_dedupe_opts
		_etl_dedupe_arg "$cur" "$prev" && return 0
		;;
	etl-validate)
		opts=$_etl_validate_opts
		_etl_validate_arg "$cur" "$prev" && return 0
		;;
	etl-shard)
		opts=$_etl_shard_prog_opts
		_etl_shard_arg "$cur" "$prev" && return 0
		;;
	*) return 0 ;;
	esac
	_etl_common_arg "$cur" "$prev" && return 0
	if [[ $prev == --progress && -n $eq ]]; then
		COMPREPLY=($(compgen -W 'always never' -- "$cur"))
	elif [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts $_etl_common_opts" -- "$cur"))
	else
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}

complete -F _etl_complete etl-from-csv etl-to-csv etl-top etl-head etl-profile etl-map etl-dedupe etl-validate etl-sort etl-join etl-shard

# ---- etl-state, etl-extract-pg, etl-load-pg (PostgreSQL) ----
# They take a subset of the common options: no --bad-records/--max-bad for
# etl-state and etl-extract-pg (no input records), no -o for etl-load-pg.
_etl_state_opts='-d --db -t --table --default -o --output --progress --stats -q --quiet -h --help --version'
_etl_extract_pg_opts='-d --db -t --table -c --query -f --file --since-column --since --order-by
	--partition --partition-column --follow --slot --create-slot --from-state --state-db
	--state-table --idle-exit --retries -o --output --progress --stats -q --quiet -h --help
	--version'
_etl_load_pg_opts='-d --db -t --table -m --mode -k --key --create --evolve --ignore-extra --columns
	-b --batch --allow-empty --state-key --watermark --state-table --offsets --commit-interval
	--bad-records --max-bad --progress --stats -q --quiet -h --help --version'

_etl_pg_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} prog=${1##*/}
	local opts i words=0

	case $prog in
	etl-state) opts=$_etl_state_opts ;;
	etl-extract-pg) opts=$_etl_extract_pg_opts ;;
	etl-load-pg) opts=$_etl_load_pg_opts ;;
	*) return 0 ;;
	esac
	case $prev in
	-m | --mode)
		COMPREPLY=($(compgen -W 'append upsert replace' -- "$cur"))
		return 0
		;;
	-f | --file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -X '!*.sql' -- "$cur") $(compgen -d -- "$cur"))
		return 0
		;;
	-d | --db | -t | --table | --default | -c | --query | --since-column | --since | \
		--order-by | --partition | --partition-column | -k | --key | --columns | -b | \
		--batch | --state-key | --watermark | --state-table | --offsets | --commit-interval | \
		--slot | --from-state | --state-db | --idle-exit | --retries)
		COMPREPLY=()
		return 0
		;;
	esac
	_etl_common_arg "$cur" "$prev" && return 0
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
	elif [[ $prog == etl-state ]]; then
		# the command is the first word that is not an option or its argument
		for ((i = 1; i < COMP_CWORD; i++)); do
			case ${COMP_WORDS[i]} in
			-d | --db | -t | --table | --default | -o | --output | --stats) ((i++)) ;;
			-*) ;;
			*) words=$((words + 1)) ;;
			esac
		done
		((words == 0)) && COMPREPLY=($(compgen -W 'get set list delete offsets' -- "$cur"))
	elif [[ $prog == etl-load-pg ]]; then
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}

complete -F _etl_pg_complete etl-state etl-extract-pg etl-load-pg

# ---- etl-extract-mysql (MySQL, MariaDB) ----
_etl_extract_mysql_opts='--defaults-file --host -P --port -S --socket -u --user -D --database
	-t --table -c --query -f --file --since-column --since --order-by --partition
	--partition-column -o --output --progress --stats -q --quiet -h --help --version'

_etl_extract_mysql_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}

	case $prev in
	--defaults-file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	-S | --socket)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	-f | --file)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -X '!*.sql' -- "$cur") $(compgen -d -- "$cur"))
		return 0
		;;
	--host)
		COMPREPLY=($(compgen -A hostname -- "$cur"))
		return 0
		;;
	-P | --port | -u | --user | -D | --database | -t | --table | -c | --query | \
		--since-column | --since | --order-by | --partition | --partition-column)
		COMPREPLY=()
		return 0
		;;
	esac
	_etl_common_arg "$cur" "$prev" && return 0
	[[ $cur == -* ]] && COMPREPLY=($(compgen -W "$_etl_extract_mysql_opts" -- "$cur"))
	return 0
}

complete -F _etl_extract_mysql_complete etl-extract-mysql

# ---- etl-agg ----
_etl_agg_opts='-g --group-by -a --aggregate --sort --partial --merge -j --jobs --memory --temp-dir
	-w --window -t --time-field --lateness --late --emit --idle-timeout --strict --checkpoint
	--checkpoint-interval --from-state --state-db --state-table'
_etl_agg_opts+=" $_etl_shard_opts"
_etl_agg_functions='count( count_distinct( approx_distinct( sum( avg( min( max( first( last(
	stddev( var( median( percentile( collect( mode('

# bash splits "-a n=sum(x)" at '=': after "-a NAME =", offer the functions.
_etl_agg_complete() {
	local i=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}

	[[ $cur == = ]] && cur= prev==
	if [[ $prev == = ]] && ((i >= 3)) &&
		[[ ${COMP_WORDS[i - 3]} == -a || ${COMP_WORDS[i - 3]} == --aggregate ||
			${COMP_WORDS[i - 2]} == -a || ${COMP_WORDS[i - 2]} == --aggregate ]]; then
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W "$_etl_agg_functions" -- "$cur"))
		return 0
	fi
	case $prev in
	-w | --window)
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W 'tumbling: hopping: session:' -- "$cur"))
		return 0
		;;
	--emit)
		COMPREPLY=($(compgen -W 'close update' -- "$cur"))
		return 0
		;;
	--late)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -W 'drop fail' -- "$cur") $(compgen -f -- "$cur"))
		return 0
		;;
	--temp-dir | --checkpoint)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		return 0
		;;
	-g | --group-by | -a | --aggregate | --sort | -j | --jobs | --memory | -t | --time-field | \
		--lateness | --idle-timeout | --shard | --shard-key | --checkpoint-interval | --from-state | \
		--state-db | --state-table)
		COMPREPLY=()
		return 0
		;;
	esac
	_etl_common_arg "$cur" "$prev" && return 0
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_etl_agg_opts $_etl_common_opts" -- "$cur"))
	else
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}

complete -F _etl_agg_complete etl-agg

# ---- etl-fetch-api ----
_etl_fetch_api_opts='-X --request -H --header --data --query --timeout --connect-timeout --cacert
	--insecure --records --format --meta --paginate --total-path --stop-when --max-pages --retries
	--retry-max-time --ignore-status --rate --max-wait --bearer-env --basic-env --header-env
	--query-env --netrc --oauth2-token-url --client-id-env --client-secret-env --scope
	--oauth2-auth --since --since-param --state-key --cursor-field --since-lag --state-table -d --db
	--for-each --parallel --unordered --into --delimiter --null -i --infer --verbose
	--bad-records --max-bad -o --output --progress --stats -q --quiet -h --help --version'

_etl_fetch_api_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}

	case $prev in
	-X | --request)
		COMPREPLY=($(compgen -W 'GET POST PUT PATCH DELETE' -- "$cur"))
		return 0
		;;
	--format)
		COMPREPLY=($(compgen -W 'json ndjson csv' -- "$cur"))
		return 0
		;;
	--delimiter)
		COMPREPLY=($(compgen -W ", ; '|' '\\t'" -- "$cur"))
		return 0
		;;
	--oauth2-auth)
		COMPREPLY=($(compgen -W 'basic post' -- "$cur"))
		return 0
		;;
	--paginate)
		compopt -o nospace 2>/dev/null
		COMPREPLY=($(compgen -W 'link next-url: cursor: cursor-body: header-cursor: page: offset:' -- "$cur"))
		return 0
		;;
	--bearer-env | --basic-env | --client-id-env | --client-secret-env)
		COMPREPLY=($(compgen -v -- "$cur"))
		return 0
		;;
	--cacert)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	-H | --header | --data | --query | --timeout | --connect-timeout | --records | --meta | \
		--total-path | --stop-when | --max-pages | --retries | --retry-max-time | \
		--ignore-status | --rate | --max-wait | --header-env | --query-env | \
		--oauth2-token-url | --scope | --since | --since-param | --state-key | --cursor-field | \
		--since-lag | --state-table | -d | --db | --parallel | --into | --null)
		COMPREPLY=()
		return 0
		;;
	esac
	_etl_common_arg "$cur" "$prev" && return 0
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_etl_fetch_api_opts" -- "$cur"))
	fi
	return 0
}

complete -F _etl_fetch_api_complete etl-fetch-api

# ---- etl, the front door ----
# The first word is a program's short name (any etl-* command), help or an
# option; after "etl NAME" the words complete as for etl-NAME.
_etl_front_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]} names spec func

	names=$(compgen -c etl- | sed 's/^etl-//' | sort -u)
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "help --help --version $names" -- "$cur"))
		return 0
	fi
	if [[ ${COMP_WORDS[1]} == help ]]; then
		((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W "expr $names" -- "$cur"))
		return 0
	fi
	local prog=etl-${COMP_WORDS[1]#etl-}
	spec=$(complete -p "$prog" 2>/dev/null) || return 0
	[[ $spec =~ -F\ ([^ ]+) ]] || return 0
	func=${BASH_REMATCH[1]}
	COMP_WORDS=("$prog" "${COMP_WORDS[@]:2}")
	COMP_CWORD=$((COMP_CWORD - 1))
	"$func" "$prog" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}

complete -F _etl_front_complete etl

# ---- etl-kafka (consume | produce) ----
_etl_kafka_opts='-b --brokers -t --topic -G --group -p --partitions --value-format -X --set --start
	--from-state --state-db --state-table -e --exit-at-end -c --count --headers-field -k --key
	--partition --timestamp-field --metrics --metrics-interval --bad-records --max-bad --progress
	--stats -q --quiet -h --help --version'

_etl_kafka_complete() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} i words=0

	case $prev in
	--value-format)
		COMPREPLY=($(compgen -W 'json text' -- "$cur"))
		return 0
		;;
	--start)
		COMPREPLY=($(compgen -W 'earliest latest' -- "$cur"))
		return 0
		;;
	--metrics)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	-b | --brokers | -t | --topic | -G | --group | -p | --partitions | -X | --set | \
		--from-state | --state-db | --state-table | -c | --count | --headers-field | -k | \
		--key | --partition | --timestamp-field | --metrics-interval)
		COMPREPLY=()
		return 0
		;;
	esac
	_etl_common_arg "$cur" "$prev" && return 0
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_etl_kafka_opts" -- "$cur"))
		return 0
	fi
	# the mode is the first word that is not an option or its argument
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-e | --exit-at-end | -q | --quiet | --progress*) ;;
		-*=*) ;;
		-*) ((i++)) ;;
		*) words=$((words + 1)) ;;
		esac
	done
	if ((words == 0)); then
		COMPREPLY=($(compgen -W 'consume produce' -- "$cur"))
	else
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}

complete -F _etl_kafka_complete etl-kafka
