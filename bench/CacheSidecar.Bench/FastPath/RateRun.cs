using CacheSidecar.Bench.Load;

namespace CacheSidecar.Bench.FastPath;

/// <summary>One round's run of one 1,000 req/s row.</summary>
/// <param name="Round">1-based; the rows of one round ran back to back, so a same-round difference is a pair.</param>
/// <param name="Result">The open-loop numbers.</param>
/// <param name="Tail">What the possible sources of its tail did meanwhile.</param>
/// <param name="Rss">The sidecar's RSS over the second half of the run (read for the Get-hit row), or null.</param>
internal sealed record RateRun(int Round, OpenLoopResult Result, TailSample Tail, RssStats? Rss);
