#!/usr/bin/env bash
# How pwa/src/fonts/NotoSansLao-*-subset.woff2 were made (run again only to refresh them;
# the build does not need it). Source: Debian's fonts-noto-core. Only the Lao block and the
# joiners and dotted circle Lao shaping uses, with every OpenType feature kept, so tone marks
# stack above vowels (ລີ່ນ) on a phone that has no Lao font: 12 kB a weight in WOFF2.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=$(mktemp -d)
python3 -m venv "$venv" && "$venv/bin/pip" install -q fonttools brotli
for weight in Regular Bold; do
  "$venv/bin/pyftsubset" "/usr/share/fonts/truetype/noto/NotoSansLao-$weight.ttf" \
    --unicodes="U+0E80-0EFF,U+200B-200D,U+25CC" --layout-features='*' --flavor=woff2 \
    --output-file="$here/src/fonts/NotoSansLao-$weight-subset.woff2"
done
rm -rf "$venv"
