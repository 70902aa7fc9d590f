#pragma once
// In-process publish/subscribe between the core and plugins ("acme.invoice.paid").
// Delivery is synchronous on the publisher's thread so that a subscriber can write in the
// publisher's transaction: either the won opportunity and the follow-up task both commit, or
// neither does. Each subscriber runs inside a savepoint when there is a transaction, so a
// failing subscriber undoes only its own writes and never the publisher's.

#include "store/Database.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace atrium::plugins {

class EventBus {
public:
    /// `connection` is the publisher's connection (in its transaction, if any), or nullptr when
    /// the publisher has none: then the subscriber leases its own if it needs one. Throwing
    /// marks the delivery as failed (logged by the bus; the publisher is not told).
    using Subscriber = std::function<void(const std::string& topic, const std::string& payload,
                                          store::Connection* connection)>;
    using FailureLog = std::function<void(const std::string& owner, const std::string& topic, const std::string& what)>;

    struct PublishResult {
        std::size_t delivered = 0;
        std::size_t failed = 0;
    };

    explicit EventBus(FailureLog onFailure = {}) : _onFailure(std::move(onFailure)) {}

    /// `pattern` is an exact topic, a prefix ending in ".*", or "*". Returns a token for
    /// unsubscribe(). Throws std::invalid_argument on an empty or malformed pattern.
    std::uint64_t subscribe(std::string owner, std::string pattern, Subscriber subscriber);
    void unsubscribe(std::uint64_t token);
    /// Removes every subscription of `owner` (a plugin being disabled).
    std::size_t unsubscribeOwner(const std::string& owner);

    PublishResult publish(const std::string& topic, const std::string& payload, store::Connection* connection = nullptr);

    /// An exact topic, a prefix ending in ".*", or "*".
    static bool validPattern(const std::string& pattern);
    static bool topicMatches(const std::string& pattern, const std::string& topic);
    /// Topics are dot-separated words of [A-Za-z0-9_-].
    static bool validTopic(const std::string& topic);

private:
    struct Entry {
        std::uint64_t token;
        std::string owner;
        std::string pattern;
        Subscriber subscriber;
    };
    FailureLog _onFailure;
    mutable std::mutex _mutex;
    std::vector<std::shared_ptr<const Entry>> _entries;
    std::uint64_t _next = 1;
    std::atomic<std::uint64_t> _savepoints{0};
};

} // namespace atrium::plugins
