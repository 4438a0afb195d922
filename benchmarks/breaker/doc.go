// Package breakerbench compares package breaker with gobreaker v2,
// failsafe-go and eapache/go-resiliency on the same guarded work: a
// non-inlined function returning nil. Run it with
//
//	go test -run '^$' -bench . -benchmem -count 10 ./breaker/
package breakerbench
