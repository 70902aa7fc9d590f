#include "store/Writes.h"

#include "store/Database.h"
#include "store/Migrations.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

namespace atrium::store {
namespace {

// ---- tokenizer --------------------------------------------------------------------------

enum class Kind { Word, Quoted, String, Punct };

struct Token {
    Kind kind;
    std::string text;  ///< words as written; quoted identifiers unquoted; punctuation one char
    std::string upper; ///< words only: upper-cased, for keyword tests
};

bool wordChar(unsigned char c) { return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/// Splits MySQL text into tokens. Comments are dropped except MySQL's executable comments
/// (/*! … */ and /*M! … */), whose content the server runs and which are therefore read as code.
std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    std::size_t i = 0;
    bool inExecutable = false;
    const auto n = s.size();
    while (i < n) {
        const char c = s[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
        } else if (c == '#') {
            while (i < n && s[i] != '\n') ++i;
        } else if (c == '-' && i + 1 < n && s[i + 1] == '-' &&
                   (i + 2 >= n || std::isspace(static_cast<unsigned char>(s[i + 2])) || std::iscntrl(static_cast<unsigned char>(s[i + 2])))) {
            while (i < n && s[i] != '\n') ++i;
        } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
            const bool executable = (i + 2 < n && s[i + 2] == '!') || (i + 3 < n && s[i + 2] == 'M' && s[i + 3] == '!');
            if (executable) {
                i += s[i + 2] == '!' ? 3 : 4;
                while (i < n && std::isdigit(static_cast<unsigned char>(s[i]))) ++i; // version number
                inExecutable = true;
            } else {
                const auto end = s.find("*/", i + 2);
                i = end == std::string_view::npos ? n : end + 2;
            }
        } else if (c == '*' && inExecutable && i + 1 < n && s[i + 1] == '/') {
            inExecutable = false;
            i += 2;
        } else if (c == '\'' || c == '"' || c == '`') {
            // '…' is a string; "…" an identifier (the host runs MySQL with ANSI_QUOTES); `…` an
            // identifier. Doubled quotes escape themselves; backslash escapes only inside strings.
            std::string text;
            ++i;
            while (i < n) {
                if (s[i] == '\\' && c == '\'' && i + 1 < n) {
                    text += s[i + 1];
                    i += 2;
                } else if (s[i] == c) {
                    if (i + 1 < n && s[i + 1] == c) {
                        text += c;
                        i += 2;
                    } else {
                        ++i;
                        break;
                    }
                } else {
                    text += s[i++];
                }
            }
            out.push_back({c == '\'' ? Kind::String : Kind::Quoted, std::move(text), {}});
        } else if (wordChar(static_cast<unsigned char>(c))) {
            const auto start = i;
            while (i < n && wordChar(static_cast<unsigned char>(s[i]))) ++i;
            std::string text(s.substr(start, i - start));
            std::string upper = text;
            std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char x) { return static_cast<char>(std::toupper(x)); });
            out.push_back({Kind::Word, std::move(text), std::move(upper)});
        } else {
            out.push_back({Kind::Punct, std::string(1, c), {}});
            ++i;
        }
    }
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

