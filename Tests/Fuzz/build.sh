#!/usr/bin/env bash
# Builds the libFuzzer harnesses into .build-fuzz/<name>-fuzz (issue 6, fuzzing).
#   Tests/Fuzz/build.sh [name ...]      names: frame-decoder (default: all)
#   FUZZ_SANITIZE=fuzzer Tests/Fuzz/build.sh   # without AddressSanitizer: ~2-10x faster
# The package's own sources are compiled with the harness, instrumented; no Package.swift target,
# so `make test` never builds these.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFTC=${SWIFTC:-swiftc}
SANITIZE=${FUZZ_SANITIZE:-fuzzer,address}
OUT=.build-fuzz
mkdir -p "$OUT"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(frame-decoder)

build() { # name, sources...
  local name=$1; shift
  echo "fuzz: building $OUT/$name-fuzz (-sanitize=$SANITIZE)"
  # The gold linker warns "Cannot export local symbol" for every instrumented symbol; harmless.
  "$SWIFTC" -sanitize="$SANITIZE" -parse-as-library -O "$@" -o "$OUT/$name-fuzz" 2>&1 \
    | { grep -v 'Cannot export local symbol' || true; }
}

for name in "${names[@]}"; do
  case $name in
    frame-decoder) build frame-decoder Sources/DLT645/*.swift Tests/Fuzz/FrameDecoderFuzz.swift ;;
    *) echo "fuzz: unknown harness '$name'" >&2; exit 2 ;;
  esac
done
