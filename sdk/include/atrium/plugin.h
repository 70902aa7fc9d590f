/*
 * atrium/plugin.h — the binary boundary between the Atrium host and its plugins.
 *
 * Only what is in this file crosses the shared-library boundary: plain C types from <stdint.h>
 * and <stddef.h>, opaque handles, and function pointers. No C++ type, exception, vtable or RTTI
 * ever crosses it, which is what lets a plugin built against SDK 1.0 keep loading on every 1.x
 * host whatever compiler or standard library either side was built with.
 *
 * How a plugin is loaded
 * ----------------------
 *   1. The host reads atrium-plugin.json beside the library (before mapping it) and checks the
 *      manifest: id, version, the ABI it was built for, and what it requires.
 *   2. The host maps lib<id>.so and looks up ONE symbol, atrium_plugin_query(), which returns a
 *      pointer to a constant atrium_plugin_descriptor.
 *   3. The host checks the descriptor (ABI, size, embedded manifest equal to the sidecar file),
 *      applies the plugin's migrations, then calls init() with an atrium_host_api table. During
 *      init the plugin registers its routes, event subscriptions, datasets, KPIs, UI assets and
 *      demo-data hook through that table.
 *   4. On shutdown (or when an administrator disables the plugin) the host stops routing to it,
 *      waits for callbacks in flight, and calls shutdown(ctx). The library is never unmapped.
 *
 * Compatibility rules
 * -------------------
 *   - A host loads a plugin when the plugin's abi_major equals the host's and the plugin's
 *     abi_minor is not greater than the host's.
 *   - Structures that carry a leading `struct_size` only ever grow: new members are appended at
 *     the end and the minor version is bumped. Read a member only when
 *     `offsetof(member) + sizeof(member) <= struct_size` (ATRIUM_HAS_MEMBER below).
 *   - Numeric values of constants never change meaning.
 *
 * Conventions used on every declaration
 * -------------------------------------
 *   borrowed  the callee uses the pointer only during the call (or for the lifetime stated); the
 *             caller keeps ownership.
 *   owned     the receiver owns the object and must release it with the named function.
 *   host-owned / plugin-owned   who frees it, and for how long it stays valid.
 *   Strings marked "NUL-terminated" must end with '\0'. Strings given as (pointer, size) need
 *   not, and may contain any bytes; the host still puts a '\0' after every string it hands out.
 *   All text is UTF-8.
 *
 * Errors
 * ------
 *   Every fallible call returns an atrium_status (0 = ATRIUM_OK, negative = an ATRIUM_E_* code)
 *   and fills the caller-provided atrium_error, whose message buffer belongs to the caller.
 *   Passing NULL for the atrium_error is allowed when the caller does not want the message.
 *
 * Threads
 * -------
 *   Route handlers and event callbacks may run concurrently on several host threads, so the
 *   plugin's context must be safe to share between them. An atrium_db and everything obtained
 *   from it (statements, bulk inserts) belong to one thread at a time. Every function in
 *   atrium_host_api is safe to call from any thread unless it says otherwise.
 */
#ifndef ATRIUM_PLUGIN_H
#define ATRIUM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

/* The ABI this header describes. Keep in sync with ATRIUM_ABI_MAJOR/MINOR in the top-level
 * CMakeLists.txt: the minor grows with every appended member, the major changes only when an
 * existing member changes meaning (which Atrium 1.x never does). */
#define ATRIUM_ABI_MAJOR 1
#define ATRIUM_ABI_MINOR 1

#if defined(_WIN32)
#define ATRIUM_PLUGIN_EXPORT __declspec(dllexport)
#else
#define ATRIUM_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* True when `ptr` (a pointer to a struct with a leading struct_size) is large enough to contain
 * `member`: how one side reads an appended member from a struct made by an older other side. */
#define ATRIUM_HAS_MEMBER(ptr, type, member) \
    ((ptr) != NULL && (size_t)(ptr)->struct_size >= offsetof(type, member) + sizeof(((type*)0)->member))

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================================================
 * Status codes
 * ========================================================================================== */

typedef int32_t atrium_status;

#define ATRIUM_OK 0              /* success */
#define ATRIUM_ROW 100           /* atrium_stmt_step: a row is available */
#define ATRIUM_DONE 101          /* atrium_stmt_step: the statement has finished */

