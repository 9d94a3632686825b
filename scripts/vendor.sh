#!/bin/sh
# Copy the front-end packages npm installed into static/vendor/, where the app serves them (no CDN
# at run time). Used by the Makefile and the Dockerfile alike.
set -eu
VENDOR=${1:-static/vendor}
rm -rf "$VENDOR"
mkdir -p "$VENDOR/bootstrap" "$VENDOR/bootstrap-icons" "$VENDOR/htmx" "$VENDOR/echarts"
# The .map files are referenced by the minified files; the hashed static storage needs them.
cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
   "$VENDOR/bootstrap/"
cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts \
   "$VENDOR/bootstrap-icons/"
cp node_modules/htmx.org/dist/htmx.min.js "$VENDOR/htmx/"
cp node_modules/echarts/dist/echarts.min.js "$VENDOR/echarts/"
