namespace CacheSidecar.Bench.Api;

/// <summary>How a write-behind run's backlog left Redis after the measured window.</summary>
/// <param name="BacklogAfter">Entries in the namespace's partition streams right after the run.</param>
/// <param name="DrainTime">From then until the backlog read 0; null when it had not within the bench's limit.</param>
internal readonly record struct WriteBehindDrain(long BacklogAfter, TimeSpan? DrainTime);