#define ATRIUM_E_INVALID (-1)     /* a malformed argument or request           -> HTTP 400 */
#define ATRIUM_E_NOT_FOUND (-2)   /* the thing asked for does not exist         -> HTTP 404 */
#define ATRIUM_E_FORBIDDEN (-3)   /* the principal may not do this              -> HTTP 403 */
#define ATRIUM_E_CONFLICT (-4)    /* a constraint or version conflict           -> HTTP 409 */
#define ATRIUM_E_UNAVAILABLE (-5) /* the database is down or the pool is busy   -> HTTP 503 */
#define ATRIUM_E_TRUNCATED (-6)   /* an output buffer was too small; see the size out-parameter */
#define ATRIUM_E_STATE (-7)       /* the call is not allowed now (e.g. route_add after init) */
#define ATRIUM_E_UNSUPPORTED (-8) /* this host cannot do that (e.g. an unknown grain) */
#define ATRIUM_E_DATABASE (-9)    /* any other SQL failure                      -> HTTP 500 */
#define ATRIUM_E_INTERNAL (-10)   /* a bug or an unexpected exception           -> HTTP 500 */

/* Room for a useful one-paragraph message; callers may use any size. */
#define ATRIUM_ERROR_MESSAGE_SIZE 1024

/* An error report. The caller provides it (usually on its stack) together with the buffer. */
typedef struct atrium_error {
    int32_t code;        /* out: the ATRIUM_E_* code, also returned by the call */
    int32_t http_status; /* out: optional HTTP status (400..599) a handler wants; 0 = derive
                            it from `code` */
    char* message;       /* borrowed, caller-owned buffer of `message_size` bytes; the callee
                            writes a NUL-terminated sentence, truncated to fit. May be NULL. */
    size_t message_size; /* in: capacity of `message` including the NUL; 0 = no message wanted */
} atrium_error;

/* ============================================================================================
 * Plain data
 * ========================================================================================== */

/* A string slice. When the host hands one out, `data` is also NUL-terminated. */
typedef struct atrium_str {
    const char* data; /* borrowed; lifetime stated where the slice is handed out */
    size_t size;      /* bytes, without the terminating NUL */
} atrium_str;

typedef struct atrium_kv {
    atrium_str name;
    atrium_str value;
} atrium_kv;

/* Log levels for atrium_host_api.log. */
#define ATRIUM_LOG_DEBUG 10
#define ATRIUM_LOG_INFO 20
#define ATRIUM_LOG_WARN 30
#define ATRIUM_LOG_ERROR 40

/* Value types of a result column or a bound parameter. */
#define ATRIUM_TYPE_NULL 0
#define ATRIUM_TYPE_INT 1    /* 64-bit signed integer */
#define ATRIUM_TYPE_DOUBLE 2 /* IEEE double */
#define ATRIUM_TYPE_TEXT 3   /* UTF-8 text (decimals arrive as text to keep them exact) */

/* A typed value handed out by the host (scope predicate parameters). */
typedef struct atrium_value {
    int32_t type;      /* ATRIUM_TYPE_* */
    int64_t int_value; /* when type == ATRIUM_TYPE_INT */
    double double_value;
    atrium_str text;   /* when type == ATRIUM_TYPE_TEXT; host-owned, valid as long as the
                          principal it was computed for (the current callback) */
} atrium_value;

/* Record scope a permission is granted with. Ordered: a wider scope is a larger number. */
#define ATRIUM_SCOPE_NONE 0       /* not granted */
#define ATRIUM_SCOPE_OWN 1        /* records the principal owns */
#define ATRIUM_SCOPE_DEPARTMENT 2 /* records of the principal's department and its subtree */
#define ATRIUM_SCOPE_ALL 3        /* every record */

/* Time grains for atrium_host_api.dialect_date_bucket. */
#define ATRIUM_GRAIN_DAY 0
#define ATRIUM_GRAIN_WEEK 1 /* ISO weeks, starting Monday */
#define ATRIUM_GRAIN_MONTH 2
#define ATRIUM_GRAIN_QUARTER 3
#define ATRIUM_GRAIN_YEAR 4

/* ============================================================================================
 * Opaque handles (defined by the host; plugins only hold pointers)
 * ========================================================================================== */

/* The calling plugin as the host knows it. One per plugin; host-owned; valid from init until
 * the process ends. */
typedef struct atrium_host atrium_host;

/* A database connection leased from the host's pool. Host-owned when handed to a callback
 * (valid until the callback returns); plugin-owned when obtained with db_open (release it with
 * db_close). The connection is taken from the pool on first use, so a callback that does not
 * touch the database does not hold one. */
typedef struct atrium_db atrium_db;

/* A prepared statement. Owned by the plugin until stmt_finalize; belongs to the atrium_db it was
 * prepared on and must be finalized before that db is closed (the host finalizes leftovers). */
typedef struct atrium_stmt atrium_stmt;

