# SPDX-License-Identifier: MIT
# Makefile: build, test, install and benchmark the iiot-tools suite.
#
# One non-recursive GNU Makefile.  Every program is a folder cmd/<prog>/
# whose *.c files are linked with lib/libiiot.a; a program that needs more
# than the common libraries names them in cmd/<prog>/prog.mk as
# <prog>_LIBS.  SAN=1 builds into san/ with AddressSanitizer and UBSan.

VERSION = 0.1.0

# The rule that makes deps.mk comes first; 'make' alone still builds all.
.DEFAULT_GOAL := all

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
SHELL = /bin/bash

-include config.mk

ifeq ($(SAN),1)
O := san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
    -fno-sanitize-recover=undefined
else
O := .
SAN_FLAGS :=
endif
BIN := $(O)/bin
OBJ := $(O)/obj

ifeq ($(DEVELOPER),1)
DEV_FLAGS := -Werror
endif

# Hardening: fortified libc calls, stack protector, PIE and full RELRO.
HARDEN_CFLAGS := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now

# Dependencies: installed on demand, then their flags come from
# pkg-config.  deps.mk is rebuilt (and make restarts) when it is missing.
NODEPS_GOALS := clean help uninstall
ifeq ($(filter $(NODEPS_GOALS),$(MAKECMDGOALS)),)
-include $(O)/deps.mk
endif

$(O)/deps.mk: scripts/deps.txt scripts/install-deps
	@scripts/install-deps --check 2>/dev/null || scripts/install-deps
	@mkdir -p $(O)
	@{ \
	for p in libcjson:CJSON libmodbus:MODBUS libmosquitto:MOSQ libpq:PQ \
	    sqlite3:SQLITE libcurl:CURL libmicrohttpd:MHD; do \
		echo "$${p#*:}_CFLAGS := $$($(PKG_CONFIG) --cflags $${p%:*})"; \
		echo "$${p#*:}_LIBS := $$($(PKG_CONFIG) --libs $${p%:*})"; \
	done; \
	} > $@.tmp && mv $@.tmp $@

