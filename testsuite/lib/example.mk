# Build and run the libbpcheck example with pkg-config (installed as
# share/doc/bpcheck/examples/Makefile).
CFLAGS ?= -std=c11 -O2 -Wall -Wextra
CFLAGS += $(shell pkg-config --cflags bpcheck)
LDLIBS += $(shell pkg-config --libs bpcheck) -lm
# where the program finds libbpcheck.so at run time: the directory pkg-config names (a staged
# DESTDIR install is not there yet: run the program with LD_LIBRARY_PATH set to it instead)
LDFLAGS += -Wl,-rpath,$(shell pkg-config --variable=libdir bpcheck)

example: example.c

check: example
	./example --only 'quadratic/*'
	./example gradcheck

clean:
	rm -f example
