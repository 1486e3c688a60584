# ChargeControl — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# System packages the build links against (DESIGN.md, STACK.md).
# libcurl4-openssl-dev: FoundationNetworking (chargectl, webhooks) links libcurl statically in `make install`.
DEB_PACKAGES := libsqlite3-dev libsystemd-dev pkg-config libcurl4-openssl-dev

.PHONY: deps build test demo release install clean

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

# Build every product and test once, then run without rebuilding (STACK.md pitfall 10).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

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

clean:
	rm -rf .build
