using CacheSidecar.Core;
using CacheSidecar.Logging;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Api;

/// <summary>
/// The one place that turns failures into gRPC statuses (see the table in protos/…/cache.proto):
/// unreachable cache and store → UNAVAILABLE, if-match mismatch → FAILED_PRECONDITION,
/// a value the store refuses → INVALID_ARGUMENT, a passed deadline → DEADLINE_EXCEEDED.
/// Anything unexpected is INTERNAL with a generic message; the details go to the log only.
/// </summary>
internal sealed class ExceptionMappingInterceptor(ILogger<ExceptionMappingInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request,
        ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            if (ex.StatusCode != StatusCode.NotFound)
            {
                SidecarLog.CallFailed(logger, context.Method, ex.StatusCode, ex.Status.Detail);
            }

            throw;
        }
        catch (Exception ex) when (Map(ex, context) is { } status)
        {
            // The caller gets the store's own words about its value; the log gets a reason that does not
            // quote it.
            SidecarLog.CallFailed(
                logger,
                context.Method,
                status.StatusCode,
                ex is StoreRejectedValueException rejected ? rejected.LogReason : status.Detail);
            throw new RpcException(status);
        }
        catch (Exception ex)
        {
            SidecarLog.UnexpectedError(logger, context.Method, ex);
            throw new RpcException(new Status(StatusCode.Internal, "Internal error in the sidecar; see its log."));
        }
    }

    /// <summary>The status a failed call answers with; null for an unexpected exception (INTERNAL).</summary>
    internal static Status? Map(Exception exception, ServerCallContext context) => exception switch
    {
        PreconditionFailedException ex => new Status(StatusCode.FailedPrecondition, ex.Message),
        CounterOverflowException ex => new Status(StatusCode.OutOfRange, ex.Message),
        StoreRejectedValueException ex => new Status(StatusCode.InvalidArgument, ex.Message),
        StoreUnavailableException ex => new Status(StatusCode.Unavailable, ex.Message),
        CacheUnavailableException ex => new Status(StatusCode.Unavailable, ex.Message),
        SidecarUnavailableException ex => new Status(StatusCode.Unavailable, ex.Message),
        BacklogFullException ex => new Status(StatusCode.ResourceExhausted, ex.Message),
        // The caller's own deadline fires a little before ours (ours starts when the request
        // arrives), and its abort reaches us as a plain cancellation: a cancellation within a
        // second of the deadline is the deadline. The deadline is a wall-clock instant.
        OperationCanceledException
            when context.Deadline != DateTime.MaxValue && context.Deadline <= DateTime.UtcNow.AddSeconds(1) =>
            new Status(StatusCode.DeadlineExceeded, "The caller's deadline passed before the operation completed."),
        OperationCanceledException => new Status(StatusCode.Cancelled, "The call was cancelled."),
        _ => null,
    };
}
