// Goal: each Byzantine behaviour and each fault class, run through the simulator, leaves the
// honest validators safe (S1-S5 after every step) and live (L1 after healing). Method: one
// fixed seed per scenario, short runs; jointclear-sim covers many seeds (sim_fixed_seeds,
// sim_random_seeds).
#include "cluster.h"

#include <catch2/catch.hpp>
