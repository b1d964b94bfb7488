#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fails if any C++ source differs from what clang-format (with the repository's
# .clang-format) would write, or if a source, script or build file does not say
# its licence in an SPDX-License-Identifier line near its top: MIT for the public
# ABI headers (hypervisor/include/public/), Apache-2.0 for everything else.
# Run with --fix to rewrite C++ files instead (licence lines are not added).
set -euo pipefail
cd "$(dirname "$0")/.."

# The licence lines.
mapfile -t licensed < <(git ls-files --cached --others --exclude-standard \
  '*.cc' '*.c' '*.h' '*.S' '*.ld' '*.proto' '*.dts' '*.sh' '*.cmake' '*.toml' '*.service' \
  'CMakeLists.txt' '*/CMakeLists.txt' '.ci/run')
unlicensed=()
for f in "${licensed[@]}"; do
  [ -f "$f" ] || continue
  case "$f" in
    hypervisor/include/public/*) want=MIT ;;
    *) want=Apache-2.0 ;;
  esac
  if ! head -n 3 "$f" | grep -q "SPDX-License-Identifier: $want\b"; then
    unlicensed+=("$f (want $want)")
  fi
done
if [ ${#unlicensed[@]} -gt 0 ]; then
  echo "licence: these files lack their SPDX-License-Identifier line in the first 3 lines:"
  printf '  %s\n' "${unlicensed[@]}"
  exit 1
fi
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cc' '*.h' '*.c' 2>/dev/null || true)
[ ${#files[@]} -gt 0 ] || exit 0
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "clang-format: these files need formatting (deploy/check-format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "clang-format: ${#files[@]} files clean; licence lines: ${#licensed[@]} files"
