package main

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/health"
)

// numOutcomes is the number of agent.Outcome values counted.
const numOutcomes = int(agent.OutcomeCanceled) + 1

// metrics are the platform's counters, served in the Prometheus text format.
// Every counter is an atomic; the per-agent table is built before serving and
// only read afterwards.
type metrics struct {
	requests       [6]atomic.Int64 // by status class: 0 = other, 1..5 = 1xx..5xx
	denials        atomic.Int64
	denialsDropped atomic.Int64
	executions     map[string]*[numOutcomes]atomic.Int64
}

func newMetrics() *metrics {
	return &metrics{executions: map[string]*[numOutcomes]atomic.Int64{}}
}

func (m *metrics) request(status int) {
	c := status / 100
	if c < 1 || c > 5 {
		c = 0
	}
	m.requests[c].Add(1)
}

// hooks adds execution counting to base.
func (m *metrics) hooks(base agent.Hooks) agent.Hooks {
	for _, name := range []string{agentScanner, agentTheme, agentSizes, agentDiagnostics} {
		m.executions[name] = new([numOutcomes]atomic.Int64)
	}
	next := base.OnComplete
	base.OnComplete = func(ctx context.Context, e agent.Event) {
		if c, ok := m.executions[e.Agent]; ok && int(e.Outcome) < len(c) {
			c[e.Outcome].Add(1)
		}
		if next != nil {
			next(ctx, e)
		}
	}
	return base
}

func (p *platform) serveMetrics(w http.ResponseWriter, r *http.Request) {
	m := p.metrics
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintln(w, "# HELP devskyy_http_requests_total HTTP requests by status class.")
	fmt.Fprintln(w, "# TYPE devskyy_http_requests_total counter")
	for c := 1; c <= 5; c++ {
		fmt.Fprintf(w, "devskyy_http_requests_total{code=\"%dxx\"} %d\n", c, m.requests[c].Load())
	}
	fmt.Fprintln(w, "# HELP devskyy_agent_executions_total Agent executions by outcome.")
	fmt.Fprintln(w, "# TYPE devskyy_agent_executions_total counter")
	for _, d := range p.agents.List() {
		c, ok := m.executions[d.Name]
		if !ok {
			continue
		}
		for i := range c {
			fmt.Fprintf(w, "devskyy_agent_executions_total{agent=%q,outcome=%q} %d\n", d.Name, agent.Outcome(i).String(), c[i].Load())
		}
	}
	fmt.Fprintln(w, "# HELP devskyy_agent_in_flight Executions in progress per agent.")
	fmt.Fprintln(w, "# TYPE devskyy_agent_in_flight gauge")
	for _, d := range p.agents.List() {
		fmt.Fprintf(w, "devskyy_agent_in_flight{agent=%q} %d\n", d.Name, d.InFlight)
	}
	fmt.Fprintln(w, "# HELP devskyy_breaker_open Whether an agent's breaker rejects calls (1) or not (0).")
	fmt.Fprintln(w, "# TYPE devskyy_breaker_open gauge")
	for _, d := range p.agents.List() {
		open := 0
		if d.Breaker == "open" || d.Breaker == "forced-open" {
			open = 1
		}
		fmt.Fprintf(w, "devskyy_breaker_open{agent=%q} %d\n", d.Name, open)
	}
	fmt.Fprintln(w, "# HELP devskyy_rbac_denials_total Requests denied by access control.")
	fmt.Fprintln(w, "# TYPE devskyy_rbac_denials_total counter")
	fmt.Fprintf(w, "devskyy_rbac_denials_total %d\n", m.denials.Load())
	fmt.Fprintf(w, "devskyy_rbac_denials_unrecorded_total %d\n", m.denialsDropped.Load())
	fmt.Fprintln(w, "# HELP devskyy_ledger_records The ledger's head sequence number.")
	fmt.Fprintln(w, "# TYPE devskyy_ledger_records gauge")
	fmt.Fprintf(w, "devskyy_ledger_records %d\n", p.led.Head().Seq)
	fmt.Fprintln(w, "# HELP devskyy_health_status Probe status per group (0 unknown, 1 pass, 2 warn, 3 fail).")
	fmt.Fprintln(w, "# TYPE devskyy_health_status gauge")
	for _, g := range []string{health.GroupLive, health.GroupReady, health.GroupStartup} {
		st, _ := p.checker.Status(g)
		fmt.Fprintf(w, "devskyy_health_status{group=%q} %d\n", g, st)
	}
}
