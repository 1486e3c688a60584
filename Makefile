# ChargeControl — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# System packages the build links against (DESIGN.md, STACK.md).
# libcurl4-openssl-dev: FoundationNetworking (chargectl, webhooks) links libcurl statically in `make install`.
DEB_PACKAGES := libsqlite3-dev libsystemd-dev pkg-config libcurl4-openssl-dev

.PHONY: deps build test demo release install clean fuzz fuzz-smoke crash soak failover

# Install what is missing when we are root; otherwise print the one apt-get line and stop.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "missing system packages; run as root:"; \
	    echo "  sudo apt-get update && sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

# Build every product and test once, then run without rebuilding (STACK.md pitfall 10); then
# each libFuzzer harness briefly (fuzz-smoke). The tests also need a JSON Schema validator for
# the OpenAPI document's response schemas (OpenAPIResponseTests), and PostgreSQL 15 for the
# PostgreSQL engine's tests (issue 16): a throw-away cluster in a temp folder, started as an
# unprivileged user for the run and stopped after it (Tests/Postgres/cluster.sh); without it
# those tests are skipped and say why. With it, the store's suite runs a second time on
# PostgreSQL (CHARGECONTROL_TEST_ENGINE=postgres: one set of tests, two engines).
test: DEB_PACKAGES += python3-yaml python3-jsonschema postgresql-15
test: deps
	$(SWIFT) build --build-tests
	@pg=$$(mktemp -d /tmp/chargecontrol-pg.XXXXXX) && rmdir "$$pg"; \
	trap 'bash Tests/Postgres/cluster.sh stop "'"$$pg"'"' EXIT; \
	line=$$(bash Tests/Postgres/cluster.sh start "$$pg" | tail -1); \
	echo "postgres: $$line"; export "$${line%%=*}=$${line#*=}"; \
	$(SWIFT) test --skip-build && \
	if [ "$${line%%=*}" = CHARGECONTROL_TEST_POSTGRES ]; then \
		echo "postgres: the store's suite again, on PostgreSQL"; \
		CHARGECONTROL_TEST_ENGINE=postgres $(SWIFT) test --skip-build --filter StoreTests; \
	else echo "postgres: the store's suite on PostgreSQL skipped: $${line#*=}"; fi
	@$(MAKE) --no-print-directory fuzz-smoke

release: deps
	$(SWIFT) build -c release

