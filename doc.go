// Package devskyy is the root of the DevSkyy Go SDK: embeddable agents and the
// platform primitives they need to run safely in production. It holds no code;
// import the packages below and compose them in your own main.
//
//   - [github.com/devskyy/devskyy/config]: validated settings from the environment,
//     .env and *_FILE secrets, with secrets that cannot leak.
//   - [github.com/devskyy/devskyy/breaker]: a lock-free circuit breaker.
//   - [github.com/devskyy/devskyy/ledger]: a durable, append-only, tamper-evident
//     error and audit ledger.
//   - [github.com/devskyy/devskyy/rbac]: roles, authentication (JWT, API keys)
//     and secure-by-default routes.
//   - [github.com/devskyy/devskyy/health]: checks, probes and health handlers.
//   - [github.com/devskyy/devskyy/registry]: a model version registry with
//     digests, gated activation and rollback.
//   - [github.com/devskyy/devskyy/agent]: the Agent interface, its registry, a
//     runner with timeouts, retries, breakers, bulkheads and a ledger, and
//     orchestration.
//
// Packages config, breaker, ledger, rbac, health and registry are leaves: none
// imports another, except that any may record to ledger. Only the programs
// under examples/ import everything.
package devskyy
