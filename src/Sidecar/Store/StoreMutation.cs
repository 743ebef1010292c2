namespace CacheSidecar.Store;

/// <summary>
/// One write-behind store write: the key's value at <paramref name="Version"/>, or its deletion when
/// <paramref name="Record"/> is null. Either only takes effect while the stored version is older.
/// </summary>
internal sealed record StoreMutation(string Key, long Version, StoredRecord? Record);
