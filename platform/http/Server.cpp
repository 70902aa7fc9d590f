#include "http/Server.h"

#include "store/Errors.h"

#include <Poco/Logger.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <utility>
#include <random>
#include <sstream>
#include <thread>

namespace atrium::http {
namespace {

Poco::Logger& log() { return Poco::Logger::get("atrium.http"); }

std::string newRequestId() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* hex = "0123456789abcdef";
    std::string id(16, '0');
    auto v = rng();
    for (auto& c : id) {
        c = hex[v & 15];
        v >>= 4;
    }
    return id;
}

bool safeRequestId(const std::string& s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    return true;
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string contentTypeFor(const std::filesystem::path& p) {
    const auto ext = lower(p.extension().string());
    if (ext == ".html") return "text/html; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".json") return "application/json; charset=utf-8";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".ico") return "image/x-icon";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".map") return "application/json";
    return "application/octet-stream";
}

bool stateChanging(const std::string& method) {
    return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

} // namespace

void addSecurityHeaders(Response& r) {
    r.setHeader("Content-Security-Policy",
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
                "frame-ancestors 'none'");
    r.setHeader("X-Content-Type-Options", "nosniff");
    r.setHeader("Referrer-Policy", "same-origin");
    r.setHeader("X-Frame-Options", "DENY");
}

namespace {
/// The address's network bytes, or nothing when the text is not an IPv4 / IPv6 address. An
/// IPv4-mapped IPv6 address ("::ffff:10.0.0.1") counts as the IPv4 one.
std::optional<std::vector<unsigned char>> addressBytes(const std::string& text) {
    Poco::Net::IPAddress a;
    if (!Poco::Net::IPAddress::tryParse(text, a)) return std::nullopt;
    const auto* raw = static_cast<const unsigned char*>(a.addr());
    std::vector<unsigned char> bytes(raw, raw + a.length());
    if (bytes.size() == 16 && a.isIPv4Mapped()) bytes.erase(bytes.begin(), bytes.begin() + 12);
    return bytes;
}

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}
} // namespace

TrustedProxies TrustedProxies::parse(const std::string& list) {
    TrustedProxies out;
    std::string item;
    auto flush = [&] {
        const auto entry = trim(item);
        item.clear();
        if (entry.empty()) return;
        const auto slash = entry.find('/');
        const auto address = entry.substr(0, slash);
        auto bytes = addressBytes(address);
        const std::string what = "http.trusted_proxies: '" + entry + "' is not an IP address or a CIDR range such as 10.0.0.0/8";
        if (!bytes) throw std::invalid_argument(what);
        unsigned prefix = static_cast<unsigned>(bytes->size() * 8);
        if (slash != std::string::npos) {
            const auto bits = entry.substr(slash + 1);
            if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) throw std::invalid_argument(what);
            const auto n = static_cast<unsigned>(std::stoul(bits));
            if (n > prefix) throw std::invalid_argument(what);
            prefix = n;
        }
        out._ranges.push_back({std::move(*bytes), prefix});
    };
    for (char c : list) {
        if (c == ',' || c == ' ' || c == ';') flush();
        else item += c;
    }
    flush();
    return out;
}

bool TrustedProxies::trusted(const std::string& address) const {
    auto bytes = addressBytes(trim(address));
    if (!bytes) return false;
    for (const auto& r : _ranges) {
        if (r.base.size() != bytes->size()) continue;
        bool match = true;
        for (unsigned bit = 0; bit < r.prefix && match; bit += 8) {
            const unsigned take = std::min(8u, r.prefix - bit);
            const auto mask = static_cast<unsigned char>(0xFF << (8 - take));
            match = (((*bytes)[bit / 8] ^ r.base[bit / 8]) & mask) == 0;
        }
        if (match) return true;
    }
    return false;
}

std::string TrustedProxies::client(const std::string& peer, const std::string& forwardedFor) const {
    if (_ranges.empty() || forwardedFor.empty() || !trusted(peer)) return peer;
    // Right to left: each hop appended the address it received from; the first one that is not
    // one of ours is the client. Anything unparsable ends the walk at the last trusted hop.
    std::vector<std::string> hops;
    std::string item;
    for (char c : forwardedFor) {
        if (c == ',') hops.push_back(trim(std::exchange(item, {})));
        else item += c;
    }
    hops.push_back(trim(item));
    std::string current = peer;
    for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
        if (!addressBytes(*it)) return current;
        if (!trusted(*it)) return *it;
        current = *it;
    }
    return current;
}

