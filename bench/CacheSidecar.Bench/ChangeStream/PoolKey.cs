using CacheSidecar.Bench.Infrastructure;
using CacheSidecar.Contracts.V1;

namespace CacheSidecar.Bench.ChangeStream;

/// <summary>
/// A key reserved for sampled writes: only the sampled writer touches it, so the value the poller must
/// see next and the one it may still see (the old one, from the cache) are both known. Held by at most
/// one sampled write and its poll at a time.
/// </summary>
internal sealed class PoolKey(string key)
{
    private int _busy;

    public string Key => key;

    /// <summary>Built once: the poller sends it back to back.</summary>
    public GetRequest Get { get; } = new() { Namespace = BenchNamespaces.ChangeStreamLag, Key = key };

    /// <summary>
    /// The <c>n</c> of the value the cache holds for the key: null for the prefilled document, which
    /// has no <c>n</c>. Written only by the holder, before <see cref="Release"/>.
    /// </summary>
    public long? CachedN { get; set; }

    /// <summary>
    /// The key's entry was last seen in the cache with <see cref="CachedN"/>: a write to it now must
    /// be invalidated before the new value is served, which is what a sample measures.
    /// </summary>
    public bool Armed { get; set; } = true;

    /// <summary>Takes the key for one sampled write; false while another sample holds it or it is not armed.</summary>
    public bool TryAcquire()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            return false;
        }

        // Read after the exchange (a full fence), so the previous holder's writes are visible.
        if (Armed)
        {
            return true;
        }

        Release();
        return false;
    }

    public void Release() => Volatile.Write(ref _busy, 0);
}
