namespace CacheSidecar.Core;

/// <summary>The caller's if-match etag is not the current version; nothing was written.</summary>
internal sealed class PreconditionFailedException(string key, long expectedVersion)
    : Exception($"Key '{key}' is not at etag '{Versions.ToEtag(expectedVersion)}'.");