Server::Server(Router& router, Metrics& metrics, ServerOptions options)
    : _router(router), _metrics(metrics), _options(std::move(options)) {}

Server::~Server() {
    try {
        if (_server) _server->stopAll(true);
    } catch (...) {
    }
}

void Server::addStaticMount(std::string urlPrefix, std::filesystem::path dir, int maxAgeSeconds) {
    if (urlPrefix.empty() || urlPrefix.back() != '/') urlPrefix += '/';
    _mounts.push_back({std::move(urlPrefix), std::move(dir), maxAgeSeconds});
    // Longest prefix first, so "/vendor/" wins over "/".
    std::sort(_mounts.begin(), _mounts.end(), [](const Mount& a, const Mount& b) { return a.prefix.size() > b.prefix.size(); });
}

bool Server::serveStatic(const Request& request, Response& response) {
    if (request.method != "GET" && request.method != "HEAD") return false;
    for (const auto& m : _mounts) {
        if (request.path.rfind(m.prefix, 0) != 0) continue;
        std::string rel = request.path.substr(m.prefix.size());
        if (rel.empty()) rel = "index.html";
        std::filesystem::path p = (m.dir / rel).lexically_normal();
        const auto base = m.dir.lexically_normal();
        // Refuse anything that escapes the mount (.., encoded slashes, absolute paths).
        auto [b, _] = std::mismatch(base.begin(), base.end(), p.begin(), p.end());
        if (b != base.end() || rel.find('\0') != std::string::npos) return false;
        std::error_code ec;
        if (std::filesystem::is_directory(p, ec)) p /= "index.html";
        if (!std::filesystem::is_regular_file(p, ec)) continue;
        std::ifstream in(p, std::ios::binary);
        if (!in) continue;
        std::ostringstream buf;
        buf << in.rdbuf();
        response.status = 200;
        response.contentType = contentTypeFor(p);
        response.body = buf.str();
        const auto size = std::filesystem::file_size(p, ec);
        const auto mtime = std::filesystem::last_write_time(p, ec).time_since_epoch().count();
        const std::string etag = "\"" + std::to_string(size) + "-" + std::to_string(mtime) + "\"";
        response.setHeader("ETag", etag);
        const bool html = p.extension() == ".html";
        response.setHeader("Cache-Control", html || m.maxAge == 0 ? "no-cache"
                                                                   : "public, max-age=" + std::to_string(m.maxAge));
        if (request.header("if-none-match") == etag) {
            response.status = 304;
            response.body.clear();
        }
        return true;
    }
    return false;
}

namespace {
/// The one 500 answer: code internal_error, the request id in the message and as its own member.
Json internalError(const std::string& requestId) {
    auto body = errorBody("internal_error", "An unexpected error occurred (request " + requestId + ").");
    body["error"]["request_id"] = requestId;
    return body;
}
} // namespace