/// One statement's tokens with the helpers the parsers share.
class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : t(std::move(tokens)) {}

    std::vector<Token> t;

    bool kw(std::size_t i, std::string_view word) const { return i < t.size() && t[i].kind == Kind::Word && t[i].upper == word; }
    bool punct(std::size_t i, char c) const { return i < t.size() && t[i].kind == Kind::Punct && t[i].text[0] == c; }
    bool nameAt(std::size_t i) const {
        return i < t.size() && (t[i].kind == Kind::Quoted || (t[i].kind == Kind::Word && !reserved(t[i].upper)));
    }

    static bool reserved(const std::string& u) {
        static const std::set<std::string> words = {
            "SELECT", "FROM",  "WHERE",   "JOIN",  "INNER", "LEFT",     "RIGHT",  "CROSS",  "OUTER",     "NATURAL", "STRAIGHT_JOIN",
            "ON",     "USING", "SET",     "GROUP", "ORDER", "HAVING",   "LIMIT",  "UNION",  "EXCEPT",    "INTERSECT", "AS",
            "INTO",   "VALUES", "VALUE",  "AND",   "OR",    "NOT",      "IGNORE", "FORCE",  "USE",       "PARTITION", "WITH",
            "WINDOW", "FOR",   "LOW_PRIORITY", "QUICK", "DELAYED", "HIGH_PRIORITY", "TABLE", "IF", "EXISTS", "TO", "RETURNING",
            "UPDATE", "DELETE", "INSERT", "REPLACE", "DUPLICATE", "KEY", "LATERAL"};
        return words.count(u) > 0;
    }

    /// Reads a possibly qualified name (a.b, `a`.`b`) at i; returns "" when there is none.
    std::string name(std::size_t& i) const {
        if (!nameAt(i)) return {};
        std::string out = t[i].text;
        ++i;
        while (punct(i, '.') && i + 1 < t.size() && (t[i + 1].kind == Kind::Quoted || t[i + 1].kind == Kind::Word)) {
            out += "." + t[i + 1].text;
            i += 2;
        }
        return out;
    }

    /// Index after the parenthesised group that opens at i.
    std::size_t skipGroup(std::size_t i) const {
        int depth = 0;
        for (; i < t.size(); ++i) {
            if (punct(i, '(')) ++depth;
            else if (punct(i, ')') && --depth == 0) return i + 1;
        }
        return t.size();
    }

    struct Ref {
        std::string table;
        std::string alias;
    };

    /// Parses a table-reference list at i (t1 [AS] a, t2 JOIN t3 ON … , (t4 JOIN t5) …) until a
    /// word of `stops` at this depth, a ')' closing it, ';' or the end.
    std::vector<Ref> refs(std::size_t& i, const std::set<std::string>& stops) const {
        std::vector<Ref> out;
        bool expectTable = true;
        while (i < t.size()) {
            if (t[i].kind == Kind::Word && stops.count(t[i].upper)) break;
            if (punct(i, ')') || punct(i, ';')) break;
            if (punct(i, '(')) {
                // A nested join "(a JOIN b)" lists tables; a derived table "(SELECT …)" does not
                // (its own FROM is read by sqlReads' scan of every FROM).
                if (expectTable && !kw(i + 1, "SELECT") && !kw(i + 1, "WITH") && !punct(i + 1, '(')) {
                    std::size_t j = i + 1;
                    auto inner = refs(j, stops);
                    out.insert(out.end(), inner.begin(), inner.end());
                }
                i = skipGroup(i);
                expectTable = false;
                continue;
            }
            if (punct(i, ',')) {
                expectTable = true;
                ++i;
                continue;
            }
            if (t[i].kind == Kind::Word && (t[i].upper == "JOIN" || t[i].upper == "STRAIGHT_JOIN")) {
                expectTable = true;
                ++i;
                continue;
            }
            if (expectTable && nameAt(i)) {
                Ref r;
                r.table = name(i);
                if (kw(i, "AS")) ++i;
                if (nameAt(i) && !(t[i].kind == Kind::Word && stops.count(t[i].upper))) r.alias = t[i++].text;
                out.push_back(std::move(r));
                expectTable = false;
                continue;
            }
            ++i; // ON conditions, index hints, JOIN modifiers
        }
        return out;
    }

    /// The table `target` (a table or an alias of `from`) stands for.
    static std::string resolve(const std::string& target, const std::vector<Ref>& from) {
        for (const auto& r : from)
            if (!r.alias.empty() && lower(r.alias) == lower(target)) return r.table;
        return target;
    }
};

void add(std::vector<std::string>& list, const std::string& table) {
    if (table.empty()) return;
    if (std::find(list.begin(), list.end(), table) == list.end()) list.push_back(table);
}

