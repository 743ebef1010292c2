using CacheSidecar.Core;
using CacheSidecar.Api;
using CacheSidecar.Store;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace CacheSidecar.Tests.Api;

/// <summary>
/// A store's refusal can quote the value: MongoDB's duplicate-key error on a unique index reads
/// <c>dup key: { email: "…" }</c>. The wire test server has no secondary unique indexes, so this
/// is checked on the interceptor directly: the caller gets the store's words, the log does not.
/// </summary>
public sealed class StoreRefusalLoggingTests
{
    [Fact]
    public async Task A_store_refusal_that_quotes_the_value_reaches_the_caller_but_not_the_log()
    {
        const string value = "ada-7f3a@example.com";
        var logger = new CapturingLogger();
        var interceptor = new ExceptionMappingInterceptor(logger);
        var refusal = new StoreRejectedValueException(
            $"The store refused the value: E11000 duplicate key error collection: app.users index: email_1 dup key: {{ email: \"{value}\" }}",
            logReason: "The store refused the value (MongoDB error 11000, DuplicateKey).");

        var error = await Assert.ThrowsAsync<RpcException>(() =>
            interceptor.UnaryServerHandler<string, string>("request", new FakeCallContext(), (_, _) => throw refusal));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(value, error.Status.Detail, StringComparison.Ordinal);
        var line = Assert.Single(logger.Lines);
        Assert.Contains("failed with InvalidArgument: The store refused the value (MongoDB error 11000, DuplicateKey).", line, StringComparison.Ordinal);
        Assert.DoesNotContain(value, line, StringComparison.Ordinal);
    }

    private sealed class CapturingLogger : ILogger<ExceptionMappingInterceptor>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception) + exception);
    }

    private sealed class FakeCallContext : ServerCallContext
    {
        protected override string MethodCore => "/cachesidecar.v1.Cache/Put";

        protected override string HostCore => "127.0.0.1";

        protected override string PeerCore => "ipv4:127.0.0.1:1";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore => new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
