package ledger

import (
	"context"
	"log/slog"
	"slices"
)

// HandlerOptions configures a [Handler]. The zero value (or nil) means the
// defaults.
type HandlerOptions struct {
	// Level is the minimum level recorded. Default slog.LevelError.
	Level slog.Leveler
	// Type is the entry type of log records. Default "log".
	Type string
	// Component is the entry component. Default "".
	Component string
}

// Handler is a slog.Handler that records log records at or above a level
// into a Ledger, so that a host's existing logger.Error calls land in the
// ledger. The level maps to a severity with [SeverityFromLevel]; attributes
// and groups (WithAttrs, WithGroup) become the entry's Attrs; the request
// and run ids come from the context passed to the logger's *Context
// methods. Use it alone or next to another handler (e.g. with a fan-out
// handler).
//
// Create it with [NewHandler]; the zero value is not usable. It is safe for
// concurrent use. Record errors are returned by Handle, which slog ignores.
type Handler struct {
	led    *Ledger
	level  slog.Leveler
	typ    string
	comp   string
	levels []handlerLevel // levels[0] is the root; each WithGroup adds one
}

// handlerLevel is a group opened by WithGroup and the attrs added in it.
type handlerLevel struct {
	name  string
	attrs []slog.Attr
}

// NewHandler returns a Handler recording into led.
func NewHandler(led *Ledger, opts *HandlerOptions) *Handler {
	h := &Handler{led: led, level: slog.LevelError, typ: "log", levels: []handlerLevel{{}}}
	if opts != nil {
		if opts.Level != nil {
			h.level = opts.Level
		}
		if opts.Type != "" {
			h.typ = opts.Type
		}
		h.comp = opts.Component
	}
	return h
}

// Enabled reports whether level is at or above the handler's level.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// Handle records r. A zero r.Time is replaced by the current time.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	last := len(h.levels) - 1
	attrs := make([]slog.Attr, 0, len(h.levels[last].attrs)+r.NumAttrs())
	attrs = append(attrs, h.levels[last].attrs...)
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	for i := last; i > 0; i-- {
		parent := slices.Clip(h.levels[i-1].attrs)
		attrs = append(parent, slog.Attr{Key: h.levels[i].name, Value: slog.GroupValue(attrs...)})
	}
	_, err := h.led.Record(ctx, Entry{
		Time:      r.Time,
		Type:      h.typ,
		Severity:  SeverityFromLevel(r.Level),
		Message:   r.Message,
		Component: h.comp,
		Attrs:     attrs,
	})
	return err
}

// WithAttrs returns a handler that adds as to every record, inside the
// groups opened so far.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	h2.levels = slices.Clone(h.levels)
	last := &h2.levels[len(h2.levels)-1]
	last.attrs = append(slices.Clip(last.attrs), as...)
	return &h2
}

// WithGroup returns a handler that nests later attributes in group name.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.levels = append(slices.Clip(h.levels), handlerLevel{name: name})
	return &h2
}

var _ slog.Handler = (*Handler)(nil)
