namespace CacheSidecar.WriteBehind;

/// <param name="Existed">Whether a live value existed before the step; null when Redis could not tell.</param>
/// <param name="Sum">An Increment's new value.</param>
internal readonly record struct EnqueueResult(EnqueueStatus Status, long Version, bool? Existed, long Sum = 0);
