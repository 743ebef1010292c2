using CacheSidecar.Configuration;

namespace CacheSidecar.Strategies;

/// <summary>One caching strategy (§4). Implementations are stateless; the namespace policy comes with each call.</summary>
internal interface ICacheStrategy
{
    Task<ReadResult> GetAsync(NamespacePolicy ns, string key, CancellationToken cancellationToken);

    Task<ReadResult[]> BatchGetAsync(NamespacePolicy ns, IReadOnlyList<string> keys, CancellationToken cancellationToken);

    Task<WriteResult> PutAsync(NamespacePolicy ns, WriteRequest request, CancellationToken cancellationToken);

    Task<DeleteResult> DeleteAsync(NamespacePolicy ns, string key, long? ifMatch, CancellationToken cancellationToken);
}
