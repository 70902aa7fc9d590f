#pragma once
// The HTTP front door: Poco HTTPServer, one handler that reads the request within limits,
// authenticates it, checks permission, module enablement and CSRF, runs the route and turns
// every failure into the one JSON error shape.

#include "http/Metrics.h"
#include "http/Router.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace Poco::Net {
class HTTPServer;
}

namespace atrium::http {

/// Reverse proxies whose X-Forwarded-For header is believed (`http.trusted_proxies`, e.g.
/// "127.0.0.1, 10.0.0.0/8, ::1"). The client address recorded in the audit log and used for login
/// throttling is the peer, unless the peer is trusted: then the right-most X-Forwarded-For entry
/// that is not itself a trusted proxy. With none configured the header is ignored, so a client
/// cannot choose the address it is throttled and audited under.
class TrustedProxies {
public:
    TrustedProxies() = default;
    /// Comma- or space-separated addresses and CIDR ranges; throws std::invalid_argument naming
    /// the entry that is neither.
    static TrustedProxies parse(const std::string& list);
    bool empty() const { return _ranges.empty(); }
    bool trusted(const std::string& address) const;
    std::string client(const std::string& peer, const std::string& forwardedFor) const;

private:
    struct Range {
        std::vector<unsigned char> base; ///< network bytes (4 or 16)
        unsigned prefix = 0;
    };
    std::vector<Range> _ranges;
};

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::size_t maxBodyBytes = 1 << 20;       ///< 413 above this
    std::size_t maxUriBytes = 8192;           ///< 414 above this
    int maxThreads = 32;                      ///< worker threads (one per active connection)
    int maxQueued = 256;                      ///< accepted connections waiting for a thread
    std::chrono::seconds readTimeout{15};     ///< slow clients are cut off
    std::chrono::seconds keepAliveTimeout{10};
    bool secureCookies = false;               ///< set when served behind TLS
    TrustedProxies trustedProxies;            ///< whose X-Forwarded-For names the client
};

/// What the identity subsystem plugs into the request path.
class Gate {
public:
    virtual ~Gate() = default;
    /// Identifies the caller from the session cookie or bearer token; leaves the principal
    /// anonymous when there is neither. Throws HttpError(401) for an invalid credential.
    virtual void authenticate(Request& request) = 0;
    /// Throws HttpError(403) when a state-changing request lacks anti-forgery proof.
    virtual void verifyCsrf(const Request& request) = 0;
    /// Whether `module` (a plugin id) is enabled for the principal's department.
    virtual bool moduleEnabled(const std::string& module, const identity::Principal& principal) = 0;
    /// Records an authorisation failure (audit log).
    virtual void denied(const Request& request, const std::string& reason) = 0;
};

class Server {
public:
    Server(Router& router, Metrics& metrics, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void setGate(std::shared_ptr<Gate> gate) { _gate = std::move(gate); }
    /// Serves files below `dir` at `urlPrefix` ("/" or "/vendor/"), GET/HEAD only.
    void addStaticMount(std::string urlPrefix, std::filesystem::path dir, int maxAgeSeconds);

    /// Binds (failing loudly if the port is taken) and starts serving.
    void start();
    /// Stops accepting, lets in-flight requests finish for up to `drain`, then closes.
    void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(10000));
    int port() const { return _boundPort; }

    /// The request pipeline, callable without sockets (tests, benchmarks).
    void handle(Request& request, Response& response);
    std::uint64_t inFlight() const { return _inFlight.load(); }

    const ServerOptions& options() const { return _options; }

private:
    struct Mount {
        std::string prefix;
        std::filesystem::path dir;
        int maxAge;
    };
    bool serveStatic(const Request& request, Response& response);

    Router& _router;
    Metrics& _metrics;
    ServerOptions _options;
    std::shared_ptr<Gate> _gate;
    std::vector<Mount> _mounts;
    std::unique_ptr<Poco::Net::HTTPServer> _server;
    int _boundPort = 0;
    std::atomic<std::uint64_t> _inFlight{0};
    friend class RequestHandler;
};

/// Adds the security headers every response carries.
void addSecurityHeaders(Response& response);

} // namespace atrium::http
