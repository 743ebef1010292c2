using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.Api;

/// <summary>One repetition of one scenario.</summary>
/// <param name="Result">The closed-loop numbers and the backends' work per call.</param>
/// <param name="Drain">For a write-behind row, how its backlog drained afterwards; otherwise null.</param>
internal sealed record ApiRun(ScenarioResult Result, WriteBehindDrain? Drain);
