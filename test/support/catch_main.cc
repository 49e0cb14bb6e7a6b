// The one Catch2 main for every test executable (compiled once, linked everywhere).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