/* A multi-row INSERT in progress. Owned by the plugin until bulk_finish or bulk_abort. */
typedef struct atrium_bulk atrium_bulk;

/* The response a route handler writes. Host-owned; valid until the handler returns. */
typedef struct atrium_response atrium_response;

/* The authenticated caller of a route. Host-owned; valid until the handler returns. */
typedef struct atrium_principal atrium_principal;

/* ============================================================================================
 * Callbacks a plugin provides
 * ========================================================================================== */

/* An HTTP request as a route handler sees it. Host-owned; every pointer inside is valid until
 * the handler returns. Headers exclude Authorization and Cookie: credentials stay in the host. */
typedef struct atrium_request {
    uint32_t struct_size;
    atrium_str method;        /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    atrium_str path;          /* decoded path without the query string */
    atrium_str raw_query;     /* the query string as received, without '?' */
    atrium_str body;          /* request body bytes */
    atrium_str route_pattern; /* the matched pattern, e.g. "/api/v1/hello/greetings/{id}" */
    atrium_str request_id;    /* the host's id for this request, for log correlation */
    atrium_str locale;        /* the principal's locale, "en" or "zh-CN" */
    const atrium_kv* path_params; /* array of path_param_count */
    size_t path_param_count;
    const atrium_kv* query_params; /* decoded; a name may repeat */
    size_t query_param_count;
    const atrium_kv* headers; /* lower-case names */
    size_t header_count;
    int64_t user_id;       /* 0 for an anonymous caller of a public route */
    int64_t department_id; /* 0 when the user has no department */
    const atrium_principal* principal; /* for principal_scope / scope_predicate */
} atrium_request;

/* Handles one HTTP request. `db` is leased for this call only. Write the answer with the
 * response_* functions (default: status 200, empty body, application/json). Return ATRIUM_OK,
 * or an ATRIUM_E_* code with `error` filled: the host answers with the matching HTTP status
 * (error->http_status when set) and, for 4xx codes, the message; 5xx messages are logged, not
 * shown. `user_data` is what was given in atrium_route. */
typedef atrium_status (*atrium_route_fn)(void* user_data, const atrium_request* request,
                                         atrium_response* response, atrium_db* db,
                                         atrium_error* error);

typedef struct atrium_route {
    uint32_t struct_size;   /* sizeof(atrium_route) */
    const char* method;     /* borrowed, NUL-terminated: GET, POST, PUT, PATCH or DELETE */
    const char* pattern;    /* borrowed, NUL-terminated: "/api/v1/<id>/…" or relative to it
                               ("items/{id}"); "{name}" binds a segment, a final "{*rest}" the
                               remainder */
    const char* permission; /* borrowed, NUL-terminated: the permission the caller needs; one the
                               manifest declares or a core one. NULL only with is_public. */
    int32_t is_public;      /* nonzero: no authentication (webhooks); the permission is ignored */
    const char* summary;    /* borrowed, NUL-terminated, may be NULL: one line for the API docs */
    atrium_route_fn handler;
    void* user_data;        /* plugin-owned; passed back to handler; must outlive the plugin's
                               shutdown */
} atrium_route;

/* Receives an event. Runs synchronously on the publisher's thread, in the publisher's
 * transaction when it has one (inside a savepoint: a failing subscriber's writes are rolled
 * back and the publisher goes on). `db` is valid for this call only. `topic` is NUL-terminated;
 * `payload` is a JSON document of `payload_size` bytes (also NUL-terminated). Both borrowed. */
typedef atrium_status (*atrium_event_fn)(void* user_data, atrium_db* db, const char* topic,
                                         const char* payload, size_t payload_size,
                                         atrium_error* error);

/* Reports demo-data progress; host-provided. `fraction` in [0, 1]; `message` borrowed, may be
 * NULL. */
typedef void (*atrium_progress_fn)(void* progress_data, double fraction, const char* message);

typedef struct atrium_demo_request {
    uint32_t struct_size;
    double scale;       /* 1.0 = a small company (a few thousand records per plugin); the host
                           passes larger values for load tests. Plugins scale row counts by it. */
    uint64_t seed;      /* seed every random generator with it: the same seed gives the same data */
    atrium_progress_fn progress; /* may be called any number of times; never NULL */
    void* progress_data;         /* host-owned; pass back to progress */
} atrium_demo_request;

/* Seeds the plugin's demo data. Runs after the core seeded departments, users, accounts and
 * contacts, and after every plugin this one requires ran its own hook. `db` is leased for the
 * call; the host does not wrap it in a transaction (use begin/commit for batches). */
typedef atrium_status (*atrium_demo_fn)(void* user_data, atrium_db* db,
                                        const atrium_demo_request* request, atrium_error* error);

