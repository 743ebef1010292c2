using Grpc.Core;

namespace CacheSidecar.Api;

/// <summary>Small helpers that build the gRPC errors of the contract.</summary>
internal static class Errors
{
    public static RpcException InvalidArgument(string message) => new(new Status(StatusCode.InvalidArgument, message));
}
