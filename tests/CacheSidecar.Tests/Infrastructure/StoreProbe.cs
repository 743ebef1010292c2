using System.Text;
using CacheSidecar.Configuration;
using CacheSidecar.Store;
using Microsoft.Extensions.DependencyInjection;

namespace CacheSidecar.Tests.Infrastructure;

/// <summary>Reads the store behind a host directly (not through the cache), to check what was persisted.</summary>
internal static class StoreProbe
{
    public static Task<StoredRecord?> LoadAsync(SidecarHost host, string ns, string key)
    {
        host.Services.GetRequiredService<NamespaceRegistry>().TryGet(ns, out var policy);
        var inner = host.Services.GetRequiredService<IRecordStore>();
        return inner.LoadAsync(policy, key, CancellationToken.None);
    }

    public static string AsUtf8(this byte[] bytes) => Encoding.UTF8.GetString(bytes);

    /// <summary>
    /// Write-behind on Redis: waits until the store's record of <paramref name="key"/> is flushed (exists, or
    /// satisfies <paramref name="flushed"/>). Other strategies, and the embedded tier, write the store at once.
    /// </summary>
    public static Task FlushedAsync(SidecarHost host, string ns, string key, Func<StoredRecord?, bool>? flushed = null,
        string what = "is flushed") =>
        ns != TestNamespaces.Wb || host.IsEmbedded
            ? Task.CompletedTask
            : UntilStoredAsync(host, ns, key, flushed ?? (stored => stored is not null), what);

    /// <summary>
    /// Waits (bounded, advancing the host's fake clock so its write-behind flushers run) until the store's
    /// record of <paramref name="key"/> satisfies <paramref name="condition"/>.
    /// </summary>
    public static Task UntilStoredAsync(SidecarHost host, string ns, string key, Func<StoredRecord?, bool> condition,
        string what) =>
        WriteBehindProbe.WaitUntilAsync(
            async () => condition(await LoadAsync(host, ns, key)),
            TimeSpan.FromSeconds(30),
            $"'{key}' {what}",
            () => host.Time.Advance(TimeSpan.FromSeconds(1)));
}
