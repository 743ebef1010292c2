using System.Security.Cryptography;
using System.Text;
using CacheSidecar.Configuration;
using CacheSidecar.Logging;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CacheSidecar.Api;

/// <summary>
/// Optional bearer-token check (Sidecar:Auth:Token or :TokenFile, e.g. a mounted Kubernetes
/// Secret). When a token is configured every RPC except the health service needs
/// <c>authorization: Bearer &lt;token&gt;</c>; otherwise the call fails <c>UNAUTHENTICATED</c>.
/// The comparison is constant-time; the token is never logged.
/// </summary>
internal sealed class BearerTokenInterceptor : Interceptor
{
    private const string HealthServicePrefix = "/grpc.health.v1.Health/";
    private readonly byte[]? _expected;
    private readonly ILogger<BearerTokenInterceptor> _logger;

    public BearerTokenInterceptor(IOptions<SidecarOptions> options, ILogger<BearerTokenInterceptor> logger)
    {
        _logger = logger;
        var auth = options.Value.Auth;
        var token = !string.IsNullOrEmpty(auth.TokenFile) ? File.ReadAllText(auth.TokenFile).Trim() : auth.Token;
        _expected = string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes("Bearer " + token);
    }

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream,
        IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authenticate(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authenticate(ServerCallContext context)
    {
        if (_expected is null || context.Method.StartsWith(HealthServicePrefix, StringComparison.Ordinal))
        {
            return;
        }

        var header = context.RequestHeaders.GetValue("authorization");
        var presented = header is null ? [] : Encoding.UTF8.GetBytes(header);
        if (!CryptographicOperations.FixedTimeEquals(presented, _expected))
        {
            SidecarLog.Unauthenticated(_logger, context.Method);
            throw new RpcException(new Status(
                StatusCode.Unauthenticated,
                "A valid bearer token is required (authorization: Bearer <token>)."));
        }
    }
}
