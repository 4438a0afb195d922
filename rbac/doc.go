// Package rbac decides who may call what: typed roles, permissions granted
// to a minimum role, authentication by JWT or API key, net/http middleware
// and a mux on which no route can be registered without stating its access.
//
// It was written against the failures of the platform it replaces: role
// checks on a third of the endpoints, roles compared by list membership,
// JWT libraries used with an open algorithm list and an optional expiry.
//
// # Roles
//
// A [Role] is a small integer in a total order:
//
//	None < ReadOnly < APIUser < Developer < Admin < SuperAdmin
//
// The zero value, None, satisfies nothing. A requirement is met when the
// caller's role is at least the required one: [Role.Satisfies] is two
// integer comparisons, with no lock and no allocation. A numeric value
// outside the set (Role(9)) never satisfies a check. Text and JSON use the
// snake_case names ("read_only", "api_user", "developer", "admin",
// "super_admin", and "none"); [ParseRole] accepts exactly those bytes.
//
// [Role.CanGrant] is the anti-escalation rule: a principal may grant only
// roles strictly below its own, except that SuperAdmin may grant
// SuperAdmin (otherwise the top role could never be handed over).
//
// # Permissions and policy
//
// A [Permission] names an action ("agents:execute"); a [Policy], built and
// validated once by [NewPolicy], maps each permission to its minimum role.
// An invalid name, or a grant to None or to an undefined role, is an error
// at construction; requiring a permission the policy lacks is an error
// when the route is registered. Nothing is a silent deny. A policy can
// come from configuration: a JSON object of permission names to role names
// decodes into a map[Permission]Role with the strict role parser, ready for
// NewPolicy. [Policy.Allows] uses a collision-free table built at
// construction: no lock, no allocation, no map lookup (about 11 ns on a
// small VM, most of it the hash of the name). A [Mux] resolves each
// route's permission to its minimum role once, at registration, so the
// check per request is [Role.Satisfies] (about 2 ns); code with its own hot
// path does the same with [Policy.MinRole].
//
// # Authentication
//
// An [Authenticator] turns a request into a [Principal]. Two are built in:
//
//   - [JWT] verifies "Authorization: Bearer" tokens with
//     github.com/golang-jwt/jwt/v5. The algorithm list, issuer, audience and
//     keys are required settings. Each [Key] is bound to one key id and one
//     algorithm, so a token naming HS256 is never checked against an RSA or
//     Ed25519 key; HMAC secrets are at least 32 (48, 64) bytes. exp is
//     required and capped by MaxLifetime (default 24h), nbf and iat are
//     honoured, leeway is at most two minutes, and the header is capped
//     (default 4096 bytes) before any parsing. Keys rotate by installing a
//     new [KeySet] with [JWT.SetKeys], an atomic pointer swap: the request
//     path takes no lock. The role travels in the "role" claim as a string.
//   - [APIKeys] accepts "Authorization: ApiKey <id>.<secret>". Only the
//     SHA-256 digest of each key is stored; the record is found by id and
//     the digest compared in constant time. [NewAPIKey] makes keys. The
//     set lives in memory and is replaced atomically with
//     [APIKeys.SetKeys]; a fleet that keeps keys in a shared database
//     implements [Authenticator] over it (JWTs need no shared state).
//
// [Chain] combines authenticators. [Mint] makes tokens for tests, tools
// and development modes.
//
// The authenticated principal is stored in the request context under an
// unexported key; read it with [PrincipalFrom]. Identity headers sent by
// clients (X-User, X-Role, ...) are never read.
//
// # Enforcement
//
// A [Mux] wraps http.ServeMux. Every [Mux.Handle] names an [Access]: a
// Role, a Permission or [Public]; omitting it is an error. The check is
// attached to the route's own handler, so no spelling of the path reaches
// a handler without its check. [Mux.Routes] lists the table (method,
// pattern, access) for documentation and audit, and package rbactest
// asserts that every route of a mux refuses unauthenticated callers and,
// given a way to sign requests, callers below its role.
//
// A [Guard] is the same check as plain middleware, for other routers.
//
// Responses: missing or rejected credentials get 401 with a
// WWW-Authenticate challenge; an authenticated caller below the required
// role gets 403; an authenticator that fails for another reason (a store
// outage) gets 503. Bodies are RFC 9457 problem documents with generic
// text that never says which check failed. HEAD and OPTIONS are checked
// like every other method (a CORS preflight needs an explicit Public
// OPTIONS route). Requests that match no route get 404 or 405 problems.
//
// Every decision, allowed or denied, goes to Settings.OnDecision with a
// reason from a fixed set ([ReasonMissingToken], [ReasonBadSignature],
// [ReasonExpired], [ReasonInsufficientRole], ...), so a host can send
// denials to its ledger and metrics without this package importing them.
// No decision, log record, error or response ever contains a token, key
// or Authorization header value.
//
// # Zero values and concurrency
//
// Role, Permission, Principal, Decision and Route are plain values. Policy,
// KeySet, JWT, APIKeys, Guard and Mux are built by their constructors, are
// immutable or internally synchronised, and are safe for concurrent use;
// their zero values are not usable except where a type's documentation
// says so. No constructor starts a goroutine.
package rbac
