# tern: the two commands of the quick start, plus bench and install.
#   make run    install what is missing, build, run the suite on loopback
#   make check  install what is missing, build with ASan+UBSan, run all tests
# Everything real happens in CMake (build) and ctest (tests); this file only
# strings the steps together.

BUILD      ?= build
CHECK_BUILD ?= build-check
JOBS       ?= 2
PREFIX     ?= /usr
DESTDIR    ?=
CMAKE_FLAGS ?=

DEBIAN_PACKAGES = build-essential cmake pkg-config libssl-dev libmariadb-dev \
	libsodium-dev check libcrypt-dev python3 openssl clang mariadb-server swaks \
	postfix postfix-mysql dovecot-core dovecot-mysql dovecot-lmtpd

.PHONY: all deps build run check bench install clean

all: build

# Install missing Debian packages (noninteractive) and, as root, the system
# users tern runs as.
deps:
	@sh tools/install-deps.sh $(DEBIAN_PACKAGES)

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

run: build
	sh tools/make-run.sh $(BUILD)

check: deps
	cmake -S . -B build-fuzz -DTERN_FUZZ=ON -DCMAKE_C_COMPILER=clang
	cmake --build build-fuzz -j$(JOBS) --target $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
	cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTERN_SANITIZE=ON \
		-DTERN_FUZZ_SMOKE_DIR=$(abspath build-fuzz/fuzz) $(CMAKE_FLAGS)
	cmake --build $(CHECK_BUILD) -j$(JOBS)
	cd $(CHECK_BUILD) && ctest --output-on-failure --timeout 600

bench: build
	sh bench/run.sh $(BUILD)

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

clean:
	rm -rf $(BUILD) $(CHECK_BUILD)
