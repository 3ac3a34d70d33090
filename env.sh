# env.sh - use the programs of this build tree from your shell, before (or
# instead of) `make install`:
#
#     . ./env.sh
#
# puts bin/ first on PATH and build/man/ on MANPATH (so `man etl-map` finds
# the pages built here), and loads the bash completion when the shell is bash.
# Sourcing it again does not add the folders twice.

_etl_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" && pwd)
case ":$PATH:" in
*":$_etl_root/bin:"*) ;;
*) PATH="$_etl_root/bin:$PATH" ;;
esac
case ":${MANPATH:-}:" in
*":$_etl_root/build/man:"*) ;;
*) MANPATH="$_etl_root/build/man:${MANPATH:-}" ;;
esac
export PATH MANPATH
if [ -n "${BASH_VERSION:-}" ] && [ -f "$_etl_root/completions/etl.bash" ]; then
	. "$_etl_root/completions/etl.bash"
fi
unset _etl_root
