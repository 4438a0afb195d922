package main

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/devskyy/devskyy/agent"
	"github.com/devskyy/devskyy/breaker"
	"github.com/devskyy/devskyy/config"
	"github.com/devskyy/devskyy/examples/platform/internal/sizing"
	"github.com/devskyy/devskyy/health"
	"github.com/devskyy/devskyy/ledger"
	"github.com/devskyy/devskyy/rbac"
	"github.com/devskyy/devskyy/registry"
)

//go:embed models
var shippedModels embed.FS

const (
	sizeModel = "size-recommender"
	jwtKeyID  = "platform"
)

// platform is every component of one running server.
type platform struct {
	s        settings
	log      *slog.Logger // console and, from Warn up, the ledger
	console  *slog.Logger // console only
	out      io.Writer
	led      *ledger.Ledger
	agents   *agent.Registry
	models   *registry.Registry[*sizing.Model]
	modRoot  *os.Root
	modStore *registry.FileStore
	scan     *os.Root
	themes   *os.Root
	checker  *health.Checker
	mux      *rbac.Mux
	auth     rbac.Authenticator
	apiKeys  *rbac.APIKeys
	keys     []rbac.APIKey // configured API keys
	metrics  *metrics
	denials  chan ledger.Entry
	// denialsMu guards denialsClosed and the close of denials, so that a
	// late decision after shutdown is dropped instead of sent on a closed
	// channel.
	denialsMu     sync.RWMutex
	denialsClosed bool
	wg            sync.WaitGroup
	// closeOnce guards closeAll: the denial queue is closed exactly once.
	closeOnce sync.Once
	started   time.Time
}

