package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/devskyy/devskyy/agent"
)

// Mode is how a graph reacts to a failed required node. The zero value is
// [FailFast].
type Mode uint8

const (
	// FailFast cancels the running nodes and starts no more.
	FailFast Mode = iota
	// ContinueOnError skips the failed node's dependents and runs the rest.
	ContinueOnError
)

// ErrFailFast is the context cause seen by the nodes cancelled when a
// graph fails fast.
var ErrFailFast = errors.New("flow: graph failed fast")

// ErrSkipped is the error of a node that did not run because a required
// dependency failed or the graph failed fast.
var ErrSkipped = errors.New("flow: skipped")

// Options configure a [Graph]. The zero value runs every ready node at once
// in [FailFast] mode.
type Options struct {
	// Limit caps the nodes running at once; zero or negative means no cap.
	Limit int
	// Mode is the failure mode.
	Mode Mode
}

// Dep names a dependency: a [Ref] or a [Name].
type Dep interface{ depName() string }

// Name is a dependency given by node name, for a node added later.
type Name string

func (n Name) depName() string { return string(n) }

// Ref is the typed reference to a node whose output is Out, returned by
// [Add]. Pass it as a dependency and to [Get]. The zero value refers to no
// node.
type Ref[Out any] struct{ name string }

// Name returns the node's name.
func (r Ref[Out]) Name() string { return r.name }

func (r Ref[Out]) depName() string { return r.name }

type node struct {
	name     string
	deps     []string
	optional bool
	run      func(ctx context.Context, v Values) (any, error)
}

// Graph collects nodes. Build it with [NewGraph], [Add] and [Optional],
// then call [Graph.Build]. The zero value is not usable; a Graph is not safe
// for concurrent use.
type Graph struct {
	opts  Options
	nodes []*node
}

// NewGraph returns an empty graph.
func NewGraph(opts Options) *Graph { return &Graph{opts: opts} }

// Add adds a node that runs h with the input built by input from the
// outputs of deps, and returns its reference.
func Add[In, Out any](g *Graph, name string, h *agent.Handle[In, Out], input func(ctx context.Context, v Values) (In, error), deps ...Dep) Ref[Out] {
	return add(g, name, h, input, false, deps)
}

// Optional is [Add] for a node whose failure does not fail the graph.
func Optional[In, Out any](g *Graph, name string, h *agent.Handle[In, Out], input func(ctx context.Context, v Values) (In, error), deps ...Dep) Ref[Out] {
	return add(g, name, h, input, true, deps)
}

func add[In, Out any](g *Graph, name string, h *agent.Handle[In, Out], input func(context.Context, Values) (In, error), optional bool, deps []Dep) Ref[Out] {
	n := &node{name: name, optional: optional}
	for _, d := range deps {
		n.deps = append(n.deps, d.depName())
	}
	n.run = func(ctx context.Context, v Values) (any, error) {
		var in In
		if input != nil {
			var err error
			if in, err = input(ctx, v); err != nil {
				return nil, fmt.Errorf("flow: input: %w", err)
			}
		}
		r := h.Run(ctx, in)
		return r, r.Err
	}
	g.nodes = append(g.nodes, n)
	return Ref[Out]{name: name}
}

// Plan is a checked, immutable graph. It is safe for concurrent use.
type Plan struct {
	opts       Options
	nodes      []*node
	index      map[string]int
	deps       [][]int // by node
	dependents [][]int
	roots      []int
}

// Build checks the graph: non-empty unique names, known dependencies, no
// self-dependency and no cycle (the error names the nodes on cycles).
func (g *Graph) Build() (*Plan, error) {
	p := &Plan{opts: g.opts, nodes: slices.Clone(g.nodes), index: map[string]int{}}
	for i, n := range p.nodes {
		if n.name == "" {
			return nil, errors.New("flow: node without a name")
		}
		if _, dup := p.index[n.name]; dup {
			return nil, fmt.Errorf("flow: duplicate node %s", n.name)
		}
		p.index[n.name] = i
	}
	p.deps = make([][]int, len(p.nodes))
	p.dependents = make([][]int, len(p.nodes))
	indeg := make([]int, len(p.nodes))
	for i, n := range p.nodes {
		for _, d := range n.deps {
			j, ok := p.index[d]
			if !ok {
				return nil, fmt.Errorf("flow: node %s depends on unknown node %s", n.name, d)
			}
			if slices.Contains(p.deps[i], j) {
				continue
			}
			p.deps[i] = append(p.deps[i], j)
			p.dependents[j] = append(p.dependents[j], i)
			indeg[i]++
		}
		if indeg[i] == 0 {
			p.roots = append(p.roots, i)
		}
	}
	// Kahn: whatever is left has a cycle through it.
	queue := slices.Clone(p.roots)
	left := slices.Clone(indeg)
	seen := 0
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		seen++
		for _, d := range p.dependents[i] {
			if left[d]--; left[d] == 0 {
				queue = append(queue, d)
			}
		}
	}
	if seen < len(p.nodes) {
		var cyc []string
		for i, l := range left {
			if l > 0 {
				cyc = append(cyc, p.nodes[i].name)
			}
		}
		return nil, fmt.Errorf("flow: dependency cycle among %v", cyc)
	}
	return p, nil
}