/// Statement kinds whose effect no text analysis can bound.
const std::set<std::string>& uncheckedVerbs() {
    static const std::set<std::string> verbs = {"CALL",    "LOAD",    "GRANT",   "REVOKE", "HANDLER", "LOCK",     "INSTALL",
                                                "UNINSTALL", "FLUSH", "KILL",    "SHUTDOWN", "SET",   "DO",       "PREPARE",
                                                "EXECUTE", "DEALLOCATE", "OPTIMIZE", "REPAIR", "CACHE", "RESET",   "PURGE",
                                                "CHANGE",  "XA",      "BINLOG",  "IMPORT", "ATTACH", "DETACH",   "PRAGMA", "VACUUM"};
    return verbs;
}

void analyse(Parser& p, SqlWrites& out) {
    const auto& t = p.t;
    if (t.empty()) return;
    auto unchecked = [&](std::size_t from) {
        if (!out.unchecked.empty()) return;
        std::string words;
        for (std::size_t k = from; k < t.size() && k < from + 3; ++k)
            if (t[k].kind == Kind::Word) words += (words.empty() ? "" : " ") + t[k].text;
        out.unchecked = words;
    };
    auto skipIfExists = [&](std::size_t i) {
        if (p.kw(i, "IF") && p.kw(i + 1, "NOT") && p.kw(i + 2, "EXISTS")) return i + 3;
        if (p.kw(i, "IF") && p.kw(i + 1, "EXISTS")) return i + 2;
        return i;
    };

    // DDL and other statement-level verbs: only as the statement's first word.
    std::size_t first = 0;
    while (p.punct(first, '(')) ++first;
    const std::string verb = first < t.size() && t[first].kind == Kind::Word ? t[first].upper : std::string();
    if (uncheckedVerbs().count(verb)) {
        unchecked(first);
        return;
    }
    if (verb == "TRUNCATE") {
        std::size_t i = first + 1;
        if (p.kw(i, "TABLE")) ++i;
        add(out.tables, p.name(i));
    } else if (verb == "RENAME") {
        if (!p.kw(first + 1, "TABLE") && !p.kw(first + 1, "TABLES")) return unchecked(first);
        std::size_t i = first + 2;
        while (i < t.size()) {
            const auto from = p.name(i);
            if (from.empty()) break;
            add(out.tables, from);
            if (p.kw(i, "TO")) ++i;
            add(out.tables, p.name(i));
            if (!p.punct(i, ',')) break;
            ++i;
        }
    } else if (verb == "ALTER") {
        std::size_t i = first + 1;
        while (p.kw(i, "ONLINE") || p.kw(i, "IGNORE")) ++i;
        if (p.kw(i, "TABLE") || p.kw(i, "VIEW")) {
            ++i;
            add(out.tables, p.name(i));
            for (; i < t.size(); ++i)
                if (p.kw(i, "RENAME")) {
                    std::size_t j = i + 1;
                    if (p.kw(j, "TO") || p.kw(j, "AS")) ++j;
                    if (p.kw(j, "COLUMN") || p.kw(j, "INDEX") || p.kw(j, "KEY")) continue;
                    add(out.tables, p.name(j));
                }
        } else {
            unchecked(first);
        }
    } else if (verb == "DROP") {
        std::size_t i = first + 1;
        if (p.kw(i, "TEMPORARY")) ++i;
        if (p.kw(i, "TABLE") || p.kw(i, "TABLES") || p.kw(i, "VIEW") || p.kw(i, "TRIGGER")) {
            i = skipIfExists(i + 1);
            while (i < t.size()) {
                add(out.tables, p.name(i));
                if (!p.punct(i, ',')) break;
                ++i;
            }
        } else if (p.kw(i, "INDEX")) {
            i = skipIfExists(i + 1);
            const auto index = p.name(i);
            if (p.kw(i, "ON")) {
                ++i;
                add(out.tables, p.name(i));
            } else {
                add(out.tables, index); // SQLite: DROP INDEX name
            }
        } else {
            unchecked(first);
        }
    } else if (verb == "CREATE") {
        std::size_t i = first + 1;
        // CREATE [OR REPLACE] [TEMPORARY] [UNIQUE|FULLTEXT|SPATIAL] [ALGORITHM=…] [DEFINER=…] [SQL SECURITY …] kind
        while (i < t.size() && !(p.kw(i, "TABLE") || p.kw(i, "INDEX") || p.kw(i, "VIEW") || p.kw(i, "TRIGGER") ||
                                 p.kw(i, "DATABASE") || p.kw(i, "SCHEMA") || p.kw(i, "PROCEDURE") || p.kw(i, "FUNCTION") ||
                                 p.kw(i, "EVENT") || p.kw(i, "USER") || p.kw(i, "ROLE") || p.kw(i, "SERVER") || p.kw(i, "SEQUENCE") ||
                                 p.kw(i, "TABLESPACE")))
            ++i;
        if (p.kw(i, "TABLE") || p.kw(i, "VIEW") || p.kw(i, "SEQUENCE")) {
            i = skipIfExists(i + 1);
            add(out.tables, p.name(i));
        } else if (p.kw(i, "INDEX")) {
            i = skipIfExists(i + 1);
            p.name(i);
            if (p.kw(i, "USING")) i += 2;
            if (p.kw(i, "ON")) {
                ++i;
                add(out.tables, p.name(i));
            }
        } else if (p.kw(i, "TRIGGER")) {
            i = skipIfExists(i + 1);
            add(out.tables, p.name(i));
            for (; i < t.size(); ++i)
                if (p.kw(i, "ON")) {
                    std::size_t j = i + 1;
                    add(out.tables, p.name(j));
                    break;
                }
            // The body's INSERT/UPDATE/DELETE are found by the scan below.
        } else {
            unchecked(first);
            return;
        }
    }

    // DML, anywhere in the statement (CTEs, trigger bodies, INSERT … SELECT).
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t[i].kind != Kind::Word) continue;
        const auto& u = t[i].upper;
        const std::string before = i > 0 && t[i - 1].kind == Kind::Word ? t[i - 1].upper : std::string();
        if (u == "INTO" && (p.kw(i + 1, "OUTFILE") || p.kw(i + 1, "DUMPFILE"))) {
            unchecked(i);
        } else if (u == "INSERT" || u == "REPLACE") {
            if (p.punct(i + 1, '(')) continue; // the INSERT() / REPLACE() string functions
            if (u == "REPLACE" && before == "OR") continue; // SQLite: INSERT OR REPLACE
            std::size_t j = i + 1;
            while (p.kw(j, "LOW_PRIORITY") || p.kw(j, "DELAYED") || p.kw(j, "HIGH_PRIORITY") || p.kw(j, "IGNORE") || p.kw(j, "INTO") ||
                   (p.kw(j, "OR") && j + 1 < t.size()))
                j += p.kw(j, "OR") ? 2 : 1;
            add(out.tables, p.name(j));
        } else if (u == "UPDATE") {
            if (before == "KEY" || before == "FOR" || before == "ON" || before == "DO" || p.punct(i + 1, '(')) continue;
            std::size_t j = i + 1;
            while (p.kw(j, "LOW_PRIORITY") || p.kw(j, "IGNORE")) ++j;
            if (p.kw(j, "OR")) j += 2; // SQLite: UPDATE OR REPLACE
            const auto from = p.refs(j, {"SET", "WHERE", "ORDER", "LIMIT"});
            if (from.size() <= 1) {
                if (!from.empty()) add(out.tables, from[0].table);
                continue;
            }
            // Multi-table UPDATE: the tables whose columns are assigned (unqualified: all of them).
            if (!p.kw(j, "SET")) {
                for (const auto& r : from) add(out.tables, r.table);
                continue;
            }
            ++j;
            bool expectTarget = true;
            int depth = 0;
            for (; j < t.size(); ++j) {
                if (depth == 0 && (p.kw(j, "WHERE") || p.kw(j, "ORDER") || p.kw(j, "LIMIT") || p.punct(j, ';'))) break;
                if (p.punct(j, '(')) ++depth;
                else if (p.punct(j, ')')) --depth;
                else if (depth == 0 && p.punct(j, ',')) expectTarget = true;
                else if (expectTarget && depth == 0) {
                    std::size_t k = j;
                    const auto target = p.name(k);
                    expectTarget = false;
                    if (target.empty()) continue;
                    const auto dot = target.rfind('.');
                    if (dot == std::string::npos) {
                        for (const auto& r : from) add(out.tables, r.table);
                    } else {
                        add(out.tables, Parser::resolve(target.substr(0, dot), from));
                    }
                    j = k - 1;
                }
            }
        } else if (u == "DELETE") {
            if (before == "ON" || p.punct(i + 1, '(')) continue;
            std::size_t j = i + 1;
            while (p.kw(j, "LOW_PRIORITY") || p.kw(j, "QUICK") || p.kw(j, "IGNORE")) ++j;
            auto stripStar = [](std::string s) {
                if (s.size() > 2 && s.compare(s.size() - 2, 2, ".*") == 0) s.resize(s.size() - 2);
                return s;
            };
            if (p.kw(j, "FROM")) {
                ++j;
                auto targets = p.refs(j, {"USING", "WHERE", "ORDER", "LIMIT", "RETURNING"});
                if (p.kw(j, "USING")) {
                    ++j;
                    const auto from = p.refs(j, {"WHERE", "ORDER", "LIMIT", "RETURNING"});
                    for (const auto& r : targets) add(out.tables, Parser::resolve(stripStar(r.table), from));
                } else {
                    for (const auto& r : targets) add(out.tables, r.table);
                }
            } else {
                // DELETE t1, t2 FROM t1 JOIN t2 …
                std::vector<std::string> targets;
                while (j < t.size() && !p.kw(j, "FROM")) {
                    std::size_t k = j;
                    auto n = p.name(k);
                    if (!n.empty()) {
                        if (p.punct(k, '.') && p.punct(k + 1, '*')) k += 2;
                        targets.push_back(stripStar(n));
                        j = k;
                    } else {
                        ++j;
                    }
                }
                ++j;
                const auto from = p.refs(j, {"WHERE", "ORDER", "LIMIT"});
                for (const auto& target : targets) add(out.tables, Parser::resolve(target, from));
            }
        }
    }
}

