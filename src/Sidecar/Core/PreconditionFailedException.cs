namespace CacheSidecar.Core;

/// <summary>
/// A write's condition does not hold (FAILED_PRECONDITION): an if-match etag that is not the current
/// version, a create-if-absent on a key that has a live value, an Increment of a value that is not an
/// integer counter. Nothing was written.
/// </summary>
internal sealed class PreconditionFailedException(string message) : Exception(message)
{
    public static PreconditionFailedException EtagMismatch(string key, long expectedVersion) =>
        new($"Key '{key}' is not at etag '{Versions.ToEtag(expectedVersion)}'.");

    public static PreconditionFailedException AlreadyExists(string key) =>
        new($"Key '{key}' already has a value (if_none_match: \"*\" creates only absent keys).");

    public static PreconditionFailedException NotACounter(string key) =>
        new($"Key '{key}' holds a value that is not an integer counter (an application/json integer in the "
            + "int64 range); Increment leaves it unchanged.");
}
