using System.Globalization;
using CacheSidecar.Contracts.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace CacheSidecar.Client;

/// <summary>
/// Builds the gRPC channel to a sidecar from <see cref="CacheSidecarClientOptions"/>, for callers that do not use
/// dependency injection: the same address handling (<c>unix:</c> sockets) and read retries as
/// <see cref="CacheSidecarClientServiceCollectionExtensions.AddCacheSidecarClient"/>.
/// </summary>
/// <example><code>
/// var options = new CacheSidecarClientOptions { Address = new Uri("unix:/var/run/cachesidecar/grpc.sock") };
/// using var channel = CacheSidecarChannel.Create(options);
/// var client = new CacheSidecarClient(new Cache.CacheClient(channel), Options.Create(options));
/// </code></example>
public static class CacheSidecarChannel
{
    /// <summary>
    /// The reads that are safe to send again: they change nothing, so a retry after a lost answer is the same call.
    /// </summary>
    private static readonly string[] IdempotentReads =
        [nameof(Cache.CacheClient.Get), nameof(Cache.CacheClient.BatchGet), nameof(Cache.CacheClient.ListNamespaces)];

    /// <summary>A channel to <see cref="CacheSidecarClientOptions.Address"/>; the caller disposes it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A <see cref="CacheSidecarClientOptions.ReadRetry"/> value is out of range.
    /// </exception>
    public static GrpcChannel Create(CacheSidecarClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Address);
        var unix = UnixSocketAddress.IsUnixSocket(options.Address);
        var address = unix ? UnixSocketAddress.HttpAddress : options.Address;
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            // Null: the channel's own pooled HTTP/2 handler, as for any TCP address.
            HttpHandler = unix ? UnixSocketAddress.Handler(options.Address) : null,
            DisposeHttpClient = true,
            ServiceConfig = ServiceConfigFor(options),
        });
    }

    /// <summary>
    /// The service config that retries the idempotent reads as <see cref="CacheSidecarClientOptions.ReadRetry"/>
    /// says, for <c>GrpcChannelOptions.ServiceConfig</c> of a channel built by hand; null when retries are off.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A <see cref="CacheSidecarClientOptions.ReadRetry"/> value is out of range.
    /// </exception>
    public static ServiceConfig? ServiceConfigFor(CacheSidecarClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var retry = options.ReadRetry ?? throw new ArgumentNullException(
            nameof(options),
            $"{nameof(CacheSidecarClientOptions)}.{nameof(CacheSidecarClientOptions.ReadRetry)} is null.");
        Validate(retry);
        if (!retry.Enabled || retry.MaxAttempts == 1)
        {
            return null;
        }

        var reads = new MethodConfig
        {
            RetryPolicy = new RetryPolicy
            {
                MaxAttempts = retry.MaxAttempts,
                InitialBackoff = retry.InitialBackoff,
                MaxBackoff = retry.MaxBackoff,
                BackoffMultiplier = retry.BackoffMultiplier,
                RetryableStatusCodes = { StatusCode.Unavailable },
            },
        };
        foreach (var method in IdempotentReads)
        {
            reads.Names.Add(new MethodName { Service = Cache.Descriptor.FullName, Method = method });
        }

        return new ServiceConfig { MethodConfigs = { reads } };
    }

    private static void Validate(CacheSidecarReadRetryOptions retry)
    {
        const string prefix = $"{nameof(CacheSidecarClientOptions)}.{nameof(CacheSidecarClientOptions.ReadRetry)}.";
        if (retry.MaxAttempts is < 1 or > CacheSidecarReadRetryOptions.MaxAttemptsLimit)
        {
            throw OutOfRange(prefix + nameof(retry.MaxAttempts), retry.MaxAttempts,
                $"must be 1 to {CacheSidecarReadRetryOptions.MaxAttemptsLimit}");
        }

        if (retry.InitialBackoff <= TimeSpan.Zero)
        {
            throw OutOfRange(prefix + nameof(retry.InitialBackoff), retry.InitialBackoff, "must be positive");
        }

        if (retry.MaxBackoff < retry.InitialBackoff)
        {
            throw OutOfRange(prefix + nameof(retry.MaxBackoff), retry.MaxBackoff,
                $"must not be below {nameof(retry.InitialBackoff)} ({retry.InitialBackoff})");
        }

        if (!(retry.BackoffMultiplier > 0) || double.IsInfinity(retry.BackoffMultiplier))
        {
            throw OutOfRange(prefix + nameof(retry.BackoffMultiplier), retry.BackoffMultiplier, "must be positive");
        }
    }

    private static ArgumentOutOfRangeException OutOfRange(string name, object value, string rule) =>
        new(name, value, string.Create(CultureInfo.InvariantCulture, $"{name} {rule}; it is {value}."));
}
