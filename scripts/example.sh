#!/usr/bin/env sh
# Set up govkg and run the main job on the bundled sample (examples/reports/):
# ingest → validate → Turtle and TriG dumps → network views. Outputs go to out/.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/kg ]; then
  echo "setting up .venv (log: .venv/install.log)"
  python3 -m venv .venv
  { .venv/bin/pip install --upgrade pip && .venv/bin/pip install -e .; } > .venv/install.log 2>&1 \
    || { tail -n 20 .venv/install.log; echo "installation failed, see .venv/install.log" >&2; exit 2; }
fi
KG=.venv/bin/kg
rm -rf out/store
$KG ingest examples/reports --store out/store
$KG validate --store out/store > out/validation.txt && echo "validation: conforms (out/validation.txt)" \
  || echo "validation: does not conform, see out/validation.txt"
$KG export --store out/store --format ttl -o out/govkg.ttl
$KG export --store out/store --format trig -o out/govkg.trig
if $KG view --help >/dev/null 2>&1; then $KG view --store out/store -o out/views; fi
echo
echo "store:        out/store         ($KG query most-cited --store out/store)"
echo "dumps:        out/govkg.ttl  out/govkg.trig"
[ -d out/views ] && echo "views:        out/views/index.html"
echo "endpoint:     .venv/bin/kg serve --store out/store --views out/views   then open http://127.0.0.1:8000/ (views at /views/)"
echo "kg on PATH:   . .venv/bin/activate   (then a bare kg works in this shell, as in the README)"
