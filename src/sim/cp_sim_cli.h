/* cp_sim_cli.h — the `confpool sim` and `confpool plan` subcommands. */
#ifndef CP_SIM_CLI_H
#define CP_SIM_CLI_H

/** confpool sim: simulate a model (or replay a trace) under policies. */
int cp_sim_main(int argc, char **argv);
/** confpool sim --replay: replays a JSON-lines trace (cp_sim_replay_cli.c). */
int cp_sim_replay_main(int argc, char **argv);
/** confpool plan size|meeting: capacity questions answered by simulation. */
int cp_plan_main(int argc, char **argv);

#endif
