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
}
