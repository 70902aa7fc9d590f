#pragma once
// Maps plugin libraries with Boost.DLL and keeps them mapped until the process ends.
//
// Never unmapping is deliberate (OBS makes the same choice): an object or thread-local created
// by a plugin and destroyed after its code is unmapped crashes the host, and "disable" must be
// safe at any time. Keeping this in one translation unit keeps Boost.DLL's headers (and the
// BOOST_DLL_USE_STD_FS switch, which must be the same everywhere it is included) out of the rest
// of the host.

#include <filesystem>
#include <string>

namespace atrium::plugins::detail {

struct MappedLibrary {
    bool loaded = false;
    std::string error;     ///< why mapping failed (the dynamic loader's message)
    void* entry = nullptr; ///< address of the requested symbol, nullptr when it is not exported
};

/// Maps `path` with RTLD_NOW | RTLD_LOCAL (unresolved symbols fail here, not at the first call;
/// plugins cannot see each other's symbols) and looks up `symbol`. Thread-safe.
MappedLibrary mapLibrary(const std::filesystem::path& path, const char* symbol);

/// True when `path` is currently mapped into the process (for tests asserting that a refused
/// plugin was never loaded).
bool isMapped(const std::filesystem::path& path);

} // namespace atrium::plugins::detail
