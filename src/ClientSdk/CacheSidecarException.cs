using Grpc.Core;

namespace CacheSidecar.Client;

/// <summary>
/// A sidecar call failed. <see cref="StatusCode"/> tells why: <c>InvalidArgument</c> (bad input),
/// <c>NotFound</c> (unknown namespace), <c>FailedPrecondition</c> (etag mismatch, a create of a key
/// that exists, an increment of a value that is not a counter), <c>OutOfRange</c> (a counter's sum beyond
/// int64), <c>ResourceExhausted</c> (write-behind backlog full), <c>Unavailable</c> (cache and store
/// unreachable), <c>Unauthenticated</c>, <c>DeadlineExceeded</c>.
/// </summary>
public sealed class CacheSidecarException : Exception
{
    /// <summary>Wraps a gRPC failure.</summary>
    public CacheSidecarException(RpcException inner)
        : base($"{inner?.StatusCode}: {inner?.Status.Detail}", inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        Status = inner.Status;
    }

    /// <summary>Creates an exception without a gRPC cause.</summary>
    public CacheSidecarException()
    {
    }

    /// <summary>Creates an exception without a gRPC cause.</summary>
    public CacheSidecarException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception without a gRPC cause.</summary>
    public CacheSidecarException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The gRPC status the sidecar returned.</summary>
    public Status Status { get; }

    /// <summary>The gRPC status code the sidecar returned.</summary>
    public StatusCode StatusCode => Status.StatusCode;
}
