#pragma once
// Runs independent report work items on a few threads (each leases its own connection), so a
// dashboard's widgets or a scorecard's KPIs are computed side by side on the cores and database
// connections available. The first exception is rethrown on the caller's thread.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace atrium::reports {

/// Calls fn(i) for every i in [0, n) on at most `threads` threads (the caller's included).
template <class Fn>
void parallelFor(std::size_t n, std::size_t threads, Fn&& fn) {
    std::atomic<std::size_t> next{0};
    std::exception_ptr failure;
    std::mutex mutex;
    auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                fn(i);
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!failure) failure = std::current_exception();
            }
        }
    };
    std::vector<std::thread> pool;
    const std::size_t extra = std::min(n, std::max<std::size_t>(1, threads)) - (n ? 1 : 0);
    for (std::size_t t = 0; t < extra; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
}

/// Report work runs on up to this many threads: enough to overlap database round trips without
/// taking the whole connection pool from other requests.
constexpr std::size_t kReportThreads = 3;

} // namespace atrium::reports
