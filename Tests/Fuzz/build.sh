#!/usr/bin/env bash
# Builds the libFuzzer harnesses into .build-fuzz/<name>-fuzz (issue 6, fuzzing).
#   Tests/Fuzz/build.sh [name ...]      names: frame-decoder tariff config station-core (default: all)
#   FUZZ_SANITIZE=fuzzer Tests/Fuzz/build.sh   # without AddressSanitizer: several times faster
#   FUZZ_DEPS=build Tests/Fuzz/build.sh        # dependencies from the main debug build (.build/debug)
# Our sources are compiled here, instrumented for coverage; their dependencies (TOMLKit with
# toml++, swift-log) come uninstrumented either from a SwiftPM release build in .build-fuzz/spm
# (FUZZ_DEPS=spm, the default: first time ~2 min, fastest toml++ for long runs) or from the main
# debug build that `swift build` already made (FUZZ_DEPS=build: nothing more to build; `make test`
# uses it for its short runs). No Package.swift target.
set -euo pipefail
cd "$(dirname "$0")/../.."
SWIFTC=${SWIFTC:-swiftc}
SANITIZE=${FUZZ_SANITIZE:-fuzzer,address}
DEPS=${FUZZ_DEPS:-spm}
OUT=.build-fuzz
SPM=$OUT/spm
# Modules compiled against one set of dependency modules do not load against the other.
MODS=$OUT/mods-$SANITIZE-$DEPS
mkdir -p "$MODS"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(frame-decoder tariff config station-core)

# The gold linker warns "Cannot export local symbol" for every instrumented symbol; harmless.
quiet() { { "$@" 2>&1 || echo "fuzz: FAILED: $*" >&2; } | { grep -v 'Cannot export local symbol' || true; }; }
link() { # name, sources and flags...
  local name=$1; shift
  echo "fuzz: building $OUT/$name-fuzz (-sanitize=$SANITIZE)"
  rm -f "$OUT/$name-fuzz"
  quiet "$SWIFTC" -sanitize="$SANITIZE" -parse-as-library -O "$@" -o "$OUT/$name-fuzz"
  [ -x "$OUT/$name-fuzz" ] || { echo "fuzz: $name did not build" >&2; exit 1; }
}

deps() { # TOMLKit and Logging: from SwiftPM once (spm), or from the main debug build (build)
  local checkouts
  case $DEPS in
    spm)
      BIN=$SPM/x86_64-unknown-linux-gnu/release
      checkouts=$SPM/checkouts
      if [ ! -f "$BIN/Modules/TOMLKit.swiftmodule" ] || [ ! -f "$BIN/Modules/Logging.swiftmodule" ]; then
        echo "fuzz: building TOMLKit and swift-log with SwiftPM into $SPM (once)"
        swift build --scratch-path "$SPM" -c release --target TOMLKit >/dev/null
        swift build --scratch-path "$SPM" -c release --target Logging >/dev/null
      fi ;;
    build)
      BIN=.build/debug
      checkouts=.build/checkouts
      [ -f "$BIN/Modules/TOMLKit.swiftmodule" ] && [ -f "$BIN/Modules/Logging.swiftmodule" ] \
        || { echo "fuzz: FUZZ_DEPS=build needs the main debug build: run swift build first" >&2; exit 1; } ;;
    *) echo "fuzz: FUZZ_DEPS is spm or build, not '$DEPS'" >&2; exit 2 ;;
  esac
  DEPFLAGS=(-I "$BIN/Modules" -Xcc "-fmodule-map-file=$BIN/CTOML.build/module.modulemap"
            -Xcc -I -Xcc "$checkouts/TOMLKit/Sources/CTOML/include")
  DEPOBJS=("$BIN"/TOMLKit.build/*.o "$BIN"/CTOML.build/Sources/*.o -lstdc++)
  LOGOBJS=("$BIN"/Logging.build/*.o)
}

store_deps() { # GRDB (system SQLite) and swift-crypto, which Store imports: always from the main debug build
  local bin=.build/debug crypto=.build/checkouts/swift-crypto/Sources
  [ -f "$bin/Modules/GRDB.swiftmodule" ] && [ -f "$bin/Modules/Crypto.swiftmodule" ] \
    || { echo "fuzz: station-core needs the main debug build (GRDB, swift-crypto): run swift build first" >&2; exit 1; }
  DEPFLAGS+=(-I "$bin/Modules" -Xcc "-fmodule-map-file=.build/checkouts/GRDB.swift/Sources/GRDBSQLite/module.modulemap"
             -Xcc "-fmodule-map-file=$crypto/CCryptoBoringSSL/include/module.modulemap"
             -Xcc "-fmodule-map-file=$crypto/CCryptoBoringSSLShims/include/module.modulemap"
             -Xcc -I -Xcc "$crypto/CCryptoBoringSSL/include" -Xcc -I -Xcc "$crypto/CCryptoBoringSSLShims/include")
  mapfile -t STOREOBJS < <(find "$bin"/GRDB.build "$bin"/Crypto.build "$bin"/CryptoBoringWrapper.build \
    "$bin"/CCryptoBoringSSL.build "$bin"/CCryptoBoringSSLShims.build -name '*.o' | sort)
  STOREOBJS+=(-lsqlite3)
}

declare -A BUILT=()
module() { # name: Sources/<name>/**/*.swift as an instrumented module, once per run
  local name=$1; shift
  [ -z "${BUILT[$name]:-}" ] || return 0
  BUILT[$name]=1
  echo "fuzz: compiling module $name"
  rm -f "$MODS/$name.o"  # a stale object must not stand in for a failed compile
  quiet "$SWIFTC" -sanitize="$SANITIZE" -parse-as-library -O -wmo -package-name ChargeControl \
    -module-name "$name" -emit-module -emit-module-path "$MODS/$name.swiftmodule" \
    -c $(find Sources/"$name" -name '*.swift' | sort) -o "$MODS/$name.o" -I "$MODS" "${DEPFLAGS[@]}"
  [ -f "$MODS/$name.o" ] || { echo "fuzz: module $name did not build" >&2; exit 1; }
}