// assemble builds every component; on error it closes what it opened.
func assemble(ctx context.Context, s settings, logger *slog.Logger, out io.Writer) (_ *platform, err error) {
	p := &platform{s: s, out: out, log: logger, console: logger, metrics: newMetrics(), denials: make(chan ledger.Entry, 1024), started: time.Now()}
	defer func() {
		if err != nil {
			_ = p.close(context.Background())
		}
	}()
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("platform: data directory: %w", err)
	}

	// The ledger, and a logger whose warnings and errors also land in it.
	p.led, err = ledger.Open(filepath.Join(s.DataDir, "ledger"), ledger.Options{
		Durability: ledger.GroupCommit, MaxTotalSize: s.LedgerMaxBytes, MaxAge: s.LedgerMaxAge, Logger: logger,
	})
	if err != nil {
		return nil, fmt.Errorf("platform: open ledger: %w", err)
	}
	p.log = slog.New(fanout{logger.Handler(), ledger.NewHandler(p.led, &ledger.HandlerOptions{Level: slog.LevelWarn, Component: "platform"})})

	if err := p.buildAuth(); err != nil {
		return nil, err
	}
	if err := p.buildModels(ctx); err != nil {
		return nil, err
	}
	if err := p.buildAgents(ctx); err != nil {
		return nil, err
	}
	if err := p.buildHealth(); err != nil {
		return nil, err
	}
	if err := p.buildRoutes(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *platform) buildAuth() error {
	key := p.s.SecretKey.Bytes()
	if len(key) == 0 {
		return errors.New("platform: DEVSKYY_SECRET_KEY is not set")
	}
	ks, err := rbac.NewKeySet(rbac.Key{ID: jwtKeyID, Algorithm: "HS256", Material: key})
	if err != nil {
		return fmt.Errorf("platform: signing key: %w", err)
	}
	jwt, err := rbac.NewJWT(rbac.JWTSettings{Algorithms: []string{"HS256"}, Keys: ks, Issuer: p.s.Issuer, Audience: p.s.Audience, Leeway: 30 * time.Second})
	if err != nil {
		return err
	}
	var keys []rbac.APIKey
	for id, spec := range p.s.APIKeys {
		k, err := parseAPIKey(id, spec)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	apiKeys, err := rbac.NewAPIKeys(rbac.APIKeySettings{Keys: keys})
	if err != nil {
		return fmt.Errorf("platform: DEVSKYY_API_KEYS: %w", err)
	}
	p.auth = rbac.Chain(jwt, apiKeys)
	p.apiKeys, p.keys = apiKeys, keys
	return nil
}

// parseAPIKey reads "role:subject:sha256hex" without echoing the value.
func parseAPIKey(id, spec string) (rbac.APIKey, error) {
	parts := strings.Split(spec, ":")
	bad := fmt.Errorf("platform: DEVSKYY_API_KEYS: key %q must be id=role:subject:sha256hex", id)
	if len(parts) != 3 {
		return rbac.APIKey{}, bad
	}
	role, err := rbac.ParseRole(parts[0])
	if err != nil {
		return rbac.APIKey{}, bad
	}
	raw, err := hex.DecodeString(parts[2])
	if err != nil || len(raw) != 32 {
		return rbac.APIKey{}, bad
	}
	k := rbac.APIKey{ID: id, Subject: parts[1], Role: role}
	copy(k.Digest[:], raw)
	return k, nil
}

// printDevCredentials prints a token per role and a demo API key, in
// development only, so that the README's curl commands work without setup.
func (p *platform) printDevCredentials() error {
	key, keys := p.s.SecretKey.Bytes(), p.keys
	fmt.Fprintln(p.out, "# development credentials (this run only; never printed outside -dev):")
	for _, role := range []rbac.Role{rbac.ReadOnly, rbac.APIUser, rbac.Developer, rbac.Admin, rbac.SuperAdmin} {
		tok, err := rbac.Mint(rbac.SigningKey{ID: jwtKeyID, Algorithm: "HS256", Material: key}, rbac.Claims{
			Subject: "dev-" + role.String(), Role: role, Issuer: p.s.Issuer, Audience: []string{p.s.Audience},
			Expires: time.Now().Add(12 * time.Hour),
		})
		if err != nil {
			return fmt.Errorf("platform: mint development token: %w", err)
		}
		fmt.Fprintf(p.out, "export TOKEN_%s=%s\n", strings.ToUpper(role.String()), tok)
	}
	demo, digest, err := rbac.NewAPIKey("dev-bot", rand.Reader)
	if err != nil {
		return err
	}
	keys = append(keys, rbac.APIKey{ID: "dev-bot", Digest: digest, Subject: "dev-bot", Role: rbac.APIUser})
	if err := p.apiKeys.SetKeys(keys); err != nil {
		return err
	}
	fmt.Fprintf(p.out, "export API_KEY=%s\n", demo)
	return nil
}

// buildModels opens the model root, installs the shipped size model's two
// versions on first start, registers them and brings the active one back
// (activating 1.0.0 the first time).
func (p *platform) buildModels(ctx context.Context) error {
	dir := filepath.Join(p.s.DataDir, "models")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("platform: models directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("platform: models directory: %w", err)
	}
	p.modRoot = root
	store, err := registry.OpenFileStore(filepath.Join(p.s.DataDir, "registry.json"))
	if err != nil {
		return fmt.Errorf("platform: registry store: %w", err)
	}
	p.modStore = store
	p.models, err = registry.New(ctx, registry.Settings[*sizing.Model]{
		Root:   root,
		Store:  store,
		Loader: registry.LoaderFunc[*sizing.Model](loadSizeModel),
		Check: func(_ context.Context, m *sizing.Model) error {
			_, err := m.Recommend(sizing.Input{ChestCM: 90, WaistCM: 76})
			return err
		},
		CheckTimeout: 5 * time.Second,
		Logger:       p.log,
	})
	if err != nil {
		return fmt.Errorf("platform: registry: %w", err)
	}
	sub := p.models.Subscribe(64)
	p.wg.Go(func() { p.recordModelEvents(sub) })

	versions, err := fs.ReadDir(shippedModels, "models/"+sizeModel)
	if err != nil {
		return err
	}
	for _, v := range versions {
		artifact := path.Join(sizeModel, v.Name(), "model.json")
		if err := installShipped(root, artifact); err != nil {
			return err
		}
		if _, err := p.models.Register(ctx, registry.Registration{Model: sizeModel, Version: v.Name(), Artifact: artifact, Tags: []string{"shipped"}, Who: "platform"}); err != nil {
			return fmt.Errorf("platform: register %s %s: %w", sizeModel, v.Name(), err)
		}
	}
	if err := p.models.LoadActive(ctx); err != nil {
		p.log.Warn("restoring the active models failed", "err", err)
	}
	if h, err := p.models.Resolve(sizeModel); err == nil {
		h.Release()
	} else if err := p.models.Activate(ctx, sizeModel, versions[0].Name(), registry.Change{Who: "platform", Why: "first start"}); err != nil {
		return fmt.Errorf("platform: activate %s: %w", sizeModel, err)
	}
	return nil
}

func installShipped(root *os.Root, artifact string) error {
	if _, err := root.Stat(artifact); err == nil {
		return nil
	}
	data, err := shippedModels.ReadFile("models/" + artifact)
	if err != nil {
		return err
	}
	if err := root.MkdirAll(path.Dir(artifact), 0o700); err != nil {
		return fmt.Errorf("platform: install model: %w", err)
	}
	return root.WriteFile(artifact, data, 0o600)
}

func loadSizeModel(ctx context.Context, root *os.Root, v registry.Version) (*sizing.Model, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := root.ReadFile(v.Artifact)
	if err != nil {
		return nil, err
	}
	m, err := sizing.Parse(data)
	if err != nil {
		return nil, err
	}
	if m.Version != v.Version {
		return nil, fmt.Errorf("platform: model document says version %q, registered as %q", m.Version, v.Version)
	}
	return m, nil
}

// recordModelEvents sends the registry's lifecycle events to the ledger.
func (p *platform) recordModelEvents(sub *registry.Subscription) {
	for ev := range sub.C() {
		e := ledger.Entry{Type: "model." + string(ev.Kind), Component: "registry", Severity: ledger.SeverityInfo,
			Message: fmt.Sprintf("%s %s %s", ev.Kind, ev.Model, ev.Version),
			Attrs:   []slog.Attr{slog.String("model", ev.Model), slog.String("version", ev.Version), slog.String("who", ev.Who), slog.String("why", ev.Why)}}
		if ev.Kind == registry.EventFailed {
			e.Severity = ledger.SeverityHigh
			e.Attrs = append(e.Attrs, slog.String("step", ev.Step), slog.Any("err", ev.Err))
		}
		if _, err := p.led.Record(context.Background(), e); err != nil && !errors.Is(err, ledger.ErrClosed) {
			p.log.Error("recording a model event failed", "err", err)
		}
	}
}

func (p *platform) buildAgents(ctx context.Context) error {
	var err error
	p.agents, err = agent.New(agent.Settings{
		Default: agent.Policy{
			Timeout:      30 * time.Second,
			Breaker:      &breaker.Settings{},
			MaxInFlight:  64,
			MaxQueued:    256,
			QueueTimeout: 2 * time.Second,
		},
		Ledger:  p.led,
		Hooks:   p.metrics.hooks(failureLogHooks(p.console)), // the runner already records failures in the ledger
		Enabled: func(_ context.Context, name string) bool { return p.s.Features.Enabled(name) },
		Logger:  p.log,
	})
	if err != nil {
		return err
	}
	if err := p.registerAgents(); err != nil {
		return err
	}
	return p.agents.Start(ctx)
}

// failureLogHooks logs rejections, retries, breaker transitions and failed
// executions; successes are counted by the metrics, not logged one by one.
func failureLogHooks(l *slog.Logger) agent.Hooks {
	h := agent.LogHooks(l)
	complete := h.OnComplete
	h.OnComplete = func(ctx context.Context, e agent.Event) {
		if e.Err != nil {
			complete(ctx, e)
		}
	}
	return h
}

func (p *platform) buildHealth() error {
	var err error
	p.checker, err = health.New(health.Settings{
		Checks: []health.Check{
			{Name: "goroutines", Func: health.Goroutines(10_000, 100_000), Groups: []string{health.GroupLive, health.GroupReady}, Interval: 10 * time.Second},
			{Name: "disk", Func: health.DiskSpace(p.s.DataDir, 1<<30, 100<<20), Groups: []string{health.GroupReady}, Interval: 30 * time.Second},
			{Name: "ledger", Func: health.ErrorFunc(p.led.Sync), Groups: []string{health.GroupReady}, Interval: 10 * time.Second},
			{Name: "models", Func: p.checkModels, Groups: []string{health.GroupReady, health.GroupStartup}, Mode: health.OnDemand, TTL: 2 * time.Second},
			{Name: "agents", Func: p.checkAgents, Groups: []string{health.GroupReady}, Optional: true, Mode: health.OnDemand, TTL: 2 * time.Second},
		},
		Authorize: p.isAdmin,
		Logger:    p.log,
	})
	return err
}

func (p *platform) checkModels(context.Context) (health.Result, error) {
	h, err := p.models.Resolve(sizeModel)
	if err != nil {
		return health.Fail("no active size model"), nil
	}
	defer h.Release()
	return health.Result{Output: "active " + h.Version()}, nil
}

func (p *platform) checkAgents(context.Context) (health.Result, error) {
	var bad []string
	for _, d := range p.agents.List() {
		if d.Status == agent.StatusError || d.Status == agent.StatusDegraded {
			bad = append(bad, d.Name+" "+d.Status.String())
		}
	}
	if len(bad) > 0 {
		return health.Warn(strings.Join(bad, ", ")), nil
	}
	return health.Pass(), nil
}

// isAdmin authorises health details: an Admin principal already on the
// request (an Admin route), or Admin credentials on a public probe.
func (p *platform) isAdmin(r *http.Request) bool {
	if pr, ok := rbac.PrincipalFrom(r.Context()); ok {
		return pr.Role.Satisfies(rbac.Admin)
	}
	if r.Header.Get("Authorization") == "" {
		return false
	}
	pr, err := p.auth.Authenticate(r)
	return err == nil && pr.Role.Satisfies(rbac.Admin)
}

func (p *platform) printRoutes(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tPATTERN\tACCESS\tMIN-ROLE")
	for _, r := range p.mux.Routes() {
		m := r.Method
		if m == "" {
			m = "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m, r.Pattern, r.Access, r.MinRole)
	}
	tw.Flush()
}

// serve listens and serves until ctx is done, then shuts down gracefully:
// readiness drains, in-flight requests finish within ShutdownTimeout, agents,
// checks and models close, and the ledger closes last.
func (p *platform) serve(ctx context.Context) error {
	if p.s.Env == config.Development {
		if err := p.printDevCredentials(); err != nil {
			return errors.Join(err, p.close(context.Background()))
		}
	}
	ln, err := net.Listen("tcp", p.s.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("platform: listen: %w", err), p.close(context.Background()))
	}
	srv := &http.Server{
		Handler:           p.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      p.s.timeout(agentSizes) + 30*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelWarn),
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	p.wg.Go(func() { _ = p.checker.Run(bg) })
	p.wg.Go(func() { p.recordDenials() })
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	p.log.Info("listening", "addr", ln.Addr().String(), "env", p.s.Env.String())
	fmt.Fprintf(p.out, "listening on http://%s\n", ln.Addr())

	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
		p.log.Info("shutting down: draining readiness")
		p.checker.Drain()
		if p.s.DrainDelay > 0 {
			t := time.NewTimer(p.s.DrainDelay)
			<-t.C
		}
		sctx, cancel := context.WithTimeout(context.Background(), p.s.ShutdownTimeout)
		serveErr = srv.Shutdown(sctx)
		cancel()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = err
		}
	}
	stopBG()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	cctx, cancel := context.WithTimeout(context.Background(), p.s.ShutdownTimeout)
	defer cancel()
	return errors.Join(serveErr, p.close(cctx))
}

