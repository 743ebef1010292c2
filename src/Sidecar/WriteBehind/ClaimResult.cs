namespace CacheSidecar.WriteBehind;

internal readonly record struct ClaimResult(ClaimState State, PendingWrite? Write);