/// Splits tokens into statements at ';'.
std::vector<Parser> statements(std::string_view sql) {
    std::vector<Parser> out;
    std::vector<Token> current;
    for (auto& tok : tokenize(sql)) {
        if (tok.kind == Kind::Punct && tok.text == ";") {
            if (!current.empty()) out.emplace_back(std::move(current));
            current.clear();
        } else {
            current.push_back(std::move(tok));
        }
    }
    if (!current.empty()) out.emplace_back(std::move(current));
    return out;
}

// ---- tracking ---------------------------------------------------------------------------

struct Tracked {
    const Database* owner = nullptr;
    std::set<std::string> pending;
};

struct Registry {
    std::mutex mutex;
    std::unordered_map<const Connection*, Tracked> connections;
    std::map<const Database*, std::map<std::uint64_t, std::shared_ptr<WriteListener>>> listeners;
    std::uint64_t nextId = 1;
};

Registry& registry() {
    static auto* r = new Registry; // never destroyed: connections may close during static destruction
    return *r;
}

void notify(const Database* owner, const std::vector<std::string>& tables) {
    if (!owner || tables.empty()) return;
    std::vector<std::shared_ptr<WriteListener>> targets;
    {
        auto& r = registry();
        std::lock_guard lock(r.mutex);
        auto it = r.listeners.find(owner);
        if (it == r.listeners.end()) return;
        for (const auto& [_, l] : it->second) targets.push_back(l);
    }
    for (const auto& l : targets) {
        try {
            (*l)(tables);
        } catch (...) {
            // A listener's failure must not undo a commit that already happened.
        }
    }
}

} // namespace

