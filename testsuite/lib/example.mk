# Build and run the libbpcheck example with pkg-config (installed as
# share/doc/bpcheck/examples/Makefile).
CFLAGS ?= -std=c11 -O2 -Wall -Wextra
CFLAGS += $(shell pkg-config --cflags bpcheck)
LDLIBS += $(shell pkg-config --libs bpcheck) -lm

example: example.c

check: example
	./example --only 'quadratic/*'
	./example gradcheck

clean:
	rm -f example
