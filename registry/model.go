package registry

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// ActiveAlias is the reserved alias naming a model's active version. Only
// [Registry.Activate], [Registry.Rollback] and [Registry.LoadActive] move it;
// [Registry.SetAlias] refuses it.
const ActiveAlias = "active"

// maxTextLen caps names, versions, aliases, tags and constraints.
const maxTextLen = 128

// Errors that callers branch on. Every error this package returns for these
// conditions wraps one of them; test with errors.Is.
var (
	// ErrInvalid reports a malformed argument: a name, version, alias, tag,
	// path or constraint that breaks the documented rules, or the reserved
	// alias passed to SetAlias.
	ErrInvalid = errors.New("registry: invalid argument")
	// ErrInvalidArtifact reports an artifact that is missing, leaves the
	// root, or contains a symbolic link or special file.
	ErrInvalidArtifact = errors.New("registry: invalid artifact")
	// ErrNotFound reports an unknown model, version or alias.
	ErrNotFound = errors.New("registry: not found")
	// ErrImmutable reports a second registration of a (model, version)
	// with a different artifact, digest, metadata or tags.
	ErrImmutable = errors.New("registry: version already registered with other content")
	// ErrConflict reports a compare-and-set on a stale model generation.
	// Read the model again and retry.
	ErrConflict = errors.New("registry: generation conflict")
	// ErrDigestMismatch reports an artifact whose content no longer
	// matches the digest computed at registration.
	ErrDigestMismatch = errors.New("registry: digest mismatch")
	// ErrUnhealthy reports a failed or timed-out health check.
	ErrUnhealthy = errors.New("registry: health check failed")
	// ErrNotActive reports a model with no active version loaded.
	ErrNotActive = errors.New("registry: no active version")
	// ErrClosed reports use of a closed Registry.
	ErrClosed = errors.New("registry: closed")
)

// An ActivationError reports which step of a gated activation, rollback or
// restore failed. Err wraps the cause: [ErrDigestMismatch],
// [ErrInvalidArtifact], [ErrUnhealthy], the loader's error, or a store error.
// It is a plain value once returned; the zero value is never returned.
type ActivationError struct {
	Model   string
	Version string
	// Step is "verify", "load", "check" or "switch".
	Step string
	Err  error
}

// Error implements error without quoting any artifact content.
func (e *ActivationError) Error() string {
	return fmt.Sprintf("registry: %s %s: %s: %v", e.Model, e.Version, e.Step, e.Err)
}

// Unwrap returns the cause.
func (e *ActivationError) Unwrap() error { return e.Err }

// A Model is the persisted record of one model: its versions, aliases and the
// history of every alias move. Stores persist Models; [Registry.Model]
// returns a deep copy. The zero Model is not valid; a Model is a plain value
// whose slices and maps must not be shared between goroutines that modify
// them.
type Model struct {
	// Name identifies the model: 1-128 bytes of [A-Za-z0-9._-], starting
	// with a letter or digit.
	Name string `json:"name"`
	// Generation increases by one with every change to the record. Alias
	// moves and Store writes compare-and-set on it.
	Generation uint64 `json:"generation"`
	// Versions are sorted by [CompareVersions], lowest first.
	Versions []Version `json:"versions"`
	// Aliases maps alias names to versions; ActiveAlias is one of them once
	// a version has been activated.
	Aliases map[string]string `json:"aliases,omitempty"`
	// History lists every alias move, oldest first.
	History []AliasMove `json:"history,omitempty"`
}

