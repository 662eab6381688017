/* cp_serve.h — `confpool serve`: the daemon. One event loop owns the
 * engine; the HTTP API feeds it; every loop iteration's changes go to the
 * writer thread as one batch, and replies are released once durable. */
#ifndef CP_SERVE_H
#define CP_SERVE_H

/** Runs the daemon with command-line arguments (argv[0] is "serve").
 *  Returns the process exit code. */
int cp_serve_main(int argc, char **argv);

#endif
