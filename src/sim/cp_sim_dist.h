/* cp_sim_dist.h — random draws for workload models, all from cp_rng.
 *
 * Every draw takes the generator explicitly, so a run with the same seed
 * draws the same numbers in the same order and is reproducible. */
#ifndef CP_SIM_DIST_H
#define CP_SIM_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "util/base/cp_rng.h"

/** A standard normal draw (Marsaglia's polar method). */
double cp_dist_normal(cp_rng_t *r);
/** A log-normal draw: median * exp(sigma * N(0,1)). */
double cp_dist_lognormal(cp_rng_t *r, double median, double sigma);
/** An exponential draw with the given mean. */
double cp_dist_exp(cp_rng_t *r, double mean);
/** Uniform in [lo, hi). */
double cp_dist_uniform(cp_rng_t *r, double lo, double hi);
/** A Pareto draw with minimum xmin and shape alpha, truncated to [xmin, xmax)
 *  by inversion (no rejection, so it costs one uniform). */
double cp_dist_pareto_trunc(cp_rng_t *r, double xmin, double xmax, double alpha);
/** A Poisson count with mean lambda (inversion for small means, a rounded
 *  normal approximation above 500). */
uint64_t cp_dist_poisson(cp_rng_t *r, double lambda);
/** True with probability p. */
int cp_dist_bernoulli(cp_rng_t *r, double p);
/** An index in [0, n) drawn with the given non-negative weights; n - 1 if
 *  all weights are zero. */
size_t cp_dist_choice(cp_rng_t *r, const double *weights, size_t n);

/** A stateless uniform in [0, 1) from a key: the same key gives the same
 *  value, whatever else was drawn (used for noise that must not depend on
 *  the order of events). */
double cp_dist_hash_unit(uint64_t key);

#endif