void Server::handle(Request& request, Response& response) {
    const auto started = std::chrono::steady_clock::now();
    ++_inFlight;
    std::string routeLabel = "unmatched";
    try {
        addSecurityHeaders(response);
        response.setHeader("X-Request-Id", request.requestId);
        if (request.path.size() + request.rawQuery.size() > _options.maxUriBytes)
            throw HttpError(414, "uri_too_long", "The request URI is longer than the server accepts.");
        auto m = _router.match(request.method, request.path);
        if (!m.route) {
            if (!m.methodNotAllowed && serveStatic(request, response)) {
                routeLabel = "static";
            } else if (m.methodNotAllowed) {
                std::string allow;
                for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
                response.setHeader("Allow", allow);
                throw HttpError(405, "method_not_allowed",
                                "The method " + request.method + " is not allowed here; allowed: " + allow + ".");
            } else {
                throw HttpError(404, "not_found", "There is nothing at " + request.path + ".");
            }
        } else {
            const Route& route = *m.route;
            routeLabel = route.pattern;
            request.pathParams = std::move(m.params);
            request.routePattern = route.pattern;
            if (_gate) _gate->authenticate(request);
            if (!route.isPublic) {
                if (!request.principal.authenticated())
                    throw HttpError(401, "unauthenticated", "Sign in first: this request needs a session or an API token.");
                if (_gate && stateChanging(request.method)) _gate->verifyCsrf(request);
                if (!request.principal.can(route.permission)) {
                    if (_gate) _gate->denied(request, "missing permission " + route.permission);
                    throw HttpError::forbidden("You need the permission '" + route.permission + "' for this action.");
                }
                if (!route.module.empty() && _gate && !_gate->moduleEnabled(route.module, request.principal)) {
                    if (_gate) _gate->denied(request, "module " + route.module + " not enabled for department");
                    throw HttpError::forbidden("The module '" + route.module +
                                               "' is not enabled for your department; ask an administrator.");
                }
            } else if (_gate && stateChanging(request.method) && request.principal.authenticated()) {
                _gate->verifyCsrf(request);
            }
            route.handler(request, response);
        }
    } catch (const HttpError& e) {
        auto body = errorBody(e.code(), e.what(), e.fields());
        if (e.status() >= 500) body["error"]["request_id"] = request.requestId; // what to quote when reporting it
        response.json(body, e.status());
    } catch (const store::StoreError& e) {
        using K = store::StoreError::Kind;
        switch (e.kind()) {
        case K::Constraint:
            response.json(errorBody("conflict", "The change conflicts with existing data (a duplicate or a missing reference)."), 409);
            break;
        case K::Unavailable:
        case K::PoolTimeout:
        case K::Busy:
        case K::SchemaTooNew: {
            log().warning("req=%s database unavailable: %s", request.requestId, std::string(e.what()));
            response.setHeader("Retry-After", "1");
            auto body = errorBody("service_unavailable", "The database is busy or unreachable; try again in a moment.");
            body["error"]["request_id"] = request.requestId;
            response.json(body, 503);
            break;
        }
        default:
            log().error("req=%s database error: %s", request.requestId, std::string(e.what()));
            response.json(internalError(request.requestId), 500);
        }
    } catch (const nlohmann::json::exception& e) {
        response.json(errorBody("bad_request", std::string("A field has the wrong type or shape: ") + e.what()), 400);
    } catch (const std::invalid_argument& e) {
        response.json(errorBody("bad_request", e.what()), 400);
    } catch (const std::exception& e) {
        log().error("req=%s unhandled: %s", request.requestId, std::string(e.what()));
        response.json(internalError(request.requestId), 500);
    } catch (...) {
        log().error("req=%s unhandled non-standard exception", request.requestId);
        response.json(internalError(request.requestId), 500);
    }
    --_inFlight;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    _metrics.observe(request.method, routeLabel, response.status, seconds);
    if (routeLabel != "static" || response.status >= 400) {
        const auto level = response.status >= 500 ? Poco::Message::PRIO_WARNING : Poco::Message::PRIO_INFORMATION;
        if (log().is(level)) {
            std::ostringstream line;
            line << "req=" << request.requestId << " " << request.method << " " << request.path << " route=" << routeLabel
                 << " status=" << response.status << " ms=" << static_cast<long>(seconds * 1e6) / 1000.0
                 << " user=" << request.principal.userId;
            log().log(Poco::Message("atrium.http", line.str(), level));
        }
    }
}

