#!/usr/bin/env bash
# Install Swagger UI's browser files, for the API docs page (/docs/), into a directory:
#
#   scripts/swagger-ui.sh DEST [PYTHON]
#
# DEST gets swagger-ui-bundle.js, swagger-ui.css, LICENSE and VERSION (about 2 MB, never
# committed); apidocs/ holds our own page that loads them. They come from PyPI, through
# pip, at install or image build time; nothing is fetched from a CDN when the page runs.
# The files ship in the wheel of flask-swagger-ui (its dist/ is the Swagger UI release
# of the same version), taken with --no-deps, so Flask is not installed: Swagger UI 5
# renders OpenAPI 3.1, which swagger-ui-bundle's Swagger UI 4.15 cannot. The wheel's
# SHA-256 is pinned: a different file stops the install.
# PYTHON (default python3) must have pip: the stack passes its venv's python, the image's
# Python stage its own. Re-running with the same version installed does nothing.
set -euo pipefail

VERSION=5.34.0
WHEEL=flask_swagger_ui-$VERSION-py3-none-any.whl
SHA256=63e4ecfee6345ca746c11c5341c6f2a1cbe271e518aac1659889cd3905b1110f
FILES=(swagger-ui-bundle.js swagger-ui.css LICENSE VERSION)

[ $# -ge 1 ] || { echo "usage: $0 DEST [PYTHON]" >&2; exit 2; }
dest=$1
python=${2:-python3}

if [ "$(cat "$dest/VERSION" 2>/dev/null)" = "v$VERSION" ] && [ -s "$dest/swagger-ui-bundle.js" ]; then
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download -q --disable-pip-version-check --no-cache-dir --no-deps \
    --only-binary :all: --dest "$tmp" "flask-swagger-ui==$VERSION"
echo "$SHA256  $tmp/$WHEEL" | sha256sum --check --quiet -
"$python" - "$tmp/$WHEEL" "$tmp/out" "${FILES[@]}" <<'PY'
import os, sys, zipfile
wheel, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out)
with zipfile.ZipFile(wheel) as z:
    for name in names:
        with open(os.path.join(out, name), "wb") as f:
            f.write(z.read("flask_swagger_ui/dist/" + name))
PY
mkdir -p "$dest"
for f in "${FILES[@]}"; do
    install -m 0644 "$tmp/out/$f" "$dest/$f"
done
echo "swagger-ui: Swagger UI $(cat "$dest/VERSION") installed in $dest"