for name in "${names[@]}"; do
  case $name in
    frame-decoder)
      link frame-decoder Sources/DLT645/*.swift Tests/Fuzz/FrameDecoderFuzz.swift ;;
    tariff)
      deps; module Tariffs
      link tariff Tests/Fuzz/TariffFuzz.swift -I "$MODS" "${DEPFLAGS[@]}" "$MODS/Tariffs.o" "${DEPOBJS[@]}" ;;
    config)
      deps; module Tariffs; module ChargeControl; module StationConfig
      link config Tests/Fuzz/ConfigFuzz.swift -I "$MODS" "${DEPFLAGS[@]}" \
        "$MODS/Tariffs.o" "$MODS/ChargeControl.o" "$MODS/StationConfig.o" "${DEPOBJS[@]}" "${LOGOBJS[@]}" ;;
    station-core)
      # Store's GRDB and swift-crypto come from the main debug build, so the modules it sees
      # must too: built in a run of their own with FUZZ_DEPS=build.
      if [ "$DEPS" != build ]; then FUZZ_DEPS=build bash "$0" station-core; continue; fi
      # The station core's own files (it needs no SwiftNIO and no Hummingbird).
      deps; store_deps; module Tariffs; module ChargeControl; module Store; module Wakeup; module DLT645
      link station-core -package-name ChargeControl Tests/Fuzz/StationCoreFuzz.swift \
        Sources/Station/API/RequestBodies.swift Sources/Station/API/FieldValidation.swift \
        Sources/Station/StationCore.swift Sources/Station/Evaluator.swift Sources/Station/EvaluationRules.swift \
        Sources/Station/StationClock.swift Sources/Station/Notify/NotificationEvent.swift \
        Sources/Station/MeterManagement/StationCore+FeeControl.swift Sources/Station/MeterManagement/EnrolmentWrites.swift \
        -I "$MODS" "${DEPFLAGS[@]}" "$MODS/Tariffs.o" "$MODS/ChargeControl.o" "$MODS/Store.o" "$MODS/Wakeup.o" \
        "$MODS/DLT645.o" \
        "${DEPOBJS[@]}" "${LOGOBJS[@]}" "${STOREOBJS[@]}" ;;
    *) echo "fuzz: unknown harness '$name'" >&2; exit 2 ;;
  esac
done
