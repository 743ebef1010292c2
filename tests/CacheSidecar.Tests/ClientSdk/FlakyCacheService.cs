using System.Collections.Concurrent;
using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace CacheSidecar.Tests.ClientSdk;

/// <summary>
/// A stand-in sidecar for the client's retry tests: each RPC fails its first <see cref="FailFirst"/> attempts
/// with <see cref="FailWith"/>, then answers, and every attempt is counted per method, so a test reads exactly
/// how often the client sent a call instead of timing it.
/// </summary>
internal sealed class FlakyCacheService : Cache.CacheBase
{
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    /// <summary>How many attempts of each method fail before it answers.</summary>
    public int FailFirst { get; init; }

    /// <summary>The status the failing attempts end with.</summary>
    public StatusCode FailWith { get; init; } = StatusCode.Unavailable;

    /// <summary>The attempts the server received of <paramref name="method"/> (e.g. "Get").</summary>
    public int Attempts(string method) => _attempts.GetValueOrDefault(method);

    public override Task<GetResponse> Get(GetRequest request, ServerCallContext context) =>
        Answer(nameof(Get), () => Found("\"value\""));

    public override Task<BatchGetResponse> BatchGet(BatchGetRequest request, ServerCallContext context) =>
        Answer(nameof(BatchGet), () =>
        {
            var response = new BatchGetResponse();
            response.Items.AddRange(request.Keys.Select(key => new BatchGetItem { Key = key, Result = Found("1") }));
            return response;
        });

    public override Task<ListNamespacesResponse> ListNamespaces(ListNamespacesRequest request,
        ServerCallContext context) =>
        Answer(nameof(ListNamespaces), () => new ListNamespacesResponse
        {
            Namespaces = { new NamespacePolicy { Name = "flaky" } },
        });

    public override Task<PutResponse> Put(PutRequest request, ServerCallContext context) =>
        Answer(nameof(Put), () => new PutResponse { Etag = "1", Persisted = true });

    public override Task<BatchPutResponse> BatchPut(BatchPutRequest request, ServerCallContext context) =>
        Answer(nameof(BatchPut), () => new BatchPutResponse());

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context) =>
        Answer(nameof(Delete), () => new DeleteResponse { Deleted = true });

    public override Task<IncrementResponse> Increment(IncrementRequest request, ServerCallContext context) =>
        Answer(nameof(Increment), () => new IncrementResponse { Value = 1 });

    public override Task<TouchResponse> Touch(TouchRequest request, ServerCallContext context) =>
        Answer(nameof(Touch), () => new TouchResponse { Found = true });

    public override Task<InvalidateResponse> Invalidate(InvalidateRequest request, ServerCallContext context) =>
        Answer(nameof(Invalidate), () => new InvalidateResponse());

    public override Task<InvalidateTagsResponse> InvalidateTags(InvalidateTagsRequest request,
        ServerCallContext context) =>
        Answer(nameof(InvalidateTags), () => new InvalidateTagsResponse());

    public override async Task WatchInvalidations(WatchInvalidationsRequest request,
        IServerStreamWriter<InvalidationEvent> responseStream, ServerCallContext context) =>
        await responseStream.WriteAsync(await Answer(nameof(WatchInvalidations), () => new InvalidationEvent()));

    private static GetResponse Found(string json) => new()
    {
        Found = true,
        Value = ByteString.CopyFromUtf8(json),
        ContentType = "application/json",
        Etag = "1",
    };

    private Task<T> Answer<T>(string method, Func<T> answer)
    {
        if (_attempts.AddOrUpdate(method, 1, (_, attempts) => attempts + 1) <= FailFirst)
        {
            throw new RpcException(new Status(FailWith, $"attempt of {method} failed on purpose"));
        }

        return Task.FromResult(answer());
    }
}
