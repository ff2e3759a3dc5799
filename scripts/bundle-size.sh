#!/usr/bin/env bash
# `make bundle-size`: the hydrate bundle as a browser fetches it (release build, wasm-opt), one line
# per file under target/site/pkg with its bytes raw and gzip -9, then what the first load of a page
# transfers (the main wasm, its JS glue and the stylesheet; lazily loaded wasm chunks, where the
# build splits, come after a page is interactive and are listed apart). Fails when a first-load
# figure is over its budget in scripts/bundle-budget.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

pkg=${IMGIGO_SITE_PKG:-target/site/pkg}
budget_file=scripts/bundle-budget.txt
main=imgigo

if [[ ! -d $pkg ]]; then
    echo "bundle-size: no $pkg; build the site first (make build-release)" >&2
    exit 2
fi

gz() { gzip -9c "$1" | wc -c; }

printf '%-44s %10s %10s\n' file bytes gzip
first_wasm=0 first_js=0 first_css=0 lazy=0
while IFS= read -r -d '' f; do
    name=${f#"$pkg"/}
    raw=$(wc -c <"$f")
    zipped=$(gz "$f")
    kind=lazy
    case $name in
        "$main.wasm" | "${main}_bg.wasm") first_wasm=$((first_wasm + zipped)); kind=first ;;
        "$main.js" | __wasm_split*.js) first_js=$((first_js + zipped)); kind=first ;;
        "$main.css") first_css=$((first_css + zipped)); kind=first ;;
        *.wasm) lazy=$((lazy + zipped)) ;;
        *) kind=other ;;
    esac
    printf '%-44s %10d %10d  %s\n' "$name" "$raw" "$zipped" "$kind"
done < <(find "$pkg" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) -print0 | sort -z)

printf 'first load, gzip: wasm %d, js %d, css %d; lazy wasm chunks %d\n' \
    "$first_wasm" "$first_js" "$first_css" "$lazy"

status=0
while read -r what limit _; do
    [[ -z $what || $what == \#* ]] && continue
    case $what in
        first-load-wasm-gzip) actual=$first_wasm ;;
        first-load-js-gzip) actual=$first_js ;;
        first-load-css-gzip) actual=$first_css ;;
        *) echo "bundle-size: unknown budget line '$what' in $budget_file" >&2; exit 2 ;;
    esac
    if ((actual > limit)); then
        echo "OVER BUDGET: $what is $actual bytes, the budget is $limit ($budget_file)"
        status=1
    else
        echo "within budget: $what $actual <= $limit"
    fi
done <"$budget_file"
exit "$status"