type slot struct {
	val any
	err error
}

// Values gives access to node outputs: inside an input function, those of
// the node's dependencies; after [Plan.Run], those of every node. The zero
// value holds nothing. Values is safe for concurrent reads.
type Values struct {
	p       *Plan
	slots   []slot
	allowed []int // nil: all
}

func (v Values) slot(name string) (slot, bool) {
	i, ok := v.p.index[name]
	if !ok || (v.allowed != nil && !slices.Contains(v.allowed, i)) {
		return slot{}, false
	}
	return v.slots[i], true
}

// Get returns the output of the node r and whether it succeeded (a
// degraded answer counts as success). It returns false for a node that
// failed, was skipped, or is not visible from here.
func Get[Out any](v Values, r Ref[Out]) (Out, bool) {
	res, ok := ResultOf(v, r)
	return res.Output, ok && res.Err == nil
}

// ResultOf returns the full result of the node r, and whether the node ran.
func ResultOf[Out any](v Values, r Ref[Out]) (agent.Result[Out], bool) {
	s, ok := v.slot(r.name)
	if !ok || v.p == nil {
		return agent.Result[Out]{}, false
	}
	res, ok := s.val.(agent.Result[Out])
	return res, ok
}

// Err returns the error of the named node: nil on success, [ErrSkipped]
// when it did not run.
func (v Values) Err(name string) error {
	s, ok := v.slot(name)
	if !ok {
		return fmt.Errorf("flow: no node %s here", name)
	}
	return s.err
}

// Run runs the plan and returns every node's outcome, and the graph's
// error (see the package documentation for the modes). It returns after
// every node it started has returned.
func (p *Plan) Run(ctx context.Context) (Values, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	n := len(p.nodes)
	slots := make([]slot, n)
	state := make([]uint8, n) // 0 waiting, 1 running, 2 done
	indeg := make([]int, n)
	skip := make([]bool, n)
	for i := range p.nodes {
		indeg[i] = len(p.deps[i])
	}
	limit := p.opts.Limit
	if limit <= 0 {
		limit = n
	}
	ready := slices.Clone(p.roots)
	done := make(chan int, n)
	var wg sync.WaitGroup
	running := 0
	stopped := false
	var errs []error

	var complete func(i int)
	complete = func(i int) {
		state[i] = 2
		failed := slots[i].err != nil && !p.nodes[i].optional
		if failed && !errors.Is(slots[i].err, ErrSkipped) {
			errs = append(errs, fmt.Errorf("flow: node %s: %w", p.nodes[i].name, slots[i].err))
			if p.opts.Mode == FailFast && !stopped {
				stopped = true
				cancel(ErrFailFast)
			}
		}
		for _, d := range p.dependents[i] {
			skip[d] = skip[d] || failed
			if indeg[d]--; indeg[d] == 0 {
				if skip[d] {
					slots[d].err = ErrSkipped
					complete(d)
				} else {
					ready = append(ready, d)
				}
			}
		}
	}
	for {
		for len(ready) > 0 && running < limit && !stopped {
			i := ready[0]
			ready = ready[1:]
			state[i] = 1
			running++
			v := Values{p: p, slots: slots, allowed: p.deps[i]}
			if v.allowed == nil {
				v.allowed = []int{}
			}
			nd := p.nodes[i]
			wg.Go(func() {
				val, err := nd.run(ctx, v)
				slots[i] = slot{val: val, err: err}
				done <- i
			})
		}
		if running == 0 {
			break
		}
		i := <-done
		running--
		complete(i)
	}
	wg.Wait()
	for i := range state {
		if state[i] != 2 {
			slots[i].err = ErrSkipped
		}
	}
	if p.opts.Mode == FailFast && len(errs) > 0 {
		return Values{p: p, slots: slots}, errs[0] // the cause; the rest were cancelled by it
	}
	return Values{p: p, slots: slots}, errors.Join(errs...)
}
