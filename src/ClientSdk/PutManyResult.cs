using Grpc.Core;

namespace CacheSidecar.Client;

/// <summary>One item's outcome in <see cref="CacheSidecarClient.PutManyAsync{T}"/>.</summary>
/// <param name="Key">The item's key.</param>
/// <param name="Status">OK, or the status a Put of this item alone would have failed with.</param>
/// <param name="Message">Why it failed; empty when it succeeded.</param>
/// <param name="Result">The written version when <paramref name="Status"/> is OK; otherwise null.</param>
public sealed record PutManyResult(string Key, StatusCode Status, string Message, PutResult? Result)
{
    /// <summary>Whether this item was written.</summary>
    public bool Succeeded => Status == StatusCode.OK;
}
