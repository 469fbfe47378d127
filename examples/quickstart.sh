#!/bin/sh
# Deploys examples/hello into a temporary app directory and shows the result:
# the plumbing pipeline first, then the porcelain (deploy over a tar stream,
# config:set, releases, rollback). Run from the repository root after
# `cargo build --release`.
set -eu
rel=${REL:-$(pwd)/target/release/rel}
src=$(pwd)/examples/hello
app=$(mktemp -d "${TMPDIR:-/tmp}/rel-quickstart.XXXXXX")
echo "app directory: $app"
"$rel" init "$app" --name hello

echo '--- plumbing: write-slug, write-config, write-release, activate'
slug=$("$rel" -C "$app" write-slug "$src")
config=$(printf 'GREETING=hi\n' | "$rel" -C "$app" write-config)
short=$(printf %.7s "$slug")
v=$("$rel" -C "$app" write-release --slug "$slug" --config "$config" --change "Deploy $short")
"$rel" -C "$app" activate "$v"
"$rel" -C "$app" exec -- bin/web

echo '--- porcelain: config:set, deploy -, releases, rollback'
"$rel" -C "$app" config:set GREETING='hello, world'
"$rel" -C "$app" exec -- bin/web
work=$(mktemp -d "${TMPDIR:-/tmp}/rel-quickstart-src.XXXXXX")
cp -R "$src/." "$work"
echo '<p>Second version.</p>' >>"$work/public/index.html"
tar -C "$work" -c . | "$rel" -C "$app" deploy - --commit 0123456789abcdef
"$rel" -C "$app" releases
"$rel" -C "$app" rollback
"$rel" -C "$app" releases
"$rel" -C "$app" exec -- bin/web
ls -l "$app/current"
rm -rf "$work"