ALL_CPPFLAGS = -Ilib -DIIOT_VERSION='"$(VERSION)"' -D_GNU_SOURCE \
    $(CJSON_CFLAGS) $(MODBUS_CFLAGS) $(MOSQ_CFLAGS) $(SQLITE_CFLAGS) \
    $(CURL_CFLAGS) $(MHD_CFLAGS) $(PQ_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS = -std=c11 -Wall -Wextra $(HARDEN_CFLAGS) $(SAN_FLAGS) \
    $(DEV_FLAGS) $(CFLAGS)
ALL_LDFLAGS = $(HARDEN_LDFLAGS) $(SAN_FLAGS) $(LDFLAGS)
COMMON_LIBS = $(CJSON_LIBS) -lm

ifneq ($(V),1)
Q_CC = @echo '   CC  ' $@;
Q_LD = @echo '   LD  ' $@;
Q_AR = @echo '   AR  ' $@;
endif

PROGS := $(notdir $(wildcard cmd/iiot-*))
-include $(wildcard cmd/*/prog.mk)

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJ)/%.o)
LIB_A := $(OBJ)/lib/libiiot.a
HEADERS := $(wildcard lib/*.h)
UNIT_SRCS := $(wildcard tests/unit/*_test.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OBJ)/tests/unit/%)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(OBJ)/tests/helpers/%)

all: $(PROGS:%=$(BIN)/%)

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(Q_CC)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(LIB_A): $(LIB_OBJS)
	$(Q_AR)rm -f $@ && $(AR) rcs $@ $^

define prog_rule
$(BIN)/$(1): $(patsubst %.c,$(OBJ)/%.o,$(wildcard cmd/$(1)/*.c)) $(LIB_A)
	@mkdir -p $$(@D)
	$$(Q_LD)$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) -o $$@ \
	    $$(filter %.o,$$^) $(LIB_A) $$($(1)_LIBS) $$(COMMON_LIBS)
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# Unit tests link the library and every dependency it may use.
UNIT_LIBS = $(MODBUS_LIBS) $(MOSQ_LIBS) $(SQLITE_LIBS) $(CURL_LIBS) \
    $(COMMON_LIBS) -lpthread
$(OBJ)/tests/unit/%: $(OBJ)/tests/unit/%.o $(LIB_A)
	$(Q_LD)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(UNIT_LIBS)
$(OBJ)/tests/unit/%.o: ALL_CPPFLAGS += -Itests/unit
$(OBJ)/tests/helpers/%: $(OBJ)/tests/helpers/%.o $(LIB_A)
	$(Q_LD)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(UNIT_LIBS)

# Every public header must compile on its own.
check-headers: $(HEADERS:lib/%.h=$(OBJ)/hdr/%.ok)
$(OBJ)/hdr/%.ok: lib/%.h
	@mkdir -p $(@D)
	$(Q_CC)printf '#include "%s"\n' $*.h | $(CC) $(ALL_CPPFLAGS) \
	    $(ALL_CFLAGS) -fsyntax-only -x c - && touch $@

check: all check-headers $(UNIT_BINS) $(HELPER_BINS)
	@IIOT_BIN=$(abspath $(BIN)) IIOT_OBJ=$(abspath $(OBJ)) \
	    scripts/run-tests $(UNIT_BINS) $(sort $(wildcard tests/*.bats))

lint:
	@for m in man/*.[157]; do mandoc -Tlint -W warning "$$m" || exit 1; done
	@echo "lint: man pages clean"

bench: all $(HELPER_BINS)
	@IIOT_BIN=$(abspath $(BIN)) scripts/bench

demo: all $(HELPER_BINS)
	@IIOT_BIN=$(abspath $(BIN)) scripts/demo

DURATION ?= 10m
soak: all $(HELPER_BINS)
	@IIOT_BIN=$(abspath $(BIN)) IIOT_OBJ=$(abspath $(OBJ)) \
	    DURATION=$(DURATION) scripts/soak

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(PROGS:%=$(BIN)/%) $(DESTDIR)$(BINDIR)
	for m in man/*.[157]; do \
		install -m 644 "$$m" $(DESTDIR)$(MANDIR)/man$${m##*.}; \
	done

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(BINDIR)/%)
	for m in man/*.[157]; do \
		rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; \
	done

clean:
	rm -rf bin obj san fuzz deps.mk

help:
	@echo 'targets: all check lint bench demo soak fuzz install uninstall clean'
	@echo 'variables: PREFIX DESTDIR SAN=1 DEVELOPER=1 V=1 FUZZ_SECONDS DURATION'

# Fuzzing: every tests/fuzz/NAME_fuzz.c is a libFuzzer harness, built
# with clang against the library compiled the same way into fuzz/, and
# run for FUZZ_SECONDS each over its seeds in tests/fuzz/corpus/NAME.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
    -fno-sanitize-recover=undefined
FUZZ_NAMES := $(patsubst tests/fuzz/%_fuzz.c,%,$(wildcard tests/fuzz/*_fuzz.c))
FUZZ_OBJS := $(LIB_SRCS:%.c=fuzz/obj/%.o)
FUZZ_A := fuzz/obj/libiiot.a
FUZZ_LIBS = $(MODBUS_LIBS) $(MOSQ_LIBS) $(SQLITE_LIBS) $(CURL_LIBS) \
    $(COMMON_LIBS) -lpthread

fuzz/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(Q_CC)$(FUZZ_CC) $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) \
	    -fsanitize=fuzzer-no-link -c -o $@ $<
$(FUZZ_A): $(FUZZ_OBJS)
	$(Q_AR)rm -f $@ && $(AR) rcs $@ $^
fuzz/bin/%_fuzz: tests/fuzz/%_fuzz.c tests/fuzz/fuzz.h $(FUZZ_A) \
    $(wildcard cmd/iiot-read/*.[ch] cmd/iiot-plot/*.[ch])
	@mkdir -p $(@D)
	$(Q_LD)$(FUZZ_CC) $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) \
	    -fsanitize=fuzzer -o $@ $< $(FUZZ_A) $(FUZZ_LIBS)

fuzz: $(FUZZ_NAMES:%=fuzz/bin/%_fuzz)
	@scripts/fuzz-run $(FUZZ_SECONDS) $(FUZZ_NAMES)

.PHONY: all check check-headers lint bench demo soak install uninstall clean help fuzz
.SECONDARY:

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
