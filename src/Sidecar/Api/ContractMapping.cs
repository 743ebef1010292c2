using CacheSidecar.Contracts.V1;
using CacheSidecar.Core;
using CacheSidecar.Invalidations;
using CacheSidecar.Strategies;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using ContractPolicy = CacheSidecar.Contracts.V1.NamespacePolicy;
using NamespacePolicy = CacheSidecar.Configuration.NamespacePolicy;

namespace CacheSidecar.Api;

/// <summary>Maps the sidecar's results and policies to the contract's messages.</summary>
internal static class ContractMapping
{
    /// <summary>The metrics label of a read's source: constants, so no string is built per call.</summary>
    public static string SourceLabel(ReadSource source) => source switch
    {
        ReadSource.Cache => "cache",
        ReadSource.NearCache => "near_cache",
        ReadSource.Pending => "pending",
        _ => "store",
    };

    public static GetResponse ToResponse(ReadResult result)
    {
        var response = new GetResponse
        {
            Found = result.Found,
            // Also on a miss: a "not found" from a store that may lack pending writes is stale too.
            Stale = result.Stale,
            Source = result.Source switch
            {
                ReadSource.Cache or ReadSource.NearCache => ValueSource.Cache,
                ReadSource.Pending => ValueSource.Pending,
                _ => ValueSource.Store,
            },
        };
        if (!result.Found)
        {
            return response;
        }

        // The bytes are never mutated after they are read, so wrapping saves a copy per hit.
        response.Value = UnsafeByteOperations.UnsafeWrap(result.Value);
        response.ContentType = result.ContentType;
        response.Etag = Versions.ToEtag(result.Version);
        if (result.TtlRemaining is { } remaining)
        {
            response.TtlRemaining = Duration.FromTimeSpan(remaining);
        }

        return response;
    }

    public static InvalidationEvent ToEvent(InvalidationNotice notice)
    {
        var contract = new InvalidationEvent
        {
            Kind = notice.Kind switch
            {
                NoticeKind.Synced => InvalidationEvent.Types.Kind.Synced,
                NoticeKind.Keys => InvalidationEvent.Types.Kind.Keys,
                NoticeKind.Namespace => InvalidationEvent.Types.Kind.Namespace,
                NoticeKind.Tags => InvalidationEvent.Types.Kind.Tags,
                _ => InvalidationEvent.Types.Kind.Reset,
            },
            Namespace = notice.Namespace,
            Sequence = notice.Sequence,
        };
        if (notice.Kind == NoticeKind.Tags)
        {
            contract.Tags.AddRange(notice.Items);
        }
        else
        {
            contract.Keys.AddRange(notice.Items);
        }

        return contract;
    }

    public static ContractPolicy ToContract(NamespacePolicy policy) => new()
    {
        Name = policy.Name,
        Strategy = policy.Strategy.ToString(),
        Ttl = Duration.FromTimeSpan(policy.Ttl),
        TtlJitter = Duration.FromTimeSpan(policy.TtlJitter),
        NegativeTtl = Duration.FromTimeSpan(policy.NegativeTtl),
        MaxTtl = Duration.FromTimeSpan(policy.MaxTtl),
        MaxKeyBytes = policy.MaxKeyBytes,
        MaxValueBytes = policy.MaxValueBytes,
        Collection = policy.Collection ?? string.Empty,
        IdType = policy.IdType.ToString(),
        OnStoreDown = policy.OnStoreDown.ToString(),
        StaleWindow = Duration.FromTimeSpan(policy.StaleWindow),
        OnCacheDown = policy.OnCacheDown.ToString(),
        PublishesInvalidations = policy.PublishesInvalidations,
    };
}
