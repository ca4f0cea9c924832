/* testsuite/bpcheck.c: bin/bpcheck, the project's one command-line program.
 * Subcommands are a table; later issues add rows (conform, gradcheck, train, derivations).
 * Exit status: 0 success, 1 a check failed, 2 usage error or unusable input.
 */
#include <stdio.h>
#include <string.h>

#ifndef BPCHECK_VERSION
#define BPCHECK_VERSION "unknown"
#endif

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} bp_command;

static int cmd_help(int argc, char **argv);

static const bp_command commands[] = {
    {"help", "show this help, or a command's help", cmd_help},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: bpcheck [--help] [--version] COMMAND [ARGS...]\n"
            "\n"
            "bpcheck is a literal reference for backpropagation in multilayer perceptrons\n"
            "and a conformance suite for other implementations of it.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "Options:\n"
            "  -h, --help     show this help and exit\n"
            "  -V, --version  show the version and exit\n"
            "\n"
            "Exit status: 0 success, 1 a check failed, 2 usage error or unusable input.\n"
            "Run 'bpcheck help COMMAND' for a command's options.\n");
}

static const bp_command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    fprintf(stderr, "bpcheck: unknown command '%s'\nTry 'bpcheck --help'.\n", name);
    return 2;
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "bpcheck help: expected at most one command name\n");
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "help") != 0) {
        const bp_command *c = find_command(argv[1]);
        if (!c)
            return unknown_command(argv[1]);
        char *sub[] = {(char *)c->name, "--help", NULL};
        return c->run(2, sub);
    }
    usage(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
        printf("bpcheck %s\n", BPCHECK_VERSION);
        return 0;
    }
    if (arg[0] == '-') {
        fprintf(stderr, "bpcheck: unknown option '%s'\nTry 'bpcheck --help'.\n", arg);
        return 2;
    }
    const bp_command *c = find_command(arg);
    if (!c)
        return unknown_command(arg);
    return c->run(argc - 1, argv + 1);
}
