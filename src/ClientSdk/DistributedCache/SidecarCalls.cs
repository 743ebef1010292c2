using CacheSidecar.Contracts.V1;
using Grpc.Core;

namespace CacheSidecar.Client.DistributedCache;

/// <summary>
/// Runs the distributed cache's calls on the generated stub with the SDK's settings (<see
/// cref="CacheSidecarClientOptions.DefaultDeadline"/>, <see cref="CacheSidecarClientOptions.BearerToken"/>), and
/// turns failures into what <c>IDistributedCache</c> callers expect: <see cref="OperationCanceledException"/> when
/// their token was cancelled, <see cref="CacheSidecarException"/> (with the gRPC status) for everything else.
/// Blocking calls use the stub's own blocking methods, so the sync half of the interface does not wrap a task.
/// </summary>
internal sealed class SidecarCalls(Cache.CacheClient client, CacheSidecarClientOptions options)
{
    public Cache.CacheClient Client => client;

    public async Task<TResponse> RunAsync<TResponse>(Func<CallOptions, AsyncUnaryCall<TResponse>> call,
        CancellationToken cancellationToken)
    {
        try
        {
            using var pending = call(OptionsFor(cancellationToken));
            return await pending.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw Translate(ex, cancellationToken);
        }
    }

    public TResponse Run<TResponse>(Func<CallOptions, TResponse> call)
    {
        try
        {
            return call(OptionsFor(CancellationToken.None));
        }
        catch (RpcException ex)
        {
            throw Translate(ex, CancellationToken.None);
        }
    }

    private CallOptions OptionsFor(CancellationToken cancellationToken)
    {
        Metadata? headers = null;
        if (options.BearerToken is { Length: > 0 } token)
        {
            headers = new Metadata { { "authorization", "Bearer " + token } };
        }

        // gRPC deadlines are wall-clock instants by definition; a test's fake TimeProvider must not move them.
        return new CallOptions(headers, DateTime.UtcNow + options.DefaultDeadline, cancellationToken);
    }

    private static Exception Translate(RpcException ex, CancellationToken cancellationToken) =>
        ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested
            ? new OperationCanceledException(ex.Message, ex, cancellationToken)
            : new CacheSidecarException(ex);
}
