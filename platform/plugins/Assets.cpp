// Serves a plugin's UI assets under /plugins/<id>/. Plain files only, resolved inside the
// registered directory (no "..", no symlink escapes), with validators so browsers revalidate
// cheaply after a plugin upgrade.

#include "plugins/Runtime.h"

#include <fstream>
#include <map>
#include <sstream>

namespace atrium::plugins::detail {
namespace {

std::string contentTypeFor(const std::filesystem::path& file) {
    static const std::map<std::string, std::string> types = {
        {".html", "text/html; charset=utf-8"},  {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},    {".json", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},              {".png", "image/png"},
        {".jpg", "image/jpeg"},                 {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},                  {".webp", "image/webp"},
        {".ico", "image/x-icon"},               {".woff", "font/woff"},
        {".woff2", "font/woff2"},               {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json; charset=utf-8"}};
    auto ext = file.extension().string();
    for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = types.find(ext);
    return it == types.end() ? "application/octet-stream" : it->second;
}

bool safeRelative(const std::string& rest) {
    if (rest.find('\0') != std::string::npos || rest.find('\\') != std::string::npos) return false;
    std::stringstream in(rest);
    std::string segment;
    while (std::getline(in, segment, '/'))
        if (segment == ".." || segment == "." || (!segment.empty() && segment.front() == '.')) return false; // no dotfiles either
    return true;
}

} // namespace

http::Handler makeAssetHandler(std::filesystem::path root) {
    return [root = std::move(root)](http::Request& req, http::Response& res) {
        auto it = req.pathParams.find("path");
        std::string rest = it == req.pathParams.end() ? std::string() : it->second;
        if (!safeRelative(rest)) throw http::HttpError::notFound("The file");
        std::filesystem::path file = root / rest;
        std::error_code ec;
        if (rest.empty() || std::filesystem::is_directory(file, ec)) file /= "index.html";
        const auto real = std::filesystem::canonical(file, ec);
        if (ec || !std::filesystem::is_regular_file(real, ec)) throw http::HttpError::notFound("The file");
        // Symlinks pointing outside the asset directory are not served.
        const auto rootText = root.string() + "/";
        if (real.string().rfind(rootText, 0) != 0) throw http::HttpError::notFound("The file");

        const auto size = std::filesystem::file_size(real, ec);
        const auto mtime = std::filesystem::last_write_time(real, ec).time_since_epoch().count();
        std::ostringstream tag;
        tag << '"' << std::hex << size << '-' << mtime << '"';
        res.setHeader("ETag", tag.str());
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Content-Type-Options", "nosniff");
        if (req.header("if-none-match") == tag.str()) {
            res.status = 304;
            res.body.clear();
            return;
        }
        std::ifstream in(real, std::ios::binary);
        if (!in) throw http::HttpError::notFound("The file");
        std::ostringstream body;
        body << in.rdbuf();
        res.status = 200;
        res.contentType = contentTypeFor(real);
        res.body = body.str();
    };
}

} // namespace atrium::plugins::detail