// close releases everything in reverse order of construction; the ledger
// closes last so that the other components' final failures are recorded.
func (p *platform) close(ctx context.Context) error {
	var err error
	p.closeOnce.Do(func() { err = p.closeAll(ctx) })
	return err
}

func (p *platform) closeAll(ctx context.Context) error {
	var errs []error
	if p.agents != nil {
		errs = append(errs, p.agents.Close(ctx))
	}
	if p.checker != nil {
		errs = append(errs, p.checker.Shutdown(ctx))
	}
	if p.models != nil {
		errs = append(errs, p.models.Close()) // closes the subscription too
	}
	if p.modStore != nil {
		errs = append(errs, p.modStore.Close()) // compacts the journal into the snapshot
	}
	p.denialsMu.Lock()
	p.denialsClosed = true
	close(p.denials)
	p.denialsMu.Unlock()
	p.wg.Wait()
	for _, r := range []*os.Root{p.modRoot, p.scan, p.themes} {
		if r != nil {
			r.Close()
		}
	}
	if p.led != nil {
		errs = append(errs, p.led.Close())
	}
	return errors.Join(errs...)
}

// fanout is a slog.Handler that sends each record to several handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var errs []error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			errs = append(errs, h.Handle(ctx, r.Clone()))
		}
	}
	return errors.Join(errs...)
}

func (f fanout) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}