/* Told that one of the plugin's settings changed (ABI 1.1, setting_subscribe): `key` and
 * `value_json` are NUL-terminated, borrowed for the call. Runs after the change committed. */
typedef void (*atrium_setting_fn)(void* user_data, const char* key, const char* value_json);

/* An entry on the shared customer timeline. All strings borrowed for the call. */
typedef struct atrium_timeline_entry {
    uint32_t struct_size;
    const char* entity_type; /* NUL-terminated, e.g. "sales.opportunity" */
    int64_t entity_id;
    int64_t account_id;      /* 0 when the entry concerns no account */
    const char* kind;        /* NUL-terminated, e.g. "stage_changed" */
    const char* title;       /* NUL-terminated, one line shown in the timeline */
    const char* body_json;   /* JSON object with details, may be NULL */
    size_t body_json_size;
    int64_t actor_user_id;   /* 0 = the system */
} atrium_timeline_entry;

/* ============================================================================================
 * The host API table
 * ========================================================================================== */

/* Passed to init(). Host-owned; one table per plugin; valid until the process ends, so a plugin
 * may keep the pointer. Members are only ever appended (check struct_size or ATRIUM_HAS_MEMBER
 * before using a member newer than the ABI minor the plugin requires). */
typedef struct atrium_host_api {
    uint32_t struct_size;
    uint32_t abi_major;       /* the host's ABI */
    uint32_t abi_minor;
    atrium_host* host;        /* this plugin's handle: the first argument of most entries */
    const char* plugin_id;    /* host-owned, NUL-terminated: the manifest id */
    const char* plugin_dir;   /* host-owned, NUL-terminated: directory of the manifest + library */
    const char* host_version; /* host-owned, NUL-terminated: the atrium version, e.g. "1.0.0" */

    /* ---- logging and configuration ------------------------------------------------------- */

    /* Writes one log line attributed to the plugin. `message` borrowed. */
    void (*log)(atrium_host* host, int32_t level, const char* message, size_t message_size);

    /* Reads configuration key `key` (NUL-terminated, borrowed) from the plugin's own section
     * "plugins.<id>.<key>" of the host configuration (other sections stay private to the
     * host). Copies the value with a NUL into `buffer` (caller-owned, `buffer_size` bytes) and
     * stores the value's length in *value_size. ATRIUM_E_NOT_FOUND when unset;
     * ATRIUM_E_TRUNCATED when buffer_size <= *value_size (call again with a larger buffer). */
    atrium_status (*config_get)(atrium_host* host, const char* key, char* buffer,
                                size_t buffer_size, size_t* value_size, atrium_error* error);

    /* ---- database: connections and transactions ------------------------------------------ */

    /* Leases a connection for work outside a callback (init, the plugin's own threads).
     * *db becomes plugin-owned: release it with db_close, promptly (the pool is small). */
    atrium_status (*db_open)(atrium_host* host, atrium_db** db, atrium_error* error);
    /* Returns a connection from db_open to the pool; rolls back a transaction left open and
     * finalizes statements left open. Never call it on a db handed to a callback. */
    void (*db_close)(atrium_db* db);

    /* Runs one SQL statement without parameters or results (`sql` borrowed). */
    atrium_status (*db_exec)(atrium_db* db, const char* sql, size_t sql_size, atrium_error* error);

    /* Transactions nest: the outermost begin starts a transaction, inner ones make savepoints.
     * A db handed to a callback with a transaction still open when the callback returns is
     * rolled back (and the host logs a warning). */
    atrium_status (*db_begin)(atrium_db* db, atrium_error* error);
    atrium_status (*db_commit)(atrium_db* db, atrium_error* error);
    atrium_status (*db_rollback)(atrium_db* db, atrium_error* error);

    /* ---- database: the cursor ------------------------------------------------------------ */

    /* Prepares one statement with '?' placeholders (`sql` borrowed). *stmt becomes
     * plugin-owned: release it with stmt_finalize. SQL is portable: double-quoted identifiers,
     * '||' concatenation; dialect differences go through the dialect_* entries. */
    atrium_status (*db_prepare)(atrium_db* db, const char* sql, size_t sql_size,
                                atrium_stmt** stmt, atrium_error* error);

    /* Binds parameter `index` (1-based). Text is copied. */
    atrium_status (*stmt_bind_null)(atrium_stmt* stmt, int32_t index, atrium_error* error);
    atrium_status (*stmt_bind_int)(atrium_stmt* stmt, int32_t index, int64_t value,
                                   atrium_error* error);
    atrium_status (*stmt_bind_double)(atrium_stmt* stmt, int32_t index, double value,
                                      atrium_error* error);
    atrium_status (*stmt_bind_text)(atrium_stmt* stmt, int32_t index, const char* text,
                                    size_t text_size, atrium_error* error);

    /* Executes on the first call, then advances: ATRIUM_ROW while a row is available,
     * ATRIUM_DONE at the end, or a negative ATRIUM_E_* code. Rows stream from the server. */
    atrium_status (*stmt_step)(atrium_stmt* stmt, atrium_error* error);
    /* Makes the statement ready to bind and run again. */
    atrium_status (*stmt_reset)(atrium_stmt* stmt, atrium_error* error);

    /* Column access for the current row; `column` is 0-based. Out-of-range columns read as
     * NULL. */
    int32_t (*stmt_column_count)(atrium_stmt* stmt);
    /* Host-owned, NUL-terminated, valid until stmt_finalize. */
    const char* (*stmt_column_name)(atrium_stmt* stmt, int32_t column);
    int32_t (*stmt_column_type)(atrium_stmt* stmt, int32_t column); /* ATRIUM_TYPE_* */
    int64_t (*stmt_column_int)(atrium_stmt* stmt, int32_t column);  /* NULL -> 0; text parsed */
    double (*stmt_column_double)(atrium_stmt* stmt, int32_t column);
    /* Host-owned, NUL-terminated, valid until the next step, reset or finalize; numbers come
     * back formatted; NULL (with *size = 0) for SQL NULL. `size` may be NULL. */
    const char* (*stmt_column_text)(atrium_stmt* stmt, int32_t column, size_t* size);

    /* Rows changed by the last INSERT/UPDATE/DELETE run by this statement. */
    int64_t (*stmt_changes)(atrium_stmt* stmt);
    /* Id generated by the last INSERT on this statement's connection. */
    int64_t (*stmt_last_insert_id)(atrium_stmt* stmt);

    /* Releases a statement (NULL is a no-op). */
    void (*stmt_finalize)(atrium_stmt* stmt);

    /* ---- database: bulk insert ----------------------------------------------------------- */

    /* Starts a multi-row INSERT into `table` (NUL-terminated; must be one of the plugin's own
     * tables, i.e. start with the plugin's table prefix) with `column_count` columns (array of
     * NUL-terminated names; all borrowed for the call). Values are then added row by row, column
     * by column; the host sends `INSERT INTO t(cols) VALUES (?,?),(?,?)…` with up to 1000 rows
     * per statement (fewer for very wide rows), which on MariaDB is ten times faster than one
     * statement per row. Wrap large loads in begin/commit. *bulk becomes plugin-owned. */
    atrium_status (*bulk_begin)(atrium_db* db, const char* table, const char* const* columns,
                                size_t column_count, atrium_bulk** bulk, atrium_error* error);
    atrium_status (*bulk_add_null)(atrium_bulk* bulk, atrium_error* error);
    atrium_status (*bulk_add_int)(atrium_bulk* bulk, int64_t value, atrium_error* error);
    atrium_status (*bulk_add_double)(atrium_bulk* bulk, double value, atrium_error* error);
    atrium_status (*bulk_add_text)(atrium_bulk* bulk, const char* text, size_t text_size,
                                   atrium_error* error);
    /* Sends what is buffered and releases the bulk insert (also on failure). *rows (may be NULL)
     * receives the total rows inserted. ATRIUM_E_INVALID when the last row is incomplete. */
    atrium_status (*bulk_finish)(atrium_bulk* bulk, int64_t* rows, atrium_error* error);
    /* Discards what is buffered (rows already sent stay, unless the transaction rolls back) and
     * releases the bulk insert. NULL is a no-op. */
    void (*bulk_abort)(atrium_bulk* bulk);

    /* ---- database: the dialect ------------------------------------------------------------ */

    /* "sqlite" or "mysql"; host-owned, static. */
    const char* (*dialect_name)(atrium_host* host);

    /* The following write SQL text into `buffer` (caller-owned, `buffer_size` bytes, always
     * NUL-terminated when buffer_size > 0) and its length into *text_size; ATRIUM_E_TRUNCATED
     * when buffer_size <= *text_size. Identifiers must be plain [A-Za-z_][A-Za-z0-9_.]*. */

    /* An expression giving the first day ('YYYY-MM-DD') of the `grain` bucket `column` falls
     * in. */
    atrium_status (*dialect_date_bucket)(atrium_host* host, const char* column, int32_t grain,
                                         char* buffer, size_t buffer_size, size_t* text_size,
                                         atrium_error* error);
    /* INSERT … ON CONFLICT / ON DUPLICATE KEY UPDATE into `table` with a '?' per column,
     * updating the non-key columns. Arrays of NUL-terminated names, borrowed. */
    atrium_status (*dialect_upsert)(atrium_host* host, const char* table,
                                    const char* const* columns, size_t column_count,
                                    const char* const* key_columns, size_t key_column_count,
                                    char* buffer, size_t buffer_size, size_t* text_size,
                                    atrium_error* error);
    /* Expands the DDL type macros (${ID} ${BIGINT} ${INT} ${STR} ${TEXT} ${MONEY} ${REAL}
     * ${DATETIME} ${DATE} ${BOOL} ${TABLE}) for this backend. */
    atrium_status (*dialect_expand)(atrium_host* host, const char* ddl, size_t ddl_size,
                                    char* buffer, size_t buffer_size, size_t* text_size,
                                    atrium_error* error);

    /* ---- HTTP ---------------------------------------------------------------------------- */

    /* Registers a route (only during init; `route` and its strings borrowed for the call).
     * Paths live under /api/v1/<plugin id>/. The host checks the caller's authentication, the
     * route's permission and the department enablement of the plugin before calling the
     * handler. */
    atrium_status (*route_add)(atrium_host* host, const atrium_route* route, atrium_error* error);

    /* Writing the response of a route handler. Strings borrowed (copied by the host). */
    void (*response_set_status)(atrium_response* response, int32_t status);
    void (*response_set_content_type)(atrium_response* response, const char* content_type);
    /* Adds a header (NUL-terminated name and value). Refuses names the host controls
     * (Content-Length, Set-Cookie, Transfer-Encoding, Connection) with ATRIUM_E_INVALID. */
    atrium_status (*response_add_header)(atrium_response* response, const char* name,
                                         const char* value, atrium_error* error);
    /* Replaces / appends to the body. */
    void (*response_set_body)(atrium_response* response, const char* data, size_t size);
    void (*response_append_body)(atrium_response* response, const char* data, size_t size);

    /* ---- events -------------------------------------------------------------------------- */

    /* Subscribes (only during init) to `topic` (NUL-terminated, borrowed): an exact topic
     * ("sales.opportunity.won"), a prefix ending in ".*" ("sales.*"), or "*". `user_data` is
     * plugin-owned and must outlive shutdown. */
    atrium_status (*event_subscribe)(atrium_host* host, const char* topic, atrium_event_fn fn,
                                     void* user_data, atrium_error* error);
    /* Publishes `payload` (a JSON document, borrowed) on `topic`, which must start with
     * "<plugin id>.". Subscribers run before this returns, on `db` (may be NULL: then each
     * subscriber gets its own leased connection). Subscriber failures are logged, not
     * returned. */
    atrium_status (*event_publish)(atrium_host* host, atrium_db* db, const char* topic,
                                   const char* payload, size_t payload_size, atrium_error* error);

    /* ---- the customer timeline ------------------------------------------------------------ */

    /* Appends an entry (`entry` borrowed) on `db`, inside its transaction if one is open.
     * *id (may be NULL) receives the new entry's id. */
    atrium_status (*timeline_append)(atrium_db* db, const atrium_timeline_entry* entry,
                                     int64_t* id, atrium_error* error);

    /* ---- permissions and record scope ------------------------------------------------------ */

    /* The widest ATRIUM_SCOPE_* granted to `principal` for `permission` (NUL-terminated). */
    int32_t (*principal_scope)(const atrium_principal* principal, const char* permission);
    /* Nonzero when a role of `principal` hides `field` (e.g. "sales.opportunity.amount"). */
    int32_t (*principal_field_denied)(const atrium_principal* principal, const char* field);

    /* Builds the SQL predicate restricting rows to what `principal` may see under
     * `permission`: "1=1" for ALL, an owner test for OWN, a department-subtree test for
     * DEPARTMENT, "1=0" for NONE. `owner_column` / `department_column` (NUL-terminated, either
     * may be NULL) name the record's owner user id and department id columns, e.g. "o.owner_id".
     * With only an owner column, DEPARTMENT means "owned by someone in the subtree"; with only a
     * department column, OWN means nothing is visible. The predicate text goes to `buffer` as
     * for the dialect entries; its '?' parameters (at most 4) go to `params` (caller-owned array
     * of `params_capacity`), their number to *param_count. Bind them in order. */
    atrium_status (*scope_predicate)(atrium_host* host, const atrium_principal* principal,
                                     const char* permission, const char* owner_column,
                                     const char* department_column, char* buffer,
                                     size_t buffer_size, size_t* text_size, atrium_value* params,
                                     size_t params_capacity, size_t* param_count,
                                     atrium_error* error);

    /* ---- reporting ----------------------------------------------------------------------- */

    /* Declares a dataset / KPI (only during init) as a JSON object (borrowed) whose "id" is
     * listed in the manifest's "datasets" / "kpis". The reporting engine reads these documents;
     * their schema is in docs/plugin-guide.md. */
    atrium_status (*dataset_declare)(atrium_host* host, const char* json, size_t json_size,
                                     atrium_error* error);
    atrium_status (*kpi_declare)(atrium_host* host, const char* json, size_t json_size,
                                 atrium_error* error);

    /* ---- UI assets and demo data ---------------------------------------------------------- */

    /* Serves the files of `directory` (NUL-terminated; relative to plugin_dir, or absolute)
     * under /plugins/<plugin id>/ (only during init; once per plugin). */
    atrium_status (*assets_register)(atrium_host* host, const char* directory,
                                     atrium_error* error);

    /* Registers the demo-data hook `atrium demo` calls (only during init; once per plugin).
     * `user_data` is plugin-owned and must outlive shutdown. */
    atrium_status (*demo_register)(atrium_host* host, atrium_demo_fn fn, void* user_data,
                                   atrium_error* error);

    /* ---- audit and core customer records ---------------------------------------------------- */

    /* Appends a row to the host's audit log on `db`, inside its transaction when one is open
     * (a write and its audit row then commit or roll back together). `principal` is the actor
     * (NULL = the system, e.g. a demo hook); `action` ("create", "update", "delete", "convert",
     * …) and `entity_type` ("sales.opportunity") are NUL-terminated; `old_json` / `new_json`
     * are JSON objects of the given sizes or NULL; `request_id` is NUL-terminated or NULL.
     * All borrowed for the call. */
    atrium_status (*audit_append)(atrium_db* db, const atrium_principal* principal, const char* action,
                                  const char* entity_type, int64_t entity_id, const char* old_json,
                                  size_t old_json_size, const char* new_json, size_t new_json_size,
                                  const char* request_id, atrium_error* error);

    /* Creates a core customer record on `db`, inside its transaction when one is open: the
     * way a plugin adds to tables the core owns (e.g. converting a lead). `kind` is "account"
     * or "contact" (NUL-terminated); `json` (borrowed, `json_size` bytes) is an object with
     * the fields POST /api/v1/accounts or /api/v1/contacts accepts, plus an optional
     * "owner_id" (default: the principal). The host validates it as that route does
     * (ATRIUM_E_INVALID; the message names the field: "name: This field is required."),
     * checks the principal's core.<kind>.write scope for the owner (ATRIUM_E_FORBIDDEN),
     * sets the owner's department, writes the audit row and the timeline entry, and stores
     * the new id in *id. `principal` must not be NULL. */
    atrium_status (*customer_create)(atrium_db* db, const atrium_principal* principal, const char* kind,
                                     const char* json, size_t json_size, int64_t* id,
                                     atrium_error* error);

    /* ==== ABI 1.1 ============================================================================
     * Members below this line are absent from a 1.0 host's table: check them with
     * ATRIUM_HAS_MEMBER(host_api, atrium_host_api, member) before calling (the C++ layer does). */

    /* ---- reporting: what a module ships ready-made --------------------------------------- */

    /* Declares a built-in dashboard (only during init) as a JSON object (borrowed, `json_size`
     * bytes) whose "id" is listed in the manifest's "dashboards": {id, name {en, zh-CN},
     * description?, filters?, widgets [...]} as in docs/reporting.md. The reporting engine serves
     * it read-only (copyable, shared with every user of the plugin's enabled departments) as
     * "builtin.<id with each '.' replaced by '_'>": "sales.overview" -> "builtin.sales_overview".
     * ATRIUM_E_INVALID when it is not an object with a listed, not yet declared "id";
     * ATRIUM_E_STATE after init. */
    atrium_status (*dashboard_declare)(atrium_host* host, const char* json, size_t json_size,
                                       atrium_error* error);
    /* Declares a scorecard template (only during init), the same way: "id" listed in the
     * manifest's "scorecard_templates", body {name, subject, subject_roles?, items [{kpi, weight,
     * target}], cap?, bands?} as in docs/reporting.md; served as "builtin.<id, '.' -> '_'>". */
    atrium_status (*scorecard_template_declare)(atrium_host* host, const char* json,
                                                size_t json_size, atrium_error* error);

    /* ---- settings (ABI 1.1) ------------------------------------------------------------- */

    /* The current value of the setting `key` (NUL-terminated) the manifest declares in
     * "settings", as JSON text ("\"zh-CN\"", "42", "true") written to `buffer` as for the
     * dialect entries (ATRIUM_E_TRUNCATED when buffer_size <= *text_size). Precedence: the
     * value an administrator stored (PUT /api/v1/admin/plugins/<id>/settings/<key>), else the
     * configuration file's atrium.plugins.<id>.<key> (when valid for the type), else the
     * manifest's "default". ATRIUM_E_NOT_FOUND when the manifest declares no such key. Cheap
     * enough to call per request, so a change applies without a restart. */
    atrium_status (*setting_get)(atrium_host* host, const char* key, char* buffer,
                                 size_t buffer_size, size_t* text_size, atrium_error* error);
    /* Subscribes (only during init) to changes of the plugin's own settings: after a change
     * commits the host calls fn(user_data, key, value_json) (both NUL-terminated, borrowed for
     * the call; value_json as setting_get returns it). `user_data` is plugin-owned and must
     * outlive shutdown. The callback must not block for long; its failures are logged. */
    atrium_status (*setting_subscribe)(atrium_host* host, atrium_setting_fn fn, void* user_data,
                                       atrium_error* error);
} atrium_host_api;

