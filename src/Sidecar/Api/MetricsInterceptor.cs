using System.Diagnostics;
using CacheSidecar.Contracts.V1;
using CacheSidecar.Telemetry;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace CacheSidecar.Api;

/// <summary>
/// Records <c>cachesidecar.rpc.duration</c> for every call, with the status it ended with (outermost interceptor).
/// </summary>
internal sealed class MetricsInterceptor(
    SidecarMetrics metrics,
    Configuration.NamespaceRegistry namespaces) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request,
        ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        var status = StatusCode.OK;
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            status = ex.StatusCode;
            throw;
        }
        catch (Exception)
        {
            status = StatusCode.Internal;
            throw;
        }
        finally
        {
            metrics.Rpc(RpcName(context.Method), NamespaceOf(request), status, Stopwatch.GetElapsedTime(started));
        }
    }

    // Method names come from the registered services only (unknown methods never reach an
    // interceptor), so this stays small; it saves a substring per call.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> RpcNames =
        new(StringComparer.Ordinal);

    private static string RpcName(string method) =>
        RpcNames.GetOrAdd(method, static m => m[(m.LastIndexOf('/') + 1)..]);

    // Only configured namespace names become tags (keys and values never do): a caller sending
    // random namespace names must not grow the metric's series without bound.
    private string NamespaceOf(object request)
    {
        var name = request switch
        {
            GetRequest r => r.Namespace,
            BatchGetRequest r => r.Namespace,
            TouchRequest r => r.Namespace,
            BatchPutRequest r => r.Namespace,
            PutRequest r => r.Namespace,
            DeleteRequest r => r.Namespace,
            InvalidateRequest r => r.Namespace,
            _ => null,
        };
        return name is null ? string.Empty : namespaces.TryGet(name, out _) ? name : "(unknown)";
    }
}
