namespace CacheSidecar.Client;

/// <summary>The outcome of a Put.</summary>
/// <param name="ETag">The version tag of the value just written.</param>
/// <param name="Persisted">True when the store holds the value when the call returns.</param>
/// <param name="Queued">True when the store write is queued (write-behind) but durably acknowledged.</param>
public sealed record PutResult(string ETag, bool Persisted, bool Queued);
