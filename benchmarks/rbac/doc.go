// Package rbacbench compares package rbac's access check with casbin v2's
// Enforce on the same five-role policy (read_only < api_user < developer <
// admin < super_admin, four permissions, hierarchy as grouping rules).
// Run it with
//
//	go test -run '^$' -bench . -benchmem -count 5 ./rbac/
//
// The end-to-end middleware numbers (JWT verification plus check) are in
// the rbac package's own benchmarks.
package rbacbench
