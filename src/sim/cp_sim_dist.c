/* cp_sim_dist.c — random draws for workload models (see cp_sim_dist.h). */
#include "sim/cp_sim_dist.h"

#include <math.h>

double cp_dist_normal(cp_rng_t *r) {
    for (;;) {
        double u = 2.0 * cp_rng_unit(r) - 1.0, v = 2.0 * cp_rng_unit(r) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0)
            return u * sqrt(-2.0 * log(s) / s); /* the second value is dropped: simpler state */
    }
}

double cp_dist_lognormal(cp_rng_t *r, double median, double sigma) {
    if (sigma <= 0.0)
        return median;
    return median * exp(sigma * cp_dist_normal(r));
}

double cp_dist_exp(cp_rng_t *r, double mean) {
    return -mean * log1p(-cp_rng_unit(r));
}

double cp_dist_uniform(cp_rng_t *r, double lo, double hi) {
    return lo + (hi - lo) * cp_rng_unit(r);
}

double cp_dist_pareto_trunc(cp_rng_t *r, double xmin, double xmax, double alpha) {
    if (xmax <= xmin)
        return xmin;
    /* CDF F(x) = (1 - (xmin/x)^a) / (1 - (xmin/xmax)^a); invert it. */
    double tail = pow(xmin / xmax, alpha);
    double u = cp_rng_unit(r) * (1.0 - tail);
    return xmin / pow(1.0 - u, 1.0 / alpha);
}

uint64_t cp_dist_poisson(cp_rng_t *r, double lambda) {
    if (lambda <= 0.0)
        return 0;
    if (lambda > 500.0) {
        double x = lambda + sqrt(lambda) * cp_dist_normal(r) + 0.5;
        return x < 0 ? 0 : (uint64_t)x;
    }
    /* Inversion by sequential search, starting from 0: about lambda steps. */
    double p = exp(-lambda), cdf = p, u = cp_rng_unit(r);
    uint64_t k = 0;
    while (u > cdf && k < 100000) {
        k++;
        p *= lambda / (double)k;
        cdf += p;
        if (p < 1e-300 && cdf >= 1.0 - 1e-12)
            break;
    }
    return k;
}

int cp_dist_bernoulli(cp_rng_t *r, double p) {
    if (p <= 0.0)
        return 0;
    if (p >= 1.0)
        return 1;
    return cp_rng_unit(r) < p;
}

size_t cp_dist_choice(cp_rng_t *r, const double *weights, size_t n) {
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += weights[i] > 0 ? weights[i] : 0;
    if (total <= 0.0)
        return n - 1;
    double u = cp_rng_unit(r) * total;
    for (size_t i = 0; i < n; i++) {
        double w = weights[i] > 0 ? weights[i] : 0;
        if (u < w)
            return i;
        u -= w;
    }
    return n - 1;
}

double cp_dist_hash_unit(uint64_t key) {
    uint64_t z = key + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}
