// Package benchmarks measures the DevSkyy SDK against its peers in the same
// run. Each sub-package compares one SDK package with the libraries a Go
// engineer would otherwise pick; see README.md for how to run and read them.
package benchmarks
