using CacheSidecar.Contracts.V1;

namespace CacheSidecar.Client.DistributedCache;

/// <summary>
/// The namespace's <see cref="NamespaceLimits"/>, read with <c>ListNamespaces</c> when first needed and again
/// once <see cref="RefreshInterval"/> has passed, since the sidecar may hot-reload <c>MaxTtl</c>. Writes that
/// carry no TTL never need it. Two callers racing on a stale copy both read it; the answers are equal.
/// </summary>
internal sealed class NamespaceLimitsCache(SidecarCalls calls, string @namespace, TimeProvider time)
{
    /// <summary>How long a reading is used before it is read again.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(1);

    private Reading? _reading;

    public async ValueTask<NamespaceLimits> GetAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } limits)
        {
            return limits;
        }

        var response = await calls
            .RunAsync(o => calls.Client.ListNamespacesAsync(new ListNamespacesRequest(), o), cancellationToken)
            .ConfigureAwait(false);
        return Remember(response);
    }

    public NamespaceLimits Get() =>
        Fresh() ?? Remember(calls.Run(o => calls.Client.ListNamespaces(new ListNamespacesRequest(), o)));

    private NamespaceLimits? Fresh() =>
        Volatile.Read(ref _reading) is { } reading && time.GetUtcNow() - reading.At < RefreshInterval
            ? reading.Limits
            : null;

    private NamespaceLimits Remember(ListNamespacesResponse response)
    {
        var limits = NamespaceLimits.From(response, @namespace);
        Volatile.Write(ref _reading, new Reading(limits, time.GetUtcNow()));
        return limits;
    }

    private sealed record Reading(NamespaceLimits Limits, DateTimeOffset At);
}
