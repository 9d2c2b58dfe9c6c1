#!/usr/bin/env sh
# Set up govkg with its test tools and run the whole test suite.
# As root on Debian, also installs what the tests drive: chromium (headless browser tests) with a CJK font
# (fonts-wqy-microhei: without one, Chinese renders as boxes in headless screenshots; the PDF tests embed it),
# raptor2-utils (rapper), virtuoso-opensource (virtuoso-t, the Virtuoso that the remote-store tests push into), and
# antiword and catdoc (the two converters of legacy Word .doc reports), and libjemalloc2 (the allocator `kg serve`
# gives its query engines when the machine has it).
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=""
  command -v chromium >/dev/null 2>&1 || need="$need chromium"
  [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need="$need fonts-wqy-microhei"
  command -v antiword >/dev/null 2>&1 || need="$need antiword"
  command -v catdoc >/dev/null 2>&1 || need="$need catdoc"
  command -v rapper >/dev/null 2>&1 || need="$need raptor2-utils"
  command -v virtuoso-t >/dev/null 2>&1 || need="$need virtuoso-opensource"
  ldconfig -p | grep -q 'libjemalloc\.so\.2' || need="$need libjemalloc2"
  if [ -n "$need" ]; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    # where services may start, the package starts Debian's own Virtuoso (ports 1111/8890, user dba/dba): the tests
    # start private ones, so stop it
    case "$need" in *virtuoso*) invoke-rc.d virtuoso-opensource-7 stop >/dev/null 2>&1 || true ;; esac
  fi
fi
[ -d .venv ] || python3 -m venv .venv
{ .venv/bin/pip install --upgrade pip && .venv/bin/pip install -e '.[test,cluster]'; } > .venv/install.log 2>&1 \
  || { tail -n 20 .venv/install.log; echo "installation failed, see .venv/install.log" >&2; exit 2; }
.venv/bin/ruff check kg tests
.venv/bin/mypy kg
exec .venv/bin/python -m pytest "$@"
