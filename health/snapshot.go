package health

import (
	"encoding/json"
	"time"
)

// snapshot is an immutable view of every check and group, with each group's
// response bodies encoded once. Handlers load it through an atomic pointer;
// publish replaces it after every state change.
type snapshot struct {
	checks []checkView
	groups []groupView
}

type checkView struct {
	name       string
	mode       Mode
	optional   bool
	status     Status
	last       Result
	lastRun    time.Time
	duration   time.Duration
	runs       uint64
	stale      bool // OnDemand or Stale, and no result younger than TTL
	stuckSince time.Time
}

// Body variants of a group.
const (
	bodyJSON = iota
	bodyJSONVerbose
	bodyText
	bodyTextVerbose
	numBodies
)

type groupView struct {
	status Status
	code   int
	// stale reports whether an OnDemand or Stale member needs a run.
	stale  bool
	bodies [numBodies][]byte
}

// publish rebuilds and stores the snapshot.
func (c *Checker) publish() {
	c.pubMu.Lock()
	defer c.pubMu.Unlock()
	s := &snapshot{checks: make([]checkView, len(c.checks)), groups: make([]groupView, len(c.groups))}
	for i, cs := range c.checks {
		cs.mu.Lock()
		st := cs.st
		cs.mu.Unlock()
		s.checks[i] = checkView{
			name: cs.def.Name, mode: cs.def.Mode, optional: cs.def.Optional,
			status: st.status, last: st.last, lastRun: st.lastRun, duration: st.duration,
			runs: st.runs, stale: cs.def.Mode != Background && !st.fresh, stuckSince: st.stuckSince,
		}
	}
	for gi, g := range c.groups {
		gv := &s.groups[gi]
		for _, m := range g.members {
			gv.stale = gv.stale || s.checks[m].stale
		}
		status, output := c.groupStatus(g.name, s, g.members, nil)
		if g.name == GroupStartup {
			if status == StatusPass || status == StatusWarn {
				c.started = true
			}
			if c.started {
				status, output = StatusPass, ""
			}
		}
		gv.status = status
		gv.code = status.httpCode()
		gv.bodies = encodeBodies(g.name, status, output, s, g.members, nil)
	}
	c.snap.Store(s)
}

// groupStatus aggregates members of group (minus those in exclude) and
// returns the group's status and output.
func (c *Checker) groupStatus(group string, s *snapshot, members []int, exclude map[string]bool) (Status, string) {
	if group == GroupReady && c.drained.Load() {
		return StatusFail, "draining"
	}
	agg := StatusPass
	for _, m := range members {
		cv := &s.checks[m]
		if exclude[cv.name] {
			continue
		}
		st := cv.status
		if cv.optional {
			switch st {
			case StatusFail:
				st = StatusWarn
			case StatusUnknown:
				st = StatusPass
			}
		}
		if st.severity() > agg.severity() {
			agg = st
		}
	}
	return agg, ""
}

// encodeBodies returns the four bodies of a group view.
func encodeBodies(group string, status Status, output string, s *snapshot, members []int, exclude map[string]bool) [numBodies][]byte {
	var b [numBodies][]byte
	b[bodyJSON] = encodeJSON(status, "", nil, nil, nil)
	b[bodyJSONVerbose] = encodeJSON(status, output, s, members, exclude)
	b[bodyText] = []byte(status.String() + "\n")
	b[bodyTextVerbose] = encodeText(group, status, output, s, members, exclude)
	return b
}

type jsonCheck struct {
	Status        string `json:"status"`
	ObservedValue any    `json:"observedValue,omitempty"`
	ObservedUnit  string `json:"observedUnit,omitempty"`
	Time          string `json:"time,omitempty"`
	Output        string `json:"output,omitempty"`
}

type jsonBody struct {
	Status string                 `json:"status"`
	Output string                 `json:"output,omitempty"`
	Checks map[string][]jsonCheck `json:"checks,omitempty"`
}

// checkKey and checkJSON describe one check in the health+json format.
func checkKey(cv *checkView) string {
	m := cv.last.Measurement
	if cv.last.Value == nil {
		m = "responseTime"
	}
	if m == "" {
		return cv.name
	}
	return cv.name + ":" + m
}

func checkJSON(cv *checkView) jsonCheck {
	jc := jsonCheck{Status: cv.status.String(), Output: checkOutput(cv)}
	if cv.runs > 0 {
		jc.Time = cv.lastRun.UTC().Format(time.RFC3339Nano)
		jc.ObservedValue, jc.ObservedUnit = cv.last.Value, cv.last.Unit
		if cv.last.Value == nil {
			jc.ObservedValue = float64(cv.duration.Microseconds()) / 1000
			jc.ObservedUnit = "ms"
		}
	}
	return jc
}

// checkOutput is the output shown for a check: empty for a pass.
func checkOutput(cv *checkView) string {
	out := cv.last.Output
	switch {
	case cv.runs == 0:
		out = "not run yet"
	case cv.status != cv.last.Status && cv.last.Status == StatusFail:
		out = "failing (below threshold): " + out
	case cv.status == StatusFail && cv.last.Status != StatusFail:
		out = "recovering (below threshold)"
	}
	if !cv.stuckSince.IsZero() {
		out += "; stuck since " + cv.stuckSince.UTC().Format(time.RFC3339Nano)
	}
	if cv.status == StatusPass && cv.stuckSince.IsZero() {
		return ""
	}
	return out
}

func encodeJSON(status Status, output string, s *snapshot, members []int, exclude map[string]bool) []byte {
	body := jsonBody{Status: status.String()}
	if status != StatusPass {
		body.Output = output
	}
	if s != nil {
		body.Checks = make(map[string][]jsonCheck, len(members))
		for _, m := range members {
			cv := &s.checks[m]
			if exclude[cv.name] {
				continue
			}
			k := checkKey(cv)
			body.Checks[k] = append(body.Checks[k], checkJSON(cv))
		}
	}
	b, err := json.Marshal(body)
	if err != nil { // an observed value that does not marshal
		body.Checks = nil
		body.Output = "health: unencodable observed value"
		b, _ = json.Marshal(body)
	}
	return append(b, '\n')
}

func encodeText(group string, status Status, output string, s *snapshot, members []int, exclude map[string]bool) []byte {
	var b []byte
	for _, m := range members {
		cv := &s.checks[m]
		if exclude[cv.name] {
			continue
		}
		b = appendTextLine(b, cv)
	}
	if output != "" {
		b = append(b, output...)
		b = append(b, '\n')
	}
	b = append(b, group...)
	b = append(b, " check "...)
	if status.httpCode() == 200 {
		b = append(b, "passed: "...)
	} else {
		b = append(b, "failed: "...)
	}
	b = append(b, status.String()...)
	return append(b, '\n')
}

func appendTextLine(b []byte, cv *checkView) []byte {
	if cv.status.httpCode() == 200 {
		b = append(b, "[+]"...)
	} else {
		b = append(b, "[-]"...)
	}
	b = append(b, cv.name...)
	b = append(b, ' ')
	b = append(b, cv.status.String()...)
	if out := checkOutput(cv); out != "" {
		b = append(b, ": "...)
		b = append(b, out...)
	}
	return append(b, '\n')
}
