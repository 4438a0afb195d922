// Package agentbench compares the agent runner with failsafe-go composing
// the same policies: a timeout, a retry policy with one attempt, a circuit
// breaker and a bulkhead, around the same function, in the same run.
package agentbench
