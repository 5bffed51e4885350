#!/usr/bin/env bash
# Runs the installed uptake (a wheel in a fresh virtual environment, not the checkout)
# from an empty directory: demo, refresh, mine, report. Usage:
#   .ci/check_installed_wheel.sh VENV SHARED_DATA
set -euo pipefail
venv=$(cd "$1" && pwd)
shared=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

location=$("$venv/bin/python" -c 'import uptake; print(uptake.__file__)')
case "$location" in
  "$venv"/*) ;;
  *) echo "uptake imported from $location, not from the wheel in $venv" >&2; exit 1 ;;
esac

"$venv/bin/uptake" --db demo.duckdb demo --report-dir demo-report
test -s demo-report/index.html

"$venv/bin/uptake" --db pypi.duckdb refresh -q \
  --source "top_pypi=$shared/top-pypi-packages/2024-04-01.json.gz"
"$venv/bin/uptake" --db pypi.duckdb sql "select count(*) as rows from marts.downloads_monthly"

git init -q repo
git -C repo -c user.email=ci@example.org -c user.name=CI commit -q --allow-empty -m start \
  --date=2023-01-10T12:00:00
printf 'import torch\n' > repo/train.py
git -C repo add train.py
GIT_COMMITTER_DATE=2023-02-10T12:00:00 git -C repo -c user.email=ci@example.org \
  -c user.name=CI commit -q -m code --date=2023-02-10T12:00:00
"$venv/bin/uptake" --db demo.duckdb mine -q "acme/model=$work/repo" --until 2023-04
"$venv/bin/uptake" --db demo.duckdb sql \
  "select repo, technology from marts.repo_imports_monthly where repo = 'acme/model' limit 1"

"$venv/bin/uptake" --db demo.duckdb report --report-dir report
test -s report/index.html
echo "the installed wheel ran demo, refresh, mine and report from $work"
