using CacheSidecar.Configuration;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Core;
using CacheSidecar.Strategies;
using CacheSidecar.Telemetry;
using Grpc.Core;

namespace CacheSidecar.Api;

/// <summary>
/// The gRPC surface: validates each request, resolves the namespace policy, hands the call to
/// the namespace's strategy and maps the result back to the contract. No caching logic lives here.
/// Bound by <see cref="StrictRequestBinding"/>, so an unparseable request is INVALID_ARGUMENT.
/// </summary>
[BindServiceMethod(typeof(StrictRequestBinding), nameof(StrictRequestBinding.BindService))]
internal sealed class CacheGrpcService(
    RequestValidator validate,
    StrategyResolver strategies,
    NamespaceRegistry namespaces,
    SidecarMetrics metrics,
    InvalidationStream invalidations) : Cache.CacheBase
{
    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        RequestValidator.Key(ns, request.Key);
        var result = await strategies.For(ns).GetAsync(ns, request.Key, context.CancellationToken)
            .ConfigureAwait(false);
        metrics.Read(ns.Name, ContractMapping.SourceLabel(result.Source), result.Found);
        return ContractMapping.ToResponse(result);
    }

    public override async Task<BatchGetResponse> BatchGet(BatchGetRequest request, ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        RequestValidator.Keys(ns, request.Keys);
        var response = new BatchGetResponse();
        if (request.Keys.Count == 0)
        {
            return response;
        }

        var results = await strategies.For(ns).BatchGetAsync(ns, request.Keys, context.CancellationToken)
            .ConfigureAwait(false);
        for (var i = 0; i < results.Length; i++)
        {
            metrics.Read(ns.Name, ContractMapping.SourceLabel(results[i].Source), results[i].Found);
            response.Items.Add(
                new BatchGetItem { Key = request.Keys[i], Result = ContractMapping.ToResponse(results[i]) });
        }

        return response;
    }

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        var write = RequestValidator.Write(
            ns, request.Key, request.Value, request.ContentType, request.Ttl, request.IfMatch,
            request.IfNoneMatch, request.Tags);
        var result = await strategies.For(ns).PutAsync(ns, write, context.CancellationToken).ConfigureAwait(false);
        return new PutResponse
        {
            Etag = Versions.ToEtag(result.Version),
            Persisted = result.Persisted,
            Queued = result.Queued,
        };
    }

    public override async Task<BatchPutResponse> BatchPut(BatchPutRequest request, ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        var writes = RequestValidator.BatchPut(ns, request.Items);
        var strategy = strategies.For(ns);
        // All at once: StackExchange.Redis pipelines the concurrent steps, the store driver its pool.
        var results = await Task.WhenAll(writes.Select(write => PutOneAsync(strategy, ns, write, context)))
            .ConfigureAwait(false);
        var response = new BatchPutResponse();
        response.Items.AddRange(results);
        return response;
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        RequestValidator.Key(ns, request.Key);
        var ifMatch = RequestValidator.IfMatch(request.IfMatch);
        var result = await strategies.For(ns).DeleteAsync(ns, request.Key, ifMatch, context.CancellationToken)
            .ConfigureAwait(false);
        return new DeleteResponse { Deleted = result.Deleted, Persisted = result.Persisted, Queued = result.Queued };
    }

    public override async Task<InvalidateResponse> Invalidate(InvalidateRequest request, ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        if (request.WholeNamespace)
        {
            if (request.Keys.Count > 0)
            {
                throw Errors.InvalidArgument("Give either keys or whole_namespace, not both.");
            }

            await strategies.For(ns).InvalidateNamespaceAsync(ns, context.CancellationToken).ConfigureAwait(false);
            return new InvalidateResponse();
        }

        if (request.Keys.Count == 0)
        {
            throw Errors.InvalidArgument("Give the keys to invalidate, or set whole_namespace.");
        }

        RequestValidator.Keys(ns, request.Keys);
        var invalidated = await strategies.For(ns).InvalidateAsync(ns, request.Keys, context.CancellationToken)
            .ConfigureAwait(false);
        return new InvalidateResponse { Invalidated = invalidated };
    }

    public override async Task<InvalidateTagsResponse> InvalidateTags(InvalidateTagsRequest request,
        ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        var tags = RequestValidator.Tags(request.Tags, RequestValidator.MaxKeysPerCall, "one call may invalidate")
            ?? throw Errors.InvalidArgument("Give the tags to invalidate.");
        await strategies.For(ns).InvalidateTagsAsync(ns, tags, context.CancellationToken).ConfigureAwait(false);
        return new InvalidateTagsResponse();
    }

    public override async Task<TouchResponse> Touch(TouchRequest request, ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        RequestValidator.Key(ns, request.Key);
        var ttl = RequestValidator.Ttl(ns, request.Ttl)
            ?? throw Errors.InvalidArgument("ttl is required: Touch sets the entry's new remaining TTL.");
        var remaining = await strategies.For(ns).TouchAsync(ns, request.Key, ttl, context.CancellationToken)
            .ConfigureAwait(false);
        return remaining is { } left
            ? new TouchResponse
            {
                Found = true,
                TtlRemaining = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(left),
            }
            : new TouchResponse();
    }

    public override async Task<IncrementResponse> Increment(IncrementRequest request, ServerCallContext context)
    {
        var ns = validate.Namespace(request.Namespace);
        RequestValidator.Key(ns, request.Key);
        var ttl = RequestValidator.Ttl(ns, request.Ttl);
        var result = await strategies.For(ns)
            .IncrementAsync(ns, request.Key, request.Delta, ttl, context.CancellationToken)
            .ConfigureAwait(false);
        return new IncrementResponse
        {
            Value = result.Value,
            Etag = Versions.ToEtag(result.Version),
            Persisted = result.Persisted,
            Queued = result.Queued,
        };
    }

    /// <summary>One item of a BatchPut: its own status, as a Put of it alone would have answered.</summary>
    private static async Task<BatchPutResult> PutOneAsync(ICacheStrategy strategy,
        Configuration.NamespacePolicy ns,
        WriteRequest write, ServerCallContext context)
    {
        try
        {
            var result = await strategy.PutAsync(ns, write, context.CancellationToken).ConfigureAwait(false);
            return new BatchPutResult
            {
                Key = write.Key,
                Etag = Versions.ToEtag(result.Version),
                Persisted = result.Persisted,
                Queued = result.Queued,
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException
            && ExceptionMappingInterceptor.Map(ex, context) is { } status)
        {
            return new BatchPutResult { Key = write.Key, Code = (int)status.StatusCode, Message = status.Detail };
        }
    }

    public override Task WatchInvalidations(WatchInvalidationsRequest request,
        IServerStreamWriter<InvalidationEvent> responseStream, ServerCallContext context) =>
        invalidations.RunAsync(request, responseStream, context.CancellationToken);

    public override Task<ListNamespacesResponse> ListNamespaces(ListNamespacesRequest request,
        ServerCallContext context)
    {
        var response = new ListNamespacesResponse();
        response.Namespaces.AddRange(namespaces.All.Select(ContractMapping.ToContract));
        return Task.FromResult(response);
    }
}
