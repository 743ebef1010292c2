namespace CacheSidecar.WriteBehind;

internal readonly record struct EnqueueResult(EnqueueStatus Status, long Version, bool? Existed);
