module github.com/devskyy/devskyy/benchmarks

go 1.25.0

replace github.com/devskyy/devskyy => ../

require (
	github.com/alexliesenfeld/health v0.8.0
	github.com/casbin/casbin/v2 v2.135.0
	github.com/eapache/go-resiliency v1.7.0
	github.com/failsafe-go/failsafe-go v0.9.8
	github.com/hellofresh/health-go/v5 v5.5.4
	github.com/sony/gobreaker/v2 v2.4.0
)

require (
	github.com/bmatcuk/doublestar/v4 v4.6.1 // indirect
	github.com/casbin/govaluate v1.3.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	go.opentelemetry.io/otel v1.35.0 // indirect
	go.opentelemetry.io/otel/trace v1.35.0 // indirect
	golang.org/x/sys v0.47.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)
