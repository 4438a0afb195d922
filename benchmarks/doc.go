// Package benchmarks measures the DevSkyy SDK against its peers in the same
// run. Each sub-package compares one SDK package with the libraries a Go
// engineer would otherwise pick; see README.md for how to run and read them.
package benchmarks

// The peers are imported here so that the module's requirements stay stable
// while the comparison packages are written; each is also used by the
// sub-package that measures it.
import (
	_ "github.com/alexliesenfeld/health"
	_ "github.com/casbin/casbin/v2"
	_ "github.com/eapache/go-resiliency/breaker"
	_ "github.com/failsafe-go/failsafe-go"
	_ "github.com/hellofresh/health-go/v5"
	_ "github.com/sony/gobreaker/v2"
)
