#!/bin/sh
# Copy the minified front-end files the web UI uses from npm packages into the Django static
# folder, with their licences. The copies are committed; node_modules is not, so a deployment
# needs neither Node nor a CDN. Re-run after changing the versions pinned in package.json.
set -eu

cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
else
    npm install --no-audit --no-fund
fi

vendor=src/sopcrm/web/static/vendor
rm -rf "$vendor"
mkdir -p "$vendor/htmx" "$vendor/pico" "$vendor/mermaid" "$vendor/echarts"

cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx/"
cp node_modules/htmx.org/LICENSE "$vendor/htmx/LICENSE"
cp node_modules/@picocss/pico/css/pico.min.css "$vendor/pico/"
cp node_modules/@picocss/pico/LICENSE.md "$vendor/pico/LICENSE.md"
# Mermaid draws the playbook diagrams; only the playbook page loads it (it is large).
cp node_modules/mermaid/dist/mermaid.min.js "$vendor/mermaid/"
cp node_modules/mermaid/LICENSE "$vendor/mermaid/LICENSE"
# ECharts draws the report charts; only the report pages load it. The full build: the "common"
# one has no funnel series. Its Chinese locale names the toolbox buttons and month names.
cp node_modules/echarts/dist/echarts.min.js "$vendor/echarts/"
cp node_modules/echarts/i18n/langZH.js "$vendor/echarts/"
cp node_modules/echarts/LICENSE "$vendor/echarts/LICENSE"

for pkg in htmx.org @picocss/pico mermaid echarts; do
    printf '%s %s\n' "$pkg" "$(node -p "require('./node_modules/$pkg/package.json').version")"
done > "$vendor/VERSIONS"
echo "vendored into $vendor:"
find "$vendor" -type f | sort
