/* cp_cli.h — the admin CLI: confpool servers|meetings|join|pool against a
 * running daemon, over its HTTP API (docs/API.md).
 *
 * The URL comes from --url or CONFPOOL_URL (default http://127.0.0.1:8080),
 * the token from --token or CONFPOOL_TOKEN. Output is an aligned table, or
 * the API's JSON with --json. Exit codes (docs/OPERATIONS.md):
 * 0 done, 1 the API refused (its message is printed), 2 bad command line,
 * 3 service unreachable or not confpool, 4 not found, 5 refused for
 * capacity (503, try again later). */
#ifndef CP_CLI_H
#define CP_CLI_H

/** confpool servers list|show|add|drain|resume|down|remove */
int cp_cli_servers_main(int argc, char **argv);
/** confpool meetings schedule|list|show|cancel|end|plan */
int cp_cli_meetings_main(int argc, char **argv);
/** confpool join MEETING PARTICIPANT */
int cp_cli_join_main(int argc, char **argv);
/** confpool pool status */
int cp_cli_pool_main(int argc, char **argv);

#endif