# A host install: release binaries with the Swift runtime linked in (no toolchain needed on the
# host), the systemd unit, sysusers.d and tmpfiles.d files, the default configuration and tariffs
# (never overwriting an operator's files). DESTDIR-aware, for packaging.
PREFIX ?= /usr
RELEASE_FLAGS := -c release --static-swift-stdlib
install: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product chargecontrold
	$(SWIFT) build $(RELEASE_FLAGS) --product chargectl
	$(SWIFT) build $(RELEASE_FLAGS) --product meter-sim
	@bin=$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path); \
	for tool in chargecontrold chargectl meter-sim; do \
	  install -s -Dm755 $$bin/$$tool $(DESTDIR)$(PREFIX)/bin/$$tool; \
	done
	sed 's|/usr/bin/chargecontrold|$(PREFIX)/bin/chargecontrold|' deploy/chargecontrold.service > .chargecontrold.service.tmp
	install -Dm644 .chargecontrold.service.tmp $(DESTDIR)/lib/systemd/system/chargecontrold.service
	rm -f .chargecontrold.service.tmp
	install -Dm644 deploy/chargecontrol.sysusers $(DESTDIR)/usr/lib/sysusers.d/chargecontrol.conf
	install -Dm644 deploy/chargecontrol.tmpfiles $(DESTDIR)/usr/lib/tmpfiles.d/chargecontrol.conf
	install -Dm644 README.md $(DESTDIR)/usr/share/doc/chargecontrol/README.md
	install -d -m750 $(DESTDIR)/etc/chargecontrol/tariffs
	@test -e $(DESTDIR)/etc/chargecontrol/chargecontrold.toml || install -m640 Config/chargecontrold.toml $(DESTDIR)/etc/chargecontrol/chargecontrold.toml
	@for f in Config/tariffs/*.toml; do \
	  test -e $(DESTDIR)/etc/chargecontrol/tariffs/$$(basename $$f) || install -m640 $$f $(DESTDIR)/etc/chargecontrol/tariffs/; \
	done
	@echo "installed under $(DESTDIR)/; next: see README 'Install on a host'"

demo: build
	@bash deploy/demo.sh

# libFuzzer harnesses (Tests/Fuzz/README.md): each runs FUZZ_SECONDS from its seeds in
# Tests/Fuzz/corpus/<name>/, new inputs go to .build-fuzz/corpus/<name>/ (not in git), a crash is
# written to .build-fuzz/artifacts/<name>/ and fails the target. FUZZ_RUNS=N stops after N inputs.
# Leak checks are off (TOMLKit leaks a little on every parse, Tests/Fuzz/README.md), and so is
# the Swift backtracer (it fights ASan over the crash). Decoder inputs stay under 600 bytes
# (two maximal frames and noise): longer ones only slowed it, byte-by-byte streaming being O(n·frame).
# FUZZ_DEPS=build takes TOMLKit and swift-log from the main debug build instead of a release
# build of their own (Tests/Fuzz/build.sh). FUZZ_CORPUS is where new inputs go.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= frame-decoder tariff config station-core
FUZZ_SANITIZE ?= fuzzer,address
FUZZ_RUNS ?=
FUZZ_FLAGS ?= -detect_leaks=0
FUZZ_DEPS ?= spm
FUZZ_CORPUS ?= .build-fuzz/corpus
fuzz:
	FUZZ_SANITIZE=$(FUZZ_SANITIZE) FUZZ_DEPS=$(FUZZ_DEPS) bash Tests/Fuzz/build.sh $(FUZZ_TARGETS)
	@set -o pipefail; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_CORPUS)/$$t .build-fuzz/artifacts/$$t; \
	  case $$t in frame-decoder) len=-max_len=600;; *) len=;; esac; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s$(if $(FUZZ_RUNS), or $(FUZZ_RUNS) inputs) (log: .build-fuzz/$$t.log)"; \
	  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=malloc_context_size=0:quarantine_size_mb=16 .build-fuzz/$$t-fuzz \
	    $(FUZZ_FLAGS) $$len -max_total_time=$(FUZZ_SECONDS) $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) -print_final_stats=1 \
	    -artifact_prefix=.build-fuzz/artifacts/$$t/ $(FUZZ_CORPUS)/$$t Tests/Fuzz/corpus/$$t \
	    > .build-fuzz/$$t.log 2>&1 \
	    || { tail -40 .build-fuzz/$$t.log; echo "fuzz: $$t FAILED; input in .build-fuzz/artifacts/$$t/"; exit 1; }; \
	  grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' .build-fuzz/$$t.log; \
	done

# What `make test` (and so CI) adds: every harness built with AddressSanitizer against the debug
# build's dependencies and run FUZZ_SMOKE_SECONDS from the seeds alone (a fresh corpus each
# time, so a developer's long-run corpus does not slow it); a crash fails `make test`.
FUZZ_SMOKE_SECONDS ?= 10
fuzz-smoke:
	rm -rf .build-fuzz/smoke-corpus
	@$(MAKE) --no-print-directory fuzz FUZZ_DEPS=build FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS) FUZZ_CORPUS=.build-fuzz/smoke-corpus

# Reliability (README "Reliability"): the same harnesses as `make test`'s short versions
# (Sources/StationHarness), run longer against debug builds of meter-sim and chargecontrold.
# crash: ROUNDS rounds of mixed load, kill -9 at a random moment, restart, check everything.
# soak: MINUTES of load on a faulty bus (20 % drops, 5 % garbled, 5 % refused, a tenth of the
# meters off the bus for a while), then the end state and the daemon's memory over time.
ROUNDS ?= 200
MINUTES ?= 10
crash: deps
	$(SWIFT) build --build-tests
	set -o pipefail; CRASH_ROUNDS=$(ROUNDS) $(SWIFT) test --skip-build --filter CrashRoundsTests 2>&1 | tee .build/crash-report.txt

soak: deps
	$(SWIFT) build --build-tests
	set -o pipefail; SOAK_SECONDS=$$(( $(MINUTES) * 60 )) $(SWIFT) test --skip-build --filter FaultSoakTests 2>&1 | tee .build/soak-report.txt

# failover: ROUNDS rounds of three nodes on one throw-away PostgreSQL cluster, kill -9 of one node
# at a random moment, the others taking its terminals over, everything checked (issue 16).
failover: DEB_PACKAGES += postgresql-15
failover: ROUNDS = 20
failover: deps
	$(SWIFT) build --build-tests
	@pg=$$(mktemp -d /tmp/chargecontrol-pg.XXXXXX) && rmdir "$$pg"; \
	trap 'bash Tests/Postgres/cluster.sh stop "'"$$pg"'"' EXIT; \
	line=$$(bash Tests/Postgres/cluster.sh start "$$pg" | tail -1); \
	echo "postgres: $$line"; export "$${line%%=*}=$${line#*=}"; \
	set -o pipefail; FAILOVER_ROUNDS=$(ROUNDS) $(SWIFT) test --skip-build --filter FailoverRoundsTests 2>&1 | tee .build/failover-report.txt

clean:
	rm -rf .build
