using CacheSidecar.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;

namespace CacheSidecar.Api;

/// <summary>
/// Binds <see cref="CacheGrpcService"/> as the generated <c>Cache.BindService</c> does, with one
/// difference: a request body that is not a valid protobuf message fails <c>INVALID_ARGUMENT</c>
/// with a message. The usual case is a string field (namespace, key, content type) whose bytes
/// are not UTF-8, which proto3 forbids and Google.Protobuf refuses while parsing.
/// </summary>
/// <remarks>
/// grpc-dotnet parses the request before any interceptor runs, and turns a parse failure into
/// <c>UNKNOWN "Exception was thrown by handler."</c>; only an <see cref="RpcException"/> thrown
/// by the deserializer itself sets the status. So the request marshallers are wrapped here.
/// grpc-dotnet finds this method through <c>[BindServiceMethod]</c> on <see cref="CacheGrpcService"/>,
/// which takes precedence over the attribute on the generated base class.
/// </remarks>
internal static class StrictRequestBinding
{
    /// <summary>The service's descriptor. Tools that find the bind method through the attribute (gRPC JSON
    /// transcoding) read the descriptor from the bind method's declaring type, i.e. from here.</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => Cache.Descriptor;

    // The second parameter is the generated base type: grpc-dotnet resolves the handlers as the
    // overrides of that type's methods.
    public static void BindService(ServiceBinderBase serviceBinder, Cache.CacheBase? serviceImpl) =>
        Cache.BindService(new StrictBinder(serviceBinder), serviceImpl);

    private static Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        var deserialize = method.RequestMarshaller.ContextualDeserializer;
        var requestMarshaller = new Marshaller<TRequest>(method.RequestMarshaller.ContextualSerializer, context =>
        {
            try
            {
                return deserialize(context);
            }
            catch (InvalidProtocolBufferException ex)
            {
                // The parser's messages ("String is invalid UTF-8.") describe the defect without quoting the bytes.
                throw new RpcException(new Status(
                    StatusCode.InvalidArgument,
                    $"The request is not a valid {typeof(TRequest).Name} message: {ex.Message}"));
            }
        });
        return new Method<TRequest, TResponse>(
            method.Type, method.ServiceName, method.Name, requestMarshaller, method.ResponseMarshaller);
    }

    /// <summary>Forwards every method to grpc-dotnet's binder with the strict request marshaller.</summary>
    private sealed class StrictBinder(ServiceBinderBase inner) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            UnaryServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Strict(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Strict(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Strict(method), handler);

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method,
            DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            inner.AddMethod(Strict(method), handler);
    }
}
