# SPDX-License-Identifier: GPL-2.0
# gomalloc: build against KDIR; run, check and bench drive qemu guests (vm/).

# KDIR: the running kernel's build tree, else the newest installed headers
# by version (sort -V: 6.1.0-10 after 6.1.0-9), evaluated once.
ifeq ($(origin KDIR),undefined)
KDIR := $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1))
endif
PWD := $(shell pwd)

.PHONY: all modules clean install run check bench lint help

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers: install linux-headers-amd64 or set KDIR"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(PWD) clean; fi
	$(MAKE) -C examples/demo_client clean KDIR=$(KDIR)
	rm -rf out

install: modules
	$(MAKE) -C $(KDIR) M=$(PWD) modules_install
	depmod -a

# Boot Debian's stock 6.1 kernel, load gomalloc and the demo client, show stats.
run:
	@vm/run.sh

# The test command: KUnit and kselftests in the debug kernel, kselftests in
# Debian's stock 6.1 and 6.12 kernels (vm/check.sh).
check:
	@vm/check.sh

bench:
	@bench/bench.sh

# checkpatch.pl and sparse (C=2, W=1) over the sources; fails on any finding.
lint:
	@vm/lint.sh

help:
	@echo "make [KDIR=...]  build gomalloc.ko"
	@echo "make run         boot Debian's 6.1 in qemu, load gomalloc + demo, print /proc/gomalloc"
	@echo "make check       all tests (KUnit + kselftests in the debug kernel, kselftests in 6.1 and 6.12)"
	@echo "make bench       gomalloc vs SLUB, guest instruction counts"
	@echo "make lint        checkpatch, sparse, W=1"
