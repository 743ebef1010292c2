using Google.Protobuf;

namespace CacheSidecar.Bench.FastPath;

/// <summary>What h2load calls and how its answers are checked.</summary>
/// <param name="Path">The gRPC method path.</param>
/// <param name="Request">The request message sent on every call (framed into h2load's data file).</param>
/// <param name="RpcLabels">Labels of the method's series of <c>cachesidecar_rpc_duration_seconds_count</c>.</param>
/// <param name="HitLabels">Labels of the cache hits it must cause on <c>cachesidecar_reads_total</c>; null when it reads nothing.</param>
/// <param name="ClientCheck">The same call with the normal gRPC client afterwards; true when its answer is the expected one.</param>
internal sealed record H2LoadTarget(string Path, IMessage Request, string[] RpcLabels, string[]? HitLabels, Func<CancellationToken, Task<bool>> ClientCheck);