SqlWrites sqlWrites(std::string_view sql) {
    SqlWrites out;
    for (auto& p : statements(sql)) analyse(p, out);
    return out;
}

std::vector<std::string> sqlReads(std::string_view sql) {
    std::vector<std::string> out;
    for (auto& p : statements(sql)) {
        const auto& t = p.t;
        for (std::size_t i = 0; i < t.size(); ++i) {
            if (p.kw(i, "FROM") || p.kw(i, "USING")) {
                std::size_t j = i + 1;
                for (const auto& r : p.refs(j, {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "WINDOW", "SET",
                                                "FOR", "INTO", "RETURNING"}))
                    add(out, r.table);
            } else if (p.kw(i, "JOIN") || p.kw(i, "STRAIGHT_JOIN")) {
                std::size_t j = i + 1;
                add(out, p.name(j));
            }
        }
    }
    return out;
}

CheckedStatement prepareChecked(Connection& connection, std::string_view sql) {
    if (connection.backend() == Backend::Sqlite) return tracking::sqlitePrepareChecked(connection, sql);
    CheckedStatement out;
    out.writes = sqlWrites(sql);
    out.statement = connection.prepare(sql);
    return out;
}

void execChecked(Connection& connection, std::string_view sql, const std::function<void(const SqlWrites&)>& check) {
    for (const auto& piece : splitStatements(std::string(sql))) {
        if (connection.backend() == Backend::Sqlite) {
            // Prepared under the authorizer, then run: what is checked is exactly what runs.
            auto checked = prepareChecked(connection, piece);
            if (check) check(checked.writes);
            while (checked.statement->step()) {
            }
            noteWrites(connection, checked.writes.tables);
        } else {
            // MySQL: the text is checked as a whole, then run as before (not every statement
            // may be prepared there).
            const auto writes = sqlWrites(piece);
            if (check) check(writes);
            connection.exec(piece);
            noteWrites(connection, writes.tables);
        }
    }
}

