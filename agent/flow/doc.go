// Package flow orchestrates agents: [Sequence] and [Then] chain them,
// [Parallel] sends one input to several, [Map] fans one agent out over
// items with a limit, [Race] takes the first success and cancels the rest,
// and a [Graph] runs typed nodes in dependency order, independent nodes in
// parallel under a limit.
//
// Every node runs through its [agent.Handle], so the agent's breaker,
// concurrency limit, retries, deadlines and ledger apply to orchestrated
// calls exactly as to direct ones. Every fan-out joins all the goroutines it
// started before it returns, also when the caller cancels or a graph fails
// fast.
//
// # Graphs
//
// A [Graph] is built node by node: [Add] (or [Optional]) names a node, the
// handle that runs it, a function that builds its input from the outputs
// of its dependencies, and the dependencies, given as the typed [Ref] of an
// earlier node or as a [Name] (for nodes added later). [Graph.Build] checks
// names and dependencies and rejects a cycle; the [Plan] it returns is
// immutable and can run any number of times, concurrently.
//
// In [FailFast] mode (the default) the first failure of a required node
// cancels the running nodes (their context's cause is [ErrFailFast]),
// starts no more, and [Plan.Run] returns that error after every started node
// has returned. In [ContinueOnError] mode the nodes that depend on a failed
// node are skipped ([ErrSkipped]) and the others run; Run returns the
// failures joined. An optional node's failure never fails the graph: its
// dependents run and see no value for it.
//
// # Concurrency
//
// The functions of this package are safe for concurrent use when the
// handles are. A [Graph] is not safe for concurrent building; a [Plan] is.
// Input functions run on the node's goroutine and may read, through
// [Values], only the outputs of the node's declared dependencies.
package flow
