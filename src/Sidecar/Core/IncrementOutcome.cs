namespace CacheSidecar.Core;

/// <summary>A store-side Increment's outcome, and the counter's new value and version when it was applied.</summary>
internal readonly record struct IncrementOutcome(IncrementStatus Status, long Value = 0, long Version = 0);