std::uint64_t addWriteListener(const Database& db, WriteListener listener) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    const auto id = r.nextId++;
    r.listeners[&db][id] = std::make_shared<WriteListener>(std::move(listener));
    return id;
}

void removeWriteListener(const Database& db, std::uint64_t id) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.listeners.find(&db);
    if (it == r.listeners.end()) return;
    it->second.erase(id);
    if (it->second.empty()) r.listeners.erase(it);
}

void noteWrites(Connection& connection, const std::vector<std::string>& tables) {
    if (tables.empty()) return;
    const Database* owner = nullptr;
    {
        auto& r = registry();
        std::lock_guard lock(r.mutex);
        auto it = r.connections.find(&connection);
        if (it == r.connections.end()) return; // a connection outside any pool: nobody listens
        if (connection.inTransaction()) {
            for (const auto& t : tables) it->second.pending.insert(lower(t));
            return;
        }
        owner = it->second.owner;
    }
    std::vector<std::string> lowered;
    for (const auto& t : tables) lowered.push_back(lower(t));
    notify(owner, lowered);
}

namespace tracking {

void connectionOpened(const Connection& connection, const Database& owner) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.connections[&connection].owner = &owner;
}

void connectionClosed(const Connection& connection) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.connections.erase(&connection);
}

void databaseClosed(const Database& db) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    r.listeners.erase(&db);
}

void committed(const Connection& connection) {
    const Database* owner = nullptr;
    std::vector<std::string> tables;
    {
        auto& r = registry();
        std::lock_guard lock(r.mutex);
        auto it = r.connections.find(&connection);
        if (it == r.connections.end() || it->second.pending.empty()) return;
        owner = it->second.owner;
        tables.assign(it->second.pending.begin(), it->second.pending.end());
        it->second.pending.clear();
    }
    notify(owner, tables);
}

void discarded(const Connection& connection) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.connections.find(&connection);
    if (it != r.connections.end()) it->second.pending.clear();
}

} // namespace tracking

} // namespace atrium::store