// A Version is one immutable registered version of a model, plus the result
// of its last health check. The zero Version is not valid. A Version is a
// plain value; copies returned by the Registry are the caller's own.
type Version struct {
	Model   string `json:"model"`
	Version string `json:"version"`
	// Artifact is the slash-separated path of the file or directory inside
	// the registry's root.
	Artifact string `json:"artifact"`
	// Digest is "sha256:<hex>": the file's content digest, or for a
	// directory the digest of its [Manifest].
	Digest string `json:"digest"`
	// Size is the artifact's size in bytes (a directory's total).
	Size         int64             `json:"size"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	Tags         []string          `json:"tags,omitempty"`
	RegisteredAt time.Time         `json:"registered_at"`
	// LastCheck is the result of the last gated load of this version, nil
	// if it was never activated.
	LastCheck *Check `json:"last_check,omitempty"`
	// State is derived by the Registry when it returns a Version; stores
	// need not persist it.
	State State `json:"-"`
}

// A Check records the outcome of one gated load: verification, load and
// health check. It is a plain value; the zero Check is a failure with no
// details.
type Check struct {
	At     time.Time `json:"at"`
	Passed bool      `json:"passed"`
	// Step is the failed step ("verify", "load", "check", "switch"), empty
	// when Passed.
	Step string `json:"step,omitempty"`
	// Error is the failure's message, empty when Passed.
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
}

// An AliasMove is one entry of a model's alias history. It is a plain
// value; the zero AliasMove is not a valid entry.
type AliasMove struct {
	Alias string `json:"alias"`
	// From is the previous target, "" if the alias was new.
	From string `json:"from,omitempty"`
	// To is the new target, "" if the alias was removed.
	To  string    `json:"to,omitempty"`
	Who string    `json:"who,omitempty"`
	Why string    `json:"why,omitempty"`
	At  time.Time `json:"at"`
	// Generation is the model generation the move produced.
	Generation uint64 `json:"generation"`
}

// State classifies a version for [Query]. The zero State matches any
// version in a Query and is never assigned to a Version.
type State string

// Version states. A version is active when the active alias points to it;
// otherwise healthy or failed by its last check; otherwise registered.
const (
	StateRegistered State = "registered"
	StateHealthy    State = "healthy"
	StateFailed     State = "failed"
	StateActive     State = "active"
)

// clone returns a deep copy of m.
func (m Model) clone() Model {
	m.Versions = slices.Clone(m.Versions)
	for i := range m.Versions {
		m.Versions[i] = m.Versions[i].clone()
	}
	m.Aliases = maps.Clone(m.Aliases)
	m.History = slices.Clone(m.History)
	return m
}

// clone returns a deep copy of v.
func (v Version) clone() Version {
	v.Metadata = maps.Clone(v.Metadata)
	v.Tags = slices.Clone(v.Tags)
	if v.LastCheck != nil {
		c := *v.LastCheck
		v.LastCheck = &c
	}
	return v
}

// find returns the index of version in m.Versions, or -1.
func (m *Model) find(version string) int {
	i, ok := slices.BinarySearchFunc(m.Versions, version, func(v Version, s string) int {
		return CompareVersions(v.Version, s)
	})
	if !ok {
		return -1
	}
	return i
}

// stateOf derives the State of m.Versions[i].
func (m *Model) stateOf(i int) State {
	v := &m.Versions[i]
	switch {
	case m.Aliases[ActiveAlias] == v.Version:
		return StateActive
	case v.LastCheck == nil:
		return StateRegistered
	case v.LastCheck.Passed:
		return StateHealthy
	}
	return StateFailed
}

// validName reports whether s is a valid model name, alias, tag or version
// text: 1-128 bytes of [A-Za-z0-9._-] (plus '+' when plus is set), starting
// with a letter or digit.
func validName(s string, plus bool) bool {
	if s == "" || len(s) > maxTextLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !alnum {
			return false
		}
		if !alnum && c != '.' && c != '_' && c != '-' && !(plus && c == '+') {
			return false
		}
	}
	return true
}

// Validate reports whether m is a structurally consistent record: valid
// names, versions sorted and unique, well-formed digests, aliases pointing
// at registered versions, and a history whose last move of every alias
// lands on its current target with generations increasing up to
// m.Generation. Decoders and stores may use it; the error wraps [ErrInvalid].
func (m *Model) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: model record: "+format, append([]any{ErrInvalid}, args...)...)
	}
	if !validName(m.Name, false) {
		return bad("name")
	}
	if m.Generation == 0 {
		return bad("generation 0")
	}
	for i := range m.Versions {
		v := &m.Versions[i]
		switch {
		case v.Model != m.Name:
			return bad("version %d: model name", i)
		case !validName(v.Version, true):
			return bad("version %d: version", i)
		case i > 0 && CompareVersions(m.Versions[i-1].Version, v.Version) >= 0:
			return bad("version %d: not sorted and unique", i)
		case !validArtifactPath(v.Artifact):
			return bad("version %d: artifact path", i)
		case !validDigest(v.Digest):
			return bad("version %d: digest", i)
		case v.Size < 0:
			return bad("version %d: size", i)
		}
		for _, t := range v.Tags {
			if !validName(t, false) {
				return bad("version %d: tag", i)
			}
		}
		for k := range v.Metadata {
			if k == "" || len(k) > maxTextLen {
				return bad("version %d: metadata key", i)
			}
		}
	}
	known := make(map[string]bool, len(m.Versions))
	for i := range m.Versions {
		known[m.Versions[i].Version] = true
	}
	last := map[string]string{}
	var gen uint64
	for i, h := range m.History {
		switch {
		case !validName(h.Alias, false):
			return bad("history %d: alias", i)
		case h.Generation <= gen || h.Generation > m.Generation:
			return bad("history %d: generation", i)
		case h.From != last[h.Alias]:
			return bad("history %d: from does not match the previous move", i)
		case h.To != "" && !known[h.To]:
			return bad("history %d: unknown version", i)
		}
		gen = h.Generation
		last[h.Alias] = h.To
		if h.To == "" {
			delete(last, h.Alias)
		}
	}
	if len(last) != len(m.Aliases) {
		return bad("aliases do not match history")
	}
	for a, v := range m.Aliases {
		if last[a] != v {
			return bad("alias does not match history")
		}
	}
	return nil
}