// ---------------------------------------------------------------------------------------------

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit RequestHandler(Server& server) : _server(server) {}

    void handleRequest(Poco::Net::HTTPServerRequest& in, Poco::Net::HTTPServerResponse& out) override {
        Request req;
        Response res;
        req.method = in.getMethod();
        const std::string id = in.get("X-Request-Id", "");
        req.requestId = safeRequestId(id) ? id : newRequestId();
        req.clientAddress = in.clientAddress().host().toString();
        if (!_server._options.trustedProxies.empty())
            req.clientAddress = _server._options.trustedProxies.client(req.clientAddress, in.get("X-Forwarded-For", ""));
        bool readOk = true;
        try {
            const std::string& uri = in.getURI();
            if (uri.size() > _server._options.maxUriBytes) {
                readOk = false;
                res.json(errorBody("uri_too_long", "The request URI is longer than the server accepts."), 414);
            } else {
                Poco::URI parsed(uri);
                req.path = parsed.getPath();
                req.rawQuery = parsed.getRawQuery();
                for (const auto& [k, v] : parsed.getQueryParameters()) {
                    // A NUL byte ends a string early in SQLite's LIKE ('%\0%' matches every row): refused.
                    if (k.find('\0') != std::string::npos || v.find('\0') != std::string::npos) throw Poco::SyntaxException("NUL in query");
                    req.query.emplace(k, v);
                }
            }
        } catch (const Poco::Exception&) {
            readOk = false;
            res.json(errorBody("bad_request", "The request URI is malformed."), 400);
        }
        for (const auto& [k, v] : in) req.headers[lower(k)] = v;
        Poco::Net::NameValueCollection cookies;
        in.getCookies(cookies);
        for (const auto& [k, v] : cookies) req.cookies[k] = v;

        if (readOk) {
            const auto limit = _server._options.maxBodyBytes;
            if (in.hasContentLength() && in.getContentLength64() > static_cast<Poco::Int64>(limit)) {
                readOk = false;
                // A moderately oversized body is read and dropped so the client sees the 413
                // instead of a reset connection; a huge one is not worth reading.
                if (in.getContentLength64() <= static_cast<Poco::Int64>(limit) * 8) {
                    try {
                        auto& stream = in.stream();
                        char sink[8192];
                        while (stream.read(sink, sizeof sink) || stream.gcount() > 0) {
                        }
                    } catch (const Poco::Exception&) {
                    }
                }
                res.json(errorBody("payload_too_large", "The request body is larger than " + std::to_string(limit) +
                                                            " bytes."),
                         413);
            } else {
                try {
                    auto& stream = in.stream();
                    char buf[8192];
                    while (stream) {
                        stream.read(buf, sizeof buf);
                        req.body.append(buf, static_cast<std::size_t>(stream.gcount()));
                        if (req.body.size() > limit) {
                            readOk = false;
                            res.json(errorBody("payload_too_large",
                                               "The request body is larger than " + std::to_string(limit) + " bytes."),
                                     413);
                            break;
                        }
                    }
                } catch (const Poco::Exception&) {
                    readOk = false;
                    res.json(errorBody("request_timeout", "The request body did not arrive in time."), 408);
                }
            }
        }
        if (readOk) {
            _server.handle(req, res);
        } else {
            addSecurityHeaders(res);
            res.setHeader("Connection", "close");
            out.setKeepAlive(false);
            _server._metrics.observe(req.method, "rejected", res.status, 0);
        }
        out.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(res.status));
        out.setContentType(res.contentType);
        for (const auto& [k, v] : res.headers) out.add(k, v);
        if (res.status == 304 || req.method == "HEAD") {
            out.setContentLength(res.status == 304 ? 0 : static_cast<std::streamsize>(res.body.size()));
            out.send();
            return;
        }
        out.setContentLength64(static_cast<Poco::UInt64>(res.body.size()));
        out.send().write(res.body.data(), static_cast<std::streamsize>(res.body.size()));
    }

private:
    Server& _server;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    explicit HandlerFactory(Server& server) : _server(server) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
        return new RequestHandler(_server);
    }

private:
    Server& _server;
};

void Server::start() {
    Poco::Net::ServerSocket socket;
    const std::string address = (_options.host.find(':') != std::string::npos ? "[" + _options.host + "]" : _options.host) + ":" +
                                std::to_string(_options.port);
    try {
        // reusePort=false: Poco's default SO_REUSEPORT lets a second atrium silently share the port.
        socket.bind(Poco::Net::SocketAddress(_options.host, static_cast<Poco::UInt16>(_options.port)), true, false);
        socket.listen(256);
    } catch (const Poco::Exception& e) {
        // Poco says only "Net Exception": name the address and what to do.
        if (e.code() == EADDRINUSE || e.displayText().find("in use") != std::string::npos)
            throw std::runtime_error("cannot listen on " + address +
                                     ": the address is already in use (another atrium or another program listens there); stop it, "
                                     "or choose a free address with --listen HOST:PORT or ATRIUM_LISTEN");
        if (e.code() == EACCES)
            throw std::runtime_error("cannot listen on " + address + ": permission denied (ports below 1024 need privileges); choose another "
                                     "port with --listen HOST:PORT");
        throw std::runtime_error("cannot listen on " + address + " (" + e.displayText() +
                                 "); check the address, or choose another with --listen HOST:PORT");
    }
    _boundPort = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(_options.maxThreads);
    params->setMaxQueued(_options.maxQueued);
    params->setTimeout(Poco::Timespan(static_cast<long>(_options.readTimeout.count()), 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(static_cast<long>(_options.keepAliveTimeout.count()), 0));
    params->setMaxKeepAliveRequests(10000);
    params->setServerName("atrium");
    static Poco::ThreadPool pool("atrium-http", 4, _options.maxThreads + 4);
    _server = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(*this), pool, socket, params);
    _server->start();
}

void Server::stop(std::chrono::milliseconds drain) {
    if (!_server) return;
    _server->stop(); // stop accepting; in-flight connections keep running
    const auto deadline = std::chrono::steady_clock::now() + drain;
    while (_inFlight.load() > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    _server->stopAll(true);
    _server.reset();
}

} // namespace atrium::http
