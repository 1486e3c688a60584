# ChargeControl — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
# System packages the build links against (DESIGN.md, STACK.md).
DEB_PACKAGES := libsqlite3-dev libsystemd-dev pkg-config

.PHONY: deps build test demo release clean

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

demo: build
	@bash deploy/demo.sh

clean:
	rm -rf .build
