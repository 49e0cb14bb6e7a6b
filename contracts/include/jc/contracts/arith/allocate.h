// Splitting an amount into parts that sum exactly (DOMAIN.md A.3, A.4).
//
// `allocate_lrm` is the largest-remainder (Hamilton) method with the documented total tie-break
// (fraction desc, weight desc, index asc). Its parts always sum to the amount, each part is the
// floor or the ceiling of its exact quota, a zero weight never receives a fen, and when the
// amount does not exceed the total weight no part exceeds its weight: allocating a payment by
// outstanding claims never overpays a claim and a full payoff gives each claim exactly.
//
// `split_evenly` spreads P over n instalments: the first P mod n get one fen more.
//
// Both write into a caller-provided span so the hot path (one allocation per bucket per
// repayment) does not touch the heap.
// Thread-safety: pure functions.
#pragma once

#include <jc/contracts/arith/checked.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace jc::contracts::arith {

// The largest number of parties one allocation may have (tranches are limited to 8; the
// bound leaves room for other callers without a heap allocation).
inline constexpr std::size_t kAllocatePartiesMax = 64;

enum class AllocateStatus : std::uint8_t {
    kOk,
    kInvalid,  // negative amount or weight, zero total weight with a positive amount, size mismatch
};

// Largest-remainder allocation of `amount` by `weights` into `out` (same size as weights).
//   base[i] = floor(amount * w[i] / W); rem[i] = (amount * w[i]) mod W
//   the amount - sum(base) leftover fen go one each to the parties ordered by
//   (rem desc, w desc, index asc).
// With amount == 0 every part is 0, even when W == 0.
[[nodiscard]] inline AllocateStatus allocate_lrm(std::int64_t amount,
                                                 std::span<const std::int64_t> weights,
                                                 std::span<std::int64_t> out) {
    const std::size_t k = weights.size();
    if (amount < 0 || out.size() != k || k > kAllocatePartiesMax) {
        return AllocateStatus::kInvalid;
    }
    I128 total = 0;
    for (const std::int64_t w : weights) {
        if (w < 0) {
            return AllocateStatus::kInvalid;
        }
        total += w;  // at most 64 * 2^63: fits in 128 bits
    }
    if (amount == 0) {
        std::fill(out.begin(), out.end(), 0);
        return AllocateStatus::kOk;
    }
    if (total == 0) {
        return AllocateStatus::kInvalid;
    }
    std::array<I128, kAllocatePartiesMax> rem{};
    I128 assigned = 0;
    for (std::size_t i = 0; i < k; ++i) {
        const I128 product = wide_mul(amount, weights[i]);  // < 2^126
        const I128 base = product / total;                   // <= amount: fits in int64
        rem[i] = product % total;
        out[i] = static_cast<std::int64_t>(base);
        assigned += base;
    }
    // 0 <= left < k because every fraction is below one.
    const auto left = static_cast<std::size_t>(static_cast<I128>(amount) - assigned);
    if (left == 0) {
        return AllocateStatus::kOk;
    }
    std::array<std::size_t, kAllocatePartiesMax> order{};
    for (std::size_t i = 0; i < k; ++i) {
        order[i] = i;
    }
    // A strict total order (the index breaks every tie), so the result does not depend on the
    // sort algorithm.
    std::sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k),
              [&](std::size_t a, std::size_t b) {
                  if (rem[a] != rem[b]) {
                      return rem[a] > rem[b];
                  }
                  if (weights[a] != weights[b]) {
                      return weights[a] > weights[b];
                  }
                  return a < b;
              });
    for (std::size_t j = 0; j < left; ++j) {
        ++out[order[j]];
    }
    return AllocateStatus::kOk;
}

// Splits `total` into out.size() parts: q = total / n, the first total mod n parts get q + 1.
// REQUIRES: total >= 0 and !out.empty().
inline void split_evenly(std::int64_t total, std::span<std::int64_t> out) {
    const auto n = static_cast<std::int64_t>(out.size());
    const std::int64_t q = total / n;
    const std::int64_t r = total % n;
    for (std::int64_t i = 0; i < n; ++i) {
        out[static_cast<std::size_t>(i)] = q + (i < r ? 1 : 0);
    }
}

}  // namespace jc::contracts::arith
