/* main.c — the confpool binary: dispatches to its subcommands. */
#include <stdio.h>
#include <string.h>

#include "api/cp_serve.h"
#include "cli/cp_cli.h"
#include "sim/cp_sim_cli.h"

static int cp__help(int argc, char **argv);

typedef struct cp_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cp_command_t;

static const cp_command_t cp__commands[] = {
    {"serve", "run the load distributor (HTTP API, SQLite store)", cp_serve_main},
    {"sim", "simulate a day of meetings on the real engine, or replay a trace", cp_sim_main},
    {"plan", "capacity questions: pool size for N users, room for one meeting", cp_plan_main},
    {"servers", "admin: list|show|add|drain|resume|down|remove servers of a running service",
     cp_cli_servers_main},
    {"meetings", "admin: schedule|list|show|cancel|end meetings; plan asks the service's planner",
     cp_cli_meetings_main},
    {"join", "join a participant to a meeting through the API", cp_cli_join_main},
    {"pool", "admin: pool status, one load bar per server", cp_cli_pool_main},
    {"help", "list the subcommands", cp__help},
};

static int cp__help(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("usage: confpool <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof cp__commands / sizeof cp__commands[0]; i++)
        printf("  %-10s %s\n", cp__commands[i].name, cp__commands[i].summary);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return cp__help(argc, argv), 2;
    for (size_t i = 0; i < sizeof cp__commands / sizeof cp__commands[0]; i++)
        if (strcmp(argv[1], cp__commands[i].name) == 0)
            return cp__commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "confpool: unknown command '%s' (try 'confpool help')\n", argv[1]);
    return 2;
}