/* ============================================================================================
 * The plugin descriptor and the entry point
 * ========================================================================================== */

/* One schema migration of the plugin's own tables. Migrations are numbered 1, 2, 3 … without
 * gaps, never edited once released, and applied in order, each in a transaction, before init.
 * SQL may hold several statements separated by ';' and uses the ${…} type macros. Every table
 * the plugin creates must start with its table prefix: the id with every character other than
 * [A-Za-z0-9] replaced by '_', then '_' (plugin "acme.invoices" -> "acme_invoices_"). */
typedef struct atrium_migration {
    int32_t version;
    const char* name; /* plugin-owned static string, NUL-terminated: a short description */
    const char* sql;  /* plugin-owned static string, NUL-terminated */
} atrium_migration;

/* What atrium_plugin_query() returns. Plugin-owned, static: must stay valid and unchanged
 * while the library is mapped (which is until the process ends). */
typedef struct atrium_plugin_descriptor {
    uint32_t struct_size; /* sizeof(atrium_plugin_descriptor) as the plugin was built */
    uint32_t abi_major;   /* ATRIUM_ABI_MAJOR as the plugin was built */
    uint32_t abi_minor;   /* the lowest host minor the plugin needs (normally ATRIUM_ABI_MINOR) */

    /* The manifest built into the library: must parse to the same JSON as atrium-plugin.json
     * beside it, so a library never runs under someone else's manifest. Static, UTF-8. */
    const char* manifest_json;
    size_t manifest_size;

    /* The plugin's migrations (static array, may be NULL when migration_count is 0). */
    const atrium_migration* migrations;
    size_t migration_count;

    /* Initialises the plugin. `host_api` is host-owned and valid until the process ends. Store
     * the plugin's state in *ctx (plugin-owned; handed back to shutdown). Register routes,
     * subscriptions, datasets, KPIs, assets and the demo hook here. On failure return an
     * ATRIUM_E_* code with `error` filled, after releasing everything allocated: the host then
     * undoes the registrations and does NOT call shutdown. */
    atrium_status (*init)(const atrium_host_api* host_api, void** ctx, atrium_error* error);

    /* Releases what init allocated. The host calls it once per successful init, after every
     * callback in flight returned and no new one can start. Must not fail. */
    void (*shutdown)(void* ctx);
} atrium_plugin_descriptor;

/* The sizes of the ABI 1.0 layouts: what either side accepts at least. They end at the last
 * member of version 1.0 and therefore never change when members are appended. */
#define ATRIUM_DESCRIPTOR_SIZE_V1 \
    ((uint32_t)(offsetof(atrium_plugin_descriptor, shutdown) + sizeof(void (*)(void*))))
#define ATRIUM_HOST_API_SIZE_V1 \
    ((uint32_t)(offsetof(atrium_host_api, customer_create) + sizeof(void (*)(void))))
#define ATRIUM_REQUEST_SIZE_V1 \
    ((uint32_t)(offsetof(atrium_request, principal) + sizeof(const void*)))

/* The one symbol every plugin exports. Returns the descriptor (never NULL). It runs before any
 * compatibility check, so it must do nothing but return the same descriptor every time: no
 * host calls, no threads, no I/O. The host may call it more than once. */
typedef const atrium_plugin_descriptor* (*atrium_plugin_query_fn)(void);
ATRIUM_PLUGIN_EXPORT const atrium_plugin_descriptor* atrium_plugin_query(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATRIUM_PLUGIN_H */
