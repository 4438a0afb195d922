package agent

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

type key struct{}

var errCause = errors.New("cause")

func TestDeadlineCtx(t *testing.T) {
	tests := []struct {
		name  string
		touch func(c *deadlineCtx) // before the deadline
	}{
		{"untouched", func(*deadlineCtx) {}},
		{"done", func(c *deadlineCtx) { _ = c.Done() }},
		{"child", func(c *deadlineCtx) {
			child, cancel := context.WithCancel(c)
			t.Cleanup(cancel)
			go func() { <-child.Done() }()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent := context.WithValue(t.Context(), key{}, "v")
				c := &deadlineCtx{parent: parent, deadline: time.Now().Add(time.Second), cause: errCause}
				defer c.stop()
				tt.touch(c)
				if d, ok := c.Deadline(); !ok || !d.Equal(time.Now().Add(time.Second)) {
					t.Errorf("deadline = %v %v", d, ok)
				}
				if c.Value(key{}) != "v" || c.Err() != nil || context.Cause(c) != nil {
					t.Errorf("before: value %v err %v cause %v", c.Value(key{}), c.Err(), context.Cause(c))
				}
				<-time.After(time.Second) // fake time
				synctest.Wait()
				if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(c), errCause) {
					t.Errorf("after: err %v cause %v", c.Err(), context.Cause(c))
				}
				select {
				case <-c.Done():
				default:
					t.Error("not done")
				}
				if c.String() == "" {
					t.Error("no name")
				}
			})
		})
	}
}

func TestDeadlineCtxParentCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancelCause(t.Context())
		c := &deadlineCtx{parent: parent, deadline: time.Now().Add(time.Hour), cause: errCause}
		defer c.stop()
		cancel(errors.New("caller"))
		if !errors.Is(c.Err(), context.Canceled) || context.Cause(c).Error() != "caller" {
			t.Errorf("err %v cause %v", c.Err(), context.Cause(c))
		}
	})
}
